//! Small builders shared by the list kinds: resources with profiles, grants with origins.

use crate::baton::{EntitlementId, ResourceKey, Slug};
use crate::graph::{Origin, Resource, Traits};
use crate::messages::GrantFact;
use std::collections::BTreeMap;

/// The organization's key before its id is known; the collector re-parents at the end.
pub(super) fn org_key() -> ResourceKey {
    ResourceKey::pending_org()
}

/// A profile from optional scalars; absent values are left out rather than written as null.
#[derive(Default)]
pub(super) struct Profile(BTreeMap<String, serde_json::Value>);

impl Profile {
    pub(super) fn str(mut self, key: &str, v: Option<&str>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.to_owned(), v.into());
        }
        self
    }
    pub(super) fn int(mut self, key: &str, v: Option<i64>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.to_owned(), v.into());
        }
        self
    }
    pub(super) fn bool(mut self, key: &str, v: Option<bool>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.to_owned(), v.into());
        }
        self
    }
    pub(super) fn done(self) -> BTreeMap<String, serde_json::Value> {
        self.0
    }
}

/// The first non-empty of the candidates, else the id: names and emails may be null.
pub(super) fn display_name(candidates: &[Option<&str>], id: &str) -> String {
    candidates
        .iter()
        .flatten()
        .map(|s| s.trim())
        .find(|s| !s.is_empty())
        .unwrap_or(id)
        .to_owned()
}

pub(super) fn resource(
    key: ResourceKey,
    parent: Option<ResourceKey>,
    display_name: String,
    profile: Profile,
    traits: Traits,
) -> Resource {
    Resource {
        resource_type: key.resource_type,
        id: key.id,
        parent,
        display_name,
        description: String::new(),
        profile: profile.done(),
        traits,
    }
}

pub(super) fn grant(
    entitlement: EntitlementId,
    principal: ResourceKey,
    origin: Origin,
) -> GrantFact {
    GrantFact {
        entitlement,
        principal,
        origin,
    }
}

/// Origins from `assignment_sources`: direct when empty or when it names the principal itself;
/// one `group:<g>:member` source per group it names.
pub(super) fn origins(
    principal_id: &str,
    sources: &[crate::api::models::AssignmentSource],
) -> Vec<Origin> {
    if sources.is_empty() {
        return vec![Origin::Direct];
    }
    let mut out = Vec::new();
    for s in sources {
        match s.principal_type.as_str() {
            "group" => out.push(Origin::Via {
                entitlement: ResourceKey::new(
                    crate::baton::ResourceType::Group,
                    crate::baton::ResourceId::of(&s.principal_id),
                )
                .entitlement(Slug::Member),
                immutable: true,
            }),
            _ if s.principal_id.as_str() == principal_id => out.push(Origin::Direct),
            // A source we cannot model (e.g. a tenant-level principal): keep the grant, direct.
            _ => out.push(Origin::Direct),
        }
    }
    out.dedup();
    out
}
