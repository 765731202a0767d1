//! What changed between two syncs: grants and resources added and removed, role changes
//! (owner → reader) shown as one change rather than a removal and an addition, and grants
//! kept for other reasons (a group that carried one is gone but it is still held directly).

use super::Snapshot;
use super::answers::{Named, Path};
use crate::graph::{Grant, ResourceKey};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One grant that appeared or went away.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GrantChange {
    pub grant: String,
    pub principal: Named,
    pub resource: Named,
    pub entitlement: String,
    pub paths: Vec<Path>,
}

/// A principal's role on a resource replaced by another of the same choice (org owner →
/// reader; project member → owner).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoleChange {
    pub principal: Named,
    /// The resource both roles are on (a project); `None` when each role is its own resource
    /// (the org role: `role:reader` -> `role:owner`).
    pub resource: Option<Named>,
    pub from: String,
    pub to: String,
}

/// A grant held before and after, but not for the same reasons: the access is the same, what
/// it rests on is not (a reviewer who removes the direct grant now removes the access).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeldChange {
    pub grant: String,
    pub principal: Named,
    pub resource: Named,
    pub entitlement: String,
    pub from: Vec<Path>,
    pub to: Vec<Path>,
}

/// Everything that differs, each list sorted by id.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Changes {
    pub role_changes: Vec<RoleChange>,
    pub grants_added: Vec<GrantChange>,
    pub grants_removed: Vec<GrantChange>,
    pub held_changes: Vec<HeldChange>,
    pub resources_added: Vec<Named>,
    pub resources_removed: Vec<Named>,
}

impl Changes {
    /// How many changes, of every kind.
    pub fn count(&self) -> usize {
        self.role_changes.len()
            + self.grants_added.len()
            + self.grants_removed.len()
            + self.held_changes.len()
            + self.resources_added.len()
            + self.resources_removed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }
}

/// What changed from `old` to `new`.
pub fn diff(old: &Snapshot, new: &Snapshot) -> Changes {
    let ids = |s: &Snapshot| -> BTreeMap<String, usize> {
        s.grants()
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id_text().to_string(), i))
            .collect()
    };
    let (before, after) = (ids(old), ids(new));
    let grant = |s: &Snapshot, i: usize| s.grants().get(i).cloned();
    let removed: Vec<Grant> = before
        .iter()
        .filter(|(id, _)| !after.contains_key(*id))
        .filter_map(|(_, &i)| grant(old, i))
        .collect();
    let added: Vec<Grant> = after
        .iter()
        .filter(|(id, _)| !before.contains_key(*id))
        .filter_map(|(_, &i)| grant(new, i))
        .collect();

    // A removal and an addition for the same principal in the same exclusive choice (the
    // org role, one project's role) are one role change.
    let choice = |s: &Snapshot, g: &Grant| {
        s.entitlement(&g.entitlement.to_string())
            .and_then(|e| e.exclusion.as_ref())
            .map(|x| (g.principal.to_string(), x.group.clone()))
    };
    let mut gained: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, g) in added.iter().enumerate() {
        if let Some(k) = choice(new, g) {
            gained.entry(k).or_default().push(i);
        }
    }
    let mut paired_added = BTreeSet::new();
    let mut paired_removed = BTreeSet::new();
    let mut role_changes = Vec::new();
    for (i, g) in removed.iter().enumerate() {
        let Some(k) = choice(old, g) else { continue };
        let Some(j) = gained
            .get_mut(&k)
            .and_then(|v| (!v.is_empty()).then(|| v.remove(0)))
        else {
            continue;
        };
        let Some(to) = added.get(j) else { continue };
        paired_removed.insert(i);
        paired_added.insert(j);
        role_changes.push(RoleChange {
            principal: new.named(&g.principal),
            resource: (g.resource == to.resource).then(|| new.named(&g.resource)),
            from: g.entitlement.to_string(),
            to: to.entitlement.to_string(),
        });
    }
    let change = |s: &Snapshot, g: &Grant| GrantChange {
        grant: g.id_text().to_string(),
        principal: s.named(&g.principal),
        resource: s.named(&g.resource),
        entitlement: g.entitlement.to_string(),
        paths: s.paths(g),
    };
    let held_changes = before
        .iter()
        .filter_map(|(id, &i)| Some((id, old.grants().get(i)?, new.grants().get(*after.get(id)?)?)))
        .filter(|(_, was, is)| was.direct != is.direct || was.sources != is.sources)
        .map(|(id, was, is)| HeldChange {
            grant: id.clone(),
            principal: new.named(&is.principal),
            resource: new.named(&is.resource),
            entitlement: is.entitlement.to_string(),
            from: old.paths(was),
            to: new.paths(is),
        })
        .collect();
    let keys = |s: &Snapshot| -> BTreeSet<ResourceKey> { s.resource_keys().cloned().collect() };
    let (had, has) = (keys(old), keys(new));
    let by_id = |mut v: Vec<Named>| {
        v.sort_by_key(|n| n.key.to_string());
        v
    };
    Changes {
        role_changes,
        grants_added: added
            .iter()
            .enumerate()
            .filter(|(i, _)| !paired_added.contains(i))
            .map(|(_, g)| change(new, g))
            .collect(),
        grants_removed: removed
            .iter()
            .enumerate()
            .filter(|(i, _)| !paired_removed.contains(i))
            .map(|(_, g)| change(old, g))
            .collect(),
        held_changes,
        resources_added: by_id(has.difference(&had).map(|k| new.named(k)).collect()),
        resources_removed: by_id(had.difference(&has).map(|k| old.named(k)).collect()),
    }
}
