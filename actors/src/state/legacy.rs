//! A state directory of the format before the database (`state.json`, `lists.jsonl`,
//! `journal.jsonl`, and the service's `service.json` and `history.json`), converted on first
//! use: all of it into the database in one transaction, then the old files removed. A file
//! that cannot be read (damaged, of another version, a symbolic link) is left out: what it
//! held is read again (its lists) or started afresh (the service's history).

use super::db::StateDir;
use super::meta::{StateError, StateMeta, SyncKind};
use super::{ListRecord, unix_now};
use crate::ids::OrgId;
use crate::throttle::KnownLimits;
use serde::Deserialize;
use std::io::BufRead;
use std::path::Path;

const META: &str = "state.json";
const LISTS: &str = "lists.jsonl";
const JOURNAL: &str = "journal.jsonl";
/// The service's files, kept beside the sync's.
const LEDGER: &str = "service.json";
const HISTORY: &str = "history.json";

/// The run id the migrated lists carry (a real run's id is never 0).
const MIGRATED_RUN: u64 = 0;

/// `state.json` as the file format wrote it.
#[derive(Deserialize)]
struct OldMeta {
    version: u32,
    server: String,
    org_id: Option<OrgId>,
    synced_at: i64,
    kind: SyncKind,
    lists: usize,
    #[serde(default)]
    limits: KnownLimits,
    #[serde(default)]
    audit: Option<serde_json::Value>,
    #[serde(default)]
    logins: super::logins::Logins,
}

/// `history.json`: the service's records, each with what it changed.
#[derive(Deserialize)]
struct OldHistory {
    syncs: Vec<OldHistoryEntry>,
}

#[derive(Deserialize)]
struct OldHistoryEntry {
    sync: Box<serde_json::value::RawValue>,
    changed: Option<Box<serde_json::value::RawValue>>,
}

fn read(path: &Path) -> Option<Vec<u8>> {
    crate::private::read(path).ok()
}

/// Whole JSON lines of `path` (a torn last line, a crash's, is not), each decoded as `T`
/// until the first that does not decode.
fn lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<Vec<T>> {
    let file = crate::private::open_read(path).ok()?;
    let mut out = Vec::new();
    for line in std::io::BufReader::new(file).split(b'\n') {
        let Ok(line) = line else { break };
        match serde_json::from_slice(&line) {
            Ok(v) => out.push(v),
            Err(_) => break,
        }
    }
    Some(out)
}

/// Converts the old files of `state`'s directory, if it has any and no database content yet.
pub(super) fn migrate(state: &StateDir) -> Result<(), StateError> {
    let dir = state.path().to_owned();
    let old: Vec<&str> = [META, LISTS, JOURNAL, LEDGER, HISTORY]
        .into_iter()
        .filter(|f| dir.join(f).exists())
        .collect();
    if old.is_empty() || state.meta()?.is_some() || state.ages()?.lists > 0 {
        return Ok(());
    }
    let now = unix_now();
    let meta = read(&dir.join(META))
        .and_then(|b| serde_json::from_slice::<OldMeta>(&b).ok())
        .filter(|m| m.version == 1);
    let lists: Option<Vec<ListRecord>> = meta.as_ref().and_then(|_| {
        // A damaged file: the whole base is read again rather than a part of it trusted.
        let bytes = read(&dir.join(LISTS))?;
        bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(serde_json::from_slice::<ListRecord>)
            .collect::<Result<_, _>>()
            .ok()
    });
    let journal: Option<(serde_json::Value, Vec<ListRecord>)> =
        lines::<serde_json::Value>(&dir.join(JOURNAL)).and_then(|mut l| {
            if l.is_empty() {
                return None;
            }
            let header = l.remove(0);
            let records = l
                .into_iter()
                .map_while(|v| serde_json::from_value(v).ok())
                .collect();
            Some((header, records))
        });
    let ledger =
        read(&dir.join(LEDGER)).and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    let history =
        read(&dir.join(HISTORY)).and_then(|b| serde_json::from_slice::<OldHistory>(&b).ok());
    state.transaction(|t| {
        if let Some(m) = &meta {
            t.write_meta(&StateMeta {
                server: m.server.clone(),
                org_id: m.org_id.clone(),
                synced_at: m.synced_at,
                kind: m.kind,
                lists: m.lists,
                limits: m.limits.clone(),
                audit: m.audit.clone(),
                logins: m.logins.clone(),
            })?;
            if lists.is_none() {
                t.set(
                    super::BASE_UNREADABLE,
                    &format!("{LISTS} could not be read"),
                )?;
            }
        }
        for r in lists.iter().flatten() {
            t.put_list(MIGRATED_RUN, r, now)?;
        }
        if let Some((header, records)) = &journal {
            let run = t.open_migrated_run(header, now)?;
            for r in records {
                t.put_list(run, r, now)?;
            }
        }
        if let Some(l) = &ledger {
            t.set(super::LEDGER, l)?;
        }
        for e in history.iter().flat_map(|h| &h.syncs) {
            let id = serde_json::from_str::<serde_json::Value>(e.sync.get())
                .ok()
                .and_then(|v| v["id"].as_u64());
            if let Some(id) = id {
                t.put_history_row(id, e.sync.get(), e.changed.as_ref().map(|c| c.get()))?;
            }
        }
        Ok(())
    })?;
    for f in &old {
        let _ = std::fs::remove_file(dir.join(f));
    }
    tracing::info!(path = %dir.display(), files = ?old, "Converted the state directory to its database (state.db).");
    Ok(())
}
