//! Finishing a graph: fold service-account users, expand group grants to members, add org
//! owners' implicit project ownership, and drop grants that point at nothing.

use super::{
    EntIdx, EntitlementId, GrantGraph, GrantId, KeyIdx, Origin, ResourceKey, ResourceType, Slug,
    merge,
};
// Fx hashing: the keys are our own small integers and ids; no untrusted-collision concern
// worth SipHash's cost on a million-grant graph.
use rustc_hash::FxHashMap as HashMap;

/// What finishing changed, for the summary and for warnings.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FinishReport {
    /// Grants added by expanding group grants to the groups' members.
    pub expanded_from_groups: usize,
    /// `project:<p>:owner` grants org owners hold only implicitly (not also directly).
    pub implicit_project_owners: usize,
    /// Grants dropped because their entitlement or principal was never seen (sorted by id).
    pub dangling: Vec<GrantId>,
}

impl GrantGraph {
    /// Completes the graph once every fact is in. Idempotent: finishing twice changes nothing.
    pub fn finish(&mut self) -> FinishReport {
        let mut report = FinishReport::default();
        self.fold_service_account_principals();
        report.expanded_from_groups = self.expand_groups();
        report.implicit_project_owners = self.add_implicit_project_owners();
        report.dangling = self.drop_dangling();
        report
    }

    /// Group members and role assignments name service accounts by their raw id as if they were
    /// users; the graph represents them once, as `service_account:<project>/<id>`.
    fn fold_service_account_principals(&mut self) {
        let by_raw: HashMap<String, ResourceKey> = self
            .resources
            .keys()
            .filter(|k| k.resource_type == ResourceType::ServiceAccount)
            .filter_map(|k| {
                k.id.split_scope()
                    .map(|(_, raw)| (raw.to_owned(), k.clone()))
            })
            .collect();
        if by_raw.is_empty() {
            return;
        }
        let unknown_user = self
            .keys
            .flags(|k| k.resource_type == ResourceType::User && !self.resources.contains_key(k));
        let moves: Vec<((EntIdx, KeyIdx), ResourceKey)> = self
            .grants
            .keys()
            .filter(|&&(_, p)| unknown_user[p as usize])
            .filter_map(|&(e, p)| {
                let key = self.keys.resolve(p);
                by_raw.get(key.id.as_str()).map(|sa| ((e, p), sa.clone()))
            })
            .collect();
        for ((e, p), sa) in moves {
            let Some(held) = self.grants.remove(&(e, p)) else {
                continue;
            };
            let to = self.keys.intern(&sa);
            if held.direct {
                self.add_grant_idx(e, held.resource, to, Origin::Direct);
            }
            for s in held.sources.iter() {
                let entitlement = self.ents.resolve(s).clone();
                self.add_grant_idx(
                    e,
                    held.resource,
                    to,
                    Origin::Via {
                        entitlement,
                        immutable: held.immutable,
                    },
                );
            }
        }
    }

    fn expand_groups(&mut self) -> usize {
        // Members per group-membership entitlement (direct holders only).
        let mut members: HashMap<EntIdx, Vec<KeyIdx>> = HashMap::default();
        for (&(e, p), h) in &self.grants {
            if h.direct
                && self.keys.resolve(h.resource).resource_type == ResourceType::Group
                && self.ents.resolve(e).slug == Slug::Member
            {
                members.entry(e).or_default().push(p);
            }
        }
        let group_held: Vec<(EntIdx, KeyIdx)> = self
            .grants
            .keys()
            .copied()
            .filter(|(_, p)| self.keys.resolve(*p).resource_type == ResourceType::Group)
            .collect();
        // Grown once to what the expansion can add at most, not doubled (and rehashed) as
        // it goes: at a million grants the rehashes cost more than the inserts.
        let at_most: usize = group_held
            .iter()
            .filter_map(|(_, p)| {
                let via = self.keys.resolve(*p).entitlement(Slug::Member);
                members.get(&self.ents.get(&via)?).map(Vec::len)
            })
            .sum();
        self.grants.reserve(at_most);
        let before = self.grants.len();
        for (e, p) in group_held {
            let via = self.keys.resolve(p).entitlement(Slug::Member);
            let via_idx = self.ents.intern(&via);
            let Some(held) = self.grants.get_mut(&(e, p)) else {
                continue;
            };
            held.expandable = Some(via_idx);
            let resource = held.resource;
            for &m in members.get(&via_idx).map(Vec::as_slice).unwrap_or(&[]) {
                let held = self.grants.entry((e, m)).or_insert_with(|| super::Held {
                    resource,
                    direct: false,
                    immutable: true,
                    expandable: None,
                    sources: super::Sources::default(),
                });
                merge(held, Some((via_idx, true)));
            }
        }
        self.grants.len() - before
    }

    fn add_implicit_project_owners(&mut self) -> usize {
        let Some(owner_ent) = self.ents.get(&EntitlementId::org_owner()) else {
            return 0;
        };
        let owners: Vec<KeyIdx> = self
            .grants
            .keys()
            .filter(|(e, p)| {
                *e == owner_ent && self.keys.resolve(*p).resource_type == ResourceType::User
            })
            .map(|(_, p)| *p)
            .collect();
        let projects: Vec<ResourceKey> = self
            .resources
            .values()
            .filter(|r| r.resource_type == ResourceType::Project)
            .filter(|r| r.profile.get("status").and_then(|s| s.as_str()) != Some("archived"))
            .map(|r| r.key())
            .collect();
        let before = self.grants.len();
        for project in &projects {
            let e = self.ents.intern(&project.entitlement(Slug::Owner));
            let r = self.keys.intern(project);
            for &o in &owners {
                let held = self.grants.entry((e, o)).or_insert_with(|| super::Held {
                    resource: r,
                    direct: false,
                    immutable: true,
                    expandable: None,
                    sources: super::Sources::default(),
                });
                merge(held, Some((owner_ent, true)));
            }
        }
        self.grants.len() - before
    }

    fn drop_dangling(&mut self) -> Vec<GrantId> {
        let ent_known = self.ents.flags(|e| self.entitlements.contains_key(e));
        let key_known = self.keys.flags(|k| self.resources.contains_key(k));
        let dangling: Vec<(EntIdx, KeyIdx)> = self
            .grants
            .keys()
            .copied()
            .filter(|&(e, p)| !ent_known[e as usize] || !key_known[p as usize])
            .collect();
        let mut ids: Vec<GrantId> = dangling
            .iter()
            .map(|(e, p)| GrantId {
                entitlement: self.ents.resolve(*e).clone(),
                principal: self.keys.resolve(*p).clone(),
            })
            .collect();
        for k in &dangling {
            self.grants.remove(k);
        }
        ids.sort_unstable_by_key(ToString::to_string);
        ids
    }
}
