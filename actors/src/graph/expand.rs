//! Finishing a graph: fold service-account users, expand group grants to members, add org
//! owners' implicit project ownership, and drop grants that point at nothing.

use super::{GrantGraph, Origin, ResourceKey, ResourceType};
use std::collections::HashMap;

/// What finishing changed, for the summary and for warnings.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FinishReport {
    /// Grants added by expanding group grants to the groups' members.
    pub expanded_from_groups: usize,
    /// `project:<p>:owner` grants org owners hold only implicitly (not also directly).
    pub implicit_project_owners: usize,
    /// Grants dropped because their entitlement or principal was never seen (`id`s, sorted).
    pub dangling: Vec<String>,
}

/// The org role whose holders are implicit owners of every active project.
pub const ORG_OWNER_ENTITLEMENT: &str = "role:owner:assigned";

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
        let by_raw: HashMap<&str, &ResourceKey> = self
            .resources
            .keys()
            .filter(|k| k.resource_type == ResourceType::ServiceAccount)
            .filter_map(|k| k.id.split_once('/').map(|(_, raw)| (raw, k)))
            .collect();
        let moves: Vec<(String, ResourceKey)> = self
            .grants
            .values()
            .filter(|g| g.principal.resource_type == ResourceType::User)
            .filter(|g| !self.resources.contains_key(&g.principal))
            .filter_map(|g| {
                by_raw
                    .get(g.principal.id.as_str())
                    .map(|k| (g.id.clone(), (*k).clone()))
            })
            .collect();
        for (old_id, principal) in moves {
            if let Some(mut grant) = self.grants.remove(&old_id) {
                grant.id = super::grant_id(&grant.entitlement, &principal);
                grant.principal = principal;
                match self.grants.get_mut(&grant.id) {
                    Some(existing) => {
                        if grant.direct {
                            super::merge_origin(existing, Origin::Direct);
                        }
                        for s in grant.sources {
                            super::merge_origin(
                                existing,
                                Origin::Via {
                                    entitlement: s,
                                    immutable: grant.immutable,
                                },
                            );
                        }
                    }
                    None => {
                        self.grants.insert(grant.id.clone(), grant);
                    }
                }
            }
        }
    }

    fn expand_groups(&mut self) -> usize {
        let mut members: HashMap<String, Vec<ResourceKey>> = HashMap::new();
        for g in self.grants.values() {
            if g.resource.resource_type == ResourceType::Group
                && g.entitlement.ends_with(":member")
                && g.direct
            {
                members
                    .entry(g.entitlement.clone())
                    .or_default()
                    .push(g.principal.clone());
            }
        }
        let group_grants: Vec<(String, String, ResourceKey)> = self
            .grants
            .values_mut()
            .filter(|g| g.principal.resource_type == ResourceType::Group)
            .map(|g| {
                let via = g.principal.entitlement_id("member");
                if !g.expandable.contains(&via) {
                    g.expandable.push(via.clone());
                }
                (g.entitlement.clone(), via, g.resource.clone())
            })
            .collect();
        let before = self.grants.len();
        for (entitlement, via, resource) in group_grants {
            for member in members.get(&via).map(Vec::as_slice).unwrap_or(&[]) {
                self.add_grant(
                    &entitlement,
                    &resource,
                    member,
                    Origin::Via {
                        entitlement: via.clone(),
                        immutable: true,
                    },
                );
            }
        }
        self.grants.len() - before
    }

    fn add_implicit_project_owners(&mut self) -> usize {
        let owners: Vec<ResourceKey> = self
            .grants
            .values()
            .filter(|g| {
                g.entitlement == ORG_OWNER_ENTITLEMENT
                    && g.principal.resource_type == ResourceType::User
            })
            .map(|g| g.principal.clone())
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
            let entitlement = project.entitlement_id("owner");
            for owner in &owners {
                let origin = Origin::Via {
                    entitlement: ORG_OWNER_ENTITLEMENT.to_owned(),
                    immutable: true,
                };
                self.add_grant(&entitlement, project, owner, origin);
            }
        }
        self.grants.len() - before
    }

    fn drop_dangling(&mut self) -> Vec<String> {
        let mut dropped: Vec<String> = self
            .grants
            .values()
            .filter(|g| {
                !self.entitlements.contains_key(&g.entitlement)
                    || !self.resources.contains_key(&g.principal)
            })
            .map(|g| g.id.clone())
            .collect();
        for id in &dropped {
            self.grants.remove(id);
        }
        dropped.sort_unstable();
        dropped
    }
}
