//! The grant graph: pure data, merge and expansion, no I/O. Owned by `GrantCollector` while a
//! sync runs, then handed to the caller as a finished [`GrantGraph`].

mod expand;
pub use expand::{FinishReport, ORG_OWNER_ENTITLEMENT};
mod model;

pub use model::*;

use std::collections::HashMap;

/// Why a principal holds a grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Assigned to the principal itself.
    Direct,
    /// Inherited through another entitlement (e.g. `group:g:member`), mutable or not.
    Via {
        entitlement: String,
        immutable: bool,
    },
}

/// Resources, entitlements and grants, deduplicated by Baton id.
#[derive(Clone, Debug, Default)]
pub struct GrantGraph {
    /// The organization's resource id.
    pub org_id: String,
    resources: HashMap<ResourceKey, Resource>,
    entitlements: HashMap<String, Entitlement>,
    grants: HashMap<String, Grant>,
}

impl GrantGraph {
    pub fn new(org_id: impl Into<String>) -> Self {
        Self {
            org_id: org_id.into(),
            ..Self::default()
        }
    }

    /// Adds (or replaces) a resource together with the entitlements its type offers.
    pub fn add_resource(&mut self, resource: Resource) {
        let key = resource.key();
        for slug in resource.resource_type.slugs() {
            let id = key.entitlement_id(slug);
            if let std::collections::hash_map::Entry::Vacant(v) = self.entitlements.entry(id) {
                let ent = entitlement_for(&resource, slug, v.key().clone());
                v.insert(ent);
            }
        }
        self.resources.insert(key, resource);
    }

    /// Records that `principal` holds `entitlement` (on `resource`) for `origin`; merges with
    /// what is already known about the same grant id.
    pub fn add_grant(
        &mut self,
        entitlement: &str,
        resource: &ResourceKey,
        principal: &ResourceKey,
        origin: Origin,
    ) {
        let id = grant_id(entitlement, principal);
        let grant = self.grants.entry(id).or_insert_with_key(|id| Grant {
            id: id.clone(),
            entitlement: entitlement.to_owned(),
            resource: resource.clone(),
            principal: principal.clone(),
            direct: false,
            sources: Vec::new(),
            immutable: true,
            expandable: Vec::new(),
        });
        merge_origin(grant, origin);
    }

    /// Points every resource parented by the organization at `org_id`: crawlers learn the
    /// org id only from the role list, possibly after they saw its children.
    pub fn set_org_id(&mut self, org_id: &str) {
        for r in self.resources.values_mut() {
            if let Some(p) = r
                .parent
                .as_mut()
                .filter(|p| p.resource_type == ResourceType::Organization)
            {
                p.id = org_id.to_owned();
            }
        }
    }

    pub fn resource(&self, key: &ResourceKey) -> Option<&Resource> {
        self.resources.get(key)
    }

    pub fn entitlement(&self, id: &str) -> Option<&Entitlement> {
        self.entitlements.get(id)
    }

    pub fn grant(&self, id: &str) -> Option<&Grant> {
        self.grants.get(id)
    }

    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    pub fn entitlement_count(&self) -> usize {
        self.entitlements.len()
    }

    pub fn grant_count(&self) -> usize {
        self.grants.len()
    }

    /// Resource types that have at least one resource, in declaration order.
    pub fn resource_types(&self) -> Vec<ResourceType> {
        ResourceType::ALL
            .into_iter()
            .filter(|t| self.resources.keys().any(|k| k.resource_type == *t))
            .collect()
    }

    /// Resources sorted by (type, id): the stable order of every output.
    pub fn resources_sorted(&self) -> Vec<&Resource> {
        let mut v: Vec<_> = self.resources.values().collect();
        v.sort_unstable_by(|a, b| (a.resource_type, &a.id).cmp(&(b.resource_type, &b.id)));
        v
    }

    pub fn entitlements_sorted(&self) -> Vec<&Entitlement> {
        let mut v: Vec<_> = self.entitlements.values().collect();
        v.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        v
    }

    pub fn grants_sorted(&self) -> Vec<&Grant> {
        let mut v: Vec<_> = self.grants.values().collect();
        v.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        v
    }

    pub fn resources(&self) -> impl Iterator<Item = &Resource> {
        self.resources.values()
    }

    pub fn grants(&self) -> impl Iterator<Item = &Grant> {
        self.grants.values()
    }

    /// Counts per resource type, in declaration order.
    pub fn counts_by_type(&self) -> Vec<(ResourceType, usize)> {
        let mut counts: HashMap<ResourceType, usize> = HashMap::new();
        for k in self.resources.keys() {
            *counts.entry(k.resource_type).or_default() += 1;
        }
        ResourceType::ALL
            .into_iter()
            .map(|t| (t, counts.get(&t).copied().unwrap_or(0)))
            .collect()
    }
}

fn merge_origin(grant: &mut Grant, origin: Origin) {
    match origin {
        Origin::Direct => {
            grant.direct = true;
            grant.immutable = false;
        }
        Origin::Via {
            entitlement,
            immutable,
        } => {
            if let Err(pos) = grant.sources.binary_search(&entitlement) {
                grant.sources.insert(pos, entitlement);
            }
            // Mutable as soon as one reason for it can be changed.
            grant.immutable &= immutable;
        }
    }
}

fn entitlement_for(resource: &Resource, slug: &str, id: String) -> Entitlement {
    let (purpose, grantable_to): (Purpose, &[ResourceType]) = match (resource.resource_type, slug) {
        (ResourceType::Organization, _) => (Purpose::Assignment, &[ResourceType::User]),
        (ResourceType::Group, _) => (Purpose::Assignment, &[ResourceType::User]),
        (ResourceType::Project, "owner" | "member") => (
            Purpose::Assignment,
            &[
                ResourceType::User,
                ResourceType::ServiceAccount,
                ResourceType::Group,
            ],
        ),
        (ResourceType::Project, _) => (
            Purpose::Assignment,
            &[ResourceType::User, ResourceType::Group],
        ),
        (ResourceType::Role, _) => (
            Purpose::Assignment,
            &[ResourceType::User, ResourceType::Group],
        ),
        (ResourceType::ProjectRole, _) => (
            Purpose::Assignment,
            &[
                ResourceType::User,
                ResourceType::ServiceAccount,
                ResourceType::Group,
            ],
        ),
        _ => (Purpose::Permission, &[]),
    };
    let name = &resource.display_name;
    let (display_name, description) = match slug {
        "member" if resource.resource_type == ResourceType::Organization => (
            format!("{name} member"),
            format!("Member of the {name} organization"),
        ),
        "member" if resource.resource_type == ResourceType::Group => (
            format!("{name} member"),
            format!("Member of the {name} group"),
        ),
        "assigned" => (format!("{name} role"), format!("Has the {name} role")),
        _ => (
            format!("{name} {slug}"),
            format!("{} role on the {name} project", capitalise(slug)),
        ),
    };
    Entitlement {
        id,
        resource: resource.key(),
        slug: slug.to_owned(),
        display_name,
        description,
        purpose,
        grantable_to: grantable_to.to_vec(),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
