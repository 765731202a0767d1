//! What a sync keeps between runs (`--state DIR`, the service's `--state-dir`): every list it
//! read, as it read it, so that an interrupted sync resumes without reading those lists again,
//! a later sync replays the lists that cannot have changed and reads only the others, and a
//! sync that finds nothing changed writes almost nothing. One SQLite database ([`db`]); this
//! module only stores: deciding what a sync reads is `crate::stateful`'s.
//!
//! Lists are the truth: a record holds everything its list contributed (resources, grants, the
//! work it revealed), so replaying it is the same as reading it again. A record is stored (in
//! its own transaction) the moment its list completes, so a crash (even `kill -9`) loses at
//! most the lists in flight.

pub mod db;
mod legacy;
pub mod logins;
mod meta;
mod recorder;
pub mod usage;

pub use db::{Ages, StateDir, Stored, Txn};
pub use logins::Logins;
pub use meta::{StateError, StateMeta, SyncKind};
pub use recorder::{Flush, ListRead, Recorded, Recorder};
pub use usage::UsageBook;

/// `meta` rows other layers keep here: the service's ledger (its own format), and why the
/// stored lists could not be read after a conversion (the next sync reads them whole).
pub const LEDGER: &str = "ledger";
pub const BASE_UNREADABLE: &str = "base_unreadable";

use crate::graph::Resource;
use crate::ids::OrgId;
use crate::messages::{GrantFact, Work};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

/// Now, in Unix seconds (the state's timestamps; virtual in a simulation).
impl StateDir {
    /// Opens `dir` (created private, or made so: see [`crate::private`]) and its database,
    /// creating it, or converting a state directory of the file format before it (see
    /// `legacy`, which writes through the database and so comes after it).
    pub fn open(dir: &std::path::Path) -> Result<Self, StateError> {
        let state = Self::open_database(dir)?;
        legacy::migrate(&state)?;
        Ok(state)
    }
}

pub use crate::clock::unix_now;

/// Which list: its path (every list of one endpoint has a fixed query, so the path is enough).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ListKey(String);

impl ListKey {
    pub fn of(call: &crate::api::Call) -> Self {
        Self(call.path.clone())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The list a path names (a mutation's path, or its parent).
    pub fn from_path(path: &str) -> Self {
        Self(path.to_owned())
    }
}

impl std::fmt::Display for ListKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything one list contributed to a sync.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListRecord {
    pub key: ListKey,
    pub crawler: String,
    pub pages: usize,
    pub items: usize,
    #[serde(default)]
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub grants: Vec<GrantFact>,
    #[serde(default)]
    pub work: Vec<Work>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<OrgId>,
    /// When it was read (Unix seconds): group member lists are read again once this is older
    /// than the rescan interval. Kept beside the content, not in it (a state of the file
    /// format had it inside, which is still read).
    #[serde(default, skip_serializing)]
    pub read_at: i64,
}

/// Lists whose grants include those held through a group (`assignment_sources`).
const INHERITING_CRAWLERS: [&str; 2] = ["user_roles", "project_user_roles"];

/// The group a `/organization/groups/{id}/users` key lists the members of.
pub(crate) fn group_of_members_list(key: &ListKey) -> Option<&str> {
    key.as_str()
        .strip_prefix("/organization/groups/")?
        .strip_suffix("/users")
}

/// Lists a sync may replay instead of reading, and where each came from.
#[derive(Debug, Default)]
pub struct Replay {
    /// Read by the sync being resumed: already in its journal.
    journaled: FxHashMap<ListKey, ListRecord>,
    /// Read by the last complete sync: appended to the journal when replayed.
    base: FxHashMap<ListKey, ListRecord>,
    /// Lists of the base that may have changed: read again, never replayed.
    dirty: FxHashSet<ListKey>,
    /// Groups whose member lists the sync has (replayed or read again).
    groups_with_members: FxHashSet<String>,
}

/// A list to replay, and whether the journal already holds it.
pub struct Replayed {
    pub record: ListRecord,
    pub journaled: bool,
}

impl Replay {
    pub fn new(
        journaled: Vec<ListRecord>,
        base: Vec<ListRecord>,
        dirty: impl IntoIterator<Item = ListKey>,
    ) -> Self {
        let index = |v: Vec<ListRecord>| v.into_iter().map(|r| (r.key.clone(), r)).collect();
        let groups_with_members = base
            .iter()
            .filter_map(|r| group_of_members_list(&r.key))
            .map(str::to_owned)
            .collect();
        Self {
            journaled: index(journaled),
            base: index(base),
            dirty: dirty.into_iter().collect(),
            groups_with_members,
        }
    }

    /// Nothing to replay: every list is read.
    pub fn is_empty(&self) -> bool {
        self.journaled.is_empty() && self.base.is_empty()
    }

    /// The record to replay for `key`, if there is one (once: a sync visits each list once).
    pub fn take(&mut self, key: &ListKey) -> Option<Replayed> {
        if let Some(record) = self.journaled.remove(key) {
            return Some(Replayed {
                record,
                journaled: true,
            });
        }
        if self.dirty.contains(key) {
            return None;
        }
        let mut record = self.base.remove(key)?;
        if INHERITING_CRAWLERS.contains(&record.crawler.as_str()) {
            self.drop_inherited(&mut record);
        }
        Some(Replayed {
            record,
            journaled: false,
        })
    }

    /// A role list names the roles a user holds through groups too; those change with the
    /// groups' members and roles, which the audit log records apart (or not at all). Replayed,
    /// such grants would outlive a membership that ended; the group expansion at the end of the
    /// sync derives them again, identically, from the groups' current lists. Kept when the
    /// group's member list is not in the state (nothing would derive them).
    fn drop_inherited(&self, record: &mut ListRecord) {
        record.grants.retain(|g| match &g.origin {
            crate::graph::Origin::Via { entitlement, .. } => {
                entitlement.resource.resource_type != crate::baton::ResourceType::Group
                    || !self
                        .groups_with_members
                        .contains(entitlement.resource.id.as_str())
            }
            crate::graph::Origin::Direct => true,
        });
    }

    /// How many lists may be replayed.
    pub fn len(&self) -> usize {
        self.journaled.len() + self.base.len()
    }
}

#[cfg(test)]
mod tests;
