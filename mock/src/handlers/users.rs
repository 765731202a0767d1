//! The org's users and their org roles.

use super::audit::assignment;
use super::common::*;
use super::path;
use super::write::{Write, as_given, never, no_body};
use crate::audit::Event;
use crate::error::ApiError;
use crate::paging::{ListQuery, bad_cursor, page_a, take_positioned, to_json};
use crate::routes::Params;
use crate::state::*;
use crate::store::Store;
use bytes::Bytes;
use openai_access_actors::api::models::*;
use openai_access_actors::endpoint::Endpoint;
use serde_json::json;

pub(super) fn list_users(store: &Store, _: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let after = q.after.as_deref();
    let org = &store.org;

    // The index turns the cursor into a position, so deep pages of 20,000 users stay cheap.
    let start = match after {
        None => 0,
        Some(a) => store.user_pos(a).ok_or_else(|| bad_cursor(a))? + usize::from(!q.inclusive),
    };
    let keep =
        |u: &&User| q.emails.is_empty() || u.email.as_ref().is_some_and(|e| q.emails.contains(e));
    let (data, more) = take_positioned(org.users[start..].iter(), |u| u.id.as_str(), keep, q)?;
    page_a(&data, |u| u.id.as_str(), more)
}

pub(super) fn retrieve_user(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    let i = store
        .user_pos(p[0])
        .ok_or_else(|| ApiError::not_found("user", p[0]))?;
    to_json(&store.org.users[i])
}

pub(super) fn list_user_roles(store: &Store, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let org = &store.org;

    let u = store
        .user_pos(p[0])
        .ok_or_else(|| ApiError::not_found("user", p[0]))?;
    let user = &org.users[u].id;
    assigned_page(
        org.user_org_roles_with(user, store.groups_of(user.as_str())),
        q,
    )
}

const SCOPE: &str = "api.organization.users.write";

/// `POST /organization/users/{user_id}`: the role asked for is found before the user is (a
/// bad role answers first).
pub(super) static MODIFY: Write<(), RoleChange, (usize, Option<String>)> = Write {
    ep: Endpoint::ModifyUser,
    scope: SCOPE,
    body: parse,
    path: path::org,
    resolve: |store, p, _, b| {
        let role = b.chosen(|id| org_role(store, id))?;
        let u = user_index(store, p[0])?;
        if let Some(role) = &role {
            check_enum(role, &["owner", "reader"], "role")?;
        }
        Ok((u, role))
    },
    duplicate: never,
    apply: |store, _, _, (u, role), _| {
        if let Some(role) = role {
            store.org.users[u].role = Some(role);
        }
        to_json(&store.org.users[u])
    },
    audit: |w| {
        vec![Event::new(
            "user.updated",
            json!({"id": w.p[0], "changes_requested": {"role": w.body("role")}}),
        )]
    },
};

/// `DELETE /organization/users/{user_id}`: the user leaves every group and project; their
/// project keys stay, inactive.
pub(super) static DELETE: Write<usize, (), ()> = Write {
    ep: Endpoint::DeleteUser,
    scope: SCOPE,
    body: no_body,
    path: path::user,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, u, (), _| {
        if store.org.users[u].is_service_account() {
            return Err(ApiError::bad_request(
                "Service account users are removed by deleting the service account in its project",
            ));
        }
        let id = store.org.users.remove(u).id;
        let org = &mut store.org;
        org.user_roles.retain(|a| a.user_id != id);
        for g in &mut org.groups {
            g.members.retain(|m| m.user_id != id);
        }
        for pr in &mut org.projects {
            pr.users.retain(|m| m.user_id != id);
            pr.user_roles.retain(|a| a.user_id != id);
            for k in &mut pr.api_keys {
                if matches!(&k.owner, KeyOwner::User(o) if *o == id) {
                    k.owner_project_access = "inactive".into();
                }
            }
        }
        store.forget_user(&id);
        deleted("organization.user.deleted", Some(id.as_str()))
    },
    audit: |w| vec![Event::new("user.deleted", json!({"id": w.p[0]}))],
};

/// `POST /organization/users/{user_id}/roles`: a custom org role, held directly.
pub(super) static ASSIGN_ROLE: Write<usize, RoleIdBody, Role> = Write {
    ep: Endpoint::AssignUserRole,
    scope: SCOPE,
    body: parse,
    path: path::user,
    resolve: |store, _, _, b| {
        let role = org_role(store, b.role_id.as_str())?;
        if role.predefined_role {
            return Err(ApiError::bad_request(
                "Predefined org roles are the user's role: change it with POST /organization/users/{user_id}",
            )
            .param("role_id"));
        }
        Ok(role)
    },
    duplicate: |store, _, &u, role| {
        held_role(&store.org.user_roles, &store.org.users[u].id, &role.id)
    },
    apply: |store, _, u, role, cx| {
        let user_id = store.org.users[u].id.clone();
        store.org.user_roles.push(UserRole {
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
        vec![assignment(
            "role.assignment.created",
            w.p[0],
            "user",
            w.org,
            "organization",
        )]
    },
};

/// `DELETE /organization/users/{user_id}/roles/{role_id}`: only a direct assignment.
pub(super) static UNASSIGN_ROLE: Write<usize, (), ()> = Write {
    ep: Endpoint::UnassignUserRole,
    scope: SCOPE,
    body: no_body,
    path: path::user,
    resolve: as_given,
    duplicate: never,
    apply: |store, p, u, (), _| {
        let role = org_role(store, p[1])?;
        let user_id = store.org.users[u].id.clone();
        let before = store.org.user_roles.len();
        store
            .org
            .user_roles
            .retain(|a| !(a.user_id == user_id && a.role_id == role.id));
        if store.org.user_roles.len() == before {
            return Err(ApiError::not_found(
                "role assignment",
                &format!(
                    "{} on user {user_id} (roles inherited from a group are removed from the group)",
                    role.id
                ),
            ));
        }
        deleted("user.role.deleted", None)
    },
    audit: |w| {
        vec![assignment(
            "role.assignment.deleted",
            w.p[0],
            "user",
            w.org,
            "organization",
        )]
    },
};
