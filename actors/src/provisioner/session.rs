//! One provisioning request's session: the reads it made (cached, so a request never reads the
//! same list twice) and the calls it made or, in a dry run, would make.

use super::call::Mutation;
use super::checks::role_slug;
use super::target::ProjectSlug;
use super::{ProvisionError, ProvisionOutcome, ProvisionResult, Refusal};
use crate::api::models::{Project, ProjectGroup, ProjectUser, Role, User};
use crate::api::{AdminClient, ApiError, Call};
use crate::ids::{GroupId, ProjectId, RoleId, UserId};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// One request's work: what was read, what was (or would be) written, and the reads cached so
/// a request never reads the same list twice.
pub struct Session {
    api: AdminClient,
    dry_run: bool,
    reads: Vec<Call>,
    calls: Vec<Call>,
    notes: Vec<String>,
    invite_id: Option<String>,
    users: Option<Vec<User>>,
    projects: Option<Vec<Project>>,
    project_roles: HashMap<ProjectId, Vec<Role>>,
}

impl Session {
    pub fn new(api: AdminClient, dry_run: bool) -> Self {
        Self {
            api,
            dry_run,
            reads: Vec::new(),
            calls: Vec::new(),
            notes: Vec::new(),
            invite_id: None,
            users: None,
            projects: None,
            project_roles: HashMap::new(),
        }
    }

    pub fn finish(self, action: String, result: ProvisionResult) -> ProvisionOutcome {
        ProvisionOutcome {
            action,
            dry_run: self.dry_run,
            result,
            calls: self.calls,
            reads: self.reads,
            notes: self.notes,
            invite_id: self.invite_id,
        }
    }

    /// Mutations an earlier attempt of the same request made.
    pub fn made(&mut self, calls: &[Call]) {
        self.calls.extend_from_slice(calls);
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    pub fn api_error(&self, call: Call, source: ApiError) -> ProvisionError {
        ProvisionError::Api {
            call: Box::new(call),
            completed: if self.dry_run {
                Vec::new()
            } else {
                self.calls.clone()
            },
            source: Box::new(source),
        }
    }

    pub async fn read<T: DeserializeOwned>(
        &mut self,
        call: Call,
    ) -> Result<Vec<T>, ProvisionError> {
        self.reads.push(call.clone());
        match self.api.list_all(&call).await {
            Ok(items) => Ok(items),
            Err(e) => Err(self.api_error(call, e)),
        }
    }

    /// One object, read with a single-object GET: `None` when the API answers 404 (an answer,
    /// not an error).
    pub async fn read_one<T: DeserializeOwned>(
        &mut self,
        call: Call,
    ) -> Result<Option<T>, ProvisionError> {
        self.reads.push(call.clone());
        match self.api.execute::<T>(&call).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(self.api_error(call, e)),
        }
    }

    /// The invitation a `CreateAccount` found already pending.
    pub fn set_invite(&mut self, invite: &crate::ids::InviteId) {
        self.invite_id = Some(invite.to_string());
    }

    /// Records the mutation and, unless this is a dry run, makes it.
    pub async fn mutate(&mut self, m: Mutation) -> Result<(), ProvisionError> {
        let call = m.call();
        if !self.dry_run {
            tracing::debug!(endpoint = call.endpoint.template(), path = %call.path, "Provisioning call.");
            match self.api.execute::<serde_json::Value>(&call).await {
                Ok(reply) => {
                    if let Mutation::CreateInvite(_) = m {
                        self.invite_id = reply
                            .get("id")
                            .and_then(|i| i.as_str())
                            .map(str::to_owned)
                            .or(self.invite_id.take());
                    }
                }
                Err(e) => return Err(self.api_error(call, e)),
            }
        }
        self.calls.push(call);
        Ok(())
    }

    // ---- reads ----------------------------------------------------------------------------

    pub async fn users(&mut self) -> Result<&[User], ProvisionError> {
        if self.users.is_none() {
            self.users = Some(self.read(Call::users()).await?);
        }
        Ok(self.users.as_deref().unwrap_or_default())
    }

    pub async fn user(&mut self, id: &UserId) -> Result<Option<User>, ProvisionError> {
        Ok(self.users().await?.iter().find(|u| &u.id == id).cloned())
    }

    pub async fn projects(&mut self) -> Result<&[Project], ProvisionError> {
        if self.projects.is_none() {
            self.projects = Some(self.read(Call::projects()).await?);
        }
        Ok(self.projects.as_deref().unwrap_or_default())
    }

    /// The project, refused if archived.
    pub async fn active_project(&mut self, id: &ProjectId) -> Result<Project, ProvisionError> {
        let project = self
            .projects()
            .await?
            .iter()
            .find(|p| &p.id == id)
            .cloned()
            .ok_or_else(|| ProvisionError::NotFound {
                what: "project",
                id: id.to_string(),
            })?;
        if project.is_archived() {
            return Err(Refusal::ArchivedProject {
                project: id.clone(),
            }
            .into());
        }
        Ok(project)
    }

    pub async fn project_roles(&mut self, project: &ProjectId) -> Result<&[Role], ProvisionError> {
        if !self.project_roles.contains_key(project) {
            let roles = self.read(Call::project_roles(project)).await?;
            self.project_roles.insert(project.clone(), roles);
        }
        Ok(self
            .project_roles
            .get(project)
            .map(Vec::as_slice)
            .unwrap_or_default())
    }

    /// The id of a predefined project role in `project` (e.g.
    /// `role-api-project-member__api-project__<p>`), read from the project's roles.
    pub async fn predefined_project_role(
        &mut self,
        project: &ProjectId,
        slug: ProjectSlug,
    ) -> Result<RoleId, ProvisionError> {
        self.project_roles(project)
            .await?
            .iter()
            .find(|r| role_slug(r.id.as_str(), r.name.as_deref(), r.predefined_role) == Some(slug))
            .map(|r| r.id.clone())
            .ok_or_else(|| ProvisionError::NotFound {
                what: "predefined project role",
                id: format!("{} in project {project}", slug.as_str()),
            })
    }

    /// Checks that `role` is a custom role of `project`.
    pub async fn custom_project_role(
        &mut self,
        project: &ProjectId,
        role: &RoleId,
    ) -> Result<(), ProvisionError> {
        let found = self
            .project_roles(project)
            .await?
            .iter()
            .find(|r| &r.id == role)
            .cloned();
        match found {
            None => Err(ProvisionError::NotFound {
                what: "project role",
                id: format!("{role} in project {project}"),
            }),
            Some(r) if role_slug(r.id.as_str(), r.name.as_deref(), r.predefined_role).is_some() => {
                Err(Refusal::Unsupported(format!(
                    "{role} is a predefined project role: use the project:{project}:<owner|member|viewer> entitlement instead"
                ))
                .into())
            }
            Some(_) => Ok(()),
        }
    }

    pub async fn custom_org_role(&mut self, role: &RoleId) -> Result<(), ProvisionError> {
        let roles: Vec<Role> = self.read(Call::org_roles()).await?;
        match roles.iter().find(|r| &r.id == role) {
            None => Err(ProvisionError::NotFound {
                what: "organization role",
                id: role.to_string(),
            }),
            Some(r) if r.predefined_role => Err(Refusal::Unsupported(format!(
                "{role} is a predefined org role: use role:owner:assigned or role:reader:assigned"
            ))
            .into()),
            Some(_) => Ok(()),
        }
    }

    pub async fn project_user(
        &mut self,
        project: &ProjectId,
        user: &UserId,
    ) -> Result<Option<ProjectUser>, ProvisionError> {
        let users: Vec<ProjectUser> = self.read(Call::project_users(project)).await?;
        Ok(users.into_iter().find(|u| &u.id == user))
    }

    pub async fn project_group(
        &mut self,
        project: &ProjectId,
        group: &GroupId,
    ) -> Result<Option<ProjectGroup>, ProvisionError> {
        let groups: Vec<ProjectGroup> = self.read(Call::project_groups(project)).await?;
        Ok(groups.into_iter().find(|g| &g.group_id == group))
    }
}
