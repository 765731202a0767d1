//! `openai-access`: parse the command line, set up logging, run the command, exit with its code.

use clap::{CommandFactory, FromArgMatches};
use openai_access::cli::{Cli, Command, LogFormat, LogLevel};
use openai_access::commands;
use openai_access::console;
use openai_access::exit;
use std::io::IsTerminal;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // As a Baton connector (no subcommand), logs are JSON unless a person is watching, as
    // baton-sdk's are.
    let format = cli.log_format.unwrap_or(
        if cli.command.is_none() && !std::io::stdout().is_terminal() {
            LogFormat::Json
        } else {
            LogFormat::Text
        },
    );
    console::init(format == LogFormat::Json);
    init_tracing(format, cli.log_level, cli.verbose);
    let result = match cli.command {
        None => commands::baton::run(cli.baton),
        Some(Command::Sync(args)) => commands::sync::run(args),
        Some(Command::Grant(args)) => commands::provision::grant(args),
        Some(Command::Revoke(args)) => commands::provision::revoke(args),
        Some(Command::CreateAccount(args)) => commands::provision::create_account(args),
        Some(Command::DeleteAccount(args)) => commands::provision::delete_account(args),
        Some(Command::DeleteInvite(args)) => commands::provision::delete_invite(args),
        Some(Command::DeleteAdminKey(args)) => commands::provision::delete_admin_key(args),
        Some(Command::Access(args)) => commands::review::access(args),
        Some(Command::Who(args)) => commands::review::who(args),
        Some(Command::Explain(args)) => commands::review::explain(args),
        Some(Command::Export(args)) => commands::export::run(args),
        Some(Command::Diff(args)) => commands::review::diff(args),
        Some(Command::Stale(args)) => commands::review::stale(args),
        Some(Command::Report(args)) => commands::review::report(args),
        Some(Command::Serve(args)) => openai_access::service::run(*args),
        Some(Command::Mock(cmd)) => commands::mock::run(cmd),
        Some(Command::Bench(args)) => commands::bench::run(args),
        Some(Command::BenchServe(args)) => commands::bench::serve_load::command(args),
        Some(Command::Capabilities) => commands::baton::capabilities(),
        Some(Command::Config(args)) => match matches.subcommand_matches("config") {
            Some(m) => commands::config::run(&args, m),
            None => Ok(exit::USAGE),
        },
    };
    match result {
        Ok(code) => exit::code(code),
        Err(e) if e.is_broken_pipe() => exit::code(exit::Exit::PipeClosed),
        Err(e) => {
            console::error(&e.to_string());
            exit::code(e.code)
        }
    }
}

fn init_tracing(format: LogFormat, level: Option<LogLevel>, verbose: u8) {
    let ours = match (verbose, level) {
        (0, None) => "info",
        (0, Some(l)) => l.as_str(),
        (1, _) => "debug",
        _ => "trace",
    };
    let others = if verbose >= 2 { "debug" } else { "warn" };
    let default = format!("{others},openai_access={ours},openai_access_actors={ours}");
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Colour only for a person at a terminal, and never with NO_COLOR set.
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(openai_access::progress::LogWriterMaker)
        // A log line that cannot be written (stderr closed: the reader went away) must not
        // become a panic in whatever logged it, which would stop a service mid-shutdown.
        .log_internal_errors(false);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.with_target(false).init(),
    }
}
