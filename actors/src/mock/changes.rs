//! Out-of-band changes: what an owner does in the dashboard (or SCIM does) rather than through
//! this API. Each changes the org and leaves the audit entries the real API would; a change the
//! API itself can make (`Request`) goes through the same handler and differs only in its actor.
//! `POST /__mock/change` takes one as JSON; tests call `Shared::change`.

use super::audit::Event;
use super::error::ApiError;
use super::handlers::{self, Cx};
use super::presets::build;
use super::routes;
use super::state::{ApiKey, GroupState, KeyOwner, ProjectMember};
use super::store::Store;
use crate::ids::{ApiKeyId, GroupId, RoleId, UserId, literal};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One change, made as a person would make it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    /// What `METHOD /v1/PATH` with `body` does, as an API request of the admin key.
    Request {
        method: String,
        /// Relative to `/v1`, e.g. `/organization/users/user-bob`.
        path: String,
        #[serde(default)]
        body: Value,
    },
    /// The invitee signs up: a user with the invite's role, in the invite's projects.
    AcceptInvite {
        invite: String,
    },
    CreateProject {
        name: String,
    },
    RenameProject {
        project: String,
        name: String,
    },
    ArchiveProject {
        project: String,
    },
    /// A service account (and its user, and the key the API mints with it).
    CreateServiceAccount {
        project: String,
        name: String,
        role: String,
    },
    DeleteServiceAccount {
        project: String,
        service_account: String,
    },
    /// A key of a member of the project.
    CreateApiKey {
        project: String,
        user: String,
    },
    DeleteApiKey {
        project: String,
        key: String,
    },
    CreateGroup {
        name: String,
    },
    RenameGroup {
        group: String,
        name: String,
    },
    DeleteGroup {
        group: String,
    },
    CreateOrgRole {
        name: String,
    },
    DeleteOrgRole {
        role: String,
    },
    CreateProjectRole {
        project: String,
        name: String,
    },
    DeleteProjectRole {
        project: String,
        role: String,
    },
    /// An audit entry alone, changing nothing: for a reader's tests (an event type it does
    /// not know, a duplicate).
    Event {
        kind: String,
        #[serde(default)]
        project: Option<String>,
        #[serde(default)]
        payload: Value,
    },
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::not_found(what, id)
}

impl Change {
    /// Applies the change; returns its audit events.
    pub fn apply(&self, store: &mut Store, cx: &mut Cx) -> Result<Vec<Event>, ApiError> {
        let org_id = store.org.org_id.clone();
        Ok(match self {
            Change::Request { method, path, body } => {
                let segs = routes::segments(path.trim_start_matches('/'));
                let segs: Vec<&str> = segs.iter().flatten().map(|s| s.as_ref()).collect();
                let (ep, p) = routes::route(method, &segs)
                    .filter(|(ep, _)| ep.is_mutation())
                    .ok_or_else(|| ApiError::bad_request(format!("no write {method} {path}")))?;
                let body = serde_json::to_vec(body).unwrap_or_default();
                let reply = handlers::write(store, ep, p, &body, cx)?;
                handlers::audit::events(&org_id, ep, p, &body, &reply)
            }
            Change::AcceptInvite { invite } => {
                let i = store
                    .invite_pos(invite)
                    .ok_or_else(|| not_found("invite", invite))?;
                let inv = store.org.invites[i].clone();
                if inv.status.as_deref() != Some("pending") {
                    return Err(ApiError::bad_request(
                        "Only a pending invite can be accepted",
                    ));
                }
                let user_id = cx.new_id("user-");
                let role = inv.role.clone().unwrap_or_else(|| "reader".into());
                let email = inv.email.clone().unwrap_or_default();
                let mut user = build::user(&user_id, Some(&email), Some(&email), &role, cx.now);
                user.name = Some(email.split('@').next().unwrap_or("invitee").to_owned());
                store.org.users.push(user);
                store.reindex_users();
                let inv = &mut store.org.invites[i];
                inv.status = Some("accepted".into());
                inv.accepted_at = Some(cx.now);
                let projects = inv.projects.clone();
                let mut events = vec![
                    Event::new("invite.accepted", json!({"id": invite})),
                    Event::new("user.added", json!({"id": user_id, "data": {"role": role}})),
                ];
                for p in projects {
                    if let Some(pi) = store.project_pos(p.id.as_str()) {
                        let role = p.role.clone().unwrap_or_else(|| "member".into());
                        store.org.projects[pi].users.push(ProjectMember {
                            user_id: literal::<UserId>(&user_id),
                            role: role.clone(),
                            added_at: cx.now,
                        });
                        events.push(
                            Event::new(
                                "user.added",
                                json!({"id": user_id, "data": {"role": role}}),
                            )
                            .in_project(p.id.as_str()),
                        );
                    }
                }
                events
            }
            Change::CreateProject { name } => {
                let id = cx.new_id("proj_");
                store.push_project(build::project(&id, name, cx.now, None));
                vec![
                    Event::new(
                        "project.created",
                        json!({"id": id, "data": {"name": name, "title": name}}),
                    )
                    .in_project(&id),
                ]
            }
            Change::RenameProject { project, name } => {
                let pi = store
                    .project_pos(project)
                    .ok_or_else(|| not_found("project", project))?;
                store.org.projects[pi].project.name = Some(name.clone());
                vec![
                    Event::new(
                        "project.updated",
                        json!({"id": project, "changes_requested": {"title": name}}),
                    )
                    .in_project(project),
                ]
            }
            Change::ArchiveProject { project } => {
                let pi = store
                    .project_pos(project)
                    .ok_or_else(|| not_found("project", project))?;
                let p = &mut store.org.projects[pi].project;
                p.status = Some("archived".into());
                p.archived_at = Some(cx.now);
                vec![Event::new("project.archived", json!({"id": project})).in_project(project)]
            }
            Change::CreateServiceAccount {
                project,
                name,
                role,
            } => {
                let pi = active(store, project)?;
                let sa = cx.new_id("svc_acct_");
                let key = cx.new_id("key_");
                store.org.users.push(build::sa_user(&sa, name, cx.now));
                store.reindex_users();
                let pr = &mut store.org.projects[pi];
                pr.service_accounts
                    .push(build::service_account(&sa, name, role, cx.now));
                pr.api_keys.push(new_key(
                    &key,
                    KeyOwner::ServiceAccount(literal(&sa)),
                    cx.now,
                ));
                vec![
                    Event::new(
                        "service_account.created",
                        json!({"id": sa, "data": {"role": role}}),
                    )
                    .in_project(project),
                    Event::new(
                        "api_key.created",
                        json!({"id": key, "data": {"scopes": []}}),
                    )
                    .in_project(project),
                ]
            }
            Change::DeleteServiceAccount {
                project,
                service_account,
            } => {
                let pi = active(store, project)?;
                let pr = &mut store.org.projects[pi];
                let before = pr.service_accounts.len();
                pr.service_accounts
                    .retain(|s| s.id.as_str() != service_account);
                if pr.service_accounts.len() == before {
                    return Err(not_found("service account", service_account));
                }
                pr.api_keys.retain(|k| {
                    !matches!(&k.owner, KeyOwner::ServiceAccount(s) if s.as_str() == service_account)
                });
                store.org.users.retain(|u| u.id.as_str() != service_account);
                store.forget_user(&literal::<UserId>(service_account));
                vec![
                    Event::new("service_account.deleted", json!({"id": service_account}))
                        .in_project(project),
                ]
            }
            Change::CreateApiKey { project, user } => {
                let pi = active(store, project)?;
                if !store.org.projects[pi]
                    .users
                    .iter()
                    .any(|m| m.user_id.as_str() == user)
                {
                    return Err(ApiError::bad_request(format!(
                        "{user} is not a member of {project}"
                    )));
                }
                let key = cx.new_id("key_");
                store.org.projects[pi].api_keys.push(new_key(
                    &key,
                    KeyOwner::User(literal(user)),
                    cx.now,
                ));
                vec![
                    Event::new(
                        "api_key.created",
                        json!({"id": key, "data": {"scopes": []}}),
                    )
                    .in_project(project),
                ]
            }
            Change::DeleteApiKey { project, key } => {
                let pi = store
                    .project_pos(project)
                    .ok_or_else(|| not_found("project", project))?;
                let keys = &mut store.org.projects[pi].api_keys;
                let before = keys.len();
                keys.retain(|k| k.id.as_str() != key);
                if keys.len() == before {
                    return Err(not_found("api key", key));
                }
                vec![Event::new("api_key.deleted", json!({"id": key})).in_project(project)]
            }
            Change::CreateGroup { name } => {
                let id = cx.new_id("group_");
                store.push_group(GroupState {
                    group: build::group(&id, name, "group", false, cx.now),
                    members: Vec::new(),
                    roles: Vec::new(),
                });
                vec![Event::new(
                    "group.created",
                    json!({"id": id, "data": {"group_name": name}}),
                )]
            }
            Change::RenameGroup { group, name } => {
                let gi = store
                    .group_pos(group)
                    .ok_or_else(|| not_found("group", group))?;
                store.org.groups[gi].group.name = Some(name.clone());
                vec![Event::new(
                    "group.updated",
                    json!({"id": group, "changes_requested": {"group_name": name}}),
                )]
            }
            Change::DeleteGroup { group } => {
                let gi = store
                    .group_pos(group)
                    .ok_or_else(|| not_found("group", group))?;
                store.remove_group(gi);
                let gid = literal::<GroupId>(group);
                for pr in &mut store.org.projects {
                    pr.groups.retain(|g| g.group_id != gid);
                }
                vec![Event::new("group.deleted", json!({"id": group}))]
            }
            Change::CreateOrgRole { name } => {
                let id = cx.new_id("role_");
                store.org.org_roles.push(build::custom_role(
                    &id,
                    name,
                    "api.organization",
                    &["api.organization.projects.read"],
                ));
                vec![Event::new(
                    "role.created",
                    json!({"id": id, "role_name": name, "permissions": [], "resource_type": "organization", "resource_id": org_id}),
                )]
            }
            Change::DeleteOrgRole { role } => {
                let org = &mut store.org;
                let i = org
                    .org_roles
                    .iter()
                    .position(|r| r.id.as_str() == role && !r.predefined_role)
                    .ok_or_else(|| not_found("custom role", role))?;
                org.org_roles.remove(i);
                let rid = literal::<RoleId>(role);
                org.user_roles.retain(|a| a.role_id != rid);
                for g in &mut org.groups {
                    g.roles.retain(|a| a.role_id != rid);
                }
                vec![Event::new("role.deleted", json!({"id": role}))]
            }
            Change::CreateProjectRole { project, name } => {
                let pi = active(store, project)?;
                let id = cx.new_id("role_");
                store.org.projects[pi].roles.push(build::custom_role(
                    &id,
                    name,
                    "api.project",
                    &["api.project.models.read"],
                ));
                vec![
                    Event::new(
                        "role.created",
                        json!({"id": id, "role_name": name, "permissions": [], "resource_type": "project", "resource_id": project}),
                    )
                    .in_project(project),
                ]
            }
            Change::Event {
                kind,
                project,
                payload,
            } => {
                let e = Event::new(kind.clone(), payload.clone());
                vec![match project {
                    Some(p) => e.in_project(p),
                    None => e,
                }]
            }
            Change::DeleteProjectRole { project, role } => {
                let pi = store
                    .project_pos(project)
                    .ok_or_else(|| not_found("project", project))?;
                let pr = &mut store.org.projects[pi];
                let before = pr.roles.len();
                pr.roles.retain(|r| r.id.as_str() != role);
                if pr.roles.len() == before {
                    return Err(not_found("project role", role));
                }
                let rid = literal::<RoleId>(role);
                pr.user_roles.retain(|a| a.role_id != rid);
                pr.groups.retain(|g| g.role_id != rid);
                for g in &mut pr.groups {
                    g.roles.retain(|a| a.role_id != rid);
                }
                vec![Event::new("role.deleted", json!({"id": role})).in_project(project)]
            }
        })
    }
}

fn active(store: &Store, project: &str) -> Result<usize, ApiError> {
    let pi = store
        .project_pos(project)
        .ok_or_else(|| not_found("project", project))?;
    if store.org.projects[pi].is_archived() {
        return Err(ApiError::bad_request(format!(
            "Project {project} is archived"
        )));
    }
    Ok(pi)
}

fn new_key(id: &str, owner: KeyOwner, now: i64) -> ApiKey {
    ApiKey {
        id: literal::<ApiKeyId>(id),
        name: format!("{id} key"),
        redacted_value: format!("sk-proj-...{}", &id[id.len().saturating_sub(4)..]),
        created_at: now,
        last_used_at: None,
        owner_project_access: "active".into(),
        owner,
    }
}
