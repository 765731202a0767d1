//! `serve`'s flags: where to listen, who may ask, how often to sync, where to keep things.

use super::values::parse_duration;
use super::{ConnectArgs, OutputFormat};
use clap::Args;
use std::path::PathBuf;

/// The state directory when none is given: beside the working directory, as `sync.c1z` is.
pub const DEFAULT_STATE_DIR: &str = "openai-access-state";

/// Where the API token comes from besides `--api-token-file`.
pub const API_TOKEN_ENV: &str = "BATON_API_TOKEN";

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,

    /// Address the HTTP API listens on. Without an API token only a loopback address is
    /// accepted (the container's manifests set 0.0.0.0:8080 and a token).
    #[arg(
        long,
        value_name = "ADDR:PORT",
        default_value = "127.0.0.1:8080",
        env = "BATON_LISTEN"
    )]
    pub listen: String,

    /// File holding the bearer token every /api/ request must present
    /// (`Authorization: Bearer TOKEN`); else BATON_API_TOKEN. /healthz, /readyz and /metrics
    /// need none and reveal no access data.
    #[arg(long, value_name = "FILE", env = "BATON_API_TOKEN_FILE")]
    pub api_token_file: Option<PathBuf>,

    /// Where the service keeps its state between restarts: every list of the last complete
    /// sync, the audit-log cursor, the learned rate limits, the sync history. The same flag and
    /// variable as `sync --state` (`--state-dir` and BATON_STATE_DIR, the earlier names, are
    /// still read). [default: openai-access-state]
    #[arg(
        long = "state",
        visible_alias = "state-dir",
        value_name = "DIR",
        env = "BATON_STATE"
    )]
    pub state_dir: Option<PathBuf>,

    /// Write the grant graph here after each complete sync (FILE.c1z: each sync appended,
    /// the last two kept; FILE.json: replaced), atomically. At start, a complete graph in it is
    /// served at once, before the first sync ends.
    #[arg(
        short = 'f',
        long = "file",
        visible_alias = "out",
        value_name = "FILE",
        env = "BATON_FILE"
    )]
    pub out: Option<PathBuf>,

    /// Output format (default: from the file extension).
    #[arg(long, value_enum, env = "BATON_FORMAT")]
    pub format: Option<OutputFormat>,

    /// An incremental sync (from the audit log) this often.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = positive_duration, env = "BATON_INTERVAL")]
    pub interval: std::time::Duration,

    /// No stored list older than this: a background reconciliation pass reads again those
    /// that are, beside the incremental syncs and below them on the throttle (it never delays
    /// one). `POST /api/v1/sync {"full": true}` reads everything at once instead.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = positive_duration, env = "BATON_FULL_SYNC_INTERVAL")]
    pub full_sync_interval: std::time::Duration,

    /// Group member lists (which the audit log does not record) are read again by a
    /// background pass of their own once they are this old; 0 reads them without pause.
    #[arg(long, value_name = "DURATION", default_value = "6h", value_parser = parse_duration, env = "BATON_GROUP_RESCAN_INTERVAL")]
    pub group_rescan_interval: std::time::Duration,

    /// How long the audit log keeps entries: a cursor older than this makes the sync full.
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = parse_duration, env = "BATON_AUDIT_RETENTION")]
    pub audit_retention: std::time::Duration,

    /// /readyz fails once the served graph's last successful sync ended longer ago than this
    /// and no sync is making progress towards a newer one (default: 3 × --interval, at least
    /// 15 minutes).
    #[arg(long, value_name = "DURATION", value_parser = positive_duration, env = "BATON_MAX_STALENESS")]
    pub max_staleness: Option<std::time::Duration>,

    /// Let the HTTP API change access (grant, revoke, create and delete accounts, delete
    /// invitations). Dry runs are always allowed.
    #[arg(short = 'p', long, env = "BATON_PROVISIONING", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub provisioning: bool,

    /// How long a provisioning request waits for the refresh that makes its change visible
    /// in queries before answering without it (the refresh still happens).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration, env = "BATON_REFRESH_WAIT")]
    pub refresh_wait: std::time::Duration,

    /// On SIGTERM/SIGINT, how long requests in flight (provisioning among them) may take to
    /// finish before the service exits anyway. Kubernetes waits 30 s before it kills.
    #[arg(long, value_name = "SECS", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=600), env = "BATON_SHUTDOWN_TIMEOUT")]
    pub shutdown_timeout: u64,

    /// Memory for answers already serialized (access of a principal, who can access a
    /// resource), in MiB per served graph; 0 computes every answer afresh. A `large` org's
    /// 20,000 users and 2,000 projects fit in about 240.
    #[arg(long, value_name = "MIB", default_value_t = 256, value_parser = clap::value_parser!(u32).range(0..=65_536), env = "BATON_ANSWER_CACHE_MB")]
    pub answer_cache_mb: u32,

    /// HTTP worker threads (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256), env = "BATON_HTTP_WORKERS")]
    pub http_workers: Option<u16>,

    /// ConductorOne's service mode (see the ConductorOne flags).
    #[command(flatten)]
    pub c1: super::C1Args,

    #[command(flatten)]
    pub usage: super::UsageArgs,
}

fn positive_duration(s: &str) -> Result<std::time::Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err(format!("{s:?} must be longer than 0")),
        d => Ok(d),
    }
}

impl ServeArgs {
    /// The readiness bound, defaulted from the interval.
    pub fn max_staleness(&self) -> std::time::Duration {
        self.max_staleness
            .unwrap_or_else(|| (self.interval * 3).max(std::time::Duration::from_secs(15 * 60)))
    }
}
