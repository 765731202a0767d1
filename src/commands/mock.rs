//! `openai-access mock serve`: serve a mock org until interrupted.

use crate::cli::{MockCommand, MockServeArgs};
use crate::exit::CliError;
use crate::settings;
use openai_access_mock::{MockConfig, MockServer};
use std::io::Write;

pub fn run(cmd: MockCommand) -> Result<u8, CliError> {
    match cmd {
        MockCommand::Serve(args) => serve(args),
    }
}

fn serve(args: MockServeArgs) -> Result<u8, CliError> {
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

fn wait_for_interrupt() -> Result<(), CliError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("runtime", e))?;
    rt.block_on(tokio::signal::ctrl_c())
        .map_err(|e| CliError::io("waiting for Ctrl-C", e))
}
