//! What grants and revokes read and decide alike: roles held directly or through groups,
//! org users and owners, service-account roles, group membership.

use super::call::Mutation;
use super::session::Session;
use super::target::ProjectSlug;
use super::{ProvisionError, ProvisionResult, Refusal};
use crate::api::Call;
use crate::api::models::{AssignedRole, GroupUser, ServiceAccount, User};
use crate::ids::{GroupId, ProjectId, RoleId, ServiceAccountId, UserId};

/// Refused either way: the API cannot assign custom project roles to service accounts.
pub(super) fn service_account_custom_role(
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

/// Held directly by `principal_id` (not only through a group).
pub(super) fn held_directly(role: &AssignedRole, principal_id: &str) -> bool {
    let sources = role.inherited_from();
    sources.is_empty()
        || sources
            .iter()
            .any(|s| s.principal_id.as_str() == principal_id)
}

/// Whether `user` already holds `role` directly among `held`. Held only through groups, it is
/// still assigned directly (revoking the group must not take it away): that is noted.
pub(super) fn holds_directly_else_note(
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

pub(super) fn inherited_groups(role: &AssignedRole) -> Vec<String> {
    role.inherited_from()
        .iter()
        .filter(|s| s.principal_type == "group")
        .map(|s| s.principal_id.to_string())
        .collect()
}

/// The org user, refused if it is a service account's user.
pub(super) async fn org_user(s: &mut Session, user: &UserId) -> Result<User, ProvisionError> {
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

/// Refuses a change that would take the organization's last owner away (`user` is an owner).
pub(super) async fn not_the_last_owner(
    s: &mut Session,
    user: &UserId,
) -> Result<(), ProvisionError> {
    match s.other_owner(user).await? {
        Ok(other) => {
            s.note(format!("{other} remains an owner of the organization"));
            Ok(())
        }
        Err(owners) => Err(Refusal::LastOwner {
            user: user.clone(),
            owners,
        }
        .into()),
    }
}

/// Refuses demoting or deleting the owner of the admin key this connector runs with, unless
/// the override says so. A key that cannot be identified is said in a note, and the change
/// goes on.
pub(super) async fn not_the_connector_s_owner(
    s: &mut Session,
    user: &UserId,
) -> Result<(), ProvisionError> {
    match s.connector_key().await? {
        Some(k) if k.owner.as_ref().is_some_and(|o| o.id == user.as_str()) => {
            if s.overrides.self_lockout {
                s.note(format!(
                    "{user} owns admin key {}, the key this connector runs with: it stops working with this change (self-lockout guard overridden)",
                    k.id
                ));
                return Ok(());
            }
            Err(Refusal::SelfLockout {
                user: user.clone(),
                name: k.name.clone().unwrap_or_else(|| "unnamed".into()),
                key: k.id,
            }
            .into())
        }
        Some(_) => Ok(()),
        None => {
            s.note("the admin key this connector runs with is not among the organization's admin keys, so the self-lockout guard cannot check it");
            Ok(())
        }
    }
}

/// Refuses a change to what SCIM manages, unless the override says so.
pub(super) fn not_scim_managed(
    s: &mut Session,
    managed: Option<bool>,
    what: String,
) -> Result<(), ProvisionError> {
    if managed != Some(true) {
        return Ok(());
    }
    if s.overrides.scim {
        s.note(format!("{what} is managed by SCIM: the identity provider may undo this change (SCIM guard overridden)"));
        return Ok(());
    }
    Err(Refusal::ScimManaged { what }.into())
}

/// Org owners are implicit owners of every active project.
pub(super) async fn is_org_owner(s: &mut Session, user: &UserId) -> Result<bool, ProvisionError> {
    Ok(s.user(user)
        .await?
        .is_some_and(|u| u.role.as_deref() == Some("owner")))
}

/// Grant (`grant = true`) or revoke a service account's predefined role in its own project.
pub(super) async fn service_account_role(
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
    let found: Option<ServiceAccount> = s
        .read_one(Call::project_service_account(project, account))
        .await?;
    let Some(current) = found else {
        return Err(ProvisionError::NotFound {
            what: "service account",
            id: format!("{account} in project {project}"),
        });
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

/// Add (`add = true`) or remove a user in a group.
pub(super) async fn group_member(
    s: &mut Session,
    group: &GroupId,
    user: &UserId,
    add: bool,
) -> Result<ProvisionResult, ProvisionError> {
    let g = s.require_group(group).await?;
    let present = s
        .read_one::<GroupUser>(Call::group_user(group, user))
        .await?
        .is_some();
    if !present {
        // Not a member: by a user that exists, or the request names nothing. A typo of a
        // member's id is the likely mistake: the group's members (one page) say which.
        if s.user(user).await?.is_none() {
            let members: Vec<GroupUser> = s.read(Call::group_users(group)).await?;
            let near =
                super::error::close_match(user.as_str(), members.iter().map(|m| m.id.as_str()));
            return Err(ProvisionError::not_found("user", user, near));
        }
    }
    if present != add {
        not_scim_managed(s, g.is_scim_managed, format!("group {group}'s membership"))?;
    }
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
