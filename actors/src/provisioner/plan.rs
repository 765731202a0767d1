//! How each request of DESIGN §5 is carried out: read the current state (GETs only), decide
//! whether anything must change, then make the mutations in order — or, in a dry run, only
//! record them.

use super::call::Mutation;
use super::target::{Entitlement, GrantRef, OrgRole, OrgRoleName, Principal, ProjectSlug};
use super::{ProvisionError, ProvisionOutcome, ProvisionResult, Refusal};
use crate::api::models::{
    AssignedRole, GroupUser, Invite, InviteCreate, InviteProject, Project, ProjectGroup,
    ProjectUser, Role, ServiceAccount, User,
};
use crate::api::{AdminClient, ApiError, Call};
use crate::baton::roles::predefined_name;
use crate::ids::{GroupId, InviteId, ProjectId, RoleId, ServiceAccountId, UserId};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// One request's work: what was read, what was (or would be) written, and the reads cached so
/// a request never reads the same list twice.
pub(super) struct Session {
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
    pub(super) fn new(api: AdminClient, dry_run: bool) -> Self {
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

    pub(super) fn finish(self, action: String, result: ProvisionResult) -> ProvisionOutcome {
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

    fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    fn api_error(&self, call: Call, source: ApiError) -> ProvisionError {
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

    async fn read<T: DeserializeOwned>(&mut self, call: Call) -> Result<Vec<T>, ProvisionError> {
        self.reads.push(call.clone());
        match self.api.list_all(&call).await {
            Ok(items) => Ok(items),
            Err(e) => Err(self.api_error(call, e)),
        }
    }

    /// Records the mutation and, unless this is a dry run, makes it.
    async fn mutate(&mut self, m: Mutation) -> Result<(), ProvisionError> {
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

    async fn users(&mut self) -> Result<&[User], ProvisionError> {
        if self.users.is_none() {
            self.users = Some(self.read(Call::users()).await?);
        }
        Ok(self.users.as_deref().unwrap_or_default())
    }

    async fn user(&mut self, id: &UserId) -> Result<Option<User>, ProvisionError> {
        Ok(self.users().await?.iter().find(|u| &u.id == id).cloned())
    }

    async fn projects(&mut self) -> Result<&[Project], ProvisionError> {
        if self.projects.is_none() {
            self.projects = Some(self.read(Call::projects()).await?);
        }
        Ok(self.projects.as_deref().unwrap_or_default())
    }

    /// The project, refused if archived.
    async fn active_project(&mut self, id: &ProjectId) -> Result<Project, ProvisionError> {
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

    async fn project_roles(&mut self, project: &ProjectId) -> Result<&[Role], ProvisionError> {
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
    async fn predefined_project_role(
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
    async fn custom_project_role(
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

    async fn custom_org_role(&mut self, role: &RoleId) -> Result<(), ProvisionError> {
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

    async fn project_user(
        &mut self,
        project: &ProjectId,
        user: &UserId,
    ) -> Result<Option<ProjectUser>, ProvisionError> {
        let users: Vec<ProjectUser> = self.read(Call::project_users(project)).await?;
        Ok(users.into_iter().find(|u| &u.id == user))
    }

    async fn project_group(
        &mut self,
        project: &ProjectId,
        group: &GroupId,
    ) -> Result<Option<ProjectGroup>, ProvisionError> {
        let groups: Vec<ProjectGroup> = self.read(Call::project_groups(project)).await?;
        Ok(groups.into_iter().find(|g| &g.group_id == group))
    }
}

/// The predefined project slug a role id stands for, if any.
/// The API cannot assign custom project roles to service accounts, either way.
fn service_account_custom_role(
    account: &ServiceAccountId,
    project: &ProjectId,
    role: &RoleId,
) -> ProvisionError {
    Refusal::ServiceAccountCustomProjectRole {
        account: account.clone(),
        project: project.clone(),
        role: role.clone(),
    }
    .into()
}

fn role_slug(id: &str, name: Option<&str>, predefined: bool) -> Option<ProjectSlug> {
    predefined_name(id, name, predefined).and_then(|n| ProjectSlug::parse(&n))
}

/// Held directly by `principal_id` (not only through a group).
fn held_directly(role: &AssignedRole, principal_id: &str) -> bool {
    let sources = role.inherited_from();
    sources.is_empty()
        || sources
            .iter()
            .any(|s| s.principal_id.as_str() == principal_id)
}

/// Whether `user` already holds `role` directly among `held`. Held only through groups, it is
/// still assigned directly (revoking the group must not take it away): that is noted.
fn holds_directly_else_note(
    s: &mut Session,
    held: &[AssignedRole],
    user: &UserId,
    role: &RoleId,
) -> bool {
    let Some(r) = held.iter().find(|r| &r.id == role) else {
        return false;
    };
    if held_directly(r, user.as_str()) {
        return true;
    }
    s.note(format!(
        "{user} already holds {role} through group(s) {}; assigning it directly as well",
        inherited_groups(r).join(", ")
    ));
    false
}

fn inherited_groups(role: &AssignedRole) -> Vec<String> {
    role.inherited_from()
        .iter()
        .filter(|s| s.principal_type == "group")
        .map(|s| s.principal_id.to_string())
        .collect()
}

// ---- grant ---------------------------------------------------------------------------------

pub(super) async fn grant(
    s: &mut Session,
    entitlement: &Entitlement,
    principal: &Principal,
) -> Result<ProvisionResult, ProvisionError> {
    use Entitlement as E;
    use Principal as P;
    match (entitlement, principal) {
        (E::OrgMember { .. }, _) => Err(Refusal::OrgMembershipIsAnInvite.into()),
        (_, P::Invite(i)) => Err(Refusal::Unsupported(format!(
            "invite {i} is a pending invitation: its org role and projects are set when it is created; grant to the user once it is accepted"
        ))
        .into()),
        (E::OrgRole(OrgRole::Predefined(role)), P::User(u)) => grant_org_role(s, u, *role).await,
        (E::OrgRole(OrgRole::Custom(role)), P::User(u)) => grant_user_custom_role(s, u, role).await,
        (E::OrgRole(OrgRole::Custom(role)), P::Group(g)) => {
            grant_group_custom_role(s, g, role).await
        }
        (E::OrgRole(_), _) => Err(Refusal::Unsupported(format!(
            "{entitlement} cannot be granted to {principal}: owner and reader are a user's own org role, and custom org roles go to users and groups"
        ))
        .into()),
        (E::Project { project, slug }, P::User(u)) => {
            grant_project_user(s, project, *slug, u).await
        }
        (E::Project { project, slug }, P::Group(g)) => {
            grant_project_group(s, project, *slug, g).await
        }
        (E::Project { project, slug }, P::ServiceAccount { project: home, account }) => {
            service_account_role(s, project, *slug, home, account, true).await
        }
        (E::ProjectRole { project, role }, P::ServiceAccount { account, .. }) => {
            Err(service_account_custom_role(account, project, role))
        }
        (E::ProjectRole { project, role }, P::User(u)) => {
            grant_project_role_user(s, project, role, u).await
        }
        (E::ProjectRole { project, role }, P::Group(g)) => {
            grant_project_role_group(s, project, role, g).await
        }
        (E::GroupMember { group }, P::User(u)) => group_member(s, group, u, true).await,
        (E::GroupMember { .. }, _) => Err(Refusal::Unsupported(format!(
            "{entitlement} cannot be granted to {principal}: groups contain users only"
        ))
        .into()),
    }
}

async fn grant_org_role(
    s: &mut Session,
    user: &UserId,
    role: OrgRoleName,
) -> Result<ProvisionResult, ProvisionError> {
    let u = org_user(s, user).await?;
    if u.role.as_deref() == Some(role.as_str()) {
        return Ok(ProvisionResult::AlreadyGranted);
    }
    if let Some(old) = &u.role {
        s.note(format!(
            "{user}'s org role changes from {old} to {}",
            role.as_str()
        ));
    }
    s.mutate(Mutation::SetOrgRole {
        user: user.clone(),
        role: role.as_str(),
    })
    .await?;
    Ok(ProvisionResult::Granted)
}

/// The org user, refused if it is a service account's user.
async fn org_user(s: &mut Session, user: &UserId) -> Result<User, ProvisionError> {
    let u = s
        .user(user)
        .await?
        .ok_or_else(|| ProvisionError::NotFound {
            what: "user",
            id: user.to_string(),
        })?;
    if u.is_service_account() {
        return Err(Refusal::ServiceAccountUser { user: user.clone() }.into());
    }
    Ok(u)
}

async fn grant_user_custom_role(
    s: &mut Session,
    user: &UserId,
    role: &RoleId,
) -> Result<ProvisionResult, ProvisionError> {
    s.custom_org_role(role).await?;
    let held: Vec<AssignedRole> = s.read(Call::user_roles(user)).await?;
    if holds_directly_else_note(s, &held, user, role) {
        return Ok(ProvisionResult::AlreadyGranted);
    }
    s.mutate(Mutation::AssignUserRole {
        user: user.clone(),
        role: role.clone(),
    })
    .await?;
    Ok(ProvisionResult::Granted)
}

async fn grant_group_custom_role(
    s: &mut Session,
    group: &GroupId,
    role: &RoleId,
) -> Result<ProvisionResult, ProvisionError> {
    s.custom_org_role(role).await?;
    let held: Vec<AssignedRole> = s.read(Call::group_roles(group)).await?;
    if held.iter().any(|r| &r.id == role) {
        return Ok(ProvisionResult::AlreadyGranted);
    }
    s.mutate(Mutation::AssignGroupRole {
        group: group.clone(),
        role: role.clone(),
    })
    .await?;
    Ok(ProvisionResult::Granted)
}

/// Org owners are implicit owners of every active project.
async fn is_org_owner(s: &mut Session, user: &UserId) -> Result<bool, ProvisionError> {
    Ok(s.user(user)
        .await?
        .is_some_and(|u| u.role.as_deref() == Some("owner")))
}

async fn grant_project_user(
    s: &mut Session,
    project: &ProjectId,
    slug: ProjectSlug,
    user: &UserId,
) -> Result<ProvisionResult, ProvisionError> {
    s.active_project(project).await?;
    if slug == ProjectSlug::Owner && is_org_owner(s, user).await? {
        s.note(format!(
            "{user} is an organization owner and so already owns every project (inherited from role:owner:assigned)"
        ));
        return Ok(ProvisionResult::AlreadyGranted);
    }
    match s.project_user(project, user).await? {
        Some(m) if m.role.as_deref() == Some(slug.as_str()) => Ok(ProvisionResult::AlreadyGranted),
        Some(m) => {
            s.note(format!(
                "{user}'s role in {project} changes from {} to {}",
                m.role.as_deref().unwrap_or("(none)"),
                slug.as_str()
            ));
            s.mutate(Mutation::ModifyProjectUser {
                project: project.clone(),
                user: user.clone(),
                role: slug.as_str(),
            })
            .await?;
            Ok(ProvisionResult::Granted)
        }
        None => {
            s.mutate(Mutation::AddProjectUser {
                project: project.clone(),
                user: user.clone(),
                role: slug.as_str(),
            })
            .await?;
            Ok(ProvisionResult::Granted)
        }
    }
}

async fn grant_project_group(
    s: &mut Session,
    project: &ProjectId,
    slug: ProjectSlug,
    group: &GroupId,
) -> Result<ProvisionResult, ProvisionError> {
    s.active_project(project).await?;
    let role = s.predefined_project_role(project, slug).await?;
    if s.project_group(project, group).await?.is_none() {
        s.mutate(Mutation::AddProjectGroup {
            project: project.clone(),
            group: group.clone(),
            role,
        })
        .await?;
        return Ok(ProvisionResult::Granted);
    }
    let held: Vec<AssignedRole> = s.read(Call::project_group_roles(project, group)).await?;
    if held
        .iter()
        .any(|r| role_slug(r.id.as_str(), r.name.as_deref(), r.predefined_role) == Some(slug))
    {
        return Ok(ProvisionResult::AlreadyGranted);
    }
    s.mutate(Mutation::AssignProjectGroupRole {
        project: project.clone(),
        group: group.clone(),
        role,
    })
    .await?;
    Ok(ProvisionResult::Granted)
}

/// Grant (`grant = true`) or revoke a service account's predefined role in its own project.
async fn service_account_role(
    s: &mut Session,
    project: &ProjectId,
    slug: ProjectSlug,
    home: &ProjectId,
    account: &ServiceAccountId,
    grant: bool,
) -> Result<ProvisionResult, ProvisionError> {
    if home != project {
        return Err(Refusal::Unsupported(format!(
            "service account {account} belongs to project {home}; a service account has access to its own project only"
        ))
        .into());
    }
    if slug == ProjectSlug::Viewer {
        return Err(Refusal::Unsupported(format!(
            "service accounts are owner or member of their project; project:{project}:viewer cannot be given to service account {account}"
        ))
        .into());
    }
    if !grant && slug == ProjectSlug::Member {
        return Err(Refusal::ServiceAccountFloor {
            account: account.clone(),
            project: project.clone(),
        }
        .into());
    }
    s.active_project(project).await?;
    let accounts: Vec<ServiceAccount> = s.read(Call::project_service_accounts(project)).await?;
    let Some(current) = accounts.into_iter().find(|a| &a.id == account) else {
        return if grant {
            Err(ProvisionError::NotFound {
                what: "service account",
                id: format!("{account} in project {project}"),
            })
        } else {
            Ok(ProvisionResult::AlreadyRevoked)
        };
    };
    let current = current.role.unwrap_or_default();
    let (target, done) = if grant {
        (slug.as_str(), ProvisionResult::Granted)
    } else {
        // Only owner gets here: an owner is demoted to member, the floor the API allows.
        if current != slug.as_str() {
            return Ok(ProvisionResult::AlreadyRevoked);
        }
        s.note(format!(
            "service account {account} is set to member (the API has no lower role for it)"
        ));
        ("member", ProvisionResult::Revoked)
    };
    if grant && current == target {
        return Ok(ProvisionResult::AlreadyGranted);
    }
    s.mutate(Mutation::SetServiceAccountRole {
        project: project.clone(),
        account: account.clone(),
        role: target,
    })
    .await?;
    Ok(done)
}

async fn grant_project_role_user(
    s: &mut Session,
    project: &ProjectId,
    role: &RoleId,
    user: &UserId,
) -> Result<ProvisionResult, ProvisionError> {
    s.active_project(project).await?;
    s.custom_project_role(project, role).await?;
    if s.project_user(project, user).await?.is_none() {
        s.note(format!(
            "{user} has no predefined role in {project}: adding them as member first (custom project roles require project membership)"
        ));
        s.mutate(Mutation::AddProjectUser {
            project: project.clone(),
            user: user.clone(),
            role: ProjectSlug::Member.as_str(),
        })
        .await?;
    } else {
        let held: Vec<AssignedRole> = s.read(Call::project_user_roles(project, user)).await?;
        if holds_directly_else_note(s, &held, user, role) {
            return Ok(ProvisionResult::AlreadyGranted);
        }
    }
    s.mutate(Mutation::AssignProjectUserRole {
        project: project.clone(),
        user: user.clone(),
        role: role.clone(),
    })
    .await?;
    Ok(ProvisionResult::Granted)
}

async fn grant_project_role_group(
    s: &mut Session,
    project: &ProjectId,
    role: &RoleId,
    group: &GroupId,
) -> Result<ProvisionResult, ProvisionError> {
    s.active_project(project).await?;
    s.custom_project_role(project, role).await?;
    if s.project_group(project, group).await?.is_none() {
        let member = s
            .predefined_project_role(project, ProjectSlug::Member)
            .await?;
        s.note(format!(
            "group {group} has no access to {project}: adding it as member first (custom project roles require project access)"
        ));
        s.mutate(Mutation::AddProjectGroup {
            project: project.clone(),
            group: group.clone(),
            role: member,
        })
        .await?;
    } else {
        let held: Vec<AssignedRole> = s.read(Call::project_group_roles(project, group)).await?;
        if held.iter().any(|r| &r.id == role) {
            return Ok(ProvisionResult::AlreadyGranted);
        }
    }
    s.mutate(Mutation::AssignProjectGroupRole {
        project: project.clone(),
        group: group.clone(),
        role: role.clone(),
    })
    .await?;
    Ok(ProvisionResult::Granted)
}

/// Add (`add = true`) or remove a user in a group.
async fn group_member(
    s: &mut Session,
    group: &GroupId,
    user: &UserId,
    add: bool,
) -> Result<ProvisionResult, ProvisionError> {
    let members: Vec<GroupUser> = s.read(Call::group_users(group)).await?;
    let present = members.iter().any(|m| &m.id == user);
    match (add, present) {
        (true, true) => Ok(ProvisionResult::AlreadyGranted),
        (false, false) => Ok(ProvisionResult::AlreadyRevoked),
        (true, false) => {
            s.mutate(Mutation::AddGroupUser {
                group: group.clone(),
                user: user.clone(),
            })
            .await?;
            Ok(ProvisionResult::Granted)
        }
        (false, true) => {
            s.mutate(Mutation::RemoveGroupUser {
                group: group.clone(),
                user: user.clone(),
            })
            .await?;
            Ok(ProvisionResult::Revoked)
        }
    }
}

// ---- revoke --------------------------------------------------------------------------------

pub(super) async fn revoke(
    s: &mut Session,
    g: &GrantRef,
) -> Result<ProvisionResult, ProvisionError> {
    use Entitlement as E;
    use Principal as P;
    match (&g.entitlement, &g.principal) {
        (_, P::Invite(i)) => Err(Refusal::Unsupported(format!(
            "invite {i} is a pending invitation: delete it instead (openai-access delete-invite --invite {i})"
        ))
        .into()),
        (E::OrgMember { .. }, P::User(u)) => Ok(match delete_user(s, u).await? {
            ProvisionResult::Deleted => ProvisionResult::Revoked,
            ProvisionResult::AlreadyDeleted => ProvisionResult::AlreadyRevoked,
            other => other,
        }),
        (E::OrgRole(OrgRole::Predefined(OrgRoleName::Reader)), P::User(u)) => {
            Err(Refusal::ReaderFloor { user: u.clone() }.into())
        }
        (E::OrgRole(OrgRole::Predefined(OrgRoleName::Owner)), P::User(u)) => {
            revoke_org_owner(s, u).await
        }
        (E::OrgRole(OrgRole::Custom(role)), P::User(u)) => revoke_user_custom_role(s, u, role, g).await,
        (E::OrgRole(OrgRole::Custom(role)), P::Group(group)) => {
            let held: Vec<AssignedRole> = s.read(Call::group_roles(group)).await?;
            if !held.iter().any(|r| &r.id == role) {
                return Ok(ProvisionResult::AlreadyRevoked);
            }
            s.mutate(Mutation::UnassignGroupRole {
                group: group.clone(),
                role: role.clone(),
            })
            .await?;
            Ok(ProvisionResult::Revoked)
        }
        (E::Project { project, slug }, P::User(u)) => revoke_project_user(s, project, *slug, u).await,
        (E::Project { project, slug }, P::Group(group)) => {
            s.active_project(project).await?;
            let wanted = |r: &AssignedRole| {
                role_slug(r.id.as_str(), r.name.as_deref(), r.predefined_role) == Some(*slug)
            };
            revoke_project_group_role(s, project, group, wanted).await
        }
        (E::Project { project, slug }, P::ServiceAccount { project: home, account }) => {
            service_account_role(s, project, *slug, home, account, false).await
        }
        (E::ProjectRole { project, role }, P::ServiceAccount { account, .. }) => {
            Err(service_account_custom_role(account, project, role))
        }
        (E::ProjectRole { project, role }, P::User(u)) => {
            s.active_project(project).await?;
            let held: Vec<AssignedRole> = s
                .read(Call::project_user_roles(project, u))
                .await?;
            let Some(r) = held.iter().find(|r| &r.id == role) else {
                return Ok(ProvisionResult::AlreadyRevoked);
            };
            if !held_directly(r, u.as_str()) {
                return Err(Refusal::InheritedThroughGroup {
                    grant: g.to_string(),
                    groups: inherited_groups(r),
                }
                .into());
            }
            s.mutate(Mutation::UnassignProjectUserRole {
                project: project.clone(),
                user: u.clone(),
                role: role.clone(),
            })
            .await?;
            Ok(ProvisionResult::Revoked)
        }
        (E::ProjectRole { project, role }, P::Group(group)) => {
            s.active_project(project).await?;
            revoke_project_group_role(s, project, group, |r| &r.id == role).await
        }
        (E::GroupMember { group }, P::User(u)) => group_member(s, group, u, false).await,
        (entitlement, principal) => Err(Refusal::Unsupported(format!(
            "{principal} cannot hold {entitlement}, so there is nothing to revoke"
        ))
        .into()),
    }
}

async fn revoke_org_owner(
    s: &mut Session,
    user: &UserId,
) -> Result<ProvisionResult, ProvisionError> {
    let Some(u) = s.user(user).await? else {
        s.note(format!("{user} is not in the organization"));
        return Ok(ProvisionResult::AlreadyRevoked);
    };
    if u.is_service_account() {
        return Err(Refusal::ServiceAccountUser { user: user.clone() }.into());
    }
    if u.role.as_deref() != Some("owner") {
        return Ok(ProvisionResult::AlreadyRevoked);
    }
    s.note(format!("{user} becomes a reader (the floor org role)"));
    s.mutate(Mutation::SetOrgRole {
        user: user.clone(),
        role: OrgRoleName::Reader.as_str(),
    })
    .await?;
    Ok(ProvisionResult::Revoked)
}

async fn revoke_user_custom_role(
    s: &mut Session,
    user: &UserId,
    role: &RoleId,
    g: &GrantRef,
) -> Result<ProvisionResult, ProvisionError> {
    if s.user(user).await?.is_none() {
        s.note(format!("{user} is not in the organization"));
        return Ok(ProvisionResult::AlreadyRevoked);
    }
    let held: Vec<AssignedRole> = s.read(Call::user_roles(user)).await?;
    let Some(r) = held.iter().find(|r| &r.id == role) else {
        return Ok(ProvisionResult::AlreadyRevoked);
    };
    if !held_directly(r, user.as_str()) {
        return Err(Refusal::InheritedThroughGroup {
            grant: g.to_string(),
            groups: inherited_groups(r),
        }
        .into());
    }
    s.mutate(Mutation::UnassignUserRole {
        user: user.clone(),
        role: role.clone(),
    })
    .await?;
    Ok(ProvisionResult::Revoked)
}

async fn revoke_project_user(
    s: &mut Session,
    project: &ProjectId,
    slug: ProjectSlug,
    user: &UserId,
) -> Result<ProvisionResult, ProvisionError> {
    s.active_project(project).await?;
    if slug == ProjectSlug::Owner && is_org_owner(s, user).await? {
        return Err(Refusal::InheritedProjectOwner {
            user: user.clone(),
            project: project.clone(),
        }
        .into());
    }
    match s.project_user(project, user).await? {
        Some(m) if m.role.as_deref() == Some(slug.as_str()) => {
            s.note(format!(
                "{user} leaves {project} (with any custom project roles held there)"
            ));
            s.mutate(Mutation::RemoveProjectUser {
                project: project.clone(),
                user: user.clone(),
            })
            .await?;
            Ok(ProvisionResult::Revoked)
        }
        Some(m) => {
            s.note(format!(
                "{user}'s role in {project} is {}, not {}; nothing to remove",
                m.role.as_deref().unwrap_or("(none)"),
                slug.as_str()
            ));
            Ok(ProvisionResult::AlreadyRevoked)
        }
        None => Ok(ProvisionResult::AlreadyRevoked),
    }
}

/// Removes one of a group's roles in a project: the whole project access when it is the only
/// role the group holds there, else just that role.
async fn revoke_project_group_role(
    s: &mut Session,
    project: &ProjectId,
    group: &GroupId,
    wanted: impl Fn(&AssignedRole) -> bool,
) -> Result<ProvisionResult, ProvisionError> {
    if s.project_group(project, group).await?.is_none() {
        return Ok(ProvisionResult::AlreadyRevoked);
    }
    let held: Vec<AssignedRole> = s.read(Call::project_group_roles(project, group)).await?;
    let Some(role) = held.iter().find(|r| wanted(r)) else {
        return Ok(ProvisionResult::AlreadyRevoked);
    };
    if held.len() == 1 {
        s.note(format!(
            "it is the only role group {group} holds in {project}: removing the group from the project"
        ));
        s.mutate(Mutation::RemoveProjectGroup {
            project: project.clone(),
            group: group.clone(),
        })
        .await?;
    } else {
        s.mutate(Mutation::UnassignProjectGroupRole {
            project: project.clone(),
            group: group.clone(),
            role: role.id.clone(),
        })
        .await?;
    }
    Ok(ProvisionResult::Revoked)
}

// ---- accounts ------------------------------------------------------------------------------

pub(super) async fn delete_user(
    s: &mut Session,
    user: &UserId,
) -> Result<ProvisionResult, ProvisionError> {
    let Some(u) = s.user(user).await? else {
        s.note(format!("{user} is not in the organization"));
        return Ok(ProvisionResult::AlreadyDeleted);
    };
    if u.is_service_account() {
        return Err(Refusal::ServiceAccountUser { user: user.clone() }.into());
    }
    s.mutate(Mutation::DeleteUser { user: user.clone() })
        .await?;
    Ok(ProvisionResult::Deleted)
}

pub(super) async fn create_account(
    s: &mut Session,
    email: &str,
    role: OrgRoleName,
    projects: &[(ProjectId, ProjectSlug)],
) -> Result<ProvisionResult, ProvisionError> {
    for (project, slug) in projects {
        if *slug == ProjectSlug::Viewer {
            return Err(Refusal::Unsupported(format!(
                "an invitation can make its invitee owner or member of a project, not viewer ({project}); invite as member, then grant project:{project}:viewer once they joined"
            ))
            .into());
        }
        s.active_project(project).await?;
    }
    if let Some(u) = s.users().await?.iter().find(|u| {
        u.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
    }) {
        let id = u.id.clone();
        s.note(format!("{email} is already user {id}"));
        return Ok(ProvisionResult::AlreadyMember);
    }
    let invites: Vec<Invite> = s.read(Call::invites()).await?;
    if let Some(i) = invites.iter().find(|i| {
        i.status.as_deref() == Some("pending")
            && i.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
    }) {
        s.note(format!("{email} already has pending invite {}", i.id));
        s.invite_id = Some(i.id.to_string());
        return Ok(ProvisionResult::AlreadyInvited);
    }
    s.mutate(Mutation::CreateInvite(InviteCreate {
        email: email.to_owned(),
        role: role.as_str().to_owned(),
        projects: projects
            .iter()
            .map(|(id, slug)| InviteProject {
                id: id.clone(),
                role: Some(slug.as_str().to_owned()),
            })
            .collect(),
    }))
    .await?;
    Ok(ProvisionResult::Created)
}

pub(super) async fn delete_invite(
    s: &mut Session,
    invite: &InviteId,
) -> Result<ProvisionResult, ProvisionError> {
    let call = Call::invite(invite);
    s.reads.push(call.clone());
    let current = match s.api.execute::<Invite>(&call).await {
        Ok(i) => i,
        Err(e) if e.status() == Some(404) => {
            s.note(format!("invite {invite} does not exist"));
            return Ok(ProvisionResult::AlreadyDeleted);
        }
        Err(e) => return Err(s.api_error(call, e)),
    };
    if current.status.as_deref() == Some("accepted") {
        return Err(Refusal::AcceptedInvite {
            invite: invite.clone(),
        }
        .into());
    }
    s.mutate(Mutation::DeleteInvite {
        invite: invite.clone(),
    })
    .await?;
    Ok(ProvisionResult::Deleted)
}
