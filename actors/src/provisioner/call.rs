//! The mutations the provisioner makes, as data: each one knows its endpoint, the exact call it
//! is (`PlannedCall`, what a dry run prints) and how to make it through the typed client.

use crate::api::models::{
    InviteCreate, ProjectGroupCreate, ProjectUserCreate, RoleIdBody, RoleUpdate, UserIdBody,
};
use crate::api::request::seg;
use crate::api::{AdminClient, ApiError, Endpoint, ListRequest};
use crate::ids::{GroupId, InviteId, ProjectId, RoleId, ServiceAccountId, UserId};
use serde::Serialize;
use std::fmt;

/// One API call, as sent: method, path relative to the base URL (query included) and JSON
/// body. Never contains the key (it travels in a header the plan does not record).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedCall {
    pub method: &'static str,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

impl PlannedCall {
    /// The GET of a list (one entry however many pages it takes).
    pub fn read(req: &ListRequest) -> Self {
        let mut path = req.path.clone();
        for (i, (k, v)) in req.query.iter().enumerate() {
            path.push(if i == 0 { '?' } else { '&' });
            path.push_str(k);
            path.push('=');
            path.push_str(&seg(v));
        }
        Self {
            method: "GET",
            path,
            body: None,
        }
    }
}

impl fmt::Display for PlannedCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if let Some(b) = &self.body {
            write!(f, " {b}")?;
        }
        Ok(())
    }
}

/// `METHOD /a/{x}/b/{y}` with each `{…}` replaced by the next parameter, percent-encoded.
fn fill(endpoint: Endpoint, params: &[&str]) -> String {
    let template = endpoint
        .template()
        .split_once(' ')
        .map_or(endpoint.template(), |(_, path)| path);
    let mut out = String::with_capacity(template.len() + 32);
    let mut params = params.iter();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        out.push_str(&params.next().map(|p| seg(p)).unwrap_or_default());
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

/// A write the provisioner decided to make.
#[derive(Clone, Debug, PartialEq)]
pub enum Mutation {
    SetOrgRole {
        user: UserId,
        role: &'static str,
    },
    DeleteUser {
        user: UserId,
    },
    AssignUserRole {
        user: UserId,
        role: RoleId,
    },
    UnassignUserRole {
        user: UserId,
        role: RoleId,
    },
    AssignGroupRole {
        group: GroupId,
        role: RoleId,
    },
    UnassignGroupRole {
        group: GroupId,
        role: RoleId,
    },
    AddGroupUser {
        group: GroupId,
        user: UserId,
    },
    RemoveGroupUser {
        group: GroupId,
        user: UserId,
    },
    CreateInvite(InviteCreate),
    DeleteInvite {
        invite: InviteId,
    },
    AddProjectUser {
        project: ProjectId,
        user: UserId,
        role: &'static str,
    },
    ModifyProjectUser {
        project: ProjectId,
        user: UserId,
        role: &'static str,
    },
    RemoveProjectUser {
        project: ProjectId,
        user: UserId,
    },
    SetServiceAccountRole {
        project: ProjectId,
        account: ServiceAccountId,
        role: &'static str,
    },
    AddProjectGroup {
        project: ProjectId,
        group: GroupId,
        role: RoleId,
    },
    RemoveProjectGroup {
        project: ProjectId,
        group: GroupId,
    },
    AssignProjectUserRole {
        project: ProjectId,
        user: UserId,
        role: RoleId,
    },
    UnassignProjectUserRole {
        project: ProjectId,
        user: UserId,
        role: RoleId,
    },
    AssignProjectGroupRole {
        project: ProjectId,
        group: GroupId,
        role: RoleId,
    },
    UnassignProjectGroupRole {
        project: ProjectId,
        group: GroupId,
        role: RoleId,
    },
}

/// Discards a reply the provisioner has no use for.
fn none<T>(_: T) -> Option<String> {
    None
}

fn json<T: Serialize>(body: T) -> Option<serde_json::Value> {
    serde_json::to_value(body).ok()
}

impl Mutation {
    pub fn endpoint(&self) -> Endpoint {
        use Mutation::*;
        match self {
            SetOrgRole { .. } => Endpoint::ModifyUser,
            DeleteUser { .. } => Endpoint::DeleteUser,
            AssignUserRole { .. } => Endpoint::AssignUserRole,
            UnassignUserRole { .. } => Endpoint::UnassignUserRole,
            AssignGroupRole { .. } => Endpoint::AssignGroupRole,
            UnassignGroupRole { .. } => Endpoint::UnassignGroupRole,
            AddGroupUser { .. } => Endpoint::AddGroupUser,
            RemoveGroupUser { .. } => Endpoint::RemoveGroupUser,
            CreateInvite(_) => Endpoint::CreateInvite,
            DeleteInvite { .. } => Endpoint::DeleteInvite,
            AddProjectUser { .. } => Endpoint::AddProjectUser,
            ModifyProjectUser { .. } => Endpoint::ModifyProjectUser,
            RemoveProjectUser { .. } => Endpoint::RemoveProjectUser,
            SetServiceAccountRole { .. } => Endpoint::UpdateServiceAccount,
            AddProjectGroup { .. } => Endpoint::AddProjectGroup,
            RemoveProjectGroup { .. } => Endpoint::RemoveProjectGroup,
            AssignProjectUserRole { .. } => Endpoint::AssignProjectUserRole,
            UnassignProjectUserRole { .. } => Endpoint::UnassignProjectUserRole,
            AssignProjectGroupRole { .. } => Endpoint::AssignProjectGroupRole,
            UnassignProjectGroupRole { .. } => Endpoint::UnassignProjectGroupRole,
        }
    }

    /// The path parameters, in template order.
    fn params(&self) -> Vec<&str> {
        use Mutation::*;
        match self {
            SetOrgRole { user, .. } | DeleteUser { user } | AssignUserRole { user, .. } => {
                vec![user.as_str()]
            }
            UnassignUserRole { user, role } => vec![user.as_str(), role.as_str()],
            AssignGroupRole { group, .. } | AddGroupUser { group, .. } => vec![group.as_str()],
            UnassignGroupRole { group, role } => vec![group.as_str(), role.as_str()],
            RemoveGroupUser { group, user } => vec![group.as_str(), user.as_str()],
            CreateInvite(_) => vec![],
            DeleteInvite { invite } => vec![invite.as_str()],
            AddProjectUser { project, .. } | AddProjectGroup { project, .. } => {
                vec![project.as_str()]
            }
            ModifyProjectUser { project, user, .. }
            | RemoveProjectUser { project, user }
            | AssignProjectUserRole { project, user, .. } => vec![project.as_str(), user.as_str()],
            SetServiceAccountRole {
                project, account, ..
            } => vec![project.as_str(), account.as_str()],
            RemoveProjectGroup { project, group }
            | AssignProjectGroupRole { project, group, .. } => {
                vec![project.as_str(), group.as_str()]
            }
            UnassignProjectUserRole {
                project,
                user,
                role,
            } => vec![project.as_str(), user.as_str(), role.as_str()],
            UnassignProjectGroupRole {
                project,
                group,
                role,
            } => vec![project.as_str(), group.as_str(), role.as_str()],
        }
    }

    /// The JSON body, built from the same request structs the client sends.
    fn body(&self) -> Option<serde_json::Value> {
        use Mutation::*;
        match self {
            SetOrgRole { role, .. }
            | ModifyProjectUser { role, .. }
            | SetServiceAccountRole { role, .. } => json(RoleUpdate {
                role: (*role).to_owned(),
            }),
            AssignUserRole { role, .. }
            | AssignGroupRole { role, .. }
            | AssignProjectUserRole { role, .. }
            | AssignProjectGroupRole { role, .. } => json(RoleIdBody {
                role_id: role.clone(),
            }),
            AddGroupUser { user, .. } => json(UserIdBody {
                user_id: user.clone(),
            }),
            CreateInvite(invite) => json(invite),
            AddProjectUser { user, role, .. } => json(ProjectUserCreate {
                user_id: user.clone(),
                role: (*role).to_owned(),
            }),
            AddProjectGroup { group, role, .. } => json(ProjectGroupCreate {
                group_id: group.clone(),
                role: role.clone(),
            }),
            DeleteUser { .. }
            | UnassignUserRole { .. }
            | UnassignGroupRole { .. }
            | RemoveGroupUser { .. }
            | DeleteInvite { .. }
            | RemoveProjectUser { .. }
            | RemoveProjectGroup { .. }
            | UnassignProjectUserRole { .. }
            | UnassignProjectGroupRole { .. } => None,
        }
    }

    pub fn planned(&self) -> PlannedCall {
        let endpoint = self.endpoint();
        PlannedCall {
            method: endpoint.method(),
            path: fill(endpoint, &self.params()),
            body: self.body(),
        }
    }

    /// Makes the call through the typed client (and so through the throttle and retries).
    /// Returns the created invite's id for `CreateInvite`.
    pub async fn execute(&self, api: &AdminClient) -> Result<Option<String>, ApiError> {
        use Mutation::*;
        match self {
            SetOrgRole { user, role } => api.modify_user_role(user, role).await.map(none),
            DeleteUser { user } => api.delete_user(user).await.map(none),
            AssignUserRole { user, role } => api.assign_user_role(user, role).await.map(none),
            UnassignUserRole { user, role } => api.unassign_user_role(user, role).await.map(none),
            AssignGroupRole { group, role } => api.assign_group_role(group, role).await.map(none),
            UnassignGroupRole { group, role } => {
                api.unassign_group_role(group, role).await.map(none)
            }
            AddGroupUser { group, user } => api.add_group_user(group, user).await.map(none),
            RemoveGroupUser { group, user } => api.remove_group_user(group, user).await.map(none),
            CreateInvite(invite) => api
                .create_invite(invite)
                .await
                .map(|i| Some(i.id.to_string())),
            DeleteInvite { invite } => api.delete_invite(invite).await.map(none),
            AddProjectUser {
                project,
                user,
                role,
            } => api.add_project_user(project, user, role).await.map(none),
            ModifyProjectUser {
                project,
                user,
                role,
            } => api.modify_project_user(project, user, role).await.map(none),
            RemoveProjectUser { project, user } => {
                api.remove_project_user(project, user).await.map(none)
            }
            SetServiceAccountRole {
                project,
                account,
                role,
            } => api
                .update_service_account_role(project, account, role)
                .await
                .map(none),
            AddProjectGroup {
                project,
                group,
                role,
            } => api.add_project_group(project, group, role).await.map(none),
            RemoveProjectGroup { project, group } => {
                api.remove_project_group(project, group).await.map(none)
            }
            AssignProjectUserRole {
                project,
                user,
                role,
            } => api
                .assign_project_user_role(project, user, role)
                .await
                .map(none),
            UnassignProjectUserRole {
                project,
                user,
                role,
            } => api
                .unassign_project_user_role(project, user, role)
                .await
                .map(none),
            AssignProjectGroupRole {
                project,
                group,
                role,
            } => api
                .assign_project_group_role(project, group, role)
                .await
                .map(none),
            UnassignProjectGroupRole {
                project,
                group,
                role,
            } => api
                .unassign_project_group_role(project, group, role)
                .await
                .map(none),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planned_calls_fill_the_endpoint_templates() {
        let m = Mutation::UnassignProjectGroupRole {
            project: "proj 1".into(),
            group: "grp-eng".into(),
            role: "role_x".into(),
        };
        assert_eq!(
            m.planned().to_string(),
            "DELETE /projects/proj%201/groups/grp-eng/roles/role_x"
        );
        let m = Mutation::AddProjectUser {
            project: "proj-alpha".into(),
            user: "user-dave".into(),
            role: "member",
        };
        assert_eq!(
            m.planned().to_string(),
            r#"POST /organization/projects/proj-alpha/users {"role":"member","user_id":"user-dave"}"#
        );
        let invite = Mutation::CreateInvite(InviteCreate {
            email: "a@b.example".into(),
            role: "reader".into(),
            projects: vec![],
        });
        assert_eq!(
            invite.planned().to_string(),
            r#"POST /organization/invites {"email":"a@b.example","projects":[],"role":"reader"}"#
        );
        assert_eq!(
            PlannedCall::read(&ListRequest::projects()).to_string(),
            "GET /organization/projects?include_archived=true"
        );
    }
}
