//! `--usage-days` / `--no-usage` at the edge: reading usage after a sync's grant lists (the
//! engine's `usage`), into the state when there is one, and saying what is missing. The
//! reading, storing and what it means are the engine's.

use openai_access_actors::AdminClient;
use openai_access_actors::state::StateDir;
use openai_access_actors::usage::{self, UsageBook, UsageOptions, UsageRead};
use serde::Serialize;
use std::collections::BTreeMap;

/// Usage flags, shared by `sync` and `serve`.
#[derive(clap::Args, Debug, Clone)]
pub struct UsageArgs {
    /// Read usage (the Usage API: completions, embeddings, images, … by project, user and API
    /// key) for this many days, today included, as evidence of who uses their access: each
    /// key's, user's, service account's and project's last day of use and requests in the
    /// window. Read after the grant lists, at the lowest priority; with --state only the days
    /// not read before (and today) are read again.
    #[arg(long, value_name = "DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=366), env = "BATON_USAGE_DAYS")]
    pub usage_days: u32,

    /// Do not read usage: `stale` then judges by the Admin API's key times and sign-ins only.
    #[arg(long, env = "BATON_NO_USAGE", value_parser = crate::cli::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub no_usage: bool,
}

impl UsageArgs {
    pub fn options(&self) -> Option<UsageOptions> {
        (!self.no_usage).then_some(UsageOptions {
            days: self.usage_days,
        })
    }
}

/// What the usage read did, as the JSON output's `sync.usage` and the summary say it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UsageSummary {
    pub window_days: u32,
    /// The window's first and last day, `YYYY-MM-DD`.
    pub from: String,
    pub through: String,
    pub requests: u64,
    pub pages: u64,
    /// Per usage type, the days asked for this time (with a state: only those not kept).
    pub days_read: BTreeMap<&'static str, i64>,
    /// Types not read, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<usage::Missing>,
}

fn date(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl UsageSummary {
    pub fn of(r: &UsageRead) -> Self {
        Self {
            window_days: r.evidence.window_days,
            from: date(r.evidence.from),
            through: date(r.evidence.through),
            requests: r.requests,
            pages: r.pages,
            days_read: r.days_read.clone(),
            missing: r.evidence.missing.clone(),
        }
    }
}

/// Reads usage into `state`'s book (or one in memory) as of now. `None` when the book cannot
/// be opened (said once; the sync is complete without usage).
pub async fn read(
    api: &AdminClient,
    state: Option<&StateDir>,
    opts: UsageOptions,
) -> Option<UsageRead> {
    let book = match state {
        Some(dir) => UsageBook::of(dir),
        None => UsageBook::in_memory(),
    };
    let book = match book {
        Ok(b) => b,
        Err(e) => {
            crate::console::warn(&format!("usage not read: {e}"));
            return None;
        }
    };
    let now = openai_access_actors::clock::unix_now();
    Some(usage::read(api, &book, now, opts).await)
}

/// The one warning a read with types missing gives: which, and why (the first reason; a key
/// without the usage scope is refused the same way by all of them).
pub fn warning(r: &UsageRead) -> Option<String> {
    let m = &r.evidence.missing;
    let first = m.first()?;
    let kinds: Vec<&str> = m.iter().map(|x| x.kind.as_str()).collect();
    let scope = if r.evidence.is_unknown() && first.why.contains("403") {
        " (the admin key needs the usage scope, api.usage.read, and the plan the Usage API; --no-usage stops asking)"
    } else {
        ""
    };
    Some(format!(
        "usage not read for {} of {} types ({}): {}{scope}. The access sync is complete; \"unused\" answers lack this usage{}",
        m.len(),
        usage::KINDS.len(),
        kinds.join(", "),
        first.why,
        if r.evidence.is_unknown() {
            " entirely"
        } else {
            " (the next sync reads the days missing)"
        }
    ))
}
