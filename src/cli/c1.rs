//! ConductorOne's service-mode flags, shared by `serve` and the Baton mode: the client
//! credentials (as the product documentation's Secret sets them), how many tasks run at once,
//! and where a sync task's `.c1z` is built before it is uploaded.

use clap::Args;
use std::path::PathBuf;

/// The SDK's default and range for `--task-concurrency` (baton-sdk `pkg/field/defaults.go`).
pub const DEFAULT_TASK_CONCURRENCY: u8 = 3;

#[derive(Args, Debug, Clone, Default)]
pub struct C1Args {
    /// ConductorOne's client id (from the connector's settings in ConductorOne). With a client
    /// secret, the service connects to ConductorOne: it says Hello, then polls for tasks
    /// (syncs to upload, grants, revokes, accounts to create and delete) and carries them out.
    #[arg(
        long,
        value_name = "ID",
        env = "BATON_CLIENT_ID",
        hide_env_values = true,
        help_heading = "ConductorOne"
    )]
    pub client_id: Option<String>,

    /// ConductorOne's client secret. Less safe than --client-secret-file: a command line can be
    /// seen by other users. Never printed or logged.
    #[arg(
        long,
        value_name = "SECRET",
        env = "BATON_CLIENT_SECRET",
        hide_env_values = true,
        conflicts_with = "client_secret_file",
        help_heading = "ConductorOne"
    )]
    pub client_secret: Option<String>,

    /// File holding ConductorOne's client secret (a Kubernetes Secret mounted as a file keeps
    /// it out of the environment).
    #[arg(
        long,
        value_name = "FILE",
        env = "BATON_CLIENT_SECRET_FILE",
        help_heading = "ConductorOne"
    )]
    pub client_secret_file: Option<PathBuf>,

    /// How many ConductorOne tasks run at once (1–100).
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_TASK_CONCURRENCY,
        value_parser = clap::value_parser!(u8).range(1..=100),
        env = "BATON_TASK_CONCURRENCY",
        help_heading = "ConductorOne"
    )]
    pub task_concurrency: u8,

    /// Where a sync task's .c1z is built before it is uploaded (default: the system's
    /// temporary directory); removed once uploaded.
    #[arg(
        long,
        value_name = "DIR",
        env = "BATON_C1Z_TEMP_DIR",
        help_heading = "ConductorOne"
    )]
    pub c1z_temp_dir: Option<PathBuf>,
}

impl C1Args {
    /// Whether any ConductorOne credential was given.
    pub fn given(&self) -> bool {
        self.client_id.is_some()
            || self.client_secret.is_some()
            || self.client_secret_file.is_some()
    }
}
