//! Groups, their members and their org roles.

use super::audit::assignment;
use super::common::*;
use super::path;
use super::write::{Write, as_given, never, no_body, unlogged};
use crate::audit::Event;
use crate::error::ApiError;
use crate::paging::{ListQuery, page_b, take, to_json};
use crate::presets::build;
use crate::routes::Params;
use crate::state::*;
use crate::store::Store;
use bytes::Bytes;
use openai_access_actors::api::models::*;
use openai_access_actors::endpoint::Endpoint;
use openai_access_actors::ids::*;
use serde_json::json;

pub(super) fn list_groups(store: &Store, _: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let org = &store.org;

    let items = ordered(org.groups.iter().map(|g| &g.group).collect(), q.desc);
    let (data, more) = take(items.into_iter(), |g| g.id.as_str(), |_| true, q)?;
    page_b(&data, |g| g.id.as_str(), more)
}

pub(super) fn list_group_users(store: &Store, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
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

pub(super) fn retrieve_group(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    let g = store
        .group(p[0])
        .ok_or_else(|| ApiError::not_found("group", p[0]))?;
    to_json(&g.group)
}

pub(super) fn retrieve_group_user(
    store: &Store,
    p: Params,
    _: &ListQuery,
) -> Result<Bytes, ApiError> {
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

const SCOPE: &str = "api.groups.write";

/// `POST /organization/groups/{group_id}/users`.
pub(super) static ADD_USER: Write<usize, UserIdBody, usize> = Write {
    ep: Endpoint::AddGroupUser,
    scope: SCOPE,
    body: parse,
    path: path::group,
    resolve: |store, _, _, b| user_index(store, b.user_id.as_str()),
    duplicate: |store, p, &g, &u| {
        let user_id = &store.org.users[u].id;
        store.org.groups[g]
            .members
            .iter()
            .any(|m| &m.user_id == user_id)
            .then(|| format!("User {user_id} is already in group {}", p[0]))
    },
    apply: |store, _, g, u, cx| {
        let user_id = store.org.users[u].id.clone();
        store.org.groups[g].members.push(Member {
            user_id: user_id.clone(),
            added_at: cx.now,
        });
        store.joined_group(&user_id, g);
        to_json(&GroupUserAssignment {
            object: "group.user",
            user_id: user_id.as_str(),
            group_id: store.org.groups[g].group.id.as_str(),
        })
    },
    audit: unlogged,
};

/// `DELETE /organization/groups/{group_id}/users/{user_id}`.
pub(super) static REMOVE_USER: Write<usize, (), ()> = Write {
    ep: Endpoint::RemoveGroupUser,
    scope: SCOPE,
    body: no_body,
    path: path::group,
    resolve: as_given,
    duplicate: never,
    apply: |store, p, g, (), _| {
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
    },
    audit: unlogged,
};

pub(super) fn list_group_roles(store: &Store, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let org = &store.org;

    let g = store
        .group(p[0])
        .ok_or_else(|| ApiError::not_found("group", p[0]))?;
    assigned_page(org.group_org_roles(g), q)
}

/// `POST /organization/groups/{group_id}/roles`: an org role, predefined or custom.
pub(super) static ASSIGN_ROLE: Write<usize, RoleIdBody, Role> = Write {
    ep: Endpoint::AssignGroupRole,
    scope: SCOPE,
    body: parse,
    path: path::group,
    resolve: |store, _, _, b| org_role(store, b.role_id.as_str()),
    duplicate: |store, p, &g, role| {
        store.org.groups[g]
            .roles
            .iter()
            .any(|a| a.role_id == role.id)
            .then(|| format!("Group {} already has role {}", p[0], role.id))
    },
    apply: |store, _, g, role, cx| {
        store.org.groups[g].roles.push(Assigned {
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
        vec![assignment(
            "role.assignment.created",
            w.p[0],
            "group",
            w.org,
            "organization",
        )]
    },
};

/// `DELETE /organization/groups/{group_id}/roles/{role_id}`.
pub(super) static UNASSIGN_ROLE: Write<usize, (), ()> = Write {
    ep: Endpoint::UnassignGroupRole,
    scope: SCOPE,
    body: no_body,
    path: path::group,
    resolve: as_given,
    duplicate: never,
    apply: |store, p, g, (), _| {
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
    },
    audit: |w| {
        vec![assignment(
            "role.assignment.deleted",
            w.p[0],
            "group",
            w.org,
            "organization",
        )]
    },
};

/// `CreateGroupBody` / `UpdateGroupBody`.
#[derive(serde::Deserialize)]
pub(super) struct GroupName {
    name: String,
}

/// Both bodies name the group, within the spec's bounds.
fn group_name(body: &[u8]) -> Result<GroupName, ApiError> {
    let b: GroupName = parse(body)?;
    check_name(&b.name, "name")?;
    Ok(b)
}

/// `POST /organization/groups`.
pub(super) static CREATE: Write<(), GroupName, GroupName> = Write {
    ep: Endpoint::CreateGroup,
    scope: SCOPE,
    body: group_name,
    path: path::org,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, (), b, cx| {
        let id = cx.new_id("group_");
        let group = build::group(&id, &b.name, "group", false, cx.now);
        let out = to_json(&group);
        store.push_group(GroupState {
            group,
            members: Vec::new(),
            roles: Vec::new(),
        });
        out
    },
    audit: |w| {
        vec![Event::new(
            "group.created",
            json!({"id": w.reply("id"), "data": {"group_name": w.body("name")}}),
        )]
    },
};

/// `POST /organization/groups/{group_id}`: a new name.
pub(super) static UPDATE: Write<usize, GroupName, GroupName> = Write {
    ep: Endpoint::UpdateGroup,
    scope: SCOPE,
    body: group_name,
    path: path::group,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, g, b, _| {
        let group = &mut store.org.groups[g].group;
        group.name = Some(b.name);
        to_json(group)
    },
    audit: |w| {
        vec![Event::new(
            "group.updated",
            json!({"id": w.p[0], "changes_requested": {"group_name": w.body("name")}}),
        )]
    },
};

/// `DELETE /organization/groups/{group_id}`: the group goes, and with it its members' access
/// through it: its org roles and every project's grant to it.
pub(super) static DELETE: Write<usize, (), ()> = Write {
    ep: Endpoint::DeleteGroup,
    scope: SCOPE,
    body: no_body,
    path: path::group,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, g, (), _| {
        let id = store.org.groups[g].group.id.clone();
        store.remove_group(g);
        for pr in &mut store.org.projects {
            pr.groups.retain(|x| x.group_id != id);
        }
        deleted("group.deleted", Some(id.as_str()))
    },
    audit: |w| vec![Event::new("group.deleted", json!({"id": w.p[0]}))],
};

pub(super) fn retrieve_group_role(
    store: &Store,
    p: Params,
    _: &ListQuery,
) -> Result<Bytes, ApiError> {
    let g = store
        .group(p[0])
        .ok_or_else(|| ApiError::not_found("group", p[0]))?;
    one_assigned(store.org.group_org_roles(g), p[1])
}
