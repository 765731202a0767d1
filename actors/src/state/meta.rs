//! What the state says about itself, in the database's `meta` table: whose state it is, the
//! last complete sync, what the throttle learned, where the audit log is read from next, the
//! sign-ins seen. Each is its own row, written only when it changed: a sync that learned
//! nothing new rewrites none of them.

use super::db::{StateDir, Txn};
use super::logins::Logins;
use crate::ids::OrgId;
use crate::throttle::KnownLimits;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Why the state could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("state file {path} is unreadable ({detail})")]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "state file {path} is of format {found}, newer than this build reads ({known}): use a newer openai-access, or another directory"
    )]
    Newer {
        path: PathBuf,
        found: i32,
        known: i32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncKind {
    /// Every list read (or taken from the stored copies of the same interrupted full sync).
    Full,
    /// Only what may have changed read; the rest taken from the stored lists.
    Incremental,
}

impl SyncKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncKind::Full => "full",
            SyncKind::Incremental => "incremental",
        }
    }
}

/// The rows of `meta`.
const WHOSE: &str = "whose";
const LAST_SYNC: &str = "last_sync";
const LIMITS: &str = "limits";
const AUDIT: &str = "audit";
const LOGINS: &str = "logins";

/// Whose state it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Whose {
    /// The base URL synced (`mock` for the embedded mock).
    server: String,
    org_id: Option<OrgId>,
}

/// The last complete sync.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct LastSync {
    /// When it ended (Unix seconds).
    synced_at: i64,
    kind: SyncKind,
    /// Lists it went through (read or taken from the state).
    lists: usize,
}

/// What the state holds about itself, as one value.
#[derive(Clone, Debug, PartialEq)]
pub struct StateMeta {
    pub server: String,
    pub org_id: Option<OrgId>,
    /// When the last complete sync ended (Unix seconds).
    pub synced_at: i64,
    pub kind: SyncKind,
    pub lists: usize,
    /// What the throttle learned, to start the next sync paced.
    pub limits: KnownLimits,
    /// Where the next incremental sync reads the audit log from (its own format).
    pub audit: Option<serde_json::Value>,
    /// Sign-ins seen in the audit log, and since when it was watched.
    pub logins: Logins,
}

impl StateDir {
    /// Whose state this is and what the last complete sync was; `None` before the first.
    pub fn meta(&self) -> Result<Option<StateMeta>, StateError> {
        self.transaction(|t| {
            let Some(whose) = t.get::<Whose>(WHOSE)? else {
                return Ok(None);
            };
            let last = t.get::<LastSync>(LAST_SYNC)?;
            Ok(Some(StateMeta {
                server: whose.server,
                org_id: whose.org_id,
                synced_at: last.as_ref().map_or(0, |l| l.synced_at),
                kind: last.as_ref().map_or(SyncKind::Full, |l| l.kind),
                lists: last.as_ref().map_or(0, |l| l.lists),
                limits: t.get(LIMITS)?.unwrap_or_default(),
                audit: t.get(AUDIT)?,
                logins: t.get(LOGINS)?.unwrap_or_default(),
            }))
        })
    }

    /// Stores what the throttle learned (e.g. after a partial sync, or at shutdown).
    pub fn write_limits(&self, limits: &KnownLimits) -> Result<(), StateError> {
        self.transaction(|t| set_if_changed(t, LIMITS, limits))
    }

    /// Whether a complete sync is recorded.
    pub fn has_complete_sync(&self) -> Result<bool, StateError> {
        Ok(self.get::<LastSync>(LAST_SYNC)?.is_some())
    }
}

fn set_if_changed<T: Serialize + for<'de> Deserialize<'de> + PartialEq>(
    t: &Txn<'_>,
    key: &str,
    value: &T,
) -> Result<(), StateError> {
    // A row that does not read (another version) is replaced.
    if t.get::<T>(key).ok().flatten().as_ref() != Some(value) {
        t.set(key, value)?;
    }
    Ok(())
}

impl Txn<'_> {
    /// Writes `meta`'s rows that differ from what is stored.
    pub fn write_meta(&self, meta: &StateMeta) -> Result<(), StateError> {
        set_if_changed(
            self,
            WHOSE,
            &Whose {
                server: meta.server.clone(),
                org_id: meta.org_id.clone(),
            },
        )?;
        set_if_changed(
            self,
            LAST_SYNC,
            &LastSync {
                synced_at: meta.synced_at,
                kind: meta.kind,
                lists: meta.lists,
            },
        )?;
        set_if_changed(self, LIMITS, &meta.limits)?;
        match &meta.audit {
            Some(a) => set_if_changed(self, AUDIT, a)?,
            None => self.remove(AUDIT)?,
        }
        set_if_changed(self, LOGINS, &meta.logins)
    }

    /// Records whose state this is, before its first complete sync ends (so that a state
    /// of another server is refused even then).
    pub fn claim(&self, server: &str, org_id: Option<&OrgId>) -> Result<(), StateError> {
        if self.get::<Whose>(WHOSE)?.is_some() {
            return Ok(());
        }
        self.set(
            WHOSE,
            &Whose {
                server: server.to_owned(),
                org_id: org_id.cloned(),
            },
        )
    }
}
