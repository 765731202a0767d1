//! `--usage-days` / `--no-usage` at the edge: reading usage after a sync's grant lists (the
//! engine's `usage`), into the state when there is one, and saying what is missing. The
//! reading, storing and what it means are the engine's.

use openai_access_actors::AdminClient;
use openai_access_actors::state::StateDir;
use openai_access_actors::usage::{self, UsageBook, UsageOptions, UsageRead};

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

/// `meta` key: the last day (its start, Unix seconds) whose usage an output written with this
/// state holds.
const WRITTEN_THROUGH: &str = "usage_written_through";

/// Whether the output kept from the last sync holds usage older than today's: then even a
/// sync that finds no access changed assembles its graph (from the state, no list read) and
/// writes it, once a day, so that "last use" in the output is never more than a day behind.
pub fn output_due(dir: &StateDir) -> bool {
    let today = openai_access_actors::clock::unix_now().div_euclid(86_400) * 86_400;
    dir.get::<i64>(WRITTEN_THROUGH).ok().flatten() != Some(today)
}

/// An output holding `r`'s evidence was written.
pub fn written(dir: &StateDir, r: &UsageRead) {
    if let Err(e) = dir.set(WRITTEN_THROUGH, &r.evidence.through) {
        tracing::warn!(error = %e, "Cannot note the usage written in the state.");
    }
}
