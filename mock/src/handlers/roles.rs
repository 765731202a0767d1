//! Org and project roles, and role assignments in projects.

use super::Cx;
use super::audit::{Written, assignment, group_unassigned_in_project};
use super::common::*;
use super::path;
use super::write::{Write, as_given, never, no_body};
use crate::audit::Event;
use crate::error::ApiError;
use crate::paging::{ListQuery, to_json};
use crate::routes::Params;
use crate::state::*;
use crate::store::Store;
use bytes::Bytes;
use openai_access_actors::api::models::*;
use openai_access_actors::endpoint::Endpoint;
use openai_access_actors::ids::RoleId;
use serde_json::json;

pub(super) fn list_org_roles(store: &Store, _: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let org = &store.org;

    roles_page(org.org_roles.iter().collect(), q)
}

pub(super) fn retrieve_org_role(
    store: &Store,
    p: Params,
    _: &ListQuery,
) -> Result<Bytes, ApiError> {
    let r = store
        .org
        .org_roles
        .iter()
        .find(|r| r.id.as_str() == p[0])
        .ok_or_else(|| ApiError::not_found("role", p[0]))?;
    to_json(r)
}

pub(super) fn list_project_roles(
    store: &Store,
    p: Params,
    q: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    let predefined = predefined_project_roles(pr.id().as_str());
    roles_page(predefined.iter().chain(&pr.roles).collect(), q)
}

pub(super) fn list_project_user_roles(
    store: &Store,
    p: Params,
    q: &ListQuery,
) -> Result<Bytes, ApiError> {
    let org = &store.org;

    let pr = project(store, p[0])?;
    let u = store
        .user_pos(p[1])
        .ok_or_else(|| ApiError::not_found("user", p[1]))?;
    let user = &org.users[u].id;
    assigned_page(
        pr.user_roles_with(user, |g| store.in_group(user.as_str(), g.as_str())),
        q,
    )
}

const PROJECT_ROLES: &str = "api.projects.roles.write";

/// `POST /projects/{project_id}/users/{user_id}/roles`: a custom project role, for a member.
pub(super) static ASSIGN_PROJECT_USER_ROLE: Write<(usize, usize), RoleIdBody, Role> = Write {
    ep: Endpoint::AssignProjectUserRole,
    scope: PROJECT_ROLES,
    body: parse,
    path: path::project_user,
    resolve: |store, p, &(pi, u), b| {
        let role = project_role_by_id(store, pi, b.role_id.as_str())?;
        let user_id = &store.org.users[u].id;
        if store.org.projects[pi].member(user_id).is_none() {
            return Err(ApiError::bad_request(format!(
                "User {user_id} is not a member of project {}",
                p[0]
            ))
            .param("user_id"));
        }
        if role.predefined_role {
            return Err(ApiError::bad_request(
                "Predefined project roles are the member's role: change it with POST /organization/projects/{project_id}/users/{user_id}",
            )
            .param("role_id"));
        }
        Ok(role)
    },
    duplicate: |store, _, &(pi, u), role| {
        held_role(
            &store.org.projects[pi].user_roles,
            &store.org.users[u].id,
            &role.id,
        )
    },
    apply: |store, _, (pi, u), role, cx| {
        let user_id = store.org.users[u].id.clone();
        store.org.projects[pi].user_roles.push(UserRole {
            user_id,
            role_id: role.id.clone(),
            created_at: cx.now,
        });
        to_json(&UserRoleAssignment {
            object: "user.role",
            user: &store.org.users[u],
            role: &role,
        })
    },
    audit: |w| {
        vec![
            assignment("role.assignment.created", w.p[1], "user", w.p[0], "project")
                .in_project(w.p[0]),
        ]
    },
};

/// `DELETE /projects/{project_id}/users/{user_id}/roles/{role_id}`.
pub(super) static UNASSIGN_PROJECT_USER_ROLE: Write<(usize, usize), (), ()> = Write {
    ep: Endpoint::UnassignProjectUserRole,
    scope: PROJECT_ROLES,
    body: no_body,
    path: path::project_user,
    resolve: as_given,
    duplicate: never,
    apply: |store, p, (pi, _), (), _| {
        let role = project_role(store, pi, p[2])?;
        let pr = &mut store.org.projects[pi];
        let before = pr.user_roles.len();
        pr.user_roles
            .retain(|a| !(a.user_id.as_str() == p[1] && a.role_id == role.id));
        if pr.user_roles.len() == before {
            return Err(ApiError::not_found(
                "role assignment",
                &format!("{} on user {}", role.id, p[1]),
            ));
        }
        deleted("user.role.deleted", None)
    },
    audit: |w| {
        vec![
            assignment("role.assignment.deleted", w.p[1], "user", w.p[0], "project")
                .in_project(w.p[0]),
        ]
    },
};

pub(super) fn list_project_group_roles(
    store: &Store,
    p: Params,
    q: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    let g = store
        .group(p[1])
        .ok_or_else(|| ApiError::not_found("group", p[1]))?;
    assigned_page(pr.group_roles(&g.group.id), q)
}

/// `POST /projects/{project_id}/groups/{group_id}/roles`: a further role for a group that
/// has access to the project.
pub(super) static ASSIGN_PROJECT_GROUP_ROLE: Write<(usize, usize), RoleIdBody, (usize, Role)> =
    Write {
        ep: Endpoint::AssignProjectGroupRole,
        scope: PROJECT_ROLES,
        body: parse,
        path: path::project_group,
        resolve: |store, p, &(pi, g), b| {
            let role = project_role_by_id(store, pi, b.role_id.as_str())?;
            let group_id = &store.org.groups[g].group.id;
            let grant = store.org.projects[pi]
                .groups
                .iter()
                .position(|x| &x.group_id == group_id)
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "Group {group_id} has no access to project {}",
                        p[0]
                    ))
                })?;
            Ok((grant, role))
        },
        duplicate: |store, _, &(pi, g), (grant, role)| {
            let grant = &store.org.projects[pi].groups[*grant];
            (grant.role_id == role.id || grant.roles.iter().any(|a| a.role_id == role.id)).then(
                || {
                    format!(
                        "Group {} already has role {}",
                        store.org.groups[g].group.id, role.id
                    )
                },
            )
        },
        apply: |store, _, (pi, g), (grant, role), cx| {
            store.org.projects[pi].groups[grant].roles.push(Assigned {
                role_id: role.id.clone(),
                created_at: cx.now,
            });
            to_json(&GroupRoleAssignment {
                object: "group.role",
                group: group_ref(store, g),
                role: &role,
            })
        },
        audit: |w| {
            vec![
                assignment(
                    "role.assignment.created",
                    w.p[1],
                    "group",
                    w.p[0],
                    "project",
                )
                .in_project(w.p[0]),
            ]
        },
    };

/// `DELETE /projects/{project_id}/groups/{group_id}/roles/{role_id}`: not the role the group
/// was added with.
pub(super) static UNASSIGN_PROJECT_GROUP_ROLE: Write<(usize, usize), (), ()> = Write {
    ep: Endpoint::UnassignProjectGroupRole,
    scope: PROJECT_ROLES,
    body: no_body,
    path: path::project_group,
    resolve: as_given,
    duplicate: never,
    apply: |store, p, (pi, _), (), _| {
        let role = project_role(store, pi, p[2])?;
        let pr = &mut store.org.projects[pi];
        let grant = pr
            .groups
            .iter_mut()
            .find(|x| x.group_id.as_str() == p[1])
            .ok_or_else(|| ApiError::not_found("project group", p[1]))?;
        if grant.role_id == role.id {
            return Err(ApiError::bad_request(
                "This is the role the group was added with: remove the group from the project instead",
            ));
        }
        let before = grant.roles.len();
        grant.roles.retain(|a| a.role_id != role.id);
        if grant.roles.len() == before {
            return Err(ApiError::not_found(
                "role assignment",
                &format!("{} on group {}", role.id, p[1]),
            ));
        }
        deleted("group.role.deleted", None)
    },
    audit: group_unassigned_in_project,
};

/// `PublicCreateOrganizationRoleBody` (org and project roles alike).
#[derive(serde::Deserialize)]
pub(super) struct RoleCreate {
    role_name: String,
    permissions: Vec<String>,
    #[serde(default)]
    description: Option<String>,
}

/// `PublicUpdateOrganizationRoleBody`: both optional and nullable (null changes nothing).
#[derive(serde::Deserialize)]
pub(super) struct RoleUpdate {
    #[serde(default)]
    role_name: Option<String>,
    #[serde(default)]
    permissions: Option<Vec<String>>,
    #[serde(default)]
    description: Option<String>,
}

fn new_role(b: RoleCreate, resource: &str, cx: &mut Cx) -> Result<Role, ApiError> {
    if b.role_name.trim().is_empty() {
        return Err(
            ApiError::bad_request("Invalid 'role_name': must not be empty").param("role_name"),
        );
    }
    let id = cx.new_id("role_");
    let perms: Vec<&str> = b.permissions.iter().map(String::as_str).collect();
    let mut role = crate::presets::build::custom_role(&id, &b.role_name, resource, &perms);
    if b.description.is_some() {
        role.description = b.description;
    }
    Ok(role)
}

fn update(r: &mut Role, b: RoleUpdate) -> Result<Bytes, ApiError> {
    if let Some(n) = b.role_name {
        r.name = Some(n);
    }
    if let Some(p) = b.permissions {
        r.permissions = p;
    }
    if let Some(d) = b.description {
        r.description = Some(d);
    }
    to_json(r)
}

const ORG_ROLES: &str = "api.organization.roles.write";

/// What the log says of a role created or changed: the role as answered, and where it is.
fn role_event(kind: &str, w: &Written, resource_type: &str, resource_id: &str) -> Event {
    Event::new(
        kind,
        json!({"id": w.reply("id"), "role_name": w.reply("name"), "permissions": w.reply.get("permissions"), "resource_type": resource_type, "resource_id": resource_id}),
    )
}

/// `POST /organization/roles`.
pub(super) static CREATE_ORG_ROLE: Write<(), RoleCreate, RoleCreate> = Write {
    ep: Endpoint::CreateOrgRole,
    scope: ORG_ROLES,
    body: parse,
    path: path::org,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, (), b, cx| {
        let role = new_role(b, ORG_RESOURCE, cx)?;
        let out = to_json(&role);
        store.org.org_roles.push(role);
        out
    },
    audit: |w| vec![role_event("role.created", w, "organization", w.org)],
};

/// `POST /organization/roles/{role_id}`.
pub(super) static UPDATE_ORG_ROLE: Write<usize, RoleUpdate, RoleUpdate> = Write {
    ep: Endpoint::UpdateOrgRole,
    scope: ORG_ROLES,
    body: parse,
    path: path::custom_org_role,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, r, b, _| update(&mut store.org.org_roles[r], b),
    audit: |w| vec![role_event("role.updated", w, "organization", w.org)],
};

/// `DELETE /organization/roles/{role_id}`: every user and group that held it loses it.
pub(super) static DELETE_ORG_ROLE: Write<usize, (), ()> = Write {
    ep: Endpoint::DeleteOrgRole,
    scope: ORG_ROLES,
    body: no_body,
    path: path::custom_org_role,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, r, (), _| {
        let org = &mut store.org;
        let id = org.org_roles[r].id.clone();
        org.org_roles.retain(|r| r.id != id);
        org.user_roles.retain(|a| a.role_id != id);
        for g in &mut org.groups {
            g.roles.retain(|a| a.role_id != id);
        }
        deleted("role.deleted", Some(id.as_str()))
    },
    audit: |w| vec![Event::new("role.deleted", json!({"id": w.p[0]}))],
};

pub(super) fn retrieve_project_role(
    store: &Store,
    p: Params,
    _: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    let r = RoleId::new(p[1])
        .ok()
        .and_then(|id| pr.role(&id))
        .ok_or_else(|| ApiError::not_found("role", p[1]))?;
    to_json(&r)
}

/// `POST /projects/{project_id}/roles`.
pub(super) static CREATE_PROJECT_ROLE: Write<usize, RoleCreate, RoleCreate> = Write {
    ep: Endpoint::CreateProjectRole,
    scope: PROJECT_ROLES,
    body: parse,
    path: path::active_project,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, pi, b, cx| {
        let role = new_role(b, PROJECT_RESOURCE, cx)?;
        let out = to_json(&role);
        store.org.projects[pi].roles.push(role);
        out
    },
    audit: |w| vec![role_event("role.created", w, "project", w.p[0]).in_project(w.p[0])],
};

/// `POST /projects/{project_id}/roles/{role_id}`.
pub(super) static UPDATE_PROJECT_ROLE: Write<(usize, usize), RoleUpdate, RoleUpdate> = Write {
    ep: Endpoint::UpdateProjectRole,
    scope: PROJECT_ROLES,
    body: parse,
    path: path::custom_project_role,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, (pi, r), b, _| update(&mut store.org.projects[pi].roles[r], b),
    audit: |w| vec![role_event("role.updated", w, "project", w.p[0]).in_project(w.p[0])],
};

/// `DELETE /projects/{project_id}/roles/{role_id}`: every user and group that held it in the
/// project loses it; a group that was added to the project with it loses its access there.
pub(super) static DELETE_PROJECT_ROLE: Write<(usize, usize), (), ()> = Write {
    ep: Endpoint::DeleteProjectRole,
    scope: PROJECT_ROLES,
    body: no_body,
    path: path::custom_project_role,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, (pi, r), (), _| {
        let pr = &mut store.org.projects[pi];
        let id = pr.roles[r].id.clone();
        pr.roles.retain(|r| r.id != id);
        pr.user_roles.retain(|a| a.role_id != id);
        pr.groups.retain(|g| g.role_id != id);
        for g in &mut pr.groups {
            g.roles.retain(|a| a.role_id != id);
        }
        deleted("role.deleted", Some(id.as_str()))
    },
    audit: |w| vec![Event::new("role.deleted", json!({"id": w.p[1]})).in_project(w.p[0])],
};

pub(super) fn retrieve_user_role(
    store: &Store,
    p: Params,
    _: &ListQuery,
) -> Result<Bytes, ApiError> {
    let org = &store.org;
    let u = user_index(store, p[0])?;
    let user = &org.users[u].id;
    one_assigned(
        org.user_org_roles_with(user, store.groups_of(user.as_str())),
        p[1],
    )
}

pub(super) fn retrieve_project_user_role(
    store: &Store,
    p: Params,
    _: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    let u = user_index(store, p[1])?;
    let user = &store.org.users[u].id;
    one_assigned(
        pr.user_roles_with(user, |g| store.in_group(user.as_str(), g.as_str())),
        p[2],
    )
}

pub(super) fn retrieve_project_group_role(
    store: &Store,
    p: Params,
    _: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    let g = store
        .group(p[1])
        .ok_or_else(|| ApiError::not_found("group", p[1]))?;
    one_assigned(pr.group_roles(&g.group.id), p[2])
}
