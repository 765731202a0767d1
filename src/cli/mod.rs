//! The command line: clap definitions only. Each subcommand's behaviour lives in `commands/`.

mod baton;
mod bench;
mod c1;
mod connect;
mod mock_c1;
mod provision;
mod review;
pub mod serve;
mod sync;
mod usage;
pub mod values;

pub use baton::*;
pub use bench::*;
pub use c1::{C1Args, DEFAULT_TASK_CONCURRENCY};
pub use connect::*;
pub use mock_c1::MockC1Args;
pub use provision::*;
pub use review::*;
pub use serve::ServeArgs;
pub use sync::*;
pub use usage::UsageArgs;

use clap::{Parser, Subcommand, ValueEnum};

/// The heading the flags every command shares stand under in each `--help`.
const LOGGING: &str = "Logging (every command)";

/// Identity-governance connector for OpenAI organizations: syncs who has what through the
/// Admin API into a complete grant graph, and provisions access.
#[derive(Parser, Debug)]
#[command(
    name = "openai-access",
    version,
    propagate_version = true,
    args_conflicts_with_subcommands = true,
    help_template = HELP,
    subcommand_help_heading = "Commands (for everyone else; each has its own --help)",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Log format on stderr: text (also `console`, as baton-sdk names it) or json (every line
    /// a JSON object). Default: text; with no subcommand, as a Baton connector: json when
    /// standard output is not a terminal.
    #[arg(long, value_enum, global = true, env = "BATON_LOG_FORMAT", help_heading = LOGGING)]
    pub log_format: Option<LogFormat>,

    /// Log level: debug, info, warn or error [default: info]. -v and RUST_LOG override it.
    #[arg(long, value_enum, global = true, env = "BATON_LOG_LEVEL", help_heading = LOGGING)]
    pub log_level: Option<LogLevel>,

    /// More logging (-v debug, -vv trace). RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, help_heading = LOGGING)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// With no subcommand: the Baton connector's command line.
    #[command(flatten)]
    pub baton: BatonArgs,
}

const HELP: &str = "\
{before-help}{name} {version}
{about}

{usage-heading} {usage}

As a Baton connector (no subcommand): a full sync to --file (default sync.c1z), or, with
-p, one provisioning action (--grant-entitlement/--grant-principal, --revoke-grant,
--create-account-email, --delete-resource/--delete-resource-type). Every flag is also read
from its BATON_* variable (--base-url: BATON_BASE_URL).

{all-args}
{after-help}";

const REVIEW_HELP: &str = "\
Examples:
  openai-access sync --mock tiny --out tiny.json
  openai-access access --from tiny.json --user bob@tiny.example
  openai-access who --from tiny.json --resource project:proj-alpha
  openai-access explain --from tiny.json --grant project:proj-alpha:owner:user:user-erin
Without --from the org is synced first (the connection flags of `sync`). Exit codes: 0
answered; 2 bad input (a file that is not a sync, an unknown principal, resource or grant).";

const DIFF_HELP: &str = "\
Exit codes: 0 nothing changed; 1 something changed (for drift checks in CI); 2 bad input.

Example:
  openai-access sync --mock tiny --out before.json
  openai-access grant -p --mock tiny ...   # or changes made in the dashboard
  openai-access sync --mock tiny --out after.json
  openai-access diff before.json after.json";

const EXPORT_HELP: &str = "\
Columns: principal_kind (human, service_account, group, invite), principal_id,
principal_name, principal_email, resource_type, resource_id, resource_name, entitlement,
entitlement_name, held (direct; via group G; as org owner (implicit); once the invitation is
accepted), immutable, pending, principal_since, invite_expires_at (ISO-8601, UTC), grant_id.
An .xlsx has these columns on its \"All access\", \"By user\" and \"By project\" sheets, and
sheets of API keys, pending invitations and org owners.

Example:
  openai-access export --from tiny.json --out access.csv
  openai-access export --from tiny.json --out review.xlsx";

const SERVE_HELP: &str = "\
Routes: GET /healthz, /readyz, /metrics (no token, no access data); with
`Authorization: Bearer TOKEN`: GET /api/v1/summary, /api/v1/principals/TYPE/ID/access,
/api/v1/resources/TYPE/ID/access, /api/v1/grants/GRANT_ID, /api/v1/grants?principal=&resource=
&entitlement=&limit=&after=, /api/v1/syncs, /api/v1/changes?since=SYNC_ID; POST /api/v1/sync,
/api/v1/provisioning/{grant,revoke,create-account,delete-account,delete-invite} (JSON bodies;
changes need --provisioning, dry runs do not).

Example:
  openai-access serve --mock tiny --listen 127.0.0.1:8080 --out org.c1z
  curl -s localhost:8080/api/v1/principals/user/bob@tiny.example/access

Exit codes: 0 stopped by SIGTERM/SIGINT (within --shutdown-timeout); 2 bad flags, a token
missing for a non-loopback --listen, an address in use, a state of another server.";

const AFTER_HELP: &str = "\
Exit codes: 0 success; 1 a sync finished but some lists could not be read (partial); 2 usage
or configuration error; 3 fatal API or authentication error, or nothing could be read;
130/143 interrupted by SIGINT/SIGTERM.";

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    #[value(alias = "console")]
    Text,
    Json,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Sync the org and write its grant graph: a full read, or with --state only what the
    /// audit log says changed since the last sync.
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
    /// Delete an admin API key (the org's most powerful credential).
    #[command(after_help = DELETE_ADMIN_KEY_HELP)]
    DeleteAdminKey(DeleteAdminKeyArgs),
    /// What a principal (user, group, service account, invitation) can access, and why.
    #[command(after_help = REVIEW_HELP)]
    Access(AccessArgs),
    /// Who can access a resource (a project, a role, a group, the organization), and how.
    #[command(after_help = REVIEW_HELP)]
    Who(WhoArgs),
    /// The chain behind one grant: each reason, and the grant that reason rests on.
    #[command(after_help = REVIEW_HELP)]
    Explain(ExplainArgs),
    /// What changed between two syncs: grants and resources added and removed, role changes
    /// shown as changes. Exit code 0 when nothing changed, 1 when something did.
    #[command(after_help = DIFF_HELP)]
    Diff(DiffArgs),
    /// Access nobody uses: API keys idle for --stale-days (default 90) or never used, service
    /// accounts all of whose keys are, invitations still pending after their expiry.
    Stale(StaleArgs),
    /// One self-contained HTML page for a reviewer: counts, org owners, users and their
    /// access, projects and who can access them, API keys, stale access, pending invitations,
    /// and the changes since --previous. No network, no external assets.
    Report(ReportArgs),
    /// The auditor's spreadsheet: one row per (principal, resource, entitlement) with names,
    /// emails, how it is held and dates; pending invitations' grants marked as pending.
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),
    /// The long-running connector: keeps the grant graph fresh (incremental syncs from the
    /// audit log, a reconciliation in the background), answers questions about it over HTTP and takes
    /// provisioning requests. The container image's default command.
    #[command(after_help = SERVE_HELP)]
    Serve(Box<ServeArgs>),
    /// Run the mock OpenAI Admin API server.
    #[command(subcommand)]
    Mock(MockCommand),
    /// Benchmark full syncs against the in-process mock: wall time against the physical
    /// bound T*, requests against the minimum, and a sequential baseline.
    Bench(BenchArgs),
    /// Load-test a running service from loopback: concurrent clients asking who can access
    /// what (the users and projects of --from); prints latencies (p50, p99) per kind of query,
    /// errors and queries per second as JSON. Exit 1 if any query failed.
    BenchServe(BenchServeArgs),
    /// What can be synced and provisioned, per resource type, as Baton's connector
    /// capabilities (JSON on stdout).
    Capabilities,
    /// Every setting of the Baton mode: its flag, environment variable, default, current value
    /// (secrets redacted) and where that value came from.
    Config(Box<ConfigArgs>),
}

#[derive(clap::Args, Debug)]
pub struct ConfigArgs {
    /// The same flags as the Baton mode, to see what they resolve to (--json: as JSON).
    #[command(flatten)]
    pub baton: BatonArgs,
}
