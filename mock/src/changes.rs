//! Out-of-band changes: what an owner does in the dashboard (or SCIM does) rather than through
//! this API. Each changes the org and leaves the audit entries the real API would; a change the
//! API itself can make (`Request`) goes through the same handler and differs only in its actor.
//! `POST /__mock/change` takes one as JSON; tests call `Shared::change`.

use super::audit::Event;
use super::error::ApiError;
use super::handlers::{self, Cx, mint_key};
use super::presets::build;
use super::routes;
use super::state::{KeyOwner, ProjectMember};
use super::store::Store;
use openai_access_actors::ids::{UserId, literal};
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
    /// A member signs in to the dashboard: a `login.succeeded` entry with them as the actor,
    /// changing nothing in the org.
    Login {
        user: String,
    },
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::not_found(what, id)
}

impl Change {
    /// The API request that makes this change, where the API can make it: the dashboard
    /// change and its API twin share one handler and leave the same entries (only the actor
    /// differs).
    fn request(&self) -> Option<(String, String, Value)> {
        let (method, path, body) = match self {
            Change::Request { method, path, body } => {
                return Some((method.clone(), path.clone(), body.clone()));
            }
            Change::CreateProject { name } => (
                "POST",
                "/organization/projects".to_owned(),
                json!({ "name": name }),
            ),
            Change::RenameProject { project, name } => (
                "POST",
                format!("/organization/projects/{project}"),
                json!({ "name": name }),
            ),
            Change::ArchiveProject { project } => (
                "POST",
                format!("/organization/projects/{project}/archive"),
                Value::Null,
            ),
            Change::DeleteServiceAccount {
                project,
                service_account,
            } => (
                "DELETE",
                format!("/organization/projects/{project}/service_accounts/{service_account}"),
                Value::Null,
            ),
            Change::DeleteApiKey { project, key } => (
                "DELETE",
                format!("/organization/projects/{project}/api_keys/{key}"),
                Value::Null,
            ),
            Change::CreateGroup { name } => (
                "POST",
                "/organization/groups".to_owned(),
                json!({ "name": name }),
            ),
            Change::RenameGroup { group, name } => (
                "POST",
                format!("/organization/groups/{group}"),
                json!({ "name": name }),
            ),
            Change::DeleteGroup { group } => (
                "DELETE",
                format!("/organization/groups/{group}"),
                Value::Null,
            ),
            Change::CreateOrgRole { name } => (
                "POST",
                "/organization/roles".to_owned(),
                json!({ "role_name": name, "permissions": ["api.organization.projects.read"] }),
            ),
            Change::DeleteOrgRole { role } => {
                ("DELETE", format!("/organization/roles/{role}"), Value::Null)
            }
            Change::CreateProjectRole { project, name } => (
                "POST",
                format!("/projects/{project}/roles"),
                json!({ "role_name": name, "permissions": ["api.project.models.read"] }),
            ),
            Change::DeleteProjectRole { project, role } => (
                "DELETE",
                format!("/projects/{project}/roles/{role}"),
                Value::Null,
            ),
            Change::AcceptInvite { .. }
            | Change::CreateServiceAccount { .. }
            | Change::CreateApiKey { .. }
            | Change::Event { .. }
            | Change::Login { .. } => return None,
        };
        Some((method.to_owned(), path, body))
    }

    /// Applies the change; returns its audit events.
    pub fn apply(&self, store: &mut Store, cx: &mut Cx) -> Result<Vec<Event>, ApiError> {
        if let Some((method, path, body)) = self.request() {
            let segs = routes::segments(path.trim_start_matches('/'));
            let segs: Vec<&str> = segs.iter().flatten().map(|s| s.as_ref()).collect();
            let (ep, p) = routes::route(&method, &segs)
                .filter(|(ep, _)| ep.is_mutation())
                .ok_or_else(|| ApiError::bad_request(format!("no write {method} {path}")))?;
            let body = match body {
                Value::Null => Vec::new(),
                b => serde_json::to_vec(&b).unwrap_or_default(),
            };
            let (_, events) = handlers::write(store, ep, p, &body, cx)?;
            return Ok(events);
        }
        Ok(match self {
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
                pr.api_keys.push(
                    mint_key(
                        &key,
                        format!("{key} key"),
                        KeyOwner::ServiceAccount(literal(&sa)),
                        cx.now,
                    )
                    .0,
                );
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
                store.org.projects[pi].api_keys.push(
                    mint_key(
                        &key,
                        format!("{key} key"),
                        KeyOwner::User(literal(user)),
                        cx.now,
                    )
                    .0,
                );
                vec![
                    Event::new(
                        "api_key.created",
                        json!({"id": key, "data": {"scopes": []}}),
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
            Change::Login { user } => {
                store
                    .user_pos(user)
                    .ok_or_else(|| not_found("user", user))?;
                vec![Event::new("login.succeeded", json!({}))]
            }
            // The API twins (`request`) were answered above.
            // Answered above, through their API twins (`request`).
            Change::Request { .. }
            | Change::CreateProject { .. }
            | Change::RenameProject { .. }
            | Change::ArchiveProject { .. }
            | Change::DeleteServiceAccount { .. }
            | Change::DeleteApiKey { .. }
            | Change::CreateGroup { .. }
            | Change::RenameGroup { .. }
            | Change::DeleteGroup { .. }
            | Change::CreateOrgRole { .. }
            | Change::DeleteOrgRole { .. }
            | Change::CreateProjectRole { .. }
            | Change::DeleteProjectRole { .. } => Vec::new(),
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
