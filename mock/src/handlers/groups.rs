//! Groups, their members and their org roles.

use super::super::error::ApiError;
use super::super::paging::{ListQuery, page_b, take, to_json};
use super::super::routes::Params;
use super::super::state::*;
use super::super::store::Store;
use super::Cx;
use super::common::*;
use bytes::Bytes;
use openai_access_actors::api::models::*;
use openai_access_actors::ids::*;

pub fn list_groups(store: &Store, _: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let org = &store.org;

    let items = ordered(org.groups.iter().map(|g| &g.group).collect(), q.desc);
    let (data, more) = take(items.into_iter(), |g| g.id.as_str(), |_| true, q)?;
    page_b(&data, |g| g.id.as_str(), more)
}

pub fn list_group_users(store: &Store, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let g = store
        .group(p[0])
        .ok_or_else(|| ApiError::not_found("group", p[0]))?;
    let items = ordered(g.members.iter().collect(), q.desc);
    let (data, more) = take(items.into_iter(), |m| m.user_id.as_str(), |_| true, q)?;
    let data: Vec<GroupUser> = data.into_iter().map(|m| group_user(store, m)).collect();
    page_b(&data, |u| u.id.as_str(), more)
}

/// A member as the group's lists show them.
fn group_user(store: &Store, m: &Member) -> GroupUser {
    let u = store
        .user_pos(m.user_id.as_str())
        .map(|i| &store.org.users[i]);
    // `GroupUser.name` is a non-nullable string in the spec: the user's name, else what the
    // dashboard would show instead (the email, else the id).
    let name = u
        .and_then(|u| u.name.clone().or_else(|| u.email.clone()))
        .unwrap_or_else(|| m.user_id.to_string());
    GroupUser {
        id: m.user_id.clone(),
        name: Some(name),
        email: u.and_then(|u| u.email.clone()),
        is_service_account: None,
        user_type: None,
    }
}

pub fn retrieve_group(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    let g = store
        .group(p[0])
        .ok_or_else(|| ApiError::not_found("group", p[0]))?;
    to_json(&g.group)
}

pub fn retrieve_group_user(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    let g = store
        .group(p[0])
        .ok_or_else(|| ApiError::not_found("group", p[0]))?;
    let m = g
        .members
        .iter()
        .find(|m| m.user_id.as_str() == p[1])
        .ok_or_else(|| ApiError::not_found("group member", p[1]))?;
    let u = group_user(store, m);
    let sa = store
        .user_pos(m.user_id.as_str())
        .and_then(|i| store.org.users[i].is_service_account);
    // `GroupMemberUser`: the list's `GroupUser` plus three fields the mock has no more to say
    // about than the spec's defaults.
    to_json(&serde_json::json!({
        "id": u.id,
        "name": u.name,
        "email": u.email,
        "picture": null,
        "is_service_account": sa,
        "user_type": "user",
    }))
}

pub fn add_group_user(
    store: &mut Store,
    p: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let now = cx.now;

    let b: UserIdBody = parse(body)?;
    let g = group_index(store, p[0])?;
    let u = user_index(store, b.user_id.as_str())?;
    let user_id = store.org.users[u].id.clone();
    if store.org.groups[g]
        .members
        .iter()
        .any(|m| m.user_id == user_id)
    {
        return Err(ApiError::conflict(format!(
            "User {user_id} is already in group {}",
            p[0]
        )));
    }
    store.org.groups[g].members.push(Member {
        user_id: user_id.clone(),
        added_at: now,
    });
    store.joined_group(&user_id, g);
    to_json(&GroupUserAssignment {
        object: "group.user",
        user_id: user_id.as_str(),
        group_id: store.org.groups[g].group.id.as_str(),
    })
}

pub fn remove_group_user(
    store: &mut Store,
    p: Params,
    _: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let g = group_index(store, p[0])?;
    let members = &mut store.org.groups[g].members;
    let before = members.len();
    members.retain(|m| m.user_id.as_str() != p[1]);
    if members.len() == before {
        return Err(ApiError::not_found("group member", p[1]));
    }
    if let Ok(user) = UserId::new(p[1]) {
        store.left_group(&user, g);
    }
    deleted("group.user.deleted", None)
}

pub fn list_group_roles(store: &Store, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let org = &store.org;

    let g = store
        .group(p[0])
        .ok_or_else(|| ApiError::not_found("group", p[0]))?;
    assigned_page(org.group_org_roles(g), q)
}

pub fn assign_group_role(
    store: &mut Store,
    p: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let now = cx.now;

    let b: RoleIdBody = parse(body)?;
    let g = group_index(store, p[0])?;
    let role = org_role(store, b.role_id.as_str())?;
    if store.org.groups[g]
        .roles
        .iter()
        .any(|a| a.role_id == role.id)
    {
        return Err(ApiError::conflict(format!(
            "Group {} already has role {}",
            p[0], role.id
        )));
    }
    store.org.groups[g].roles.push(Assigned {
        role_id: role.id.clone(),
        created_at: now,
    });
    to_json(&GroupRoleAssignment {
        object: "group.role",
        group: group_ref(store, g),
        role: &role,
    })
}

pub fn unassign_group_role(
    store: &mut Store,
    p: Params,
    _: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let g = group_index(store, p[0])?;
    let role = org_role(store, p[1])?;
    let roles = &mut store.org.groups[g].roles;
    let before = roles.len();
    roles.retain(|a| a.role_id != role.id);
    if roles.len() == before {
        return Err(ApiError::not_found(
            "role assignment",
            &format!("{} on group {}", role.id, p[0]),
        ));
    }
    deleted("group.role.deleted", None)
}

/// `CreateGroupBody` / `UpdateGroupBody`.
#[derive(serde::Deserialize)]
struct GroupName {
    name: String,
}

pub fn create_group(
    store: &mut Store,
    _: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let b: GroupName = parse(body)?;
    check_name(&b.name, "name")?;
    let id = cx.new_id("group_");
    let group = super::super::presets::build::group(&id, &b.name, "group", false, cx.now);
    let out = to_json(&group);
    store.push_group(GroupState {
        group,
        members: Vec::new(),
        roles: Vec::new(),
    });
    out
}

pub fn update_group(
    store: &mut Store,
    p: Params,
    body: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let b: GroupName = parse(body)?;
    check_name(&b.name, "name")?;
    let g = group_index(store, p[0])?;
    let group = &mut store.org.groups[g].group;
    group.name = Some(b.name);
    to_json(group)
}

/// The group goes, and with it its members' access through it: its org roles and every
/// project's grant to it.
pub fn delete_group(store: &mut Store, p: Params, _: &[u8], _: &mut Cx) -> Result<Bytes, ApiError> {
    let g = group_index(store, p[0])?;
    let id = store.org.groups[g].group.id.clone();
    store.remove_group(g);
    for pr in &mut store.org.projects {
        pr.groups.retain(|x| x.group_id != id);
    }
    deleted("group.deleted", Some(id.as_str()))
}

pub fn retrieve_group_role(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    let g = store
        .group(p[0])
        .ok_or_else(|| ApiError::not_found("group", p[0]))?;
    one_assigned(store.org.group_org_roles(g), p[1])
}
