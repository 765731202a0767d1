//! `openai-access mock serve`: serve a mock org until interrupted; `mock c1`: a fake
//! ConductorOne until interrupted.

use crate::c1::config::{ENV_API_HOST, ENV_CLIENT_ID, ENV_CLIENT_SECRET};
use crate::c1::fake::{
    CA_FILE, CLIENT_ID_FILE, CLIENT_SECRET_FILE, FakeC1, FakeOptions, TaskScript,
};
use crate::cli::{MockC1Args, MockCommand, MockServeArgs};
use crate::exit::CliError;
use crate::settings;
use openai_access_mock::{MockConfig, MockServer};
use std::io::Write;
use std::time::Duration;

pub fn run(cmd: MockCommand) -> Result<crate::exit::Exit, CliError> {
    match cmd {
        MockCommand::Serve(args) => serve(args),
        MockCommand::C1(args) => c1(args),
    }
}

fn serve(args: MockServeArgs) -> Result<crate::exit::Exit, CliError> {
    if args.admin_key.trim().is_empty() {
        return Err(CliError::usage("--admin-key must not be empty"));
    }
    let config = MockConfig {
        port: args.port,
        admin_key: args.admin_key.clone(),
        ..settings::mock_config(&args.knobs)?
    };
    let server = MockServer::start(config)
        .map_err(|e| CliError::fatal(format!("cannot start the mock: {e}")))?;
    let shape = server.org().shape();
    // The base URL is the one line scripts read: stdout, flushed at once.
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", server.base_url()).map_err(|e| CliError::io("stdout", e))?;
    out.flush().map_err(|e| CliError::io("stdout", e))?;
    drop(out);
    eprintln!(
        "mock org `{}` (seed {}): {}",
        args.knobs.preset,
        args.knobs.seed,
        serde_json::to_string(&shape).unwrap_or_default()
    );
    eprintln!(
        "stats: GET {}/__mock/stats   (Ctrl-C to stop)",
        server.base_url().trim_end_matches("/v1")
    );
    wait_for_interrupt()?;
    server.shutdown();
    Ok(crate::exit::OK)
}

fn c1(args: MockC1Args) -> Result<crate::exit::Exit, CliError> {
    let tasks = match &args.tasks {
        None => Vec::new(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::io(format!("reading {}", path.display()), e))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
            TaskScript::list_from_json(&value)
                .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?
        }
    };
    let options = FakeOptions {
        port: args.port,
        dir: args.dir.clone(),
        client_name: args.client_name.clone(),
        next_poll: Duration::from_millis(args.next_poll_ms),
        next_heartbeat: Duration::from_millis(args.next_heartbeat_ms),
        token_ttl: Duration::from_secs(args.token_ttl_secs),
        tasks,
        ..FakeOptions::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("runtime", e))?;
    rt.block_on(async {
        let fake = FakeC1::start(options)
            .await
            .map_err(|e| CliError::fatal(format!("cannot start the fake ConductorOne: {e}")))?;
        // Listen for Ctrl-C before saying we are up: whoever reads the host line may
        // interrupt at once, and an unhandled SIGINT would kill the process without shutdown.
        let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
        if let std::task::Poll::Ready(result) = futures::poll!(&mut interrupted) {
            result.map_err(|e| CliError::io("waiting for Ctrl-C", e))?;
            fake.shutdown().await;
            return Ok(crate::exit::OK);
        }
        // The host is the one line scripts read: stdout, flushed at once.
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", fake.host()).map_err(|e| CliError::io("stdout", e))?;
        out.flush().map_err(|e| CliError::io("stdout", e))?;
        drop(out);
        let dir = fake.dir().display().to_string();
        let file = |name: &str| shell_quote(&format!("{dir}/{name}"));
        eprintln!(
            "fake ConductorOne on {url} (control API: {url}/__fake/); files in {dir}\n  \
             export {ENV_API_HOST}={host}\n  \
             export SSL_CERT_FILE={ca}\n  \
             export {ENV_CLIENT_ID}=\"$(cat {id})\"\n  \
             export {ENV_CLIENT_SECRET}=\"$(cat {secret})\"\n  \
             curl --cacert {ca} {url}/__fake/transcript\n\
             (Ctrl-C to stop)",
            url = fake.url(),
            host = fake.host(),
            ca = file(CA_FILE),
            id = file(CLIENT_ID_FILE),
            secret = file(CLIENT_SECRET_FILE),
        );
        interrupted
            .await
            .map_err(|e| CliError::io("waiting for Ctrl-C", e))?;
        fake.shutdown().await;
        Ok(crate::exit::OK)
    })
}

/// `s` quoted for a POSIX shell.
fn shell_quote(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn wait_for_interrupt() -> Result<(), CliError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("runtime", e))?;
    rt.block_on(tokio::signal::ctrl_c())
        .map_err(|e| CliError::io("waiting for Ctrl-C", e))
}
