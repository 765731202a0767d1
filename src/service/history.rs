//! The syncs the service ran and what each changed, kept in the state database (its
//! `history` table) beside the sync state: a client polling `/api/v1/changes?since=N` must not
//! lose the changes made while the service restarted (a new version, a moved pod). One row
//! written after each sync; read once at start. A history that cannot be read costs the
//! history (`/changes` then says 410, as for any sync it no longer holds), never the start.

use super::ledger::MAX_SYNC_ID;
use super::served::{HISTORY, SyncRecord};
use openai_access_actors::state::StateDir;
use serde::Deserialize;
use std::sync::Arc;

/// Bytes the history may take: beyond it the oldest syncs are left out (a sync that rewrote
/// half a large org's grants can be tens of megabytes of changes).
const MAX_BYTES: usize = 32 << 20;

/// The history as of the last sync of a previous run, oldest first; empty when there is none
/// or it cannot be read (said in the log).
pub fn load(state: &StateDir) -> Vec<SyncRecord> {
    match read(state) {
        Ok(records) => records,
        Err(why) => {
            tracing::warn!(error = %why, path = %state.path().display(), "The sync history cannot be read; starting without it.");
            Vec::new()
        }
    }
}

/// Why the stored history cannot be used.
#[derive(Debug, thiserror::Error)]
enum HistoryError {
    #[error(transparent)]
    State(#[from] openai_access_actors::state::StateError),
    #[error("a stored sync record: {0}")]
    Record(#[from] serde_json::Error),
    #[error("sync id {0} is out of order or impossible")]
    Order(u64),
}

fn read(state: &StateDir) -> Result<Vec<SyncRecord>, HistoryError> {
    let rows = state.history()?;
    let records = rows
        .into_iter()
        .map(|(record, changed)| {
            // Read as a value first: a record's result is one of a few static words, which
            // serde will not read straight from a borrowed buffer.
            let value: serde_json::Value = serde_json::from_str(&record)?;
            let changed = changed
                .map(serde_json::value::RawValue::from_string)
                .transpose()?;
            Ok(SyncRecord {
                changed: changed.map(Arc::from),
                ..SyncRecord::deserialize(value)?
            })
        })
        .collect::<Result<Vec<_>, HistoryError>>()?;
    // Ids only grow, one per sync: a record out of order or past the largest id was not
    // written by a service.
    if let Some(w) = records
        .windows(2)
        .find(|w| w[0].id >= w[1].id)
        .map(|w| w[1].id)
        .or_else(|| records.iter().map(|r| r.id).find(|&id| id > MAX_SYNC_ID))
    {
        return Err(HistoryError::Order(w));
    }
    Ok(records)
}

/// Stores `record` (the last [`HISTORY`] are kept).
pub fn store(state: &StateDir, record: &SyncRecord) {
    let stored = serde_json::to_string(record)
        .map_err(|e| e.to_string())
        .and_then(|text| {
            state
                .put_history(
                    record.id,
                    &text,
                    record.changed.as_deref().map(|c| c.get()),
                    HISTORY,
                    MAX_BYTES,
                )
                .map_err(|e| e.to_string())
        });
    if let Err(e) = stored {
        tracing::warn!(error = %e, "Cannot store the sync history.");
    }
}
