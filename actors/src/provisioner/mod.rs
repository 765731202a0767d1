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
//! | `DeleteAdminKey`| caller | reads the admin keys, then `DELETE` the key            | `ProvisionOutcome` |
//!
//! Every request first reads (GETs only) and decides: what is already granted or already gone
//! succeeds without a mutation (idempotent), a rule of the seed refuses with a
//! [`Refusal`] before any mutation, and otherwise the mutations are made in order. With
//! `dry_run` the reads still happen but the mutations are only listed. Replies are
//! `Result<ProvisionOutcome, ProvisionError>`; handlers never panic.

mod accounts;
mod call;
mod checks;
mod error;
mod grant;
mod revoke;
mod session;
mod target;

use crate::api::Call;
pub use call::Mutation;
pub use target::{
    AccountProfile, Entitlement, GrantRef, OrgRole, OrgRoleName, Principal, ProjectSlug,
    TargetError, invite_project,
};

use crate::api::{AdminClient, ApiError};
use crate::ids::{InviteId, OrgId, ProjectId, UserId};
use crate::throttle::Priority;
use actix::prelude::*;
use session::Session;
use std::sync::{Arc, OnceLock};

pub use error::{Guard, ProvisionError, Refusal};
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

/// Delete an admin API key. Sent by the CLI; handled by `Provisioner`.
#[derive(Message, Clone, Debug)]
#[rtype(result = "Result<ProvisionOutcome, ProvisionError>")]
pub struct DeleteAdminKey {
    pub key: crate::ids::AdminApiKeyId,
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
    /// The grant this one replaces (an exclusive role changing: `member` → `viewer`), as
    /// Baton's `GrantReplaced` says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
}

/// Guards a request may pass on purpose (the CLI's `--allow-…` flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Demote or delete the owner of the admin key the connector runs with.
    pub self_lockout: bool,
    /// Change the membership or existence of SCIM-managed users and groups.
    pub scim: bool,
}

/// Performs provisioning requests; stateless between requests (every decision is made from
/// fresh reads).
pub struct Provisioner {
    api: AdminClient,
    overrides: Overrides,
    /// The organization the key belongs to: configured, or learned by the first request that
    /// needed it (a key's organization never changes).
    org: Arc<OnceLock<OrgId>>,
}

impl Provisioner {
    /// Uses a clone of `api` that shares its pool, throttle and counters, at interactive
    /// priority.
    pub fn new(api: &AdminClient) -> Self {
        Self {
            api: api.with_priority(Priority::Interactive),
            overrides: Overrides::default(),
            org: Arc::default(),
        }
    }

    /// Knowing the organization the key belongs to (`--org-id`, or the synced graph's), so a
    /// request naming another is refused without a read.
    pub fn with_org(self, org: Option<OrgId>) -> Self {
        if let Some(org) = org {
            let _ = self.org.set(org);
        }
        self
    }

    /// With guards passed on purpose.
    pub fn with_overrides(mut self, overrides: Overrides) -> Self {
        self.overrides = overrides;
        self
    }

    /// A provisioner with a client of its own.
    pub fn connect(config: crate::ClientConfig) -> Result<Self, ApiError> {
        Ok(Self::new(&AdminClient::new(config)?))
    }
}

impl Actor for Provisioner {
    type Context = Context<Self>;
}

type Reply = ResponseFuture<Result<ProvisionOutcome, ProvisionError>>;

/// Each message: what it is in words, and how it is carried out in a [`Session`] (reads
/// first, then the mutations, or in a dry run their plan).
///
/// Two writers making the same change race: the loser's mutation meets "already a member" or
/// a 404 although the state it asked for was reached. So a mutation refused that way is
/// followed by one fresh attempt (fresh reads, then only what is still missing); if that finds
/// nothing left to do, the request succeeded. Anything else keeps the first error.
macro_rules! handle {
    ($msg:ty, |$m:ident, $s:ident| $action:expr => $run:expr) => {
        impl Handler<$msg> for Provisioner {
            type Result = Reply;
            fn handle(&mut self, $m: $msg, _: &mut Context<Self>) -> Reply {
                let api = self.api.clone();
                let overrides = self.overrides;
                let org = self.org.clone();
                Box::pin(async move {
                    let mut session = Session::new(api.clone(), $m.dry_run, overrides, org.clone());
                    let first = {
                        let $s = &mut session;
                        $run.await
                    };
                    let error = match first {
                        Ok(result) => return Ok(session.finish($action, result)),
                        Err(e) if e.may_have_lost_a_race() => e,
                        Err(e) => return Err(e),
                    };
                    let mut again = Session::new(api, false, overrides, org);
                    again.made(error.completed());
                    let retried = {
                        let $s = &mut again;
                        $run.await
                    };
                    match retried {
                        Ok(result) => {
                            again.note(format!(
                                "a first attempt was refused ({}); read again, the organization {}",
                                error
                                    .api_error()
                                    .map(ToString::to_string)
                                    .unwrap_or_default(),
                                if result.changes() {
                                    "still needed the change, which was then made"
                                } else {
                                    "was already as requested (another change got there first)"
                                }
                            ));
                            Ok(again.finish($action, result))
                        }
                        Err(_) => Err(error),
                    }
                })
            }
        }
    };
}

handle!(Grant, |m, s| format!("grant {} to {}", m.entitlement, m.principal)
    => grant::grant(s, &m.entitlement, &m.principal));
handle!(Revoke, |m, s| format!("revoke {}", m.grant) => revoke::revoke(s, &m.grant));
handle!(CreateAccount, |m, s| format!("create account {} ({})", m.email, m.role.as_str())
    => accounts::create_account(s, &m.email, m.role, &m.projects));
handle!(DeleteAccount, |m, s| format!("delete account user:{}", m.user)
    => accounts::delete_user(s, &m.user));
handle!(DeleteInvite, |m, s| format!("delete invite {}", m.invite)
    => accounts::delete_invite(s, &m.invite));
handle!(DeleteAdminKey, |m, s| format!("delete admin API key {}", m.key)
    => accounts::delete_admin_key(s, &m.key));
