//! Grants: what each entitlement needs, read first, then at most two mutations.

use super::call::Mutation;
use super::checks::*;
use super::session::Session;
use super::target::{Entitlement, OrgRole, OrgRoleName, Principal, ProjectSlug};
use super::{ProvisionError, ProvisionResult, Refusal};
use crate::api::Call;
use crate::api::models::AssignedRole;
use crate::ids::{GroupId, ProjectId, RoleId, UserId};

pub(super) async fn grant(
    s: &mut Session,
    entitlement: &Entitlement,
    principal: &Principal,
) -> Result<ProvisionResult, ProvisionError> {
    use Entitlement as E;
    use Principal as P;
    match (entitlement, principal) {
        (E::OrgMember { org }, _) => {
            s.require_our_org(org, entitlement).await?;
            Err(Refusal::OrgMembershipIsAnInvite.into())
        }
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
        s.replaces(format!("role:{old}:assigned:user:{user}"));
    }
    s.mutate(Mutation::SetOrgRole {
        user: user.clone(),
        role: role.as_str(),
    })
    .await?;
    Ok(ProvisionResult::Granted)
}

async fn grant_user_custom_role(
    s: &mut Session,
    user: &UserId,
    role: &RoleId,
) -> Result<ProvisionResult, ProvisionError> {
    s.custom_org_role(role).await?;
    s.require_user(user).await?;
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
    s.require_group(group).await?;
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
            if let Some(old) = &m.role {
                s.replaces(format!("project:{project}:{old}:user:{user}"));
            }
            s.mutate(Mutation::ModifyProjectUser {
                project: project.clone(),
                user: user.clone(),
                role: slug.as_str(),
            })
            .await?;
            Ok(ProvisionResult::Granted)
        }
        None => {
            s.require_user(user).await?;
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
        s.require_group(group).await?;
        s.mutate(Mutation::AddProjectGroup {
            project: project.clone(),
            group: group.clone(),
            role,
        })
        .await?;
        return Ok(ProvisionResult::Granted);
    }
    let held: Vec<AssignedRole> = s.read(Call::project_group_roles(project, group)).await?;
    if held.iter().any(|r| {
        ProjectSlug::of_role(r.id.as_str(), r.name.as_deref(), r.predefined_role) == Some(slug)
    }) {
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

async fn grant_project_role_user(
    s: &mut Session,
    project: &ProjectId,
    role: &RoleId,
    user: &UserId,
) -> Result<ProvisionResult, ProvisionError> {
    s.active_project(project).await?;
    s.custom_project_role(project, role).await?;
    if s.project_user(project, user).await?.is_none() {
        s.require_user(user).await?;
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
        s.require_group(group).await?;
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
