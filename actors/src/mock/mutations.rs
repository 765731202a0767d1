//! Write handlers: every mutation provisioning uses. Each one changes what later lists return.

use super::error::ApiError;
use super::lists::{active_project, project_user};
use super::paging::to_json;
use super::state::{
    Assigned, KeyOwner, Member, ProjectGroupGrant, ProjectMember, UserRole, org_role_id,
    project_role_id,
};
use super::store::Store;
use crate::api::models::{
    Deleted, Invite, InviteProject, ProjectGroup, ProjectGroupCreate, Role, RoleIdBody, RoleUpdate,
    User, UserIdBody,
};
use crate::endpoint::Endpoint;
use crate::ids::{InviteId, RoleId, UserId};
use bytes::Bytes;
use hyper::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct UserRoleAssignment<'a> {
    object: &'static str,
    user: &'a User,
    role: &'a Role,
}

/// The embedded `Group` shape of `GroupRoleAssignment` (`scim_managed`, with `object`).
#[derive(Serialize)]
struct GroupRef<'a> {
    object: &'static str,
    id: &'a str,
    name: Option<&'a str>,
    created_at: Option<i64>,
    scim_managed: bool,
}

#[derive(Serialize)]
struct GroupRoleAssignment<'a> {
    object: &'static str,
    group: GroupRef<'a>,
    role: &'a Role,
}

#[derive(Serialize)]
struct GroupUserAssignment<'a> {
    object: &'static str,
    user_id: &'a str,
    group_id: &'a str,
}

/// `POST /organization/projects/{p}/users`: the spec also allows `email` instead of `user_id`.
#[derive(Deserialize)]
struct AddProjectUserBody {
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    email: Option<String>,
    role: String,
}

#[derive(Deserialize)]
struct UpdateServiceAccountBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    role: Option<String>,
}

/// `InviteRequest`: `projects` may be omitted (the legacy "default project" behaviour, which
/// the mock models as no projects).
#[derive(Deserialize)]
struct InviteBody {
    email: String,
    role: String,
    #[serde(default)]
    projects: Option<Vec<InviteProject>>,
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Invalid request body: {e}")))
}

fn deleted(object: &str, id: Option<&str>) -> Result<Bytes, ApiError> {
    to_json(&Deleted {
        object: Some(object.to_owned()),
        id: id.map(str::to_owned),
        deleted: true,
    })
}

/// Short aliases are accepted wherever an org role id is taken.
fn org_role(store: &Store, raw: &str) -> Result<Role, ApiError> {
    let id = match raw {
        "owner" | "reader" => org_role_id(raw, &store.org.org_id),
        _ => RoleId::new(raw).map_err(|_| ApiError::not_found("role", raw))?,
    };
    store
        .org
        .org_role(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("role", raw))
}

fn user_index(store: &Store, id: &str) -> Result<usize, ApiError> {
    store
        .user_pos(id)
        .ok_or_else(|| ApiError::not_found("user", id))
}

fn group_index(store: &Store, id: &str) -> Result<usize, ApiError> {
    store
        .group_pos(id)
        .ok_or_else(|| ApiError::not_found("group", id))
}

fn project_index(store: &Store, id: &str) -> Result<usize, ApiError> {
    store
        .project_pos(id)
        .ok_or_else(|| ApiError::not_found("project", id))
}

fn active_project_index(store: &Store, id: &str) -> Result<usize, ApiError> {
    active_project(store, id)?;
    project_index(store, id)
}

/// A project role (predefined or custom) by id or alias, with its scoped id.
fn project_role(store: &Store, pi: usize, raw: &str) -> Result<Role, ApiError> {
    let p = &store.org.projects[pi];
    let id = match raw {
        "owner" | "member" | "viewer" => project_role_id(raw, p.id().as_str()),
        _ => RoleId::new(raw).map_err(|_| ApiError::not_found("role", raw))?,
    };
    p.role(&id).ok_or_else(|| ApiError::not_found("role", raw))
}

fn check_role(role: &str, allowed: &[&str], field: &'static str) -> Result<(), ApiError> {
    if allowed.contains(&role) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid '{field}': {role:?}, expected one of {}",
            allowed.join(", ")
        ))
        .param(field))
    }
}

fn valid_email(e: &str) -> bool {
    let mut parts = e.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.chars().any(char::is_whitespace)
        }
        _ => false,
    }
}

fn group_ref(store: &Store, gi: usize) -> GroupRef<'_> {
    let g = &store.org.groups[gi].group;
    GroupRef {
        object: "group",
        id: g.id.as_str(),
        name: g.name.as_deref(),
        created_at: g.created_at,
        scim_managed: g.is_scim_managed.unwrap_or(false),
    }
}

/// Applies mutation `ep` with path parameters `p` and JSON `body`; `now` stamps new records
/// and `new_id` names created objects.
pub fn mutate(
    store: &mut Store,
    ep: Endpoint,
    p: [&str; 3],
    body: &[u8],
    now: i64,
    new_id: &mut dyn FnMut(&str) -> String,
) -> Result<Bytes, ApiError> {
    match ep {
        Endpoint::ModifyUser => {
            let b: RoleUpdate = parse(body)?;
            check_role(&b.role, &["owner", "reader"], "role")?;
            let u = user_index(store, p[0])?;
            store.org.users[u].role = Some(b.role);
            to_json(&store.org.users[u])
        }
        Endpoint::DeleteUser => {
            let u = user_index(store, p[0])?;
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
        }
        Endpoint::AssignUserRole => {
            let b: RoleIdBody = parse(body)?;
            let u = user_index(store, p[0])?;
            let role = org_role(store, b.role_id.as_str())?;
            if role.predefined_role {
                return Err(ApiError::bad_request(
                    "Predefined org roles are the user's role: change it with POST /organization/users/{user_id}",
                )
                .param("role_id"));
            }
            let user_id = store.org.users[u].id.clone();
            add_user_role(&mut store.org.user_roles, user_id, &role.id, now)?;
            to_json(&UserRoleAssignment {
                object: "user.role",
                user: &store.org.users[u],
                role: &role,
            })
        }
        Endpoint::UnassignUserRole => {
            let u = user_index(store, p[0])?;
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
        }
        Endpoint::AssignGroupRole => {
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
        Endpoint::UnassignGroupRole => {
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
        Endpoint::AddGroupUser => {
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
        Endpoint::RemoveGroupUser => {
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
        Endpoint::CreateInvite => {
            let b: InviteBody = parse(body)?;
            if !valid_email(&b.email) {
                return Err(ApiError::bad_request(format!(
                    "Invalid 'email': {:?} is not an email address",
                    b.email
                ))
                .param("email"));
            }
            check_role(&b.role, &["reader", "owner"], "role")?;
            let projects = b.projects.unwrap_or_default();
            for pr in &projects {
                project_index(store, pr.id.as_str())?;
                check_role(
                    pr.role.as_deref().unwrap_or(""),
                    &["member", "owner"],
                    "projects",
                )?;
            }
            let email = b.email.to_lowercase();
            let pending = store.org.invites.iter().any(|i| {
                i.status.as_deref() == Some("pending")
                    && i.email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(&email))
            });
            if pending {
                return Err(ApiError::conflict(format!(
                    "An invite for {email} is already pending"
                )));
            }
            if store.org.users.iter().any(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&email))
            }) {
                return Err(ApiError::bad_request(format!(
                    "{email} is already a member of the organization"
                ))
                .param("email"));
            }
            let inv = Invite {
                object: Some("organization.invite".into()),
                id: InviteId::new(new_id("invite-"))
                    .map_err(|_| ApiError::server(StatusCode::INTERNAL_SERVER_ERROR))?,
                email: Some(email),
                role: Some(b.role),
                status: Some("pending".into()),
                created_at: Some(now),
                expires_at: Some(now + 7 * 86_400),
                accepted_at: None,
                projects,
            };
            let out = to_json(&inv);
            store.push_invite(inv);
            out
        }
        Endpoint::DeleteInvite => {
            let i = store
                .invite_pos(p[0])
                .ok_or_else(|| ApiError::not_found("invite", p[0]))?;
            if store.org.invites[i].status.as_deref() == Some("accepted") {
                return Err(ApiError::bad_request("cannot delete an accepted invite"));
            }
            let id = store.org.invites.remove(i).id;
            store.reindex_invites();
            deleted("organization.invite.deleted", Some(id.as_str()))
        }
        Endpoint::AddProjectUser => {
            let b: AddProjectUserBody = parse(body)?;
            let pi = active_project_index(store, p[0])?;
            check_role(&b.role, &["owner", "member", "viewer"], "role")?;
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
            let m = ProjectMember {
                user_id,
                role: b.role,
                added_at: now,
            };
            let out = to_json(&project_user(store, &m));
            store.org.projects[pi].users.push(m);
            out
        }
        Endpoint::ModifyProjectUser => {
            let b: RoleUpdate = parse(body)?;
            let pi = active_project_index(store, p[0])?;
            check_role(&b.role, &["owner", "member", "viewer"], "role")?;
            let pr = &mut store.org.projects[pi];
            let m = pr
                .users
                .iter_mut()
                .find(|m| m.user_id.as_str() == p[1])
                .ok_or_else(|| ApiError::not_found("project user", p[1]))?;
            m.role = b.role;
            let m = m.clone();
            to_json(&project_user(store, &m))
        }
        Endpoint::RemoveProjectUser => {
            let pi = active_project_index(store, p[0])?;
            let pr = &mut store.org.projects[pi];
            let before = pr.users.len();
            pr.users.retain(|m| m.user_id.as_str() != p[1]);
            if pr.users.len() == before {
                return Err(ApiError::not_found("project user", p[1]));
            }
            pr.user_roles.retain(|a| a.user_id.as_str() != p[1]);
            // Their keys stay, but the owner no longer has access to the project.
            for k in &mut pr.api_keys {
                if matches!(&k.owner, KeyOwner::User(o) if o.as_str() == p[1]) {
                    k.owner_project_access = "inactive".into();
                }
            }
            deleted("organization.project.user.deleted", Some(p[1]))
        }
        Endpoint::UpdateServiceAccount => {
            let b: UpdateServiceAccountBody = parse(body)?;
            let pi = active_project_index(store, p[0])?;
            if let Some(r) = &b.role {
                check_role(r, &["member", "owner"], "role")?;
            }
            let sa = store.org.projects[pi]
                .service_accounts
                .iter_mut()
                .find(|s| s.id.as_str() == p[1])
                .ok_or_else(|| ApiError::not_found("service account", p[1]))?;
            if let Some(r) = b.role {
                sa.role = Some(r);
            }
            if let Some(n) = b.name {
                sa.name = Some(n);
            }
            to_json(sa)
        }
        Endpoint::AddProjectGroup => {
            let b: ProjectGroupCreate = parse(body)?;
            let pi = project_index(store, p[0])?;
            let g = group_index(store, b.group_id.as_str())?;
            let role = project_role(store, pi, b.role.as_str())?;
            let group = store.org.groups[g].group.clone();
            let pr = &mut store.org.projects[pi];
            if pr.grant(&group.id).is_some() {
                return Err(ApiError::conflict(format!(
                    "Group {} already has access to project {}",
                    group.id, p[0]
                )));
            }
            pr.groups.push(ProjectGroupGrant {
                group_id: group.id.clone(),
                role_id: role.id,
                created_at: now,
                roles: Vec::new(),
            });
            to_json(&ProjectGroup {
                object: Some("project.group".into()),
                project_id: pr.id().clone(),
                group_id: group.id,
                group_name: group.name,
                group_type: group.group_type,
                created_at: Some(now),
            })
        }
        Endpoint::RemoveProjectGroup => {
            let pi = project_index(store, p[0])?;
            let pr = &mut store.org.projects[pi];
            let before = pr.groups.len();
            pr.groups.retain(|g| g.group_id.as_str() != p[1]);
            if pr.groups.len() == before {
                return Err(ApiError::not_found("project group", p[1]));
            }
            deleted("project.group.deleted", None)
        }
        Endpoint::AssignProjectUserRole => {
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
        Endpoint::UnassignProjectUserRole => {
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
        Endpoint::AssignProjectGroupRole => {
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
        Endpoint::UnassignProjectGroupRole => {
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
        _ => Err(ApiError::not_found("route", ep.template())),
    }
}

/// The scope a read-only key lacks for `ep`.
pub fn required_scope(ep: Endpoint) -> &'static str {
    match ep {
        Endpoint::ModifyUser
        | Endpoint::DeleteUser
        | Endpoint::AssignUserRole
        | Endpoint::UnassignUserRole => "api.organization.users.write",
        Endpoint::AssignGroupRole
        | Endpoint::UnassignGroupRole
        | Endpoint::AddGroupUser
        | Endpoint::RemoveGroupUser => "api.groups.write",
        Endpoint::CreateInvite | Endpoint::DeleteInvite => "api.organization.invites.write",
        Endpoint::AddProjectUser | Endpoint::ModifyProjectUser | Endpoint::RemoveProjectUser => {
            "api.organization.projects.users.write"
        }
        Endpoint::UpdateServiceAccount => "api.organization.projects.service_accounts.write",
        Endpoint::AddProjectGroup | Endpoint::RemoveProjectGroup => {
            "api.organization.projects.groups.write"
        }
        Endpoint::AssignProjectUserRole
        | Endpoint::UnassignProjectUserRole
        | Endpoint::AssignProjectGroupRole
        | Endpoint::UnassignProjectGroupRole => "api.projects.roles.write",
        _ => "api.organization.read",
    }
}

/// Assigns `role_id` to `user_id` in an org's or a project's assignments (409 if held).
fn add_user_role(
    roles: &mut Vec<UserRole>,
    user_id: UserId,
    role_id: &RoleId,
    now: i64,
) -> Result<(), ApiError> {
    if roles
        .iter()
        .any(|a| a.user_id == user_id && &a.role_id == role_id)
    {
        return Err(ApiError::conflict(format!(
            "User {user_id} already has role {role_id}"
        )));
    }
    roles.push(UserRole {
        user_id,
        role_id: role_id.clone(),
        created_at: now,
    });
    Ok(())
}
