//! `mock c1`: the fake ConductorOne's flags.

use clap::Args;
use std::path::PathBuf;

/// How to use the fake, after the task-script format.
pub const MOCK_C1_HELP: &str = concat!(
    "Prints 127.0.0.1:PORT on stdout (the one line scripts read) and, on stderr, the variables\n",
    "that point a connector at it: BATON_C1_API_HOST, SSL_CERT_FILE (DIR/ca.pem),\n",
    "BATON_CLIENT_ID (DIR/client-id), BATON_CLIENT_SECRET (DIR/client-secret, mode 0600).\n",
    "The same TLS port serves POST /auth/v1/token, c1.connectorapi.baton.v1.BatonService and\n",
    "the control API under /__fake/ (GET /__fake/ lists its routes: push and cancel tasks, read\n",
    "the transcript, Hellos, finished tasks and uploads, make the fake unavailable).\n",
    "Runs until Ctrl-C.\n\n",
);

/// The whole `mock c1 --help` epilogue: how to use the fake, then the task-script format.
pub fn mock_c1_after_help() -> String {
    format!("{MOCK_C1_HELP}{}", crate::c1::fake::script::SCRIPT_HELP)
}

#[derive(Args, Debug)]
pub struct MockC1Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,

    /// Directory for ca.pem, client-id and client-secret (created if missing). Default: a
    /// temporary directory, removed on exit.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Task scripts to queue at start: a JSON file (the format is below).
    #[arg(long, value_name = "FILE")]
    pub tasks: Option<PathBuf>,

    /// The client id's name: the id is NAME@127.0.0.1:PORT/test.
    #[arg(long, value_name = "NAME", default_value = "fake")]
    pub client_name: String,

    /// `next_poll` of every GetTask answer, in milliseconds (not 0: a connector polls again
    /// after that long).
    #[arg(long, value_name = "MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub next_poll_ms: u64,

    /// `next_heartbeat` of GetTask and Heartbeat answers, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub next_heartbeat_ms: u64,

    /// `expires_in` of the tokens the fake issues, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub token_ttl_secs: u64,
}
