//! Read handlers: every list the connector crawls, plus retrieving one invite.

use super::error::ApiError;
use super::paging::{ListQuery, bad_cursor, page_a, page_b, take, to_json};
use super::state::{ApiKey, KeyOwner, ProjectMember, ProjectState, predefined_project_roles};
use super::store::Store;
use crate::api::models::{
    ApiKeyOwner, ApiKeyOwnerRef, AssignedRole, GroupUser, ProjectApiKey, ProjectGroup, ProjectUser,
    Role, User,
};
use crate::endpoint::Endpoint;
use crate::ids::PrincipalId;
use bytes::Bytes;
use serde::Serialize;

/// `AssignedRoleDetails` as the spec requires it: two nullable fields the shared model does
/// not carry are written as nulls.
#[derive(Serialize)]
struct AssignedOut<'a> {
    #[serde(flatten)]
    role: &'a AssignedRole,
    created_by_user_obj: Option<()>,
    metadata: Option<()>,
}

pub fn retrieve_invite(store: &Store, id: &str) -> Result<Bytes, ApiError> {
    let i = store
        .invite_pos(id)
        .ok_or_else(|| ApiError::not_found("invite", id))?;
    to_json(&store.org.invites[i])
}

pub fn list(store: &Store, ep: Endpoint, p: [&str; 3], q: &ListQuery) -> Result<Bytes, ApiError> {
    let after = q.after.as_deref();
    let org = &store.org;
    match ep {
        Endpoint::ListUsers => {
            // The index turns the cursor into a position, so deep pages of 20,000 users stay cheap.
            let start = match after {
                None => 0,
                Some(a) => store.user_pos(a).ok_or_else(|| bad_cursor(a))? + 1,
            };
            let keep = |u: &&User| {
                q.emails.is_empty() || u.email.as_ref().is_some_and(|e| q.emails.contains(e))
            };
            let (data, more) = take(
                org.users[start..].iter(),
                |u| u.id.as_str(),
                keep,
                None,
                q.limit,
            )?;
            page_a(&data, |u| u.id.as_str(), more)
        }
        Endpoint::ListInvites => {
            let start = match after {
                None => 0,
                Some(a) => store.invite_pos(a).ok_or_else(|| bad_cursor(a))? + 1,
            };
            let (data, more) = take(
                org.invites[start..].iter(),
                |i| i.id.as_str(),
                |_| true,
                None,
                q.limit,
            )?;
            page_a(&data, |i| i.id.as_str(), more)
        }
        Endpoint::ListProjects => {
            let start = match after {
                None => 0,
                Some(a) => store.project_pos(a).ok_or_else(|| bad_cursor(a))? + 1,
            };
            let keep = |p: &&ProjectState| q.include_archived || !p.is_archived();
            let (data, more) = take(
                org.projects[start..].iter(),
                |p| p.id().as_str(),
                keep,
                None,
                q.limit,
            )?;
            let data: Vec<_> = data.into_iter().map(|p| &p.project).collect();
            page_a(&data, |p| p.id.as_str(), more)
        }
        Endpoint::ListProjectUsers => {
            let pr = active_project(store, p[0])?;
            let (data, more) = take(
                pr.users.iter(),
                |m| m.user_id.as_str(),
                |_| true,
                after,
                q.limit,
            )?;
            let data: Vec<ProjectUser> = data.into_iter().map(|m| project_user(store, m)).collect();
            page_a(&data, |u| u.id.as_str(), more)
        }
        Endpoint::ListProjectServiceAccounts => {
            let pr = active_project(store, p[0])?;
            let (data, more) = take(
                pr.service_accounts.iter(),
                |s| s.id.as_str(),
                |_| true,
                after,
                q.limit,
            )?;
            page_a(&data, |s| s.id.as_str(), more)
        }
        Endpoint::ListProjectApiKeys => {
            let pr = project(store, p[0])?;
            let want = match q.owner_project_access.as_deref() {
                None | Some("active") => Some("active"),
                Some("inactive") => Some("inactive"),
                Some("any") => None,
                Some(other) => {
                    return Err(ApiError::bad_request(format!(
                        "Invalid 'owner_project_access': {other:?}, expected active, inactive or any"
                    ))
                    .param("owner_project_access"));
                }
            };
            let keep = |k: &&ApiKey| want.is_none_or(|w| k.owner_project_access == w);
            let (data, more) = take(pr.api_keys.iter(), |k| k.id.as_str(), keep, after, q.limit)?;
            let data: Vec<ProjectApiKey> =
                data.into_iter().map(|k| api_key(store, pr, k)).collect();
            page_a(&data, |k| k.id.as_str(), more)
        }
        Endpoint::ListGroups => {
            let items = ordered(org.groups.iter().map(|g| &g.group).collect(), q.desc);
            let (data, more) = take(
                items.into_iter(),
                |g| g.id.as_str(),
                |_| true,
                after,
                q.limit,
            )?;
            page_b(&data, |g| g.id.as_str(), more)
        }
        Endpoint::ListGroupUsers => {
            let g = store
                .group(p[0])
                .ok_or_else(|| ApiError::not_found("group", p[0]))?;
            let items = ordered(g.members.iter().collect(), q.desc);
            let (data, more) = take(
                items.into_iter(),
                |m| m.user_id.as_str(),
                |_| true,
                after,
                q.limit,
            )?;
            let data: Vec<GroupUser> = data
                .into_iter()
                .map(|m| {
                    let u = store.user_pos(m.user_id.as_str()).map(|i| &org.users[i]);
                    GroupUser {
                        id: m.user_id.clone(),
                        name: u.and_then(|u| u.name.clone()),
                        email: u.and_then(|u| u.email.clone()),
                        is_service_account: None,
                        user_type: None,
                    }
                })
                .collect();
            page_b(&data, |u| u.id.as_str(), more)
        }
        Endpoint::ListGroupRoles => {
            let g = store
                .group(p[0])
                .ok_or_else(|| ApiError::not_found("group", p[0]))?;
            assigned_page(org.group_org_roles(g), q)
        }
        Endpoint::ListUserRoles => {
            let u = store
                .user_pos(p[0])
                .ok_or_else(|| ApiError::not_found("user", p[0]))?;
            let user = &org.users[u].id;
            assigned_page(
                org.user_org_roles_with(user, store.groups_of(user.as_str())),
                q,
            )
        }
        Endpoint::ListOrgRoles => roles_page(org.org_roles.iter().collect(), q),
        Endpoint::ListProjectRoles => {
            let pr = project(store, p[0])?;
            let predefined = predefined_project_roles(pr.id().as_str());
            roles_page(predefined.iter().chain(&pr.roles).collect(), q)
        }
        Endpoint::ListProjectGroups => {
            let pr = project(store, p[0])?;
            let items = ordered(pr.groups.iter().collect(), q.desc);
            let (data, more) = take(
                items.into_iter(),
                |g| g.group_id.as_str(),
                |_| true,
                after,
                q.limit,
            )?;
            let data: Vec<ProjectGroup> = data
                .into_iter()
                .map(|g| {
                    let grp = store.group(g.group_id.as_str()).map(|s| &s.group);
                    ProjectGroup {
                        object: Some("project.group".into()),
                        project_id: pr.id().clone(),
                        group_id: g.group_id.clone(),
                        group_name: grp.and_then(|g| g.name.clone()),
                        group_type: grp.and_then(|g| g.group_type.clone()),
                        created_at: Some(g.created_at),
                    }
                })
                .collect();
            page_b(&data, |g| g.group_id.as_str(), more)
        }
        Endpoint::ListProjectUserRoles => {
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
        Endpoint::ListProjectGroupRoles => {
            let pr = project(store, p[0])?;
            let g = store
                .group(p[1])
                .ok_or_else(|| ApiError::not_found("group", p[1]))?;
            assigned_page(pr.group_roles(&g.group.id), q)
        }
        _ => Err(ApiError::not_found("route", ep.template())),
    }
}

fn ordered<T>(mut v: Vec<T>, desc: bool) -> Vec<T> {
    if desc {
        v.reverse();
    }
    v
}

fn roles_page(roles: Vec<&Role>, q: &ListQuery) -> Result<Bytes, ApiError> {
    let items = ordered(roles, q.desc);
    let (data, more) = take(
        items.into_iter(),
        |r| r.id.as_str(),
        |_| true,
        q.after.as_deref(),
        q.limit,
    )?;
    page_b(&data, |r| r.id.as_str(), more)
}

/// Role assignment lists page by role id (the "id" of an `AssignedRoleDetails`).
fn assigned_page(roles: Vec<AssignedRole>, q: &ListQuery) -> Result<Bytes, ApiError> {
    let items = ordered(roles, q.desc);
    let (data, more) = take(
        items.iter(),
        |r| r.id.as_str(),
        |_| true,
        q.after.as_deref(),
        q.limit,
    )?;
    let data: Vec<AssignedOut> = data
        .into_iter()
        .map(|role| AssignedOut {
            role,
            created_by_user_obj: None,
            metadata: None,
        })
        .collect();
    page_b(&data, |r| r.role.id.as_str(), more)
}

pub fn project<'a>(store: &'a Store, id: &str) -> Result<&'a ProjectState, ApiError> {
    store
        .project(id)
        .ok_or_else(|| ApiError::not_found("project", id))
}

/// The project, unless it is archived: its users and service accounts then answer 400.
pub fn active_project<'a>(store: &'a Store, id: &str) -> Result<&'a ProjectState, ApiError> {
    let p = project(store, id)?;
    if p.is_archived() {
        return Err(ApiError::archived(id));
    }
    Ok(p)
}

pub fn project_user(store: &Store, m: &ProjectMember) -> ProjectUser {
    let u = store
        .user_pos(m.user_id.as_str())
        .map(|i| &store.org.users[i]);
    ProjectUser {
        object: Some("organization.project.user".into()),
        id: m.user_id.clone(),
        name: u.and_then(|u| u.name.clone()),
        email: u.and_then(|u| u.email.clone()),
        role: Some(m.role.clone()),
        added_at: Some(m.added_at),
    }
}

fn api_key(store: &Store, p: &ProjectState, k: &ApiKey) -> ProjectApiKey {
    let owner = match &k.owner {
        KeyOwner::User(id) => {
            let u = store.user_pos(id.as_str()).map(|i| &store.org.users[i]);
            ApiKeyOwner {
                kind: Some("user".into()),
                user: Some(ApiKeyOwnerRef {
                    id: PrincipalId::from(id),
                    name: u.and_then(|u| u.name.clone()),
                    email: u.and_then(|u| u.email.clone()),
                    created_at: u.and_then(|u| u.added_at),
                    role: p.member(id).map(|m| m.role.clone()),
                }),
                service_account: None,
            }
        }
        KeyOwner::ServiceAccount(id) => {
            let s = p.service_accounts.iter().find(|s| &s.id == id);
            ApiKeyOwner {
                kind: Some("service_account".into()),
                user: None,
                service_account: Some(ApiKeyOwnerRef {
                    id: PrincipalId::from(id),
                    name: s.and_then(|s| s.name.clone()),
                    email: None,
                    created_at: s.and_then(|s| s.created_at),
                    role: s.and_then(|s| s.role.clone()),
                }),
            }
        }
    };
    ProjectApiKey {
        object: Some("organization.project.api_key".into()),
        id: k.id.clone(),
        name: Some(k.name.clone()),
        redacted_value: Some(k.redacted_value.clone()),
        created_at: Some(k.created_at),
        last_used_at: k.last_used_at,
        expires_at: None,
        owner_project_access: Some(k.owner_project_access.clone()),
        owner,
    }
}
