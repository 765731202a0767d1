//! Incremental sync: read the audit log since the last complete sync, mark the lists its events
//! may have changed (see [`events`]) and the group member lists due for a rescan as dirty, and
//! replay everything else from the state. Events are hints and lists are the truth: a dirty
//! list is read again in full and replaces what the state held, so a duplicated, reordered or
//! partly missing event cannot corrupt the graph, only cost a re-read.
//!
//! **The cursor.** The next read starts at `from` = when the last read started, less
//! [`OVERLAP_S`] (an entry may be logged a little after the change it records); entries seen
//! last time at or after `from` are skipped. The newest entry older than `from` is the
//! *anchor*: reading newest first, the log is continuous when the read reaches it. If it has
//! gone (the retention window passed it), changes may have gone with it, and the sync falls
//! back to a full one, as it does when the log is off or the cursor is older than the assumed
//! retention.
//!
//! Pure where it can be: [`plan`] takes the events, the state and the time.

pub mod events;
pub mod patch;

use crate::api::models::AuditEvent;
use crate::api::{AdminClient, ApiError, Call};
use crate::endpoint::Endpoint;
use crate::state::{ListKey, ListRecord, Replay};
use events::Scope;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

/// How long after a change its entry may appear in the log.
pub const OVERLAP_S: i64 = 300;

/// The newest entry older than the cursor: reaching it proves the log has no gap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub id: String,
    pub effective_at: i64,
}

/// Where the next incremental sync reads the audit log from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditCursor {
    /// Entries at or after this time (Unix seconds) are read.
    pub from: i64,
    pub anchor: Option<Anchor>,
    /// Entries at or after `from` already acted on.
    #[serde(default)]
    pub seen: Vec<String>,
}

/// Why a sync that could have been incremental is a full one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fallback {
    #[error("a full sync was asked for")]
    Asked,
    #[error("the state holds no complete sync to start from")]
    NoState,
    #[error("the state's lists cannot be read ({0}); they are read again in full")]
    UnreadableState(String),
    #[error("the audit log cannot be read ({0}); without it changes cannot be found")]
    AuditUnavailable(String),
    #[error(
        "the last sync is older than the audit log keeps ({age}, assumed retention {retention}); changes may be gone from it"
    )]
    TooOld { age: String, retention: String },
    #[error(
        "the audit log has a gap: the entry the last sync ended on ({0}) is gone, and changes may have gone with it"
    )]
    Gap(String),
    /// Not a reason to sync in full: a reason not to sync now (see `state::prepare`).
    #[error("the server failed every retry of the audit log ({0})")]
    ServerFailing(String),
}

/// What a read of the log found.
#[derive(Clone, Debug, Default)]
pub struct Read {
    /// Entries at or after the cursor, not acted on before, oldest first.
    pub events: Vec<AuditEvent>,
    /// Pages requested.
    pub pages: usize,
    /// The cursor for the read after this one.
    pub next: Option<AuditCursor>,
}

/// Reads the audit log from `cursor` (or, for the first sync, only its newest page, to set the
/// cursor), newest first, until the entry before the cursor. `now` is when the read starts.
pub async fn read(
    client: &AdminClient,
    cursor: Option<&AuditCursor>,
    now: i64,
) -> Result<Read, Fallback> {
    let from = cursor.map_or(now - OVERLAP_S, |c| c.from);
    let call = Call::audit_logs();
    let mut pager = client.pager(&call);
    let (mut newer, mut before, mut pages) = (Vec::new(), None::<AuditEvent>, 0);
    'pages: loop {
        let page = match pager.next::<AuditEvent>().await {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) => return Err(unavailable(&e)),
        };
        pages += 1;
        for e in page.items {
            if e.effective_at >= from {
                newer.push(e);
            } else {
                before = Some(e);
                break 'pages;
            }
        }
    }
    if let Some(anchor) = cursor.and_then(|c| c.anchor.as_ref())
        && before
            .as_ref()
            .is_none_or(|b| b.effective_at < anchor.effective_at)
    {
        return Err(Fallback::Gap(anchor.id.clone()));
    }
    let seen: HashSet<&str> = cursor
        .map(|c| c.seen.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let next_from = now - OVERLAP_S;
    let anchor = newer
        .iter()
        .chain(before.as_ref())
        .filter(|e| e.effective_at < next_from)
        .max_by_key(|e| (e.effective_at, e.id.clone()))
        .map(|e| Anchor {
            id: e.id.clone(),
            effective_at: e.effective_at,
        })
        .or_else(|| cursor.and_then(|c| c.anchor.clone()));
    let next = AuditCursor {
        from: next_from,
        anchor,
        seen: newer
            .iter()
            .filter(|e| e.effective_at >= next_from)
            .map(|e| e.id.clone())
            .collect(),
    };
    let mut events: Vec<AuditEvent> = match cursor {
        // The first sync reads everything itself; the log only sets its cursor.
        None => Vec::new(),
        Some(_) => newer
            .into_iter()
            .filter(|e| !seen.contains(e.id.as_str()))
            .collect(),
    };
    events.sort_by(|a, b| (a.effective_at, &a.id).cmp(&(b.effective_at, &b.id)));
    events.dedup_by(|a, b| a.id == b.id);
    Ok(Read {
        events,
        pages,
        next: Some(next),
    })
}

/// A log the server refuses (switched off, not permitted) makes the sync full; a server that
/// failed every retry (down, unreachable, 5xx) makes it wait: a full sync then would fail as
/// well, and would throw away the state's base for hours of reading at the real limits.
fn unavailable(e: &ApiError) -> Fallback {
    let cause = match e {
        ApiError::GaveUp { last, .. } => last,
        e => e,
    };
    if cause.is_retryable() {
        Fallback::ServerFailing(e.to_string())
    } else {
        Fallback::AuditUnavailable(e.to_string())
    }
}

/// Checks that `cursor` is within the assumed retention at `now`.
pub fn check_age(cursor: &AuditCursor, now: i64, retention: Duration) -> Result<(), Fallback> {
    let age = (now - cursor.from).max(0) as u64;
    if age > retention.as_secs() {
        return Err(Fallback::TooOld {
            age: crate::human::duration(Duration::from_secs(age)),
            retention: crate::human::duration(retention),
        });
    }
    Ok(())
}

/// What an incremental sync reads again, and why.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Dirty {
    /// Each list read again, with the first reason found for it.
    pub lists: BTreeMap<ListKey, String>,
    /// Group member lists read again because they were due.
    pub group_rescans: usize,
    /// Objects read on their own, their lists' records patched (see [`patch`]), with the
    /// first reason found for each.
    #[serde(skip)]
    pub items: BTreeMap<patch::Item, String>,
    /// Entries whose scope is not known and whose payload names nothing the state holds, by
    /// type: nothing read for them now; the background reconciliation reads what they may have
    /// changed.
    pub unknown: BTreeMap<String, usize>,
}

/// The lists `events` may have changed, among those `base` holds, plus the group member lists
/// read longer than `rescan` ago (at `now`; `None`: none, a background pass reads them).
pub fn plan(
    base: &[ListRecord],
    events: &[AuditEvent],
    now: i64,
    rescan: Option<Duration>,
) -> Result<Dirty, Fallback> {
    plan_with(base, events, &[], now, rescan)
}

/// [`plan`], plus what `touched` (mutations this process made, e.g. a service's provisioning)
/// may have changed: read again whether or not the audit log shows them yet, since the log
/// may record a change a little after it is made.
pub fn plan_with(
    base: &[ListRecord],
    events: &[AuditEvent],
    touched: &[Call],
    now: i64,
    rescan: Option<Duration>,
) -> Result<Dirty, Fallback> {
    let mut dirty = Dirty::default();
    let mut index: Option<Index> = None;
    let from_events = events
        .iter()
        .map(|e| (events::scopes(e), format!("{} ({})", e.kind, e.id), Some(e)));
    let from_calls = touched
        .iter()
        .map(|c| (events::mutation_scopes(c), format!("made here: {c}"), None));
    // Mutations made here first: the reason a list gives is the first found.
    for (scopes, reason, e) in from_calls.chain(from_events) {
        let why = || reason.clone();
        // Lists this event patches object by object: not also read whole for naming them.
        let patched: Vec<ListKey> = scopes
            .iter()
            .filter_map(|s| match s {
                Scope::Item(i) => Some(i.list()),
                _ => None,
            })
            .collect();
        for scope in scopes {
            let keys: Vec<ListKey> = match scope {
                Scope::Item(item) => {
                    dirty.items.entry(item).or_insert_with(why);
                    continue;
                }
                Scope::InviteAccepted(invite) => {
                    let found = index.get_or_insert_with(|| Index::of(base)).invite(&invite);
                    match found {
                        Some(inv) => {
                            let no_email = inv.email.is_none();
                            for item in [
                                Some(patch::Item::Invite(invite.clone())),
                                inv.email.map(patch::Item::UserWithEmail),
                            ]
                            .into_iter()
                            .flatten()
                            {
                                dirty.items.entry(item).or_insert_with(why);
                            }
                            let mut keys = inv.project_lists;
                            if keys.is_empty() && inv.unknown_projects {
                                keys = every(base, Endpoint::ListProjectUsers);
                            }
                            if no_email {
                                keys.push(ListKey::of(&Call::users()));
                            }
                            keys
                        }
                        // Sent after the last sync: what it grants is not in the state.
                        None => {
                            dirty
                                .items
                                .entry(patch::Item::Invite(invite))
                                .or_insert_with(why);
                            let mut keys = every(base, Endpoint::ListProjectUsers);
                            keys.push(ListKey::of(&Call::users()));
                            keys
                        }
                    }
                }
                Scope::Names { kind, ids } => {
                    let index = index.get_or_insert_with(|| Index::of(base));
                    let keys: Vec<ListKey> = ids
                        .iter()
                        .flat_map(|id| index.naming(id))
                        .filter(|k| !patched.contains(k))
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    if keys.is_empty() {
                        *dirty.unknown.entry(kind).or_default() += 1;
                    }
                    keys
                }
                // A mutation's path and its parent: only those that are lists of the state.
                Scope::Lists(keys) if e.is_none() => keys
                    .into_iter()
                    .filter(|k| base.iter().any(|r| r.key == *k))
                    .collect(),
                Scope::Lists(keys) => keys,
                Scope::Naming(id) => index
                    .get_or_insert_with(|| Index::of(base))
                    .naming(&id)
                    .into_iter()
                    .filter(|k| !patched.contains(k))
                    .collect(),
                Scope::Project(p) => index.get_or_insert_with(|| Index::of(base)).in_project(&p),
                Scope::Every(endpoint) => every(base, endpoint),
            };
            for k in keys {
                dirty.lists.entry(k).or_insert_with(why);
            }
        }
    }
    // Objects read one by one cost a request each; a list costs its pages.
    let mut per_list: BTreeMap<ListKey, usize> = BTreeMap::new();
    for i in dirty.items.keys() {
        *per_list.entry(i.list()).or_default() += 1;
    }
    for (list, n) in per_list {
        let pages = base.iter().find(|r| r.key == list).map_or(0, |r| r.pages);
        if n >= pages.max(1) && !dirty.lists.contains_key(&list) {
            dirty.lists.insert(
                list.clone(),
                format!(
                    "{n} of its objects changed: reading the list ({pages} pages) costs no more"
                ),
            );
        }
    }
    dirty
        .items
        .retain(|i, _| !dirty.lists.contains_key(&i.list()));
    let Some(rescan) = rescan else {
        return Ok(dirty);
    };
    let due = now.saturating_sub(rescan.as_secs() as i64);
    for r in base {
        if endpoint_of(&r.key) == Some(Endpoint::ListGroupUsers)
            && r.read_at <= due
            && !dirty.lists.contains_key(&r.key)
        {
            dirty.lists.insert(
                r.key.clone(),
                "group members are due for a rescan".to_owned(),
            );
            dirty.group_rescans += 1;
        }
    }
    Ok(dirty)
}

/// The group member lists among `times` (each stored list and when it was read) read longer
/// than `rescan` ago at `now`: due to be read again (the audit log does not record
/// membership). `None`: none (a background pass reads them).
pub fn rescans_due(times: &[(ListKey, i64)], now: i64, rescan: Option<Duration>) -> Vec<ListKey> {
    let Some(rescan) = rescan else {
        return Vec::new();
    };
    let due = now.saturating_sub(rescan.as_secs() as i64);
    times
        .iter()
        .filter(|(k, read_at)| endpoint_of(k) == Some(Endpoint::ListGroupUsers) && *read_at <= due)
        .map(|(k, _)| k.clone())
        .collect()
}

/// Every list of `endpoint` that `base` holds.
fn every(base: &[ListRecord], endpoint: Endpoint) -> Vec<ListKey> {
    base.iter()
        .filter(|r| endpoint_of(&r.key) == Some(endpoint))
        .map(|r| r.key.clone())
        .collect()
}

/// The replay of an incremental sync: `base` except the `dirty` lists.
pub fn replay(journaled: Vec<ListRecord>, base: Vec<ListRecord>, dirty: &Dirty) -> Replay {
    Replay::new(journaled, base, dirty.lists.keys().cloned())
}

/// The list endpoint a key's path belongs to.
fn endpoint_of(key: &ListKey) -> Option<Endpoint> {
    let segs: Vec<&str> = key.as_str().split('/').filter(|s| !s.is_empty()).collect();
    Endpoint::ALL.iter().copied().find(|e| {
        e.list().is_some() && {
            let tpl: Vec<&str> = e
                .path_template()
                .split('/')
                .filter(|s| !s.is_empty())
                .collect();
            tpl.len() == segs.len()
                && tpl
                    .iter()
                    .zip(&segs)
                    .all(|(t, s)| t.starts_with('{') || t == s)
        }
    })
}

/// Which lists of the state name which ids (in their paths, facts or work).
struct Index {
    naming: HashMap<String, Vec<ListKey>>,
    /// The invites the state holds, by id.
    invites: HashMap<String, crate::graph::Resource>,
}

/// A pending invite as the state holds it.
struct InviteSeen {
    email: Option<String>,
    /// The member lists of the projects it grants.
    project_lists: Vec<ListKey>,
    /// It names a project that cannot be a path segment: every project's members are read.
    unknown_projects: bool,
}

impl Index {
    fn of(base: &[ListRecord]) -> Self {
        let mut naming: HashMap<String, Vec<ListKey>> = HashMap::new();
        let mut invites = HashMap::new();
        for r in base {
            for res in &r.resources {
                if res.resource_type == crate::baton::ResourceType::Invite {
                    invites.insert(res.id.as_str().to_owned(), res.clone());
                }
            }
            let mut tokens = HashSet::new();
            let value = serde_json::to_value(r).unwrap_or_default();
            collect_tokens(&value, &mut tokens);
            for t in tokens {
                naming.entry(t).or_default().push(r.key.clone());
            }
        }
        Self { naming, invites }
    }

    /// What the state knows of a pending invite: its email and the projects it grants.
    fn invite(&self, id: &str) -> Option<InviteSeen> {
        let r = self.invites.get(id)?;
        let email = r
            .profile
            .get("email")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let projects = r.profile.get("projects").and_then(|v| v.as_str());
        let project_lists = projects
            .into_iter()
            .flat_map(|p| p.split(','))
            .filter_map(|p| p.split(':').next())
            .filter_map(|p| crate::ids::ProjectId::new(p).ok())
            .map(|p| ListKey::of(&Call::project_users(&p)))
            .collect();
        Some(InviteSeen {
            email,
            project_lists,
            unknown_projects: projects.is_some_and(|p| {
                p.split(',').any(|p| {
                    crate::ids::ProjectId::new(p.split(':').next().unwrap_or_default()).is_err()
                })
            }),
        })
    }

    fn naming(&self, id: &str) -> Vec<ListKey> {
        self.naming.get(id).cloned().unwrap_or_default()
    }

    /// The project's lists: those whose path names it, and the project list.
    fn in_project(&self, project: &str) -> Vec<ListKey> {
        let mut keys: Vec<ListKey> = self
            .naming(project)
            .into_iter()
            .filter(|k| k.as_str().split('/').any(|s| s == project))
            .collect();
        keys.push(ListKey::of(&Call::projects()));
        keys
    }
}

/// Every string in `v`, whole and split on the separators composite ids use.
fn collect_tokens(v: &serde_json::Value, out: &mut HashSet<String>) {
    match v {
        serde_json::Value::String(s) => {
            out.insert(s.clone());
            for part in s.split(['/', ':']) {
                if !part.is_empty() {
                    out.insert(part.to_owned());
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_tokens(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| collect_tokens(x, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
