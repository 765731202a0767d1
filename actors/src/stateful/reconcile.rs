//! The background reconciliation: what the audit log cannot say (group membership, events of
//! types this build does not know, a change whose entry was lost) is caught by reading the
//! lists again. A pass re-reads every stored list read longer ago than `max_age` (and whatever
//! those reveal), at the lowest priority of the shared throttle, assembling no graph: each
//! list is stored as it completes, where a copy an incremental sync read later wins. The next
//! sync assembles its graph from what is stored, so a pass never delays an incremental sync,
//! and changes seen after the pass began are applied on top of what it read.
//!
//! With passes started whenever some list is older than `max_age`, no stored list is older
//! than `max_age` plus the time one pass takes. Group member lists, which the audit log does
//! not cover at all, have passes of their own ([`Pass::GroupMembers`]) on a shorter bound, so
//! that neither an incremental sync nor a day-long reconciliation holds them up.

use super::RunHeader;
use crate::api::AdminClient;
use crate::incremental::Dirty;
use crate::state::{
    ListKey, ListRecord, Recorded, Replay, StateDir, StateError, SyncKind, group_of_members_list,
    unix_now,
};
use crate::sync::{EngineError, Persistence, Purpose, SyncRun};
use std::time::Duration;

/// Which stored lists a pass reads again; the others it replays, to find what they lead to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Every list read longer than `max_age` ago: the reconciliation.
    Lists { max_age: Duration },
    /// The group member lists read longer than `max_age` ago.
    GroupMembers { max_age: Duration },
}

impl Pass {
    /// Whether `key`, read at `read_at`, is read again at `now`. A list said to be read in
    /// the future (only tampering writes that) is, by either kind.
    fn due(&self, key: &ListKey, read_at: i64, now: i64) -> bool {
        let (max_age, applies) = match self {
            Pass::Lists { max_age } => (max_age, true),
            Pass::GroupMembers { max_age } => (max_age, group_of_members_list(key).is_some()),
        };
        read_at > now + 60 || (applies && read_at <= now.saturating_sub(max_age.as_secs() as i64))
    }

    /// For the log and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Pass::Lists { .. } => "reconciliation",
            Pass::GroupMembers { .. } => "group rescan",
        }
    }
}

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

/// Runs one pass (see the module's description) through `client`: the lists `pass` says are
/// due are read again, the others replayed to find what they lead to.
pub async fn reconcile(
    dir: &StateDir,
    server: &str,
    client: &AdminClient,
    pass: Pass,
) -> Result<Reconciled, EngineError> {
    let now = unix_now();
    let stored: Vec<ListRecord> = dir.lists().map_err(state)?;
    let (stale, fresh): (Vec<ListRecord>, Vec<ListRecord>) = stored
        .into_iter()
        .partition(|r| pass.due(&r.key, r.read_at, now));
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
