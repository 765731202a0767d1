//! Finishing an org's graph: what only the whole org tells.

use super::{
    AccountType, FinishReport, GrantGraph, Origin, Resource, ResourceKey, ResourceType, Slug,
    Traits, UserStatus,
};
use crate::baton::roles;
use crate::ids::OrgId;
use std::collections::BTreeMap;

impl GrantGraph {
    /// Adds what only the whole org tells: the organization itself, the predefined org roles,
    /// every user's org membership; then expands (see [`GrantGraph::finish`]).
    pub fn finish_org(&mut self, org_id: &OrgId) -> FinishReport {
        let graph = self;
        graph.org_id = org_id.to_string();
        let org = ResourceKey::org(org_id);
        graph.set_org(&org);
        let mut profile = BTreeMap::new();
        profile.insert(
            "org_id".to_owned(),
            serde_json::Value::from(org_id.as_str()),
        );
        graph.add_resource(Resource {
            resource_type: ResourceType::Organization,
            id: org.id.clone(),
            parent: None,
            display_name: format!("OpenAI organization {org_id}"),
            description: String::new(),
            profile,
            traits: Traits::App,
        });
        for (id, name, what) in [
            (roles::OWNER, "Owner", "Can manage the organization"),
            (roles::READER, "Reader", "Can read the organization"),
        ] {
            let Some(role) = roles::predefined_org_role(id) else {
                continue;
            };
            let mut profile = BTreeMap::new();
            profile.insert("predefined".to_owned(), serde_json::Value::from(true));
            graph.add_resource(Resource {
                resource_type: ResourceType::Role,
                id: role.id,
                parent: Some(org.clone()),
                display_name: name.to_owned(),
                description: what.to_owned(),
                profile,
                traits: Traits::Role,
            });
        }
        let members: Vec<ResourceKey> = graph
            .resources()
            .filter(|r| r.resource_type == ResourceType::User)
            .filter(|r| {
                matches!(
                    r.traits,
                    Traits::User {
                        account_type: AccountType::Human,
                        status: UserStatus::Enabled,
                        ..
                    }
                )
            })
            .map(Resource::key)
            .collect();
        let entitlement = org.entitlement(Slug::Member);
        for m in members {
            graph.add_grant(&entitlement, &m, Origin::Direct);
        }
        graph.finish()
    }
}
