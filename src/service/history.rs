//! The syncs the service ran and what each changed, kept in the state directory beside the
//! ledger: a client polling `/api/v1/changes?since=N` must not lose the changes made while
//! the service restarted (a new version, a moved pod). Written after every sync; read once at
//! start. A file that cannot be read costs the history (`/changes` then says 410, as for any
//! sync it no longer holds), never the start.

use super::refresher::MAX_SYNC_ID;
use super::served::{HISTORY, SyncRecord};
use openai_access_actors::atomic;
use openai_access_actors::state::StateDir;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::sync::Arc;

const FILE: &str = "history.json";
const FORMAT: &str = "openai-access.service-history.v1";
/// Bytes the file may take: beyond it the oldest syncs are left out (a sync that rewrote half
/// a large org's grants can be tens of megabytes of changes, and the file is rewritten after
/// every sync).
const MAX_BYTES: usize = 32 << 20;

#[derive(Serialize)]
struct Stored<'a> {
    sync: &'a SyncRecord,
    changed: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Restored {
    /// Read as a value first: a record's result is one of a few static words, which serde
    /// will not read straight from a borrowed buffer.
    sync: serde_json::Value,
    changed: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct File {
    format: String,
    syncs: Vec<Restored>,
}

/// The history as of the last sync of a previous run, oldest first; empty when there is none
/// or it cannot be read (said in the log).
pub fn load(state: &StateDir) -> Vec<SyncRecord> {
    let path = state.path().join(FILE);
    match read(&path) {
        Ok(records) => records,
        Err(why) => {
            tracing::warn!(error = %why, path = %path.display(), "The sync history cannot be read; starting without it.");
            Vec::new()
        }
    }
}

fn read(path: &std::path::Path) -> Result<Vec<SyncRecord>, String> {
    let bytes = match openai_access_actors::private::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.to_string()),
    };
    let f: File = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    if f.format != FORMAT {
        return Err(format!("its format is {:?}, not {FORMAT:?}", f.format));
    }
    let records = f
        .syncs
        .into_iter()
        .map(|r| {
            Ok(SyncRecord {
                changed: r.changed.map(Arc::from),
                ..SyncRecord::deserialize(r.sync).map_err(|e| e.to_string())?
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    // Ids only grow, one per sync: a record out of order or past the largest id was not
    // written by a service.
    if let Some(w) = records
        .windows(2)
        .find(|w| w[0].id >= w[1].id)
        .map(|w| w[1].id)
        .or_else(|| records.iter().map(|r| r.id).find(|&id| id > MAX_SYNC_ID))
    {
        return Err(format!("sync id {w} is out of order or impossible"));
    }
    Ok(records)
}

/// Writes `records` (oldest first), newest kept first when they do not all fit.
pub fn store(state: &StateDir, records: &[SyncRecord]) {
    let path = state.path().join(FILE);
    let mut kept: Vec<Vec<u8>> = Vec::new();
    let mut bytes = 0;
    for r in records.iter().rev().take(HISTORY) {
        let Ok(one) = serde_json::to_vec(&Stored {
            sync: r,
            changed: r.changed.as_deref(),
        }) else {
            break;
        };
        bytes += one.len() + 1;
        if bytes > MAX_BYTES {
            tracing::warn!(
                sync_id = r.id,
                "The sync history is too large to keep whole; older syncs are left out of it."
            );
            break;
        }
        kept.push(one);
    }
    let written = atomic::write_atomically(&path, |w| {
        write!(w, "{{\"format\":\"{FORMAT}\",\"syncs\":[")?;
        for (i, one) in kept.iter().rev().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            w.write_all(one)?;
        }
        w.write_all(b"]}")
    });
    if let Err(e) = written {
        tracing::warn!(error = %e, path = %path.display(), "Cannot store the sync history.");
    }
}
