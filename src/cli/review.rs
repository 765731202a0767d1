//! Access-review subcommands: `access`, `who`, `explain`.

use super::ConnectArgs;
use clap::ArgGroup;
use std::path::PathBuf;

/// Where the graph under review comes from: a saved sync, or a sync run now.
#[derive(clap::Args, Debug)]
pub struct ReviewSource {
    /// Read a saved sync: the JSON or the .c1z (its newest sync) that `sync --out` wrote.
    /// Without it, the org is synced now with the connection flags below (e.g. --mock tiny).
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `--json`, as every command that prints an answer has it.
#[derive(clap::Args, Debug)]
pub struct JsonFlag {
    /// Print the answer as JSON on stdout instead of a table (`--json=false`: the table; the
    /// `=` is needed, so a file after it is never taken for the value).
    #[arg(long = "json", value_name = "BOOL", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub on: bool,
}

/// What a principal can access and why.
#[derive(clap::Args, Debug)]
#[command(group(ArgGroup::new("principal").required(true).args(["user", "group", "service_account", "invite"])))]
pub struct AccessArgs {
    /// A user, by id or email.
    #[arg(long, value_name = "ID|EMAIL")]
    pub user: Option<String>,
    /// A group, by id or name.
    #[arg(long, value_name = "ID|NAME")]
    pub group: Option<String>,
    /// A service account: PROJECT/ID, or its id alone when that is unique.
    #[arg(long, value_name = "PROJECT/ID")]
    pub service_account: Option<String>,
    /// An invitation, by id or email: what it grants once accepted.
    #[arg(long, value_name = "ID|EMAIL")]
    pub invite: Option<String>,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub source: ReviewSource,
}

/// Who can access a resource and how.
#[derive(clap::Args, Debug)]
pub struct WhoArgs {
    /// The resource: TYPE:ID (project:proj-abc, role:owner, group:grp-1, organization:org-1)
    /// or an id alone when only one resource has it.
    #[arg(long, value_name = "TYPE:ID")]
    pub resource: String,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub source: ReviewSource,
}

/// The chain behind one grant.
#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The grant id, as every output writes it: ENTITLEMENT:PRINCIPAL_TYPE:PRINCIPAL_ID
    /// (e.g. project:proj-abc:member:user:user-1).
    #[arg(long, value_name = "GRANT_ID")]
    pub grant: String,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub source: ReviewSource,
}

/// What `export` writes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One row per (principal, resource, entitlement), RFC 4180, UTF-8, a header row.
    Csv,
    /// A workbook with one sheet per view: all access, by user, by project, API keys, pending
    /// invitations, org owners (bold frozen headers, filters).
    Xlsx,
}

/// The auditor's spreadsheet of who has what.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Where to write it (atomically; checked before anything is read), or - for standard
    /// output.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The format (default: from the file's extension).
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    #[command(flatten)]
    pub source: ReviewSource,
}

/// What changed between two syncs.
#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// The earlier sync: a JSON output or a .c1z (its newest sync). Alone, a .c1z that
    /// holds two syncs (`sync --append`): its last two are compared.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later sync.
    #[arg(value_name = "NEW")]
    pub new: Option<PathBuf>,
    #[command(flatten)]
    pub json: JsonFlag,
    /// Compare syncs of two different organizations (refused otherwise: their ids never match,
    /// so everything reads as removed and added).
    #[arg(long)]
    pub across_orgs: bool,
}

/// When access counts as stale.
#[derive(clap::Args, Debug)]
pub struct StaleWindow {
    /// A key is stale when it has not been used for this many days (or never).
    #[arg(long, value_name = "N", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub stale_days: u32,
    /// Judge as of this moment instead of now: YYYY-MM-DD or RFC 3339 (for a review of an old
    /// sync, and for repeatable answers).
    #[arg(long, value_name = "DATE", value_parser = super::values::instant)]
    pub as_of: Option<i64>,
}

impl StaleWindow {
    /// The moment staleness is judged at, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.as_of.unwrap_or_else(|| chrono::Utc::now().timestamp())
    }
}

/// Access nobody uses: keys idle for --stale-days, service accounts all of whose keys are,
/// invitations still pending after their expiry.
#[derive(clap::Args, Debug)]
pub struct StaleArgs {
    #[command(flatten)]
    pub window: StaleWindow,
    #[command(flatten)]
    pub json: JsonFlag,
    #[command(flatten)]
    pub source: ReviewSource,
}

/// A self-contained HTML page for a reviewer.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Where to write the page (atomically; the directory is checked before anything is read).
    #[arg(long, value_name = "FILE.html")]
    pub out: PathBuf,
    /// An earlier sync (JSON or .c1z): the page then shows what changed since.
    #[arg(long, value_name = "FILE")]
    pub previous: Option<PathBuf>,
    #[command(flatten)]
    pub window: StaleWindow,
    #[command(flatten)]
    pub source: ReviewSource,
}
