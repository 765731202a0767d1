//! `openai-access`: parse the command line, set up logging, run the command, exit with its code.

use clap::Parser;
use openai_access::cli::{Cli, Command, LogFormat};
use openai_access::commands;
use openai_access::exit;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format, cli.verbose);
    let result = match cli.command {
        Command::Sync(args) => commands::sync::run(args),
        Command::Grant(args) => commands::provision::grant(args),
        Command::Revoke(args) => commands::provision::revoke(args),
        Command::CreateAccount(args) => commands::provision::create_account(args),
        Command::DeleteAccount(args) => commands::provision::delete_account(args),
        Command::DeleteInvite(args) => commands::provision::delete_invite(args),
        Command::Mock(cmd) => commands::mock::run(cmd),
        Command::Bench(args) => commands::bench::run(args),
    };
    match result {
        Ok(code) => exit::code(code),
        Err(e) => {
            eprintln!("error: {e}");
            exit::code(e.code)
        }
    }
}

fn init_tracing(format: LogFormat, verbose: u8) {
    let default = match verbose {
        0 => "warn,openai_access=info,openai_access_actors=info",
        1 => "info,openai_access=debug,openai_access_actors=debug",
        _ => "debug,openai_access=trace,openai_access_actors=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.with_target(false).init(),
    }
}
