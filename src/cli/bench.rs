//! `bench` and `mock serve`: the mock org and its server-side knobs.

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Baseline {
    /// Also run the sync one request at a time (the way a stock Baton connector syncs).
    Sequential,
    None,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// The mock org and its server-side knobs (latency, per-endpoint limits, faults).
    #[command(flatten)]
    pub knobs: MockKnobs,

    /// Requests the crawler keeps in flight.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_in_flight: u32,

    /// Full syncs to run; the report gives the median and the spread.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeat: u32,

    /// Baseline to compare with.
    #[arg(long, value_enum, default_value_t = Baseline::None)]
    pub baseline: Baseline,

    /// Start each measured sync from the limits the sync before it learned, as `sync` does
    /// with its limits cache. A first sync, reported as the cold run, learns them.
    #[arg(long)]
    pub warm: bool,

    /// Never ask a slow read again (hedging is on by default: see `sync --help`). For
    /// before/after comparisons.
    #[arg(long, value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub no_hedge: bool,

    /// Also write the report as JSON to FILE (`--json` everywhere else prints JSON on stdout).
    #[arg(long, value_name = "FILE")]
    pub json_file: Option<PathBuf>,

    /// The incremental scenario instead of full syncs: for each K, a full sync into a state,
    /// K random changes to the org (through the API and out of band), then an incremental
    /// sync; reports the requests and time of each. With `--rpm` the full sync runs with the
    /// limit lifted and its time is the bound computed from the org's shape; the incremental
    /// one runs under the limit. E.g. `--changes 0,10,100`.
    #[arg(long, value_name = "K,K,…", value_delimiter = ',', num_args = 1..)]
    pub changes: Vec<usize>,

    /// The freshness scenario instead of full syncs: a state filled by a full sync (the
    /// mock's limit lifted), then the service's own refresher under the limit, with N changes
    /// (a member made org owner) at random moments while the background reconciliation
    /// runs; reports how long each took to reach the served graph. E.g. `--simulate
    /// --preset large --rpm 10 --burst 5 --freshness 12`.
    #[arg(long, value_name = "N", conflicts_with = "changes", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub freshness: Option<u32>,

    /// With --freshness: the service's --interval.
    #[arg(long, value_name = "DURATION", default_value = "5m", requires = "freshness", value_parser = super::values::parse_duration)]
    pub interval: std::time::Duration,

    /// With --freshness: the service's --full-sync-interval (the largest list age before a
    /// reconciliation pass reads it again); 0, the worst case, reconciles without pause.
    #[arg(long, value_name = "DURATION", default_value = "0s", requires = "freshness", value_parser = super::values::parse_duration)]
    pub full_sync_interval: std::time::Duration,

    /// The usage scenario instead of full syncs (issue 36): a full sync, then what reading
    /// this many days of usage adds to it, whole and as incremental syncs 1, 7, 30, 31 and 60
    /// days after the last read. E.g. `--simulate --preset large --rpm 10 --burst 5 --usage 90`.
    #[arg(long, value_name = "DAYS", conflicts_with_all = ["changes", "freshness"], value_parser = clap::value_parser!(u32).range(1..=366))]
    pub usage: Option<u32>,

    /// Run the mock in-process on a paused clock: wall times are virtual (hours at 10
    /// requests a minute take seconds), and the same on every run and machine.
    #[arg(long)]
    pub simulate: bool,
}

/// `bench-serve`: a bounded query load on a running service.
#[derive(Args, Debug)]
pub struct BenchServeArgs {
    /// The service (a loopback address only), e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL")]
    pub url: String,

    /// The service's API token.
    #[arg(long, value_name = "FILE")]
    pub api_token_file: Option<PathBuf>,

    /// A JSON sync output of the same org: the users and projects to ask about.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,

    /// Concurrent clients, each with its own connection.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub clients: u32,

    /// Queries in all.
    #[arg(long, value_name = "N", default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub requests: u32,
}

#[derive(Subcommand, Debug)]
pub enum MockCommand {
    /// Serve a mock org on 127.0.0.1 until interrupted; prints its base URL (ending in /v1).
    Serve(MockServeArgs),
    /// A fake ConductorOne for a connector in service mode: token endpoint, BatonService and a
    /// control API on one TLS port of 127.0.0.1, with scripted tasks.
    #[command(after_help = super::mock_c1::mock_c1_after_help())]
    C1(super::mock_c1::MockC1Args),
}

#[derive(Args, Debug, Clone)]
pub struct MockKnobs {
    /// Org preset: tiny, small, medium or large.
    #[arg(long, value_name = "PRESET", default_value = "small")]
    pub preset: String,

    /// Seed for the generated org.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,

    /// Latency added to every request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// Uniform jitter around the latency, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_jitter_ms: u64,

    /// Per-endpoint rate limit in requests per minute (429 when exceeded).
    #[arg(long = "rpm", value_name = "RPM", value_parser = clap::value_parser!(u32).range(1..))]
    pub limit_rpm: Option<u32>,

    /// Burst of the per-endpoint rate limit.
    #[arg(long = "burst", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit_burst: u32,

    /// Answer 429 without a Retry-After header.
    #[arg(long, value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub no_retry_after: bool,

    /// Fraction (0..1) of list requests that get an injected fault.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub fault_rate: f64,

    /// Which faults to inject (drawn uniformly): 500, 502, 503, truncated, malformed, slow
    /// (a 2 s stall, then a normal answer), dropped. Default: all of them.
    #[arg(long, value_enum, value_name = "KIND,…", value_delimiter = ',', num_args = 1..)]
    pub fault_kinds: Vec<FaultKindArg>,

    /// Plan: `free` refuses group member listing, as the real API does for unpaid plans.
    #[arg(long, value_enum, default_value_t = PlanArg::Paid)]
    pub plan: PlanArg,

    /// Key permissions: `read-only` refuses every mutation with 403.
    #[arg(long, value_enum, default_value_t = KeyPermissionsArg::All)]
    pub key_permissions: KeyPermissionsArg,
}

#[derive(Args, Debug)]
pub struct MockServeArgs {
    #[command(flatten)]
    pub knobs: MockKnobs,

    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,

    /// The one admin key the mock accepts.
    #[arg(long, value_name = "KEY", default_value = openai_access_mock::MOCK_KEY)]
    pub admin_key: String,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum FaultKindArg {
    #[value(name = "500")]
    Status500,
    #[value(name = "502")]
    Status502,
    #[value(name = "503")]
    Status503,
    Truncated,
    Malformed,
    Slow,
    Dropped,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanArg {
    Free,
    Paid,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyPermissionsArg {
    All,
    ReadOnly,
    /// Everything but the Usage API (a key without the `api.usage.read` scope).
    NoUsage,
}
