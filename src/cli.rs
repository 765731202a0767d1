//! The command line: clap definitions only. Each subcommand's behaviour lives in `commands/`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use openai_access_actors::ids::{InviteId, OrgId, ProjectId, UnsafeId, UserId};
use openai_access_actors::provisioner::{
    Entitlement, GrantRef, OrgRoleName, Principal, ProjectSlug, ProvisionError,
};
use std::path::PathBuf;

/// Identity-governance connector for OpenAI organizations: syncs who has what through the
/// Admin API into a complete grant graph, and provisions access.
///
/// Exit codes: 0 success; 1 sync finished with partial failures (listed); 2 usage or
/// configuration error; 3 fatal API or authentication error.
#[derive(Parser, Debug)]
#[command(name = "openai-access", version, propagate_version = true)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// More logging (-v debug, -vv trace). RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Full sync: read the whole org and write its grant graph.
    Sync(SyncArgs),
    /// Grant an entitlement to a user, group or service account.
    #[command(after_help = GRANT_HELP)]
    Grant(GrantArgs),
    /// Revoke one grant, named by its grant id.
    #[command(after_help = REVOKE_HELP)]
    Revoke(RevokeArgs),
    /// Create an account: invite an email with an org role and optional project roles.
    #[command(after_help = CREATE_HELP)]
    CreateAccount(CreateAccountArgs),
    /// Delete a user from the organization (deprovision).
    #[command(after_help = DELETE_ACCOUNT_HELP)]
    DeleteAccount(DeleteAccountArgs),
    /// Delete a pending or expired invitation.
    #[command(after_help = DELETE_INVITE_HELP)]
    DeleteInvite(DeleteInviteArgs),
    /// Run the mock OpenAI Admin API server.
    #[command(subcommand)]
    Mock(MockCommand),
    /// Benchmark full syncs against the in-process mock: wall time against the physical
    /// bound T*, requests against the minimum, and a sequential baseline.
    Bench(BenchArgs),
}

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

    /// Also write the report as JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Run the mock in-process on a paused clock: wall times are virtual (hours at 10
    /// requests a minute take seconds), and the same on every run and machine.
    #[arg(long)]
    pub simulate: bool,
}

/// What every provisioning command's help ends with.
macro_rules! provisioning_help {
    () => {
        "Provisioning is off unless --provisioning (-p) or BATON_PROVISIONING=true is given; --dry-run\n\
works either way and changes nothing. Every command reads the current state first, so repeating\n\
it is safe: it reports \"already granted\" / \"already revoked\" and makes no change.\n\
Output: one line per API call made (or, with --dry-run, that would be made), then a result line;\n\
--json prints the result as JSON instead. Exit codes: 0 done (or nothing to do); 2 refused,\n\
invalid or provisioning disabled; 3 the API failed (its message is shown)."
    };
}

const GRANT_HELP: &str = concat!(
    "Entitlement ids (Baton): role:owner|reader:assigned, role:<custom_role_id>:assigned,\n",
    "project:<project_id>:owner|member|viewer, project_role:<project_id>/<role_id>:assigned,\n",
    "group:<group_id>:member. Principals: user:<user_id>, group:<group_id>,\n",
    "service_account:<project_id>/<service_account_id>.\n\n",
    "Examples (against the embedded mock org):\n",
    "  openai-access grant --mock tiny -p --entitlement project:proj-beta:viewer --principal user:user-carol\n",
    "  openai-access grant --mock tiny -p --dry-run --entitlement project_role:proj-beta/role_beta_analyst:assigned --principal user:user-bob\n\n",
    provisioning_help!(),
);

const REVOKE_HELP: &str = concat!(
    "Grant ids are <entitlement id>:<principal_type>:<principal_id>, as `sync` writes them.\n",
    "Revoking organization:<org>:member:user:<id> deletes the user; revoking role:owner:assigned\n",
    "makes the user a reader; reader itself cannot be revoked (delete the account instead).\n\n",
    "Example:\n",
    "  openai-access revoke --mock tiny -p --grant project:proj-alpha:viewer:user:user-carol\n\n",
    provisioning_help!(),
);

const CREATE_HELP: &str = concat!(
    "Creates an invitation (the invitee becomes a user on accepting it). Projects are always\n",
    "sent, possibly empty, so the invitee joins exactly the projects listed.\n\n",
    "Example:\n",
    "  openai-access create-account --mock tiny -p --email new@tiny.example --role reader --project proj-alpha:member\n\n",
    provisioning_help!(),
);

const DELETE_ACCOUNT_HELP: &str = concat!(
    "Example:\n",
    "  openai-access delete-account --mock tiny -p --user user-dave\n\n",
    provisioning_help!(),
);

const DELETE_INVITE_HELP: &str = concat!(
    "Accepted invitations cannot be deleted (delete the account instead).\n\n",
    "Example:\n",
    "  openai-access delete-invite --mock tiny -p --invite inv-pending\n\n",
    provisioning_help!(),
);

/// Flags every provisioning command shares.
#[derive(Args, Debug, Clone)]
pub struct ProvisionArgs {
    /// Allow changes. Without it (or BATON_PROVISIONING=true) nothing is changed.
    #[arg(short = 'p', long, env = "BATON_PROVISIONING")]
    pub provisioning: bool,

    /// Print the exact API calls that would be made, in order, and make none.
    #[arg(long)]
    pub dry_run: bool,

    /// Print the result as JSON on stdout (calls made, reads, notes, result).
    #[arg(long)]
    pub json: bool,
}

fn parse_entitlement(s: &str) -> Result<Entitlement, String> {
    s.parse().map_err(|e: ProvisionError| e.to_string())
}

fn parse_principal(s: &str) -> Result<Principal, String> {
    s.parse().map_err(|e: ProvisionError| e.to_string())
}

fn parse_grant(s: &str) -> Result<GrantRef, String> {
    s.parse().map_err(|e: ProvisionError| e.to_string())
}

fn parse_org_role(s: &str) -> Result<OrgRoleName, String> {
    s.parse()
}

/// `PROJECT_ID:ROLE` with ROLE owner or member (what an invitation can give).
fn parse_invite_project(s: &str) -> Result<(ProjectId, ProjectSlug), String> {
    let (project, role) = s
        .rsplit_once(':')
        .filter(|(p, _)| !p.is_empty())
        .ok_or_else(|| format!("expected PROJECT_ID:ROLE (owner or member), got {s:?}"))?;
    match ProjectSlug::parse(role) {
        Some(slug @ (ProjectSlug::Owner | ProjectSlug::Member)) => {
            Ok((project.parse().map_err(|e: UnsafeId| e.to_string())?, slug))
        }
        _ => Err(format!(
            "an invitation gives project role owner or member, not {role:?}"
        )),
    }
}

#[derive(Args, Debug)]
pub struct GrantArgs {
    /// The entitlement to grant, e.g. project:proj_1:member or role:owner:assigned.
    #[arg(long, visible_alias = "grant-entitlement", value_name = "ENTITLEMENT_ID", value_parser = parse_entitlement)]
    pub entitlement: Entitlement,

    /// Who receives it: user:<id>, group:<id> or service_account:<project_id>/<id>.
    #[arg(long, visible_alias = "grant-principal", value_name = "TYPE:ID", value_parser = parse_principal)]
    pub principal: Principal,

    #[command(flatten)]
    pub provision: ProvisionArgs,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// The grant to revoke, e.g. project:proj_1:member:user:user-abc.
    #[arg(long, visible_alias = "revoke-grant", value_name = "GRANT_ID", value_parser = parse_grant)]
    pub grant: GrantRef,

    #[command(flatten)]
    pub provision: ProvisionArgs,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Args, Debug)]
pub struct CreateAccountArgs {
    /// The invitee's email address.
    #[arg(long, value_name = "EMAIL")]
    pub email: String,

    /// Organization role: reader or owner.
    #[arg(long, value_name = "ROLE", value_parser = parse_org_role)]
    pub role: OrgRoleName,

    /// A project to join on acceptance, with its role (owner or member); repeatable.
    #[arg(long = "project", value_name = "PROJECT_ID:ROLE", value_parser = parse_invite_project)]
    pub projects: Vec<(ProjectId, ProjectSlug)>,

    #[command(flatten)]
    pub provision: ProvisionArgs,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Args, Debug)]
pub struct DeleteAccountArgs {
    /// The user id to delete from the organization.
    #[arg(long, value_name = "USER_ID")]
    pub user: UserId,

    #[command(flatten)]
    pub provision: ProvisionArgs,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Args, Debug)]
pub struct DeleteInviteArgs {
    /// The invitation id to delete.
    #[arg(long, value_name = "INVITE_ID")]
    pub invite: InviteId,

    #[command(flatten)]
    pub provision: ProvisionArgs,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Where the Admin API is and how to talk to it (shared by every command that calls it).
#[derive(Args, Debug, Clone)]
pub struct ConnectArgs {
    /// Run the embedded mock org in-process and talk to it (zero-configuration demo):
    /// tiny, small, medium or large. Without a key, the mock's own key is used.
    #[arg(long, value_name = "PRESET", conflicts_with = "base_url")]
    pub mock: Option<String>,

    /// Seed of the embedded mock org.
    #[arg(long, value_name = "N", default_value_t = 0, requires = "mock")]
    pub mock_seed: u64,

    /// Admin API base URL.
    #[arg(long, value_name = "URL", env = "OPENAI_BASE_URL", default_value = openai_access_actors::DEFAULT_BASE_URL)]
    pub base_url: String,

    /// Read the admin key from this file. Otherwise OPENAI_ADMIN_KEY, then
    /// BATON_OPENAI_ADMIN_KEY. The key is never printed or logged.
    #[arg(long, value_name = "FILE")]
    pub admin_key_file: Option<PathBuf>,

    /// Allow plain http:// to a non-loopback host (the key would travel unencrypted).
    #[arg(long)]
    pub allow_insecure_http: bool,

    /// Organization id for the `organization` resource (default: derived from the
    /// predefined role ids, else `org`).
    #[arg(long, value_name = "ID")]
    pub org_id: Option<OrgId>,

    /// Requests in flight at once, over all endpoints.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_in_flight: u32,

    /// Client-side budget per endpoint, in requests per minute (default: learned from 429s).
    #[arg(long, value_name = "RPM", value_parser = clap::value_parser!(u32).range(1..))]
    pub rpm: Option<u32>,

    /// Burst allowed by --rpm.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "rpm", value_parser = clap::value_parser!(u32).range(1..))]
    pub burst: u32,

    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,

    /// Failed answers (5xx, broken or unreadable bodies) one request accepts before it gives
    /// up, the first included. 429s and an unreachable server do not count: see
    /// --retry-budget.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,

    /// Seconds of waiting the server may impose on one request before it gives up: backoff
    /// after failed answers, the pauses its 429s ask for (Retry-After), and time the server
    /// is unreachable (an outage). Time a request waits its turn behind the client's own
    /// pacing does not count. A longer Retry-After is not waited out.
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub retry_budget: u64,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Json,
    C1z,
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,

    /// Write the grant graph here (JSON, or .c1z by extension). Written atomically.
    #[arg(short = 'f', long = "out", alias = "file", value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Output format (default: from the file extension, else json).
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// With .c1z: add this sync to an existing file, keeping the last two full syncs.
    #[arg(long)]
    pub append: bool,

    /// No progress bars even on a terminal.
    #[arg(long)]
    pub no_progress: bool,

    /// Start from the rate limits stored in FILE and store what this sync learned there, so a
    /// periodic sync paces each endpoint under its limit from its first request instead of
    /// learning it from a burst of 429s. Created if missing; ignored (with a warning) if it is
    /// unreadable or was learned from another server.
    #[arg(long, value_name = "FILE")]
    pub limits_file: Option<PathBuf>,

    /// Keep the sync's state in DIR (created if missing, readable by its owner only): every
    /// list as it is read, and what was learned about the limits. An interrupted sync (Ctrl-C,
    /// SIGTERM, a crash, an outage longer than --retry-budget) run again with the same DIR
    /// resumes: lists already read are not read again. A state of another server or org is
    /// refused.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// Refuse a sync whose plan takes longer than this: once the top-level lists are read
    /// (users, invites, roles, groups, projects), the sync knows how many lists remain and the
    /// limits it knows (learned, from --limits-file or --state, or --rpm); if the busiest
    /// endpoint needs longer, it stops before requesting anything more and says why (exit 3).
    /// Examples: 90s, 45m, 2h, 1h30m, 1d; a bare number is seconds.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_duration: Option<std::time::Duration>,
}

/// `90s`, `45m`, `2h`, `1h30m`, `1d`, or bare seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("{s:?} is not a duration (examples: 90s, 45m, 2h, 1h30m, 1d)");
    let t = s.trim();
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        number.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if !number.is_empty() {
        return Err(bad());
    }
    Ok(std::time::Duration::from_secs(total))
}

#[derive(Subcommand, Debug)]
pub enum MockCommand {
    /// Serve a mock org on 127.0.0.1 until interrupted; prints its base URL (ending in /v1).
    Serve(MockServeArgs),
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
    #[arg(long)]
    pub no_retry_after: bool,

    /// Fraction (0..1) of list requests that get an injected fault.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub fault_rate: f64,

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
    #[arg(long, value_name = "KEY", default_value = openai_access_actors::mock::MOCK_KEY)]
    pub admin_key: String,
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
}
