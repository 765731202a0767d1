//! One method per mutation the connector makes (DESIGN §5), plus the single reads the
//! provisioner uses to check state before it acts.

use super::models::*;
use super::request::seg;
use super::{AdminClient, ApiError, Endpoint};
use crate::ids::{GroupId, InviteId, ProjectId, RoleId, ServiceAccountId, UserId};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

impl AdminClient {
    async fn send<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        endpoint: Endpoint,
        method: Method,
        path: String,
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        self.call(endpoint, method, &path, &[], body).await
    }

    /// `POST /organization/users/{user_id}` with the legacy role (`owner` / `reader`).
    pub async fn modify_user_role(&self, user: &UserId, role: &str) -> Result<User, ApiError> {
        let body = RoleUpdate {
            role: role.to_owned(),
        };
        self.send(
            Endpoint::ModifyUser,
            Method::POST,
            format!("/organization/users/{}", seg(user.as_str())),
            Some(&body),
        )
        .await
    }

    pub async fn delete_user(&self, user: &UserId) -> Result<Deleted, ApiError> {
        self.send(
            Endpoint::DeleteUser,
            Method::DELETE,
            format!("/organization/users/{}", seg(user.as_str())),
            None::<&()>,
        )
        .await
    }

    pub async fn assign_user_role(
        &self,
        user: &UserId,
        role: &RoleId,
    ) -> Result<serde_json::Value, ApiError> {
        let body = RoleIdBody {
            role_id: role.clone(),
        };
        let path = format!("/organization/users/{}/roles", seg(user.as_str()));
        self.send(Endpoint::AssignUserRole, Method::POST, path, Some(&body))
            .await
    }

    pub async fn unassign_user_role(
        &self,
        user: &UserId,
        role: &RoleId,
    ) -> Result<Deleted, ApiError> {
        let path = format!(
            "/organization/users/{}/roles/{}",
            seg(user.as_str()),
            seg(role.as_str())
        );
        self.send(
            Endpoint::UnassignUserRole,
            Method::DELETE,
            path,
            None::<&()>,
        )
        .await
    }

    pub async fn assign_group_role(
        &self,
        group: &GroupId,
        role: &RoleId,
    ) -> Result<serde_json::Value, ApiError> {
        let body = RoleIdBody {
            role_id: role.clone(),
        };
        let path = format!("/organization/groups/{}/roles", seg(group.as_str()));
        self.send(Endpoint::AssignGroupRole, Method::POST, path, Some(&body))
            .await
    }

    pub async fn unassign_group_role(
        &self,
        group: &GroupId,
        role: &RoleId,
    ) -> Result<Deleted, ApiError> {
        let path = format!(
            "/organization/groups/{}/roles/{}",
            seg(group.as_str()),
            seg(role.as_str())
        );
        self.send(
            Endpoint::UnassignGroupRole,
            Method::DELETE,
            path,
            None::<&()>,
        )
        .await
    }

    pub async fn add_group_user(
        &self,
        group: &GroupId,
        user: &UserId,
    ) -> Result<serde_json::Value, ApiError> {
        let body = UserIdBody {
            user_id: user.clone(),
        };
        let path = format!("/organization/groups/{}/users", seg(group.as_str()));
        self.send(Endpoint::AddGroupUser, Method::POST, path, Some(&body))
            .await
    }

    pub async fn remove_group_user(
        &self,
        group: &GroupId,
        user: &UserId,
    ) -> Result<Deleted, ApiError> {
        let path = format!(
            "/organization/groups/{}/users/{}",
            seg(group.as_str()),
            seg(user.as_str())
        );
        self.send(Endpoint::RemoveGroupUser, Method::DELETE, path, None::<&()>)
            .await
    }

    pub async fn create_invite(&self, invite: &InviteCreate) -> Result<Invite, ApiError> {
        self.send(
            Endpoint::CreateInvite,
            Method::POST,
            "/organization/invites".into(),
            Some(invite),
        )
        .await
    }

    pub async fn retrieve_invite(&self, invite: &InviteId) -> Result<Invite, ApiError> {
        let path = format!("/organization/invites/{}", seg(invite.as_str()));
        self.send(Endpoint::RetrieveInvite, Method::GET, path, None::<&()>)
            .await
    }

    pub async fn delete_invite(&self, invite: &InviteId) -> Result<Deleted, ApiError> {
        let path = format!("/organization/invites/{}", seg(invite.as_str()));
        self.send(Endpoint::DeleteInvite, Method::DELETE, path, None::<&()>)
            .await
    }

    pub async fn add_project_user(
        &self,
        project: &ProjectId,
        user: &UserId,
        role: &str,
    ) -> Result<ProjectUser, ApiError> {
        let body = ProjectUserCreate {
            user_id: user.clone(),
            role: role.to_owned(),
        };
        let path = format!("/organization/projects/{}/users", seg(project.as_str()));
        self.send(Endpoint::AddProjectUser, Method::POST, path, Some(&body))
            .await
    }

    pub async fn modify_project_user(
        &self,
        project: &ProjectId,
        user: &UserId,
        role: &str,
    ) -> Result<ProjectUser, ApiError> {
        let body = RoleUpdate {
            role: role.to_owned(),
        };
        let path = format!(
            "/organization/projects/{}/users/{}",
            seg(project.as_str()),
            seg(user.as_str())
        );
        self.send(Endpoint::ModifyProjectUser, Method::POST, path, Some(&body))
            .await
    }

    pub async fn remove_project_user(
        &self,
        project: &ProjectId,
        user: &UserId,
    ) -> Result<Deleted, ApiError> {
        let path = format!(
            "/organization/projects/{}/users/{}",
            seg(project.as_str()),
            seg(user.as_str())
        );
        self.send(
            Endpoint::RemoveProjectUser,
            Method::DELETE,
            path,
            None::<&()>,
        )
        .await
    }

    pub async fn update_service_account_role(
        &self,
        project: &ProjectId,
        account: &ServiceAccountId,
        role: &str,
    ) -> Result<ServiceAccount, ApiError> {
        let body = RoleUpdate {
            role: role.to_owned(),
        };
        let path = format!(
            "/organization/projects/{}/service_accounts/{}",
            seg(project.as_str()),
            seg(account.as_str())
        );
        self.send(
            Endpoint::UpdateServiceAccount,
            Method::POST,
            path,
            Some(&body),
        )
        .await
    }

    pub async fn add_project_group(
        &self,
        project: &ProjectId,
        group: &GroupId,
        role: &RoleId,
    ) -> Result<ProjectGroup, ApiError> {
        let body = ProjectGroupCreate {
            group_id: group.clone(),
            role: role.clone(),
        };
        let path = format!("/organization/projects/{}/groups", seg(project.as_str()));
        self.send(Endpoint::AddProjectGroup, Method::POST, path, Some(&body))
            .await
    }

    pub async fn remove_project_group(
        &self,
        project: &ProjectId,
        group: &GroupId,
    ) -> Result<Deleted, ApiError> {
        let path = format!(
            "/organization/projects/{}/groups/{}",
            seg(project.as_str()),
            seg(group.as_str())
        );
        self.send(
            Endpoint::RemoveProjectGroup,
            Method::DELETE,
            path,
            None::<&()>,
        )
        .await
    }

    pub async fn assign_project_user_role(
        &self,
        project: &ProjectId,
        user: &UserId,
        role: &RoleId,
    ) -> Result<serde_json::Value, ApiError> {
        let body = RoleIdBody {
            role_id: role.clone(),
        };
        let path = format!(
            "/projects/{}/users/{}/roles",
            seg(project.as_str()),
            seg(user.as_str())
        );
        self.send(
            Endpoint::AssignProjectUserRole,
            Method::POST,
            path,
            Some(&body),
        )
        .await
    }

    pub async fn unassign_project_user_role(
        &self,
        project: &ProjectId,
        user: &UserId,
        role: &RoleId,
    ) -> Result<Deleted, ApiError> {
        let path = format!(
            "/projects/{}/users/{}/roles/{}",
            seg(project.as_str()),
            seg(user.as_str()),
            seg(role.as_str())
        );
        self.send(
            Endpoint::UnassignProjectUserRole,
            Method::DELETE,
            path,
            None::<&()>,
        )
        .await
    }

    pub async fn assign_project_group_role(
        &self,
        project: &ProjectId,
        group: &GroupId,
        role: &RoleId,
    ) -> Result<serde_json::Value, ApiError> {
        let body = RoleIdBody {
            role_id: role.clone(),
        };
        let path = format!(
            "/projects/{}/groups/{}/roles",
            seg(project.as_str()),
            seg(group.as_str())
        );
        self.send(
            Endpoint::AssignProjectGroupRole,
            Method::POST,
            path,
            Some(&body),
        )
        .await
    }

    pub async fn unassign_project_group_role(
        &self,
        project: &ProjectId,
        group: &GroupId,
        role: &RoleId,
    ) -> Result<Deleted, ApiError> {
        let path = format!(
            "/projects/{}/groups/{}/roles/{}",
            seg(project.as_str()),
            seg(group.as_str()),
            seg(role.as_str())
        );
        self.send(
            Endpoint::UnassignProjectGroupRole,
            Method::DELETE,
            path,
            None::<&()>,
        )
        .await
    }
}
