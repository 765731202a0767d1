//! Revokes: what each grant's removal takes, read first, then at most one mutation.

use super::accounts::delete_user;
use super::call::Mutation;
use super::checks::*;
use super::session::Session;
use super::target::{Entitlement, GrantRef, OrgRole, OrgRoleName, Principal, ProjectSlug};
use super::{ProvisionError, ProvisionResult, Refusal};
use crate::api::Call;
use crate::api::models::AssignedRole;
use crate::ids::{GroupId, ProjectId, RoleId, UserId};

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
        (E::OrgMember { org }, P::User(u)) => {
            s.require_our_org(org, g).await?;
            // A user who is not there is a wrong id, not a revoke already done: revoking
            // membership deletes the account, and a typo must not read as success.
            s.require_user(u).await?;
            Ok(match delete_user(s, u).await? {
                ProvisionResult::Deleted => ProvisionResult::Revoked,
                other => other,
            })
        }
        (E::OrgRole(OrgRole::Predefined(OrgRoleName::Reader)), P::User(u)) => {
            Err(Refusal::ReaderFloor { user: u.clone() }.into())
        }
        (E::OrgRole(OrgRole::Predefined(OrgRoleName::Owner)), P::User(u)) => {
            revoke_org_owner(s, u).await
        }
        (E::OrgRole(OrgRole::Custom(role)), P::User(u)) => revoke_user_custom_role(s, u, role, g).await,
        (E::OrgRole(OrgRole::Custom(role)), P::Group(group)) => {
            s.require_group(group).await?;
            let held: Vec<AssignedRole> = s.read(Call::group_roles(group)).await?;
            if !held.iter().any(|r| &r.id == role) {
                s.custom_org_role(role).await?;
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
                ProjectSlug::of_role(r.id.as_str(), r.name.as_deref(), r.predefined_role) == Some(*slug)
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
            // The list answers 404 for a user who is not in the organization.
            let Some(held) = s
                .read_if_there::<AssignedRole>(Call::project_user_roles(project, u))
                .await?
            else {
                s.require_user(u).await?;
                return Err(ProvisionError::NotFound {
                    what: "project member",
                    id: format!("{u} in project {project}"),
                });
            };
            let Some(r) = held.iter().find(|r| &r.id == role) else {
                s.require_user(u).await?;
                s.custom_project_role(project, role).await?;
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
    let u = s.require_user(user).await?;
    if u.is_service_account() {
        return Err(Refusal::ServiceAccountUser { user: user.clone() }.into());
    }
    if u.role.as_deref() != Some("owner") {
        return Ok(ProvisionResult::AlreadyRevoked);
    }
    not_the_last_owner(s, user).await?;
    not_the_connector_s_owner(s, user).await?;
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
    s.require_user(user).await?;
    let held: Vec<AssignedRole> = s.read(Call::user_roles(user)).await?;
    let Some(r) = held.iter().find(|r| &r.id == role) else {
        s.custom_org_role(role).await?;
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
        None => {
            s.require_user(user).await?;
            Ok(ProvisionResult::AlreadyRevoked)
        }
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
        s.require_group(group).await?;
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
