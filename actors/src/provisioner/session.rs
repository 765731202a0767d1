//! One provisioning request's session: the reads it made (cached, so a request never reads the
//! same object twice) and the calls it made or, in a dry run, would make. Objects are read
//! alone with the API's single-object GETs (a 404 is an answer: not there), so a grant costs
//! the same few requests on any org; a list is read only where no single GET answers (a
//! project's roles, a principal's role assignments, the org's invites).

use super::call::Mutation;
use super::target::ProjectSlug;
use super::{ProvisionError, ProvisionOutcome, ProvisionResult, Refusal};
use crate::api::models::{AdminApiKey, Group, Project, ProjectGroup, ProjectUser, Role, User};
use crate::api::{AdminClient, ApiError, Call};
use crate::baton::roles::org_id_from_role_id;
use crate::ids::{GroupId, OrgId, ProjectId, RoleId, UserId};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// One request's work: what was read, what was (or would be) written, and the reads cached so
/// a request never reads the same list twice.
pub(super) struct Session {
    api: AdminClient,
    dry_run: bool,
    pub overrides: super::Overrides,
    /// The key's organization, shared with the provisioner (see `Provisioner::with_org`).
    org: Arc<OnceLock<OrgId>>,
    reads: Vec<Call>,
    calls: Vec<Call>,
    notes: Vec<String>,
    invite_id: Option<String>,
    replaces: Option<String>,
    users: HashMap<UserId, Option<User>>,
    projects: HashMap<ProjectId, Option<Project>>,
    project_roles: HashMap<ProjectId, Vec<Role>>,
}

impl Session {
    pub(super) fn new(
        api: AdminClient,
        dry_run: bool,
        overrides: super::Overrides,
        org: Arc<OnceLock<OrgId>>,
    ) -> Self {
        Self {
            api,
            dry_run,
            overrides,
            org,
            reads: Vec::new(),
            calls: Vec::new(),
            notes: Vec::new(),
            invite_id: None,
            replaces: None,
            users: HashMap::new(),
            projects: HashMap::new(),
            project_roles: HashMap::new(),
        }
    }

    pub(super) fn finish(self, action: String, result: ProvisionResult) -> ProvisionOutcome {
        ProvisionOutcome {
            action,
            dry_run: self.dry_run,
            result,
            calls: self.calls,
            reads: self.reads,
            notes: self.notes,
            invite_id: self.invite_id,
            replaces: self.replaces,
        }
    }

    /// Mutations an earlier attempt of the same request made.
    pub(super) fn made(&mut self, calls: &[Call]) {
        self.calls.extend_from_slice(calls);
    }

    /// The grant (Baton id) the request's grant replaces.
    pub(super) fn replaces(&mut self, grant: String) {
        self.replaces = Some(grant);
    }

    pub(super) fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    pub(super) fn api_error(&self, call: Call, source: ApiError) -> ProvisionError {
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

    pub(super) async fn read<T: DeserializeOwned>(
        &mut self,
        call: Call,
    ) -> Result<Vec<T>, ProvisionError> {
        self.reads.push(call.clone());
        match self.api.list_all(&call).await {
            Ok(items) => Ok(items),
            Err(e) => Err(self.api_error(call, e)),
        }
    }

    /// A whole list, or `None` when the API answers 404 (its parent is not there).
    pub(super) async fn read_if_there<T: DeserializeOwned>(
        &mut self,
        call: Call,
    ) -> Result<Option<Vec<T>>, ProvisionError> {
        self.reads.push(call.clone());
        match self.api.list_all(&call).await {
            Ok(items) => Ok(Some(items)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(self.api_error(call, e)),
        }
    }

    /// One object, read with a single-object GET: `None` when the API answers 404 (an answer,
    /// not an error).
    pub(super) async fn read_one<T: DeserializeOwned>(
        &mut self,
        call: Call,
    ) -> Result<Option<T>, ProvisionError> {
        self.reads.push(call.clone());
        match self.api.find::<T>(&call).await {
            Ok(v) => Ok(v),
            Err(e) => Err(self.api_error(call, e)),
        }
    }

    /// The invitation a `CreateAccount` found already pending.
    pub(super) fn set_invite(&mut self, invite: &crate::ids::InviteId) {
        self.invite_id = Some(invite.to_string());
    }

    /// Records the mutation and, unless this is a dry run, makes it.
    pub(super) async fn mutate(&mut self, m: Mutation) -> Result<(), ProvisionError> {
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

    /// The organization the key belongs to: known, or read from the ids of the org's
    /// predefined roles (`role-api-organization-owner__api-organization__<org>`), as a sync
    /// names it; `org` when they name none, as a sync does too.
    pub(super) async fn our_org(&mut self) -> Result<OrgId, ProvisionError> {
        if let Some(org) = self.org.get() {
            return Ok(org.clone());
        }
        let roles: Vec<Role> = self.read(Call::org_roles()).await?;
        let org = roles
            .iter()
            .find_map(|r| org_id_from_role_id(r.id.as_str()))
            .and_then(|o| o.parse().ok())
            .unwrap_or_else(|| crate::ids::literal("org"));
        Ok(self.org.get_or_init(|| org).clone())
    }

    /// Refuses a request whose `what` names another organization than the key's: a grant id
    /// from another org's export must not change a same-named user here.
    pub(super) async fn require_our_org(
        &mut self,
        named: &OrgId,
        what: impl std::fmt::Display,
    ) -> Result<(), ProvisionError> {
        let ours = self.our_org().await?;
        if &ours == named {
            return Ok(());
        }
        Err(Refusal::OtherOrganization {
            what: what.to_string(),
            named: named.clone(),
            ours,
        }
        .into())
    }

    /// The org's user, read alone (`None`: not in the organization).
    pub(super) async fn user(&mut self, id: &UserId) -> Result<Option<User>, ProvisionError> {
        if !self.users.contains_key(id) {
            let u = self.read_one(Call::user(id)).await?;
            self.users.insert(id.clone(), u);
        }
        Ok(self.users.get(id).cloned().flatten())
    }

    /// The user, or the request names nothing.
    pub(super) async fn require_user(&mut self, id: &UserId) -> Result<User, ProvisionError> {
        self.user(id)
            .await?
            .ok_or_else(|| ProvisionError::NotFound {
                what: "user",
                id: id.to_string(),
            })
    }

    /// The group (read alone), or the request names nothing (with the closest group id, from
    /// the org's group list: one page).
    pub(super) async fn require_group(&mut self, id: &GroupId) -> Result<Group, ProvisionError> {
        if let Some(g) = self.read_one::<Group>(Call::group(id)).await? {
            return Ok(g);
        }
        let groups: Vec<Group> = self.read(Call::groups()).await?;
        let near = super::error::close_match(id.as_str(), groups.iter().map(|g| g.id.as_str()));
        Err(ProvisionError::not_found("group", id, near))
    }

    /// Whether `key` is the one this connector runs with (by its redacted value).
    pub(super) fn runs_with(&self, key: &AdminApiKey) -> bool {
        key.redacted_value
            .as_deref()
            .is_some_and(|r| self.api.runs_with(r))
    }

    /// The admin key this connector runs with, found by its redacted value among the org's
    /// admin keys (`None`: not among them, e.g. a key the listing does not show).
    pub(super) async fn connector_key(&mut self) -> Result<Option<AdminApiKey>, ProvisionError> {
        let keys: Vec<AdminApiKey> = self.read(Call::admin_api_keys()).await?;
        Ok(keys.into_iter().find(|k| self.runs_with(k)))
    }

    /// An owner of the organization other than `user`, paging the org's users only until one
    /// is found (the API cannot filter users by role). `Err(owners)` when there is none: the
    /// owners there are (`user` alone, or nobody).
    pub(super) async fn other_owner(
        &mut self,
        user: &UserId,
    ) -> Result<Result<UserId, Vec<UserId>>, ProvisionError> {
        let call = Call::users();
        self.reads.push(call.clone());
        let mut owners = Vec::new();
        let mut pager = self.api.pager(&call);
        loop {
            match pager.next::<User>().await {
                Ok(Some(page)) => {
                    for u in page.items {
                        if u.role.as_deref() == Some("owner") && !u.is_service_account() {
                            if &u.id != user {
                                return Ok(Ok(u.id));
                            }
                            owners.push(u.id);
                        }
                    }
                }
                Ok(None) => return Ok(Err(owners)),
                Err(e) => return Err(self.api_error(call, e)),
            }
        }
    }

    /// The org's users with `email` (one page: the API filters by email).
    pub(super) async fn users_with_email(
        &mut self,
        email: &str,
    ) -> Result<Vec<User>, ProvisionError> {
        self.read(Call::users_with_email(email)).await
    }

    /// The project, read alone, refused if archived.
    pub(super) async fn active_project(
        &mut self,
        id: &ProjectId,
    ) -> Result<Project, ProvisionError> {
        if !self.projects.contains_key(id) {
            let p = self.read_one(Call::project(id)).await?;
            self.projects.insert(id.clone(), p);
        }
        let project =
            self.projects
                .get(id)
                .cloned()
                .flatten()
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

    pub(super) async fn project_roles(
        &mut self,
        project: &ProjectId,
    ) -> Result<&[Role], ProvisionError> {
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
    pub(super) async fn predefined_project_role(
        &mut self,
        project: &ProjectId,
        slug: ProjectSlug,
    ) -> Result<RoleId, ProvisionError> {
        self.project_roles(project)
            .await?
            .iter()
            .find(|r| {
                ProjectSlug::of_role(r.id.as_str(), r.name.as_deref(), r.predefined_role)
                    == Some(slug)
            })
            .map(|r| r.id.clone())
            .ok_or_else(|| ProvisionError::NotFound {
                what: "predefined project role",
                id: format!("{} in project {project}", slug.as_str()),
            })
    }

    /// Checks that `role` is a custom role of `project`.
    pub(super) async fn custom_project_role(
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
            Some(r) if ProjectSlug::of_role(r.id.as_str(), r.name.as_deref(), r.predefined_role).is_some() => {
                Err(Refusal::Unsupported(format!(
                    "{role} is a predefined project role: use the project:{project}:<owner|member|viewer> entitlement instead"
                ))
                .into())
            }
            Some(_) => Ok(()),
        }
    }

    pub(super) async fn custom_org_role(&mut self, role: &RoleId) -> Result<(), ProvisionError> {
        match self.read_one::<Role>(Call::org_role(role)).await? {
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

    /// The user's membership of the project, read alone (`None`: not a member).
    pub(super) async fn project_user(
        &mut self,
        project: &ProjectId,
        user: &UserId,
    ) -> Result<Option<ProjectUser>, ProvisionError> {
        self.read_one(Call::project_user(project, user)).await
    }

    /// The group's access to the project, read alone (`None`: it has none).
    pub(super) async fn project_group(
        &mut self,
        project: &ProjectId,
        group: &GroupId,
    ) -> Result<Option<ProjectGroup>, ProvisionError> {
        self.read_one(Call::project_group(project, group)).await
    }
}
