//! A project's members: who is in it, with which predefined role.

use super::common::*;
use super::path;
use super::write::{Write, as_given, never, no_body};
use crate::audit::Event;
use crate::error::ApiError;
use crate::paging::{ListQuery, page_a, take, to_json};
use crate::routes::Params;
use crate::state::*;
use crate::store::Store;
use bytes::Bytes;
use openai_access_actors::api::models::*;
use openai_access_actors::endpoint::Endpoint;
use openai_access_actors::ids::UserId;
use serde_json::json;

pub(super) fn list_project_users(
    store: &Store,
    p: Params,
    q: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = active_project(store, p[0])?;
    let (data, more) = take(pr.users.iter(), |m| m.user_id.as_str(), |_| true, q)?;
    let data: Vec<ProjectUser> = data.into_iter().map(|m| project_user(store, m)).collect();
    page_a(&data, |u| u.id.as_str(), more)
}

pub(super) fn retrieve_project_user(
    store: &Store,
    p: Params,
    _: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = active_project(store, p[0])?;
    let m = pr
        .users
        .iter()
        .find(|m| m.user_id.as_str() == p[1])
        .ok_or_else(|| ApiError::not_found("project user", p[1]))?;
    to_json(&project_user(store, m))
}

const MEMBERS: &str = "api.organization.projects.users.write";

/// `POST /organization/projects/{project_id}/users`: a member of the org (by id or email),
/// not a service account's user, not yet in the project.
pub(super) static ADD: Write<usize, AddProjectUserBody, (UserId, String)> = Write {
    ep: Endpoint::AddProjectUser,
    scope: MEMBERS,
    body: parse,
    path: path::active_project,
    resolve: |store, p, &pi, b| {
        check_enum(&b.role, &["owner", "member", "viewer"], "role")?;
        let u = match (&b.user_id, &b.email) {
            (Some(id), _) => store.user_pos(id),
            (None, Some(e)) => store.org.users.iter().position(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(e))
            }),
            (None, None) => {
                return Err(
                    ApiError::bad_request("One of 'user_id' or 'email' is required")
                        .param("user_id"),
                );
            }
        };
        let who = b.user_id.or(b.email).unwrap_or_default();
        let u = u.ok_or_else(|| {
            ApiError::bad_request(format!("User {who} is not a member of the organization"))
                .param("user_id")
        })?;
        let user = &store.org.users[u];
        if user.is_service_account() {
            return Err(
                ApiError::bad_request(format!("{who} is a service account")).param("user_id")
            );
        }
        let user_id = user.id.clone();
        if store.org.projects[pi].member(&user_id).is_some() {
            return Err(ApiError::bad_request(format!(
                "User {user_id} is already a member of project {}",
                p[0]
            )));
        }
        Ok((user_id, b.role))
    },
    duplicate: never,
    apply: |store, _, pi, (user_id, role), cx| {
        let m = ProjectMember {
            user_id,
            role,
            added_at: cx.now,
        };
        let out = to_json(&project_user(store, &m));
        store.org.projects[pi].users.push(m);
        out
    },
    audit: |w| {
        vec![
            Event::new(
                "user.added",
                json!({"id": w.reply("id"), "data": {"role": w.body("role")}}),
            )
            .in_project(w.p[0]),
        ]
    },
};

/// `POST /organization/projects/{project_id}/users/{user_id}`: a member's predefined role.
pub(super) static MODIFY: Write<usize, RoleChange, (usize, Option<String>)> = Write {
    ep: Endpoint::ModifyProjectUser,
    scope: MEMBERS,
    body: parse,
    path: path::active_project,
    resolve: |store, p, &pi, b| {
        let role = b.chosen(|id| project_role(store, pi, id))?;
        if let Some(role) = &role {
            check_enum(role, &["owner", "member", "viewer"], "role")?;
        }
        let m = position_of(
            &store.org.projects[pi].users,
            |m| m.user_id.as_str(),
            p[1],
            "project user",
        )?;
        Ok((m, role))
    },
    duplicate: never,
    apply: |store, _, pi, (m, role), _| {
        let m = &mut store.org.projects[pi].users[m];
        if let Some(role) = role {
            m.role = role;
        }
        let m = m.clone();
        to_json(&project_user(store, &m))
    },
    audit: |w| {
        vec![
            Event::new(
                "user.updated",
                json!({"id": w.p[1], "changes_requested": {"role": w.body("role")}}),
            )
            .in_project(w.p[0]),
        ]
    },
};

/// `DELETE /organization/projects/{project_id}/users/{user_id}`: the member's keys stay, but
/// the owner no longer has access to the project.
pub(super) static REMOVE: Write<usize, (), ()> = Write {
    ep: Endpoint::RemoveProjectUser,
    scope: MEMBERS,
    body: no_body,
    path: path::active_project,
    resolve: as_given,
    duplicate: never,
    apply: |store, p, pi, (), _| {
        let pr = &mut store.org.projects[pi];
        let before = pr.users.len();
        pr.users.retain(|m| m.user_id.as_str() != p[1]);
        if pr.users.len() == before {
            return Err(ApiError::not_found("project user", p[1]));
        }
        pr.user_roles.retain(|a| a.user_id.as_str() != p[1]);
        for k in &mut pr.api_keys {
            if matches!(&k.owner, KeyOwner::User(o) if o.as_str() == p[1]) {
                k.owner_project_access = "inactive".into();
            }
        }
        deleted("organization.project.user.deleted", Some(p[1]))
    },
    audit: |w| vec![Event::new("user.deleted", json!({"id": w.p[1]})).in_project(w.p[0])],
};
