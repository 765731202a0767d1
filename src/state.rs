//! `--state DIR` at the edge: opening the directory, the options that choose the sync's kind,
//! and what the sync says about it. Deciding and storing are the engine's
//! (`openai_access_actors::stateful`, `openai_access_actors::state`).

use crate::cli::SyncArgs;
use crate::exit::CliError;
use openai_access_actors::AdminClient;
use openai_access_actors::ids::OrgId;
use openai_access_actors::state::{StateDir, SyncKind};
use openai_access_actors::stateful::{Prepared, Refused, StateOptions, prepare};
use std::path::Path;

/// Opens (creating) the state directory, before anything is requested.
pub fn open(path: &Path) -> Result<StateDir, CliError> {
    StateDir::open(path).map_err(|e| CliError::usage(format!("--state {}: {e}", path.display())))
}

/// The options `sync`'s flags give; `have_output`: an output of the last sync is there to
/// keep when nothing changed.
pub fn options(args: &SyncArgs, have_output: bool) -> StateOptions {
    StateOptions {
        full: args.full,
        group_rescan: Some(args.group_rescan_interval),
        audit_retention: args.audit_retention,
        touched: Vec::new(),
        need_graph: !have_output,
    }
}

/// Decides the sync's kind against the state, and says it.
pub async fn prepare_sync(
    dir: &StateDir,
    server: &str,
    org: Option<&OrgId>,
    api: &AdminClient,
    opts: &StateOptions,
) -> Result<Prepared, CliError> {
    let prepared = prepare(dir, server, org, api, opts)
        .await
        .map_err(|e| match e {
            Refused::ServerFailing(_) => CliError::fatal(format!(
                "{e}: nothing was synced; run again once the server answers"
            )),
            e => CliError::usage(format!(
                "--state {}: {e}; remove the directory to start afresh",
                dir.path().display()
            )),
        })?;
    if prepared.resumed > 0 {
        let started = chrono::DateTime::from_timestamp(prepared.resumed_from, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        tracing::info!(
            state = %dir.path().display(),
            lists = prepared.resumed,
            started_at = %started,
            kind = prepared.kind.as_str(),
            "Resuming an interrupted sync: lists already read are not read again."
        );
    } else if prepared.unchanged() {
        tracing::info!(
            events = prepared.events,
            audit_pages = prepared.audit_pages,
            "Nothing changed since the last sync: {} audit entries, no list to read again.",
            prepared.events
        );
    } else if prepared.kind == SyncKind::Incremental {
        tracing::info!(
            events = prepared.events,
            audit_pages = prepared.audit_pages,
            lists_read_again = prepared.dirty.lists.len(),
            group_rescans = prepared.dirty.group_rescans,
            "Incremental sync: {} audit entries, {} lists to read again; the rest is taken from the state.",
            prepared.events,
            prepared.dirty.lists.len()
        );
    } else if let Some(why) = &prepared.fallback {
        tracing::info!(reason = %why, "Full sync.");
    }
    Ok(prepared)
}
