//! The background reconciliation: what the audit log cannot say (group membership, events of
//! types this build does not know, a change whose entry was lost) is caught by reading the
//! lists again. A pass re-reads every stored list read longer ago than `max_age` (and whatever
//! those reveal), at the lowest priority of the shared throttle, assembling no graph: each
//! list is stored as it completes, where a copy an incremental sync read later wins. The next
//! sync assembles its graph from what is stored, so a pass never delays an incremental sync,
//! and changes seen after the pass began are applied on top of what it read.
//!
//! With passes started whenever some list is older than `max_age`, no stored list is older
//! than `max_age` plus the time one pass takes.

use super::RunHeader;
use crate::api::AdminClient;
use crate::incremental::Dirty;
use crate::state::{ListRecord, Recorded, Replay, StateDir, StateError, SyncKind, unix_now};
use crate::sync::{EngineError, Persistence, Purpose, SyncRun};
use std::time::Duration;

/// What a pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Lists read again, and those whose content had changed.
    pub read: usize,
    pub changed: usize,
    /// Lists taken from the state (read recently enough).
    pub kept: usize,
    /// Stored lists no longer part of the org, removed.
    pub removed: usize,
    /// Lists that could not be read (the pass is then not complete: nothing is removed).
    pub failed: usize,
}

/// Runs one pass (see the module's description) through `client`: lists read longer than
/// `max_age` ago are read again, the others replayed to find what they lead to.
pub async fn reconcile(
    dir: &StateDir,
    server: &str,
    client: &AdminClient,
    max_age: Duration,
) -> Result<Reconciled, EngineError> {
    let now = unix_now();
    let stored: Vec<ListRecord> = dir.lists().map_err(state)?;
    let due = now - max_age.as_secs() as i64;
    // A list said to be read in the future (only tampering writes that) is read again too.
    let (fresh, stale): (Vec<ListRecord>, Vec<ListRecord>) = stored
        .into_iter()
        .partition(|r| r.read_at > due && r.read_at <= now + 60);
    let kept = fresh.len();
    drop(stale);
    let header = RunHeader {
        server: server.to_owned(),
        kind: SyncKind::Full,
        started_at: now,
        dirty: Vec::new(),
        audit: None,
    };
    let run = dir.begin_background_run(&header, now).map_err(state)?;
    let run_sync = SyncRun::start_for(
        Purpose::Lists,
        client,
        None,
        None,
        Some(Persistence {
            replay: Replay::new(Vec::new(), fresh, Dirty::default().lists.into_keys()),
            state: dir.clone(),
            run,
        }),
    );
    let outcome = run_sync.finish().await?;
    let recorded: Recorded = outcome.recorded.clone().unwrap_or_default();
    let failed = outcome.failures.len();
    let removed = dir
        .transaction(|t| {
            let removed = if failed == 0 {
                t.keep_only_since(&outcome.visited, now)?
            } else {
                0
            };
            t.end_run(run, unix_now())?;
            Ok(removed)
        })
        .map_err(state)?;
    Ok(Reconciled {
        read: recorded.lists,
        changed: recorded.changed,
        kept,
        removed,
        failed,
    })
}

fn state(e: StateError) -> EngineError {
    EngineError::State(e)
}
