//! `--state DIR` at the edge: opening the directory, the options that choose the sync's kind,
//! and what the sync says about it. The state itself is the engine's
//! (`openai_access_actors::state`).

use crate::cli::SyncArgs;
use crate::exit::CliError;
use openai_access_actors::ClientConfig;
use openai_access_actors::ids::OrgId;
use openai_access_actors::state::{Prepared, Refused, StateDir, StateOptions, SyncKind, prepare};
use std::path::Path;

/// Opens (creating) the state directory, before anything is requested.
pub fn open(path: &Path) -> Result<StateDir, CliError> {
    StateDir::open(path).map_err(|e| CliError::usage(e.to_string()))
}

/// The options `sync`'s flags give.
pub fn options(args: &SyncArgs) -> StateOptions {
    StateOptions {
        full: args.full,
        group_rescan: args.group_rescan_interval,
        audit_retention: args.audit_retention,
        touched: Vec::new(),
    }
}

/// Decides the sync's kind against the state, and says it.
pub async fn prepare_sync(
    dir: &StateDir,
    server: &str,
    org: Option<&OrgId>,
    client: &ClientConfig,
    opts: &StateOptions,
) -> Result<Prepared, CliError> {
    let prepared = prepare(dir, server, org, client, opts)
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
        tracing::info!(reason = %why, "Full sync: {why}.");
    }
    Ok(prepared)
}

/// The sync completed: its lists become the state.
pub fn commit(
    prepared: &Prepared,
    dir: &StateDir,
    server: &str,
    outcome: &openai_access_actors::SyncOutcome,
) -> Result<(), CliError> {
    prepared
        .commit(dir, server, outcome)
        .map_err(|e| CliError::fatal(format!("cannot store the state: {e}")))
}
