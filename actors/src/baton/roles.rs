//! Mapping role ids onto entitlements. Predefined roles are recognised by the flag, by the id
//! shape public code shows (`role-api-organization-<name>__api-organization__<org>` and
//! `role-api-project-<name>__api-project__<project>`), or by the short aliases the API accepts.

use super::{EntitlementId, ResourceId, ResourceKey, ResourceType, Slug};
use crate::ids::{ProjectId, RoleId};

/// The predefined org roles' resource ids (a user's own `role` field).
pub const OWNER: &str = "owner";
pub const READER: &str = "reader";

const ORG_PREFIX: &str = "role-api-organization-";
const ORG_SCOPE: &str = "__api-organization__";
const PROJECT_PREFIX: &str = "role-api-project-";

/// The predefined name (`owner`, `reader`, `member`, `viewer`) of a role, if it is predefined.
pub fn predefined_name(id: &str, name: Option<&str>, predefined_flag: bool) -> Option<String> {
    let from_id = [ORG_PREFIX, PROJECT_PREFIX]
        .iter()
        .find_map(|p| id.strip_prefix(p))
        .and_then(|rest| rest.split("__").next())
        .filter(|n| !n.is_empty());
    if let Some(n) = from_id {
        return Some(n.to_ascii_lowercase());
    }
    if matches!(id, "owner" | "reader" | "member" | "viewer") {
        return Some(id.to_owned());
    }
    if predefined_flag {
        return name.map(|n| n.trim().to_ascii_lowercase());
    }
    None
}

/// The org id inside a predefined org role id.
pub fn org_id_from_role_id(id: &str) -> Option<&str> {
    id.strip_prefix(ORG_PREFIX)
        .and_then(|rest| rest.split_once(ORG_SCOPE))
        .map(|(_, org)| org)
        .filter(|o| !o.is_empty())
}

/// The `role` resource of a predefined org role's name, if it is one (`owner`, `reader`).
pub fn predefined_org_role(name: &str) -> Option<ResourceKey> {
    [OWNER, READER]
        .contains(&name)
        .then(|| ResourceKey::new(ResourceType::Role, ResourceId(name.to_owned())))
}

/// What names a role assigned to someone: its id, its name and whether the API flags it
/// predefined (an assignment as the API lists it: `api::models::AssignedRole::naming`).
#[derive(Clone, Copy, Debug)]
pub struct RoleNaming<'a> {
    pub id: &'a RoleId,
    pub name: Option<&'a str>,
    pub predefined: bool,
}

/// `role:<owner|reader|custom id>:assigned`
pub fn org_role_entitlement(role: RoleNaming<'_>) -> EntitlementId {
    predefined_name(role.id.as_str(), role.name, role.predefined)
        .and_then(|name| name.parse::<ResourceId>().ok())
        .map_or_else(
            || ResourceKey::org_role(role.id),
            |id| ResourceKey::new(ResourceType::Role, id),
        )
        .entitlement(Slug::Assigned)
}

/// `project:<p>:<owner|member|viewer>` for predefined roles, else
/// `project_role:<p>/<r>:assigned`.
pub fn project_role_entitlement(project: &ProjectId, role: RoleNaming<'_>) -> EntitlementId {
    match predefined_name(role.id.as_str(), role.name, role.predefined)
        .and_then(|name| project_slug(&name))
    {
        Some(slug) => ResourceKey::project(project).entitlement(slug),
        None => ResourceKey::project_role(project, role.id).entitlement(Slug::Assigned),
    }
}

/// The project entitlement slug of a predefined project role name or a legacy role string
/// (`owner`, `member`, `viewer`, any case).
pub fn project_slug(role: &str) -> Option<Slug> {
    match role.trim().to_ascii_lowercase().as_str() {
        "owner" => Some(Slug::Owner),
        "member" => Some(Slug::Member),
        "viewer" => Some(Slug::Viewer),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_roles_by_shape_alias_and_flag() {
        assert_eq!(
            predefined_name(
                "role-api-organization-owner__api-organization__org-1",
                None,
                false
            )
            .as_deref(),
            Some("owner")
        );
        assert_eq!(
            predefined_name("role-api-project-viewer__api-project__proj_1", None, false).as_deref(),
            Some("viewer")
        );
        assert_eq!(
            predefined_name("member", None, false).as_deref(),
            Some("member")
        );
        assert_eq!(
            predefined_name("role_01X", Some("Reader"), true).as_deref(),
            Some("reader")
        );
        assert_eq!(predefined_name("role_01X", Some("Deployer"), false), None);
        assert_eq!(
            org_id_from_role_id("role-api-organization-reader__api-organization__org-abc"),
            Some("org-abc")
        );
        assert_eq!(org_id_from_role_id("role_custom"), None);
    }

    #[test]
    fn project_roles_map_to_slugs_or_custom_roles() {
        let p: ProjectId = crate::ids::literal("proj_1");
        let member: RoleId = crate::ids::literal("role-api-project-member__api-project__proj_1");
        let pre = RoleNaming {
            id: &member,
            name: None,
            predefined: false,
        };
        assert_eq!(
            project_role_entitlement(&p, pre).to_string(),
            "project:proj_1:member"
        );
        let role_9: RoleId = crate::ids::literal("role_9");
        let custom = RoleNaming {
            id: &role_9,
            name: Some("Deployer"),
            predefined: false,
        };
        assert_eq!(
            project_role_entitlement(&p, custom).to_string(),
            "project_role:proj_1/role_9:assigned"
        );
    }
}
