//! Org and project roles, and role assignments in projects.

use super::super::error::ApiError;
use super::super::paging::{ListQuery, to_json};
use super::super::routes::Params;
use super::super::state::*;
use super::super::store::Store;
use super::Cx;
use super::common::*;
use crate::api::models::*;
use bytes::Bytes;

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
