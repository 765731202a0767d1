//! Where the Admin API is and how to talk to it: the flags every command that calls it shares.

use clap::Args;
use openai_access_actors::ids::OrgId;
use std::path::PathBuf;

/// Where the Admin API is and how to talk to it (shared by every command that calls it).
#[derive(Args, Debug, Clone)]
pub struct ConnectArgs {
    /// Run the embedded mock org in-process and talk to it (zero-configuration demo):
    /// tiny, small, medium or large. It always uses the mock's own key: a real key from the environment or a file is never sent to it.
    #[arg(
        long,
        value_name = "PRESET",
        conflicts_with = "base_url",
        env = "BATON_MOCK"
    )]
    pub mock: Option<String>,

    /// Seed of the embedded mock org.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        requires = "mock",
        env = "BATON_MOCK_SEED"
    )]
    pub mock_seed: u64,

    /// Admin API base URL [default: OPENAI_BASE_URL if set, else https://api.openai.com/v1].
    #[arg(long, value_name = "URL", env = "BATON_BASE_URL")]
    pub base_url: Option<String>,

    /// Read the admin key from this file (the safest way to give it).
    #[arg(long, value_name = "FILE", env = "BATON_ADMIN_KEY_FILE")]
    pub admin_key_file: Option<PathBuf>,

    /// The admin key itself. Less safe than --admin-key-file or the environment: a command
    /// line can be seen by other users of the machine (ps) and lands in shell history.
    /// Without either, OPENAI_ADMIN_KEY is read. Never printed or logged.
    #[arg(
        long = "openai-admin-key",
        visible_alias = "admin-key",
        value_name = "KEY",
        env = "BATON_OPENAI_ADMIN_KEY",
        hide_env_values = true
    )]
    pub admin_key: Option<String>,

    /// Allow plain http:// to a non-loopback host (the key would travel unencrypted).
    #[arg(long, env = "BATON_ALLOW_INSECURE_HTTP", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub allow_insecure_http: bool,

    /// Organization id for the `organization` resource (default: derived from the
    /// predefined role ids, else `org`).
    #[arg(long, value_name = "ID", env = "BATON_ORG_ID")]
    pub org_id: Option<OrgId>,

    /// Requests in flight at once, over all endpoints.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096), env = "BATON_MAX_IN_FLIGHT")]
    pub max_in_flight: u32,

    /// Client-side budget per endpoint, in requests per minute (default: learned from 429s).
    #[arg(long, value_name = "RPM", value_parser = clap::value_parser!(u32).range(1..), env = "BATON_RPM")]
    pub rpm: Option<u32>,

    /// Burst allowed by --rpm.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "rpm", value_parser = clap::value_parser!(u32).range(1..), env = "BATON_BURST")]
    pub burst: u32,

    /// Per-request timeout in seconds (at most 600).
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600), env = "BATON_TIMEOUT")]
    pub timeout: u64,

    /// Failed answers (5xx, broken or unreadable bodies) one request accepts before it gives
    /// up, the first included. 429s and an unreachable server do not count: see
    /// --retry-budget.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100), env = "BATON_MAX_ATTEMPTS")]
    pub max_attempts: u32,

    /// Seconds of waiting the server may impose on one request before it gives up: backoff
    /// after failed answers, the pauses its 429s ask for (Retry-After), and time the server
    /// is unreachable (an outage). Time a request waits its turn behind the client's own
    /// pacing does not count. A longer Retry-After is not waited out.
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400), env = "BATON_RETRY_BUDGET")]
    pub retry_budget: u64,

    /// Never hedge. By default a read that takes far longer than its endpoint's recent answers
    /// (3 × their 95th percentile, at least 50 ms) is sent once more while the first is still
    /// outstanding, and the first answer wins; only when a request slot is free and the
    /// endpoint's learned budget has room, so a hedge never provokes a 429. Mutations are
    /// never hedged.
    #[arg(long, env = "BATON_NO_HEDGE", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub no_hedge: bool,
}
