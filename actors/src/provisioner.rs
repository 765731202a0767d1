//! `Provisioner`: performs provisioning requests (DESIGN §5) through the shared client and
//! throttle, at interactive priority so they overtake bulk sync traffic.
//!
//! | receives        | from   | does                                                   | replies            |
//! |-----------------|--------|--------------------------------------------------------|--------------------|
//! | `Grant`         | caller | reads current state, then 0–2 mutations                | `ProvisionOutcome` |
//! | `Revoke`        | caller | reads current state, then 0–1 mutation                 | `ProvisionOutcome` |
//! | `CreateAccount` | caller | checks users and pending invites, then `POST` invite   | `ProvisionOutcome` |
//! | `DeleteAccount` | caller | checks the user, then `DELETE` user                    | `ProvisionOutcome` |
//! | `DeleteInvite`  | caller | reads the invite, then `DELETE` invite                 | `ProvisionOutcome` |
//!
//! Every request first reads (GETs only) and decides: what is already granted or already gone
//! succeeds without a mutation (idempotent), a rule of the seed refuses with a
//! [`Refusal`] before any mutation, and otherwise the mutations are made in order. With
//! `dry_run` the reads still happen but the mutations are only listed. Replies are
//! `Result<ProvisionOutcome, ProvisionError>`; handlers never panic.

mod call;
mod plan;
mod target;

use crate::api::Call;
pub use call::Mutation;
pub use target::{Entitlement, GrantRef, OrgRole, OrgRoleName, Principal, ProjectSlug};

use crate::api::{AdminClient, ApiError};
use crate::ids::{InviteId, ProjectId, RoleId, ServiceAccountId, UserId};
use crate::throttle::Priority;
use actix::prelude::*;
use plan::Session;
use serde::Serialize;

/// Grant `entitlement` to `principal`. Sent by the CLI; handled by `Provisioner`.
#[derive(Message, Clone, Debug)]
#[rtype(result = "Result<ProvisionOutcome, ProvisionError>")]
pub struct Grant {
    pub entitlement: Entitlement,
    pub principal: Principal,
    pub dry_run: bool,
}

/// Revoke one grant (Baton grant id). Sent by the CLI; handled by `Provisioner`.
#[derive(Message, Clone, Debug)]
#[rtype(result = "Result<ProvisionOutcome, ProvisionError>")]
pub struct Revoke {
    pub grant: GrantRef,
    pub dry_run: bool,
}

/// Invite `email` with an org role and optional project roles. Sent by the CLI; handled by
/// `Provisioner`.
#[derive(Message, Clone, Debug)]
#[rtype(result = "Result<ProvisionOutcome, ProvisionError>")]
pub struct CreateAccount {
    pub email: String,
    pub role: OrgRoleName,
    pub projects: Vec<(ProjectId, ProjectSlug)>,
    pub dry_run: bool,
}

/// Delete a user from the organization (deprovision). Sent by the CLI; handled by
/// `Provisioner`.
#[derive(Message, Clone, Debug)]
#[rtype(result = "Result<ProvisionOutcome, ProvisionError>")]
pub struct DeleteAccount {
    pub user: UserId,
    pub dry_run: bool,
}

/// Delete a pending or expired invitation. Sent by the CLI; handled by `Provisioner`.
#[derive(Message, Clone, Debug)]
#[rtype(result = "Result<ProvisionOutcome, ProvisionError>")]
pub struct DeleteInvite {
    pub invite: InviteId,
    pub dry_run: bool,
}

/// What a request ended in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionResult {
    Granted,
    AlreadyGranted,
    Revoked,
    AlreadyRevoked,
    /// An invitation was created.
    Created,
    /// A pending invitation for the email already exists.
    AlreadyInvited,
    /// The email already belongs to a user of the organization.
    AlreadyMember,
    Deleted,
    AlreadyDeleted,
}

impl ProvisionResult {
    /// Whether the request changes (or, in a dry run, would change) anything.
    pub fn changes(self) -> bool {
        matches!(
            self,
            ProvisionResult::Granted
                | ProvisionResult::Revoked
                | ProvisionResult::Created
                | ProvisionResult::Deleted
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProvisionResult::Granted => "granted",
            ProvisionResult::AlreadyGranted => "already granted",
            ProvisionResult::Revoked => "revoked",
            ProvisionResult::AlreadyRevoked => "already revoked",
            ProvisionResult::Created => "invitation created",
            ProvisionResult::AlreadyInvited => "already invited",
            ProvisionResult::AlreadyMember => "already a member",
            ProvisionResult::Deleted => "deleted",
            ProvisionResult::AlreadyDeleted => "already deleted",
        }
    }
}

/// The reply to every provisioning message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProvisionOutcome {
    /// The request in words, e.g. `grant project:proj_1:member to user:user-abc`.
    pub action: String,
    pub dry_run: bool,
    pub result: ProvisionResult,
    /// The mutations made (or, in a dry run, that would be made), in order.
    pub calls: Vec<Call>,
    /// The reads that decided them, in order (made in dry runs too).
    pub reads: Vec<Call>,
    /// What a person should know: steps added, roles changed, why nothing was done.
    pub notes: Vec<String>,
    /// The invitation created (or already pending) by `CreateAccount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_id: Option<String>,
}

/// The seed's rules: requests refused before any mutation, each saying what to do instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "cannot grant custom project role {role} to service account {account} in {project}: the OpenAI Admin API does not support assigning custom project roles to service accounts. Use the OpenAI platform (project settings) to manage it."
    )]
    ServiceAccountCustomProjectRole {
        account: ServiceAccountId,
        project: ProjectId,
        role: RoleId,
    },
    #[error(
        "project:{project}:owner of {user} is inherited from role:owner:assigned (organization owners are owners of every project) and is immutable; to take it away, revoke role:owner:assigned:user:{user} first"
    )]
    InheritedProjectOwner { user: UserId, project: ProjectId },
    #[error(
        "reader is the floor role; delete the account instead (openai-access delete-account --user {user})"
    )]
    ReaderFloor { user: UserId },
    #[error(
        "member is the lowest role the API can give service account {account} in {project}; to remove its access, delete the service account on the OpenAI platform"
    )]
    ServiceAccountFloor {
        account: ServiceAccountId,
        project: ProjectId,
    },
    #[error(
        "invite {invite} was accepted and cannot be deleted: the invitee is now a user of the organization; delete the account instead (openai-access delete-account --user USER_ID)"
    )]
    AcceptedInvite { invite: InviteId },
    #[error(
        "project {project} is archived: its access cannot be changed (unarchive it on the OpenAI platform first)"
    )]
    ArchivedProject { project: ProjectId },
    #[error(
        "{grant} is not held directly but through group(s) {}; revoke the group's grant or remove the user from the group (group:<id>:member)",
        groups.join(", ")
    )]
    InheritedThroughGroup { grant: String, groups: Vec<String> },
    #[error(
        "{user} is a service account's user; manage it through its project's service account (service_account:<project>/<id>)"
    )]
    ServiceAccountUser { user: UserId },
    #[error(
        "organization membership is granted by invitation: use openai-access create-account --email EMAIL --role reader|owner"
    )]
    OrgMembershipIsAnInvite,
    #[error("{0}")]
    Unsupported(String),
}

/// Why a provisioning request failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("invalid {kind} {id:?}: {reason}")]
    InvalidId {
        kind: &'static str,
        id: String,
        reason: String,
    },
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// The API refused or failed; `source` carries the API's own message.
    #[error("{call} failed: {source}{}", completed_note(completed))]
    Api {
        call: Box<Call>,
        /// Mutations that succeeded before this one.
        completed: Vec<Call>,
        source: Box<ApiError>,
    },
    #[error("the provisioner stopped before answering")]
    Stopped,
}

fn completed_note(completed: &[Call]) -> String {
    if completed.is_empty() {
        String::new()
    } else {
        let done: Vec<String> = completed.iter().map(ToString::to_string).collect();
        format!(" (already done before it: {})", done.join("; "))
    }
}

impl ProvisionError {
    /// A request the tool refused or could not understand, as opposed to an API failure.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ProvisionError::InvalidId { .. }
                | ProvisionError::Refused(_)
                | ProvisionError::NotFound { .. }
        )
    }

    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            ProvisionError::Api { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<MailboxError> for ProvisionError {
    fn from(_: MailboxError) -> Self {
        ProvisionError::Stopped
    }
}

/// Performs provisioning requests; stateless between requests (every decision is made from
/// fresh reads).
pub struct Provisioner {
    api: AdminClient,
}

impl Provisioner {
    /// Uses a clone of `api` that shares its pool, throttle and counters, at interactive
    /// priority.
    pub fn new(api: &AdminClient) -> Self {
        Self {
            api: api.with_priority(Priority::Interactive),
        }
    }
}

impl Actor for Provisioner {
    type Context = Context<Self>;
}

type Reply = ResponseFuture<Result<ProvisionOutcome, ProvisionError>>;

impl Handler<Grant> for Provisioner {
    type Result = Reply;
    fn handle(&mut self, msg: Grant, _: &mut Context<Self>) -> Reply {
        let mut s = Session::new(self.api.clone(), msg.dry_run);
        Box::pin(async move {
            let result = plan::grant(&mut s, &msg.entitlement, &msg.principal).await?;
            Ok(s.finish(
                format!("grant {} to {}", msg.entitlement, msg.principal),
                result,
            ))
        })
    }
}

impl Handler<Revoke> for Provisioner {
    type Result = Reply;
    fn handle(&mut self, msg: Revoke, _: &mut Context<Self>) -> Reply {
        let mut s = Session::new(self.api.clone(), msg.dry_run);
        Box::pin(async move {
            let result = plan::revoke(&mut s, &msg.grant).await?;
            Ok(s.finish(format!("revoke {}", msg.grant), result))
        })
    }
}

impl Handler<CreateAccount> for Provisioner {
    type Result = Reply;
    fn handle(&mut self, msg: CreateAccount, _: &mut Context<Self>) -> Reply {
        let mut s = Session::new(self.api.clone(), msg.dry_run);
        Box::pin(async move {
            let result = plan::create_account(&mut s, &msg.email, msg.role, &msg.projects).await?;
            Ok(s.finish(
                format!("create account {} ({})", msg.email, msg.role.as_str()),
                result,
            ))
        })
    }
}

impl Handler<DeleteAccount> for Provisioner {
    type Result = Reply;
    fn handle(&mut self, msg: DeleteAccount, _: &mut Context<Self>) -> Reply {
        let mut s = Session::new(self.api.clone(), msg.dry_run);
        Box::pin(async move {
            let result = plan::delete_user(&mut s, &msg.user).await?;
            Ok(s.finish(format!("delete account user:{}", msg.user), result))
        })
    }
}

impl Handler<DeleteInvite> for Provisioner {
    type Result = Reply;
    fn handle(&mut self, msg: DeleteInvite, _: &mut Context<Self>) -> Reply {
        let mut s = Session::new(self.api.clone(), msg.dry_run);
        Box::pin(async move {
            let result = plan::delete_invite(&mut s, &msg.invite).await?;
            Ok(s.finish(format!("delete invite {}", msg.invite), result))
        })
    }
}
