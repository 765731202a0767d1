//! Access reviews: questions about one synced grant graph, answered with names and reasons.
//!
//! A [`Snapshot`] is a finished sync as a reviewer reads it: every resource by key, every
//! grant indexed by principal and by resource. It is built from a [`GrantGraph`] (a live sync)
//! or read back from the JSON a sync wrote, so the same questions are asked of either. The
//! answers ([`answers`]) are data; how they are printed is the caller's business.
//!
//! Pure: no I/O beyond the reader it is given, no clock.

pub mod answers;
pub mod diff;
mod json;
pub mod rows;
pub mod stale;

pub use answers::*;
pub use diff::{Changes, diff};
pub use rows::AccessRow;
pub use stale::{IdleUser, Stale};

use crate::graph::{Entitlement, Grant, GrantGraph, Resource, ResourceKey, ResourceType, Traits};
use rustc_hash::FxHashMap as HashMap;
use serde::Deserialize;

/// What the JSON output of a sync says it is.
pub const SYNC_FORMAT: &str = "openai-access.sync.v1";

/// Why a question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("{0}")]
    NotASync(String),
    #[error("no {kind} matches {query:?}")]
    NotFound { kind: &'static str, query: String },
    #[error("{query:?} matches several {kind}s: {matches}; name one by its id")]
    Ambiguous {
        kind: &'static str,
        query: String,
        matches: String,
    },
}

/// Where and when the sync ran, as the JSON output records it.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
pub struct SyncInfo {
    #[serde(default)]
    pub synced_at: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    /// With a state: what the sync knew beside the graph (sign-ins seen in the audit log).
    #[serde(default, skip_serializing)]
    pub state: Option<StateInfo>,
}

/// The part of `sync.state` a review reads.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct StateInfo {
    #[serde(default)]
    pub logins: Option<LoginsSeen>,
}

/// Sign-ins seen in the audit log (`sync.state.logins`), RFC 3339.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LoginsSeen {
    #[serde(default)]
    pub watched_since: Option<String>,
    #[serde(default)]
    pub last_login_at: std::collections::BTreeMap<String, String>,
}

/// RFC 3339 as Unix seconds.
pub fn unix_of(t: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.timestamp())
}

/// One sync, indexed for questions.
#[derive(Debug)]
pub struct Snapshot {
    pub org_id: String,
    pub sync: Option<SyncInfo>,
    pub partial: bool,
    resources: HashMap<ResourceKey, Resource>,
    entitlements: HashMap<String, Entitlement>,
    /// Sorted by grant id, as every output writes them.
    grants: Vec<Grant>,
    by_principal: HashMap<ResourceKey, Vec<u32>>,
    by_resource: HashMap<ResourceKey, Vec<u32>>,
    /// Each owner's API keys (project and admin keys), sorted by type then id: a principal's
    /// answer must not scan every key of a large org.
    keys_by_owner: HashMap<ResourceKey, Vec<ResourceKey>>,
    /// Pending invitations by lower-cased email, sorted by id.
    pending_by_email: HashMap<String, Vec<ResourceKey>>,
    /// The roles scoped to a resource (a project's roles, the org's), sorted by id: holding
    /// one is access to that resource.
    roles_of: HashMap<ResourceKey, Vec<ResourceKey>>,
}

impl Snapshot {
    /// The graph a sync just built.
    pub fn of_graph(graph: &GrantGraph) -> Self {
        Self::new(
            graph.org_id.clone(),
            None,
            false,
            graph.resources().cloned().collect(),
            graph.entitlements_sorted().into_iter().cloned().collect(),
            graph.grants_sorted().into_iter().collect(),
        )
    }

    /// A sync from its parts, grants in any order (sorted by id here unless they already are,
    /// as in every file a sync writes).
    pub fn from_parts(
        org_id: String,
        sync: Option<SyncInfo>,
        partial: bool,
        resources: Vec<Resource>,
        entitlements: Vec<Entitlement>,
        mut grants: Vec<Grant>,
    ) -> Self {
        if !sorted_by_id(&grants) {
            grants.sort_by_cached_key(|g| g.id_text().to_string());
        }
        Self::new(org_id, sync, partial, resources, entitlements, grants)
    }

    fn new(
        org_id: String,
        sync: Option<SyncInfo>,
        partial: bool,
        resources: Vec<Resource>,
        entitlements: Vec<Entitlement>,
        grants: Vec<Grant>,
    ) -> Self {
        // The two indexes are built side by side: a million grants each.
        let index = |key: fn(&Grant) -> &ResourceKey| {
            let mut by: HashMap<ResourceKey, Vec<u32>> = HashMap::default();
            for (i, g) in grants.iter().enumerate() {
                by.entry(key(g).clone()).or_default().push(i as u32);
            }
            by
        };
        let (by_principal, by_resource) = std::thread::scope(|s| {
            let by_resource = s.spawn(|| index(|g| &g.resource));
            let by_principal = index(|g| &g.principal);
            (
                by_principal,
                by_resource
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            )
        });
        let mut keys_by_owner: HashMap<ResourceKey, Vec<ResourceKey>> = HashMap::default();
        let mut pending_by_email: HashMap<String, Vec<ResourceKey>> = HashMap::default();
        let mut roles_of: HashMap<ResourceKey, Vec<ResourceKey>> = HashMap::default();
        for r in &resources {
            if let (ResourceType::Role | ResourceType::ProjectRole, Some(parent)) =
                (r.resource_type, &r.parent)
            {
                roles_of.entry(parent.clone()).or_default().push(r.key());
            }
            match &r.traits {
                Traits::Secret {
                    identity: Some(owner),
                    ..
                } => keys_by_owner
                    .entry(owner.clone())
                    .or_default()
                    .push(r.key()),
                _ if r.resource_type == ResourceType::Invite && is_pending(r) => {
                    if let Some(email) = email_of(r) {
                        pending_by_email
                            .entry(email.to_ascii_lowercase())
                            .or_default()
                            .push(r.key());
                    }
                }
                _ => {}
            }
        }
        let order = |k: &ResourceKey| (k.resource_type != ResourceType::ApiKey, k.id.to_string());
        keys_by_owner
            .values_mut()
            .for_each(|v| v.sort_by_cached_key(order));
        let by_id = |v: &mut Vec<ResourceKey>| v.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        pending_by_email.values_mut().for_each(by_id);
        roles_of.values_mut().for_each(by_id);
        Self {
            org_id,
            sync,
            partial,
            keys_by_owner,
            pending_by_email,
            roles_of,
            resources: resources.into_iter().map(|r| (r.key(), r)).collect(),
            entitlements: entitlements
                .into_iter()
                .map(|e| (e.id.to_string(), e))
                .collect(),
            grants,
            by_principal,
            by_resource,
        }
    }

    pub fn resource(&self, key: &ResourceKey) -> Option<&Resource> {
        self.resources.get(key)
    }

    /// The resources, given back (to build a fuller snapshot from a first look).
    pub fn into_resources(self) -> Vec<Resource> {
        self.resources.into_values().collect()
    }

    pub fn resource_keys(&self) -> impl Iterator<Item = &ResourceKey> {
        self.resources.keys()
    }

    pub fn entitlement(&self, id: &str) -> Option<&Entitlement> {
        self.entitlements.get(id)
    }

    /// Every grant, sorted by grant id.
    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    /// Invitations that can still be accepted, sorted by id.
    pub fn pending_invites(&self) -> Vec<&Resource> {
        let mut v = self.resources_of(ResourceType::Invite);
        v.retain(|i| is_pending(i));
        v
    }

    /// Users holding the org owner role, by user id.
    pub fn org_owners(&self) -> Vec<answers::Named> {
        let owner = crate::graph::EntitlementId::org_owner();
        self.grants_on(&owner.resource)
            .filter(|g| g.entitlement == owner && g.principal.resource_type == ResourceType::User)
            .map(|g| self.named(&g.principal))
            .collect()
    }

    /// Resources of one type, sorted by id.
    pub fn resources_of(&self, t: ResourceType) -> Vec<&Resource> {
        let mut v: Vec<&Resource> = self
            .resources
            .values()
            .filter(|r| r.resource_type == t)
            .collect();
        v.sort_unstable_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        v
    }

    fn indexed<'a>(
        &'a self,
        index: &'a HashMap<ResourceKey, Vec<u32>>,
        key: &ResourceKey,
    ) -> impl Iterator<Item = &'a Grant> + 'a {
        index
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.grants.get(i as usize))
    }

    /// The grants `principal` holds, sorted by grant id.
    pub fn grants_of(&self, principal: &ResourceKey) -> impl Iterator<Item = &Grant> + '_ {
        self.indexed(&self.by_principal, principal)
    }

    /// The API keys `owner` owns: project keys, then admin keys, each by id.
    pub fn keys_of<'a>(&'a self, owner: &ResourceKey) -> impl Iterator<Item = &'a Resource> + 'a {
        self.keys_by_owner
            .get(owner)
            .into_iter()
            .flatten()
            .filter_map(|k| self.resources.get(k))
    }

    /// Pending invitations to `email` (any case), by id.
    pub fn pending_invites_to(&self, email: &str) -> impl Iterator<Item = &ResourceKey> + '_ {
        self.pending_by_email
            .get(&email.to_ascii_lowercase())
            .into_iter()
            .flatten()
    }

    /// The roles scoped to `resource` (a project's custom roles; the org's roles), by id.
    fn roles_of(&self, resource: &ResourceKey) -> &[ResourceKey] {
        self.roles_of.get(resource).map_or(&[], Vec::as_slice)
    }

    /// The grants that give access to `resource`: those on it, then those on each role
    /// scoped to it (in entitlement id order: `project:` sorts before `project_role:`,
    /// `organization:` before `role:`).
    pub fn grants_giving_access_to<'a>(
        &'a self,
        resource: &'a ResourceKey,
    ) -> impl Iterator<Item = &'a Grant> + 'a {
        std::iter::once(resource)
            .chain(self.roles_of(resource))
            .flat_map(|k| self.grants_on(k))
    }

    /// The grants on `resource`, sorted by grant id.
    pub fn grants_on(&self, resource: &ResourceKey) -> impl Iterator<Item = &Grant> + '_ {
        self.indexed(&self.by_resource, resource)
    }

    /// The grant `<entitlement>:<principal type>:<principal id>`.
    pub fn grant(&self, entitlement: &str, principal: &ResourceKey) -> Option<&Grant> {
        self.grants_of(principal)
            .find(|g| g.entitlement.to_string() == entitlement)
    }

    /// A resource of type `t` named by its id, or (for people) by an email, or by its exact
    /// display name. Several matches are refused, not guessed between.
    pub fn find(&self, t: ResourceType, query: &str) -> Result<&Resource, ReviewError> {
        let kind = t.as_str();
        if let Some(r) = query
            .parse()
            .ok()
            .and_then(|id| self.resources.get(&ResourceKey::new(t, id)))
        {
            return Ok(r);
        }
        let q = query.trim();
        let mut hits: Vec<&Resource> = self
            .resources_of(t)
            .into_iter()
            .filter(|r| {
                email_of(r).is_some_and(|e| e.eq_ignore_ascii_case(q))
                    || r.display_name == q
                    // A service account or key by its id within its project.
                    || r.id.split_scope().is_some_and(|(_, raw)| raw == q)
            })
            .collect();
        // An invite is found by email among all of them; a pending one is what is meant.
        if t == ResourceType::Invite && hits.len() > 1 {
            let pending: Vec<&Resource> = hits.iter().copied().filter(|r| is_pending(r)).collect();
            if pending.len() == 1 {
                hits = pending;
            }
        }
        match hits.as_slice() {
            [one] => Ok(one),
            [] => Err(ReviewError::NotFound {
                kind,
                query: query.to_owned(),
            }),
            many => Err(ReviewError::Ambiguous {
                kind,
                query: query.to_owned(),
                matches: many
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

/// An invitation that can still be accepted (the one definition every view uses).
pub fn is_pending(invite: &Resource) -> bool {
    profile_str(invite, "status") == Some("pending")
}

/// A person's email: the trait's first, else the profile's.
pub fn email_of(r: &Resource) -> Option<&str> {
    match &r.traits {
        Traits::User { emails, .. } if !emails.is_empty() => emails.first().map(String::as_str),
        _ => profile_str(r, "email"),
    }
}

pub fn profile_str<'a>(r: &'a Resource, key: &str) -> Option<&'a str> {
    r.profile.get(key).and_then(serde_json::Value::as_str)
}

/// What the usage read says of one resource: `None` when it was not read; else its last day
/// of use (if any in the window) and its requests.
pub fn api_use(r: &Resource) -> Option<(Option<i64>, u64)> {
    let requests = r.profile.get(crate::graph::usage::REQUESTS)?.as_u64()?;
    Some((profile_int(r, crate::graph::usage::LAST_USED), requests))
}

pub fn profile_int(r: &Resource, key: &str) -> Option<i64> {
    r.profile.get(key).and_then(serde_json::Value::as_i64)
}

/// Whether the grants are in id order, checked without a copy per grant (a sync's own files
/// always are).
fn sorted_by_id(grants: &[Grant]) -> bool {
    use std::fmt::Write;
    let (mut prev, mut cur) = (String::new(), String::new());
    for (i, g) in grants.iter().enumerate() {
        cur.clear();
        // Writing to a String cannot fail.
        let _ = write!(cur, "{}", g.id_text());
        if i > 0 && prev > cur {
            return false;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    true
}
