//! Accounts: invitations created, users and invitations deleted.

use super::call::Mutation;
use super::session::Session;
use super::target::{OrgRoleName, ProjectSlug};
use super::{ProvisionError, ProvisionResult, Refusal};
use crate::api::Call;
use crate::api::models::{Invite, InviteCreate, InviteProject};
use crate::ids::{InviteId, ProjectId, UserId};

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
    super::checks::not_scim_managed(s, u.is_scim_managed, format!("user {user}"))?;
    if u.role.as_deref() == Some("owner") {
        super::checks::not_the_last_owner(s, user).await?;
        super::checks::not_the_connector_s_owner(s, user).await?;
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
    if let Some(u) = s.users_with_email(email).await?.iter().find(|u| {
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
        s.set_invite(&i.id);
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
    let Some(current) = s.read_one::<Invite>(Call::invite(invite)).await? else {
        s.note(format!("invite {invite} does not exist"));
        return Ok(ProvisionResult::AlreadyDeleted);
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

pub(super) async fn delete_admin_key(
    s: &mut Session,
    key: &crate::ids::AdminApiKeyId,
) -> Result<ProvisionResult, ProvisionError> {
    // The listing is the one read that both finds the key and says whether it is ours.
    let keys: Vec<crate::api::models::AdminApiKey> = s.read(Call::admin_api_keys()).await?;
    let Some(k) = keys.into_iter().find(|k| k.id == key.as_str()) else {
        s.note(format!("admin key {key} does not exist"));
        return Ok(ProvisionResult::AlreadyDeleted);
    };
    if s.runs_with(&k) {
        let name = k.name.clone().unwrap_or_else(|| "unnamed".into());
        if !s.overrides.self_lockout {
            return Err(Refusal::ConnectorKey { key: k.id, name }.into());
        }
        s.note(format!(
            "admin key {key} is the key this connector runs with: it stops working now (self-lockout guard overridden)"
        ));
    }
    s.mutate(Mutation::DeleteAdminKey { key: key.clone() })
        .await?;
    Ok(ProvisionResult::Deleted)
}
