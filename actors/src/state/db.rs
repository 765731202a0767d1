//! The state database: one SQLite file (`state.db`) in the state directory, written in
//! transactions. What a sync reads is stored list by list as it completes, so a crash loses
//! nothing committed and an interrupted sync resumes from what it stored; a sync that read K
//! lists writes K rows, one that read nothing writes a few bytes of metadata.
//!
//! | table     | holds                                                                     |
//! |-----------|---------------------------------------------------------------------------|
//! | `meta`    | named JSON values: whose state (server, org), the last complete sync, the limits learned, the audit cursor, sign-ins, the service's ledger |
//! | `lists`   | the newest copy of every list: when its read began, when its content last changed, the run that stored it, the record |
//! | `runs`    | syncs begun (their header) and whether they ended: an open one is resumed  |
//! | `history` | the service's sync records and what each changed (`/api/v1/changes`)      |
//!
//! **A list's newest read wins**, whichever sync made it: a copy is replaced only by one whose
//! read began at the same time or later, so a background reconciliation's older copy never
//! overwrites one an incremental sync read after it.
//!
//! The file is created `0600` (its journal files inherit that) and opened without following
//! a symbolic link; a database of a newer format is refused, not read.

use super::{ListKey, ListRecord, StateError};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The database's file name in the state directory.
pub const FILE: &str = "state.db";

/// Bump on an incompatible change: a database of a newer version is refused.
pub const SCHEMA: i32 = 1;

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lists (
    key TEXT PRIMARY KEY,
    read_at INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    run INTEGER NOT NULL,
    record BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS lists_by_run ON lists (run);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    header TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    background INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY, record TEXT NOT NULL, changed TEXT);
";

/// What storing a list did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// It was not there, or its content differed.
    Changed,
    /// The same content as the copy it replaced (only its time moved on).
    Same,
    /// A copy read later is already there: this one is dropped.
    Older,
}

/// The state directory and its database. Cheap to clone: clones share one connection.
#[derive(Clone)]
pub struct StateDir {
    dir: PathBuf,
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for StateDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateDir").field("dir", &self.dir).finish()
    }
}

fn db_err(path: &Path) -> impl Fn(rusqlite::Error) -> StateError + '_ {
    move |e| StateError::Corrupt {
        path: path.to_owned(),
        detail: e.to_string(),
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_owned(),
        source,
    }
}

impl StateDir {
    /// Opens `dir` (created private, or made so: see [`crate::private`]) and its database,
    /// creating it; `StateDir::open` (in `state`) also converts the file format before it.
    pub(super) fn open_database(dir: &Path) -> Result<Self, StateError> {
        if let crate::private::DirCheck::Repaired(mode) =
            crate::private::open_dir(dir).map_err(io(dir))?
        {
            tracing::warn!(
                path = %dir.display(),
                mode = format!("{mode:o}"),
                "The state directory could be written to by others (it holds the organization's access data); its mode is now 700."
            );
        }
        let path = dir.join(FILE);
        crate::private::create_if_missing(&path).map_err(io(&path))?;
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_NOFOLLOW,
        )
        .map_err(db_err(&path))?;
        let version: i32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db_err(&path))?;
        if version > SCHEMA {
            return Err(StateError::Newer {
                path,
                found: version,
                known: SCHEMA,
            });
        }
        // WAL: a commit is an append, readers never wait; NORMAL: a crash can lose the last
        // commits, never corrupt the file (they are re-read: only time is lost).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;",
        )
        .map_err(db_err(&path))?;
        conn.execute_batch(TABLES).map_err(db_err(&path))?;
        conn.pragma_update(None, "user_version", SCHEMA)
            .map_err(db_err(&path))?;
        let state = Self {
            dir: dir.to_owned(),
            conn: Arc::new(Mutex::new(conn)),
        };
        Ok(state)
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn db_path(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    pub(super) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn err(&self) -> impl Fn(rusqlite::Error) -> StateError {
        let path = self.db_path();
        move |e| StateError::Corrupt {
            path: path.clone(),
            detail: e.to_string(),
        }
    }

    /// Runs `f` in one transaction: all of it is stored, or none.
    pub fn transaction<T>(
        &self,
        f: impl FnOnce(&Txn<'_>) -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(self.err())?;
        let t = Txn {
            tx: &tx,
            path: self.db_path(),
        };
        let out = f(&t)?;
        tx.commit().map_err(self.err())?;
        Ok(out)
    }

    /// A named value of `meta`, if there is one that reads as `T`; one that does not is an
    /// error naming it.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StateError> {
        self.transaction(|t| t.get(key))
    }

    pub fn set<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StateError> {
        self.transaction(|t| t.set(key, value))
    }

    /// Every list stored, decoded (for a sync that assembles the graph from them).
    pub fn lists(&self) -> Result<Vec<ListRecord>, StateError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT key, record, read_at FROM lists ORDER BY key")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(self.err())?;
        let mut out = Vec::new();
        for row in rows {
            let (key, blob, read_at) = row.map_err(self.err())?;
            out.push(decode(&blob, read_at).map_err(|e| StateError::Corrupt {
                path: self.db_path(),
                detail: format!("list {key}: {e}"),
            })?);
        }
        Ok(out)
    }

    /// Each stored list's key and when its read began, without decoding it (cheap).
    pub fn list_times(&self) -> Result<Vec<(ListKey, i64)>, StateError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT key, read_at FROM lists")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| Ok((ListKey(r.get(0)?), r.get(1)?)))
            .map_err(self.err())?;
        rows.collect::<Result<_, _>>().map_err(self.err())
    }

    /// When the oldest stored list was read, and the newest change to any (Unix seconds).
    pub fn ages(&self) -> Result<Ages, StateError> {
        let conn = self.conn();
        conn.query_row(
            "SELECT COUNT(*), MIN(read_at), MAX(changed_at),
                 MIN(CASE WHEN key LIKE '/organization/groups/%/users' THEN read_at END)
             FROM lists",
            [],
            |r| {
                Ok(Ages {
                    lists: r.get::<_, i64>(0)? as usize,
                    oldest_read: r.get(1)?,
                    newest_change: r.get(2)?,
                    oldest_group_members_read: r.get(3)?,
                })
            },
        )
        .map_err(self.err())
    }

    /// How many stored lists claim to have been read after `t` (Unix seconds).
    pub fn lists_read_after(&self, t: i64) -> Result<usize, StateError> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM lists WHERE read_at > ?1", [t], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as usize)
            .map_err(self.err())
    }

    /// Stores `record` as read by `run` (see [`Txn::put_list`]).
    pub fn put_list(&self, run: u64, record: &ListRecord, now: i64) -> Result<Stored, StateError> {
        self.transaction(|t| t.put_list(run, record, now))
    }

    /// The run begun and not ended, if any: its id, header and the lists it stored.
    pub fn open_run<H: DeserializeOwned>(
        &self,
    ) -> Result<Option<(u64, H, Vec<ListRecord>)>, StateError> {
        let found: Option<(i64, String)> = self
            .conn()
            .query_row(
                "SELECT id, header FROM runs WHERE ended_at IS NULL AND background = 0 ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.err())?;
        let Some((id, header)) = found else {
            return Ok(None);
        };
        // A header of another version only saves time: not resumed.
        let Ok(header) = serde_json::from_str::<H>(&header) else {
            return Ok(None);
        };
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT key, record, read_at FROM lists WHERE run = ?1")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(self.err())?;
        let mut stored = Vec::new();
        for row in rows {
            let (_, blob, read_at) = row.map_err(self.err())?;
            if let Ok(r) = decode(&blob, read_at) {
                stored.push(r);
            }
        }
        Ok(Some((id as u64, header, stored)))
    }

    /// Begins a sync's run (ending any left open: it is not resumed then).
    pub fn begin_run<H: Serialize>(&self, header: &H, now: i64) -> Result<u64, StateError> {
        self.begin(header, now, false)
    }

    /// Begins a background reconciliation's run: never resumed as a sync (a pass that stops
    /// starts afresh; what it stored is kept).
    pub fn begin_background_run<H: Serialize>(
        &self,
        header: &H,
        now: i64,
    ) -> Result<u64, StateError> {
        self.begin(header, now, true)
    }

    fn begin<H: Serialize>(
        &self,
        header: &H,
        now: i64,
        background: bool,
    ) -> Result<u64, StateError> {
        let text = serde_json::to_string(header).map_err(|e| StateError::Corrupt {
            path: self.db_path(),
            detail: e.to_string(),
        })?;
        self.transaction(|t| {
            t.exec(
                "UPDATE runs SET ended_at = ?1 WHERE ended_at IS NULL AND background = ?2",
                params![now, background],
            )?;
            t.exec(
                "INSERT INTO runs (header, started_at, background) VALUES (?1, ?2, ?3)",
                params![text, now, background],
            )?;
            Ok(t.tx.last_insert_rowid() as u64)
        })
    }

    /// The service's history, oldest first: each record and what it changed, as stored.
    pub fn history(&self) -> Result<Vec<(String, Option<String>)>, StateError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT record, changed FROM history ORDER BY id")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err())?;
        rows.collect::<Result<_, _>>().map_err(self.err())
    }

    /// Stores one history record (replacing one of the same id) and keeps the newest `keep`,
    /// fewer when together they would take more than `max_bytes` (the newest kept first).
    pub fn put_history(
        &self,
        id: u64,
        record: &str,
        changed: Option<&str>,
        keep: usize,
        max_bytes: usize,
    ) -> Result<(), StateError> {
        self.transaction(|t| {
            t.put_history_row(id, record, changed)?;
            let sizes: Vec<(i64, i64)> = {
                let mut stmt = t
                    .tx
                    .prepare(
                        "SELECT id, length(record) + coalesce(length(changed), 0) FROM history ORDER BY id DESC",
                    )
                    .map_err(t.err())?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(t.err())?;
                rows.collect::<Result<_, _>>().map_err(t.err())?
            };
            let mut total = 0usize;
            for (i, (id, len)) in sizes.iter().enumerate() {
                total += *len as usize;
                if i >= keep || (i > 0 && total > max_bytes) {
                    t.exec("DELETE FROM history WHERE id = ?1", [id])?;
                }
            }
            Ok(())
        })
    }

    /// Replaces the whole history (a migration, a tampered history set right).
    pub fn replace_history(
        &self,
        records: &[(u64, String, Option<String>)],
    ) -> Result<(), StateError> {
        self.transaction(|t| {
            t.exec("DELETE FROM history", [])?;
            for (id, record, changed) in records {
                t.exec(
                    "INSERT INTO history (id, record, changed) VALUES (?1, ?2, ?3)",
                    params![*id as i64, record, changed],
                )?;
            }
            Ok(())
        })
    }
}

/// When the lists were read and changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ages {
    pub lists: usize,
    /// When the read of the least recently read list began.
    pub oldest_read: Option<i64>,
    /// When any list's content last changed.
    pub newest_change: Option<i64>,
    /// When the read of the least recently read group member list began.
    pub oldest_group_members_read: Option<i64>,
}

/// One transaction of the state database.
pub struct Txn<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    path: PathBuf,
}

impl Txn<'_> {
    fn err(&self) -> impl Fn(rusqlite::Error) -> StateError + '_ {
        db_err(&self.path)
    }

    fn exec(&self, sql: &str, p: impl rusqlite::Params) -> Result<(), StateError> {
        self.tx.execute(sql, p).map(drop).map_err(self.err())
    }

    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StateError> {
        let text: Option<String> = self
            .tx
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(self.err())?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| StateError::Corrupt {
                path: self.path.clone(),
                detail: format!("{key}: {e}"),
            })
        })
        .transpose()
    }

    pub fn set<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StateError> {
        let text = serde_json::to_string(value).map_err(|e| StateError::Corrupt {
            path: self.path.clone(),
            detail: format!("{key}: {e}"),
        })?;
        self.exec(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, text],
        )
    }

    /// Stores `record`, read by `run`, unless a copy whose read began later is there; says
    /// whether its content changed (`now`: when, for `changed_at`).
    pub fn put_list(&self, run: u64, record: &ListRecord, now: i64) -> Result<Stored, StateError> {
        let blob = encode(record).map_err(|e| StateError::Corrupt {
            path: self.path.clone(),
            detail: format!("list {}: {e}", record.key),
        })?;
        let old: Option<(i64, Vec<u8>, i64)> = self
            .tx
            .query_row(
                "SELECT read_at, record, changed_at FROM lists WHERE key = ?1",
                [record.key.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(self.err())?;
        let (stored, changed_at) = match &old {
            Some((read_at, _, _)) if *read_at > record.read_at => return Ok(Stored::Older),
            Some((_, before, changed_at)) if *before == blob => (Stored::Same, *changed_at),
            _ => (Stored::Changed, now),
        };
        self.exec(
            "INSERT INTO lists (key, read_at, changed_at, run, record) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (key) DO UPDATE SET read_at = excluded.read_at,
                 changed_at = excluded.changed_at, run = excluded.run, record = excluded.record",
            params![
                record.key.as_str(),
                record.read_at,
                changed_at,
                run as i64,
                blob
            ],
        )?;
        Ok(stored)
    }

    /// Removes the lists no longer part of the org (a deleted project's, say): those not in
    /// `visited` (the lists the complete sync ending now went through) and read before
    /// `since` (when it began: a list another sync read meanwhile is newer than what this one
    /// knew).
    pub fn keep_only_since(
        &self,
        visited: &std::collections::HashSet<String>,
        since: i64,
    ) -> Result<usize, StateError> {
        let keys: Vec<String> = {
            let mut stmt = self
                .tx
                .prepare("SELECT key FROM lists WHERE read_at < ?1")
                .map_err(self.err())?;
            let rows = stmt
                .query_map([since], |r| r.get::<_, String>(0))
                .map_err(self.err())?;
            rows.collect::<Result<_, _>>().map_err(self.err())?
        };
        let mut gone = 0;
        for k in keys.iter().filter(|k| !visited.contains(*k)) {
            self.exec("DELETE FROM lists WHERE key = ?1", [k])?;
            gone += 1;
        }
        Ok(gone)
    }

    /// Opens a run with a header already in JSON (a migrated journal's).
    pub fn open_migrated_run(
        &self,
        header: &serde_json::Value,
        now: i64,
    ) -> Result<u64, StateError> {
        self.exec(
            "INSERT INTO runs (header, started_at) VALUES (?1, ?2)",
            params![header.to_string(), now],
        )?;
        Ok(self.tx.last_insert_rowid() as u64)
    }

    pub fn put_history_row(
        &self,
        id: u64,
        record: &str,
        changed: Option<&str>,
    ) -> Result<(), StateError> {
        self.exec(
            "INSERT OR REPLACE INTO history (id, record, changed) VALUES (?1, ?2, ?3)",
            params![id as i64, record, changed],
        )
    }

    pub fn remove(&self, key: &str) -> Result<(), StateError> {
        self.exec("DELETE FROM meta WHERE key = ?1", [key])
    }

    /// Ends run `id`.
    pub fn end_run(&self, id: u64, now: i64) -> Result<(), StateError> {
        self.exec(
            "UPDATE runs SET ended_at = ?1 WHERE id = ?2",
            params![now, id as i64],
        )?;
        // Only the open run matters; ended ones are kept a while for whoever looks.
        self.exec(
            "DELETE FROM runs WHERE ended_at IS NOT NULL AND id < ?1 - 100",
            params![id as i64],
        )
    }
}

/// A record as stored: its JSON without the key (the key is the row's).
/// A list's content, without when it was read (a column of its own): two reads of a list
/// that did not change encode the same.
fn encode(record: &ListRecord) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(record)
}

fn decode(blob: &[u8], read_at: i64) -> Result<ListRecord, serde_json::Error> {
    let mut r: ListRecord = serde_json::from_slice(blob)?;
    r.read_at = read_at;
    Ok(r)
}
