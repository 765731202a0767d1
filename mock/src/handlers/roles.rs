//! Org and project roles, and role assignments in projects.

use super::super::error::ApiError;
use super::super::paging::{ListQuery, to_json};
use super::super::routes::Params;
use super::super::state::*;
use super::super::store::Store;
use super::Cx;
use super::common::*;
use bytes::Bytes;
use openai_access_actors::api::models::*;
use openai_access_actors::ids::RoleId;

pub fn list_org_roles(store: &Store, _: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let org = &store.org;

    roles_page(org.org_roles.iter().collect(), q)
}

pub fn retrieve_org_role(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    let r = store
        .org
        .org_roles
        .iter()
        .find(|r| r.id.as_str() == p[0])
        .ok_or_else(|| ApiError::not_found("role", p[0]))?;
    to_json(r)
}

pub fn list_project_roles(store: &Store, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    let predefined = predefined_project_roles(pr.id().as_str());
    roles_page(predefined.iter().chain(&pr.roles).collect(), q)
}

pub fn list_project_user_roles(store: &Store, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
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

pub fn assign_project_user_role(
    store: &mut Store,
    p: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let now = cx.now;

    let b: RoleIdBody = parse(body)?;
    let pi = project_index(store, p[0])?;
    let u = user_index(store, p[1])?;
    let role = project_role(store, pi, b.role_id.as_str())?;
    let user_id = store.org.users[u].id.clone();
    let pr = &mut store.org.projects[pi];
    if pr.member(&user_id).is_none() {
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
    add_user_role(&mut pr.user_roles, user_id, &role.id, now)?;
    to_json(&UserRoleAssignment {
        object: "user.role",
        user: &store.org.users[u],
        role: &role,
    })
}

pub fn unassign_project_user_role(
    store: &mut Store,
    p: Params,
    _: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let pi = project_index(store, p[0])?;
    user_index(store, p[1])?;
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
}

pub fn list_project_group_roles(
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

pub fn assign_project_group_role(
    store: &mut Store,
    p: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let now = cx.now;

    let b: RoleIdBody = parse(body)?;
    let pi = project_index(store, p[0])?;
    let g = group_index(store, p[1])?;
    let role = project_role(store, pi, b.role_id.as_str())?;
    let group_id = store.org.groups[g].group.id.clone();
    let pr = &mut store.org.projects[pi];
    let grant = pr
        .groups
        .iter_mut()
        .find(|x| x.group_id == group_id)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "Group {group_id} has no access to project {}",
                p[0]
            ))
        })?;
    if grant.role_id == role.id || grant.roles.iter().any(|a| a.role_id == role.id) {
        return Err(ApiError::conflict(format!(
            "Group {group_id} already has role {}",
            role.id
        )));
    }
    grant.roles.push(Assigned {
        role_id: role.id.clone(),
        created_at: now,
    });
    to_json(&GroupRoleAssignment {
        object: "group.role",
        group: group_ref(store, g),
        role: &role,
    })
}

pub fn unassign_project_group_role(
    store: &mut Store,
    p: Params,
    _: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let pi = project_index(store, p[0])?;
    group_index(store, p[1])?;
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
}

/// `PublicCreateOrganizationRoleBody` (org and project roles alike).
#[derive(serde::Deserialize)]
struct RoleCreate {
    role_name: String,
    permissions: Vec<String>,
    #[serde(default)]
    description: Option<String>,
}

/// `PublicUpdateOrganizationRoleBody`: both optional and nullable (null changes nothing).
#[derive(serde::Deserialize)]
struct RoleUpdate {
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
    let mut role = super::super::presets::build::custom_role(&id, &b.role_name, resource, &perms);
    if b.description.is_some() {
        role.description = b.description;
    }
    Ok(role)
}

/// Predefined roles are the API's own: they can be read and assigned, not changed.
fn custom<'a>(roles: &'a mut [Role], id: &str) -> Result<&'a mut Role, ApiError> {
    let r = roles
        .iter_mut()
        .find(|r| r.id.as_str() == id)
        .ok_or_else(|| ApiError::not_found("role", id))?;
    if r.predefined_role {
        return Err(ApiError::bad_request(format!(
            "Role {id} is predefined: only custom roles can be changed or deleted"
        )));
    }
    Ok(r)
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

pub fn create_org_role(
    store: &mut Store,
    _: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let role = new_role(parse(body)?, ORG_RESOURCE, cx)?;
    let out = to_json(&role);
    store.org.org_roles.push(role);
    out
}

pub fn update_org_role(
    store: &mut Store,
    p: Params,
    body: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let b: RoleUpdate = parse(body)?;
    update(custom(&mut store.org.org_roles, p[0])?, b)
}

/// A deleted custom org role leaves every user and group that held it.
pub fn delete_org_role(
    store: &mut Store,
    p: Params,
    _: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let org = &mut store.org;
    let id = custom(&mut org.org_roles, p[0])?.id.clone();
    org.org_roles.retain(|r| r.id != id);
    org.user_roles.retain(|a| a.role_id != id);
    for g in &mut org.groups {
        g.roles.retain(|a| a.role_id != id);
    }
    deleted("role.deleted", Some(id.as_str()))
}

pub fn retrieve_project_role(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    let r = RoleId::new(p[1])
        .ok()
        .and_then(|id| pr.role(&id))
        .ok_or_else(|| ApiError::not_found("role", p[1]))?;
    to_json(&r)
}

pub fn create_project_role(
    store: &mut Store,
    p: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let b: RoleCreate = parse(body)?;
    let pi = active_project_index(store, p[0])?;
    let role = new_role(b, PROJECT_RESOURCE, cx)?;
    let out = to_json(&role);
    store.org.projects[pi].roles.push(role);
    out
}

pub fn update_project_role(
    store: &mut Store,
    p: Params,
    body: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let b: RoleUpdate = parse(body)?;
    let pi = project_index(store, p[0])?;
    update(custom(&mut store.org.projects[pi].roles, p[1])?, b)
}

/// A deleted custom project role leaves every user and group that held it in the project;
/// a group that was added to the project with it loses its access there.
pub fn delete_project_role(
    store: &mut Store,
    p: Params,
    _: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let pi = project_index(store, p[0])?;
    let pr = &mut store.org.projects[pi];
    let id = custom(&mut pr.roles, p[1])?.id.clone();
    pr.roles.retain(|r| r.id != id);
    pr.user_roles.retain(|a| a.role_id != id);
    pr.groups.retain(|g| g.role_id != id);
    for g in &mut pr.groups {
        g.roles.retain(|a| a.role_id != id);
    }
    deleted("role.deleted", Some(id.as_str()))
}

pub fn retrieve_user_role(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    let org = &store.org;
    let u = user_index(store, p[0])?;
    let user = &org.users[u].id;
    one_assigned(
        org.user_org_roles_with(user, store.groups_of(user.as_str())),
        p[1],
    )
}

pub fn retrieve_project_user_role(
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

pub fn retrieve_project_group_role(
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
