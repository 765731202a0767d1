//! Why a provisioning request did not happen: refusals (the rules, before any mutation) and
//! failures (bad ids, missing objects, the API).

use crate::api::{ApiError, Call};
use crate::ids::{InviteId, OrgId, ProjectId, RoleId, ServiceAccountId, UserId};
use actix::MailboxError;

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
    #[error(
        "{user} is the organization's only owner ({}): demoting or deleting them would leave the organization with no owner. Make another user owner first (openai-access grant --entitlement role:owner:assigned --principal user:USER_ID -p)",
        owners_said(owners)
    )]
    LastOwner { user: UserId, owners: Vec<UserId> },
    #[error(
        "{user} owns admin key {key} ({name}), the key this connector runs with: demoting or deleting them revokes it, and the connector (and anything else using that key) is locked out of the organization. Make the change with another owner's key, or override the self-lockout guard"
    )]
    SelfLockout {
        user: UserId,
        key: String,
        name: String,
    },
    #[error(
        "admin key {key} ({name}) is the key this connector runs with: deleting it locks the connector (and anything else using it) out of the organization. Delete it with another admin key, or override the self-lockout guard"
    )]
    ConnectorKey { key: String, name: String },
    #[error(
        "{what} is managed by SCIM: make this change in the identity provider (a change made here is undone at its next push), or override the SCIM guard"
    )]
    ScimManaged { what: String },
    #[error(
        "{what} names organization {named}, but the admin key belongs to organization {ours}: it comes from another organization's sync; nothing was changed"
    )]
    OtherOrganization {
        what: String,
        named: OrgId,
        ours: OrgId,
    },
    #[error("{0}")]
    Unsupported(String),
}

/// A guard that the caller may override, each front end in its own words (the CLI by a
/// flag, the HTTP API by a request field, ConductorOne never).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    SelfLockout,
    Scim,
}

impl Refusal {
    /// The guard whose override would let this request through, if any.
    pub fn overridable(&self) -> Option<Guard> {
        match self {
            Refusal::SelfLockout { .. } | Refusal::ConnectorKey { .. } => Some(Guard::SelfLockout),
            Refusal::ScimManaged { .. } => Some(Guard::Scim),
            _ => None,
        }
    }
}

impl ProvisionError {
    /// The guard whose override would let this request through, if it was refused by one.
    pub fn overridable(&self) -> Option<Guard> {
        match self {
            ProvisionError::Refused(r) => r.overridable(),
            _ => None,
        }
    }
}

fn owners_said(owners: &[UserId]) -> String {
    let ids: Vec<&str> = owners.iter().map(UserId::as_str).collect();
    format!(
        "{} owner{}: {}",
        ids.len(),
        if ids.len() == 1 { "" } else { "s" },
        ids.join(", ")
    )
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
    /// Not found, with the closest id among those a read already made at hand.
    #[error("{what} {id} not found; did you mean {near}?")]
    NotFoundNear {
        what: &'static str,
        id: String,
        near: String,
    },
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
    /// `what id` was not found; `near` is the closest id at hand, if any.
    pub fn not_found(what: &'static str, id: impl ToString, near: Option<String>) -> Self {
        let id = id.to_string();
        match near {
            Some(near) => ProvisionError::NotFoundNear { what, id, near },
            None => ProvisionError::NotFound { what, id },
        }
    }

    /// A request the tool refused or could not understand, as opposed to an API failure.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ProvisionError::InvalidId { .. }
                | ProvisionError::Refused(_)
                | ProvisionError::NotFound { .. }
                | ProvisionError::NotFoundNear { .. }
        )
    }

    /// A mutation the API refused in a way another writer reaching the same state first would
    /// cause: 400 ("already a member"), 404 (already deleted) or 409. Worth reading again.
    pub fn may_have_lost_a_race(&self) -> bool {
        match self {
            ProvisionError::Api { call, source, .. } => {
                call.endpoint.method() != "GET" && matches!(source.status(), Some(400 | 404 | 409))
            }
            _ => false,
        }
    }

    /// The mutations that succeeded before this failure.
    pub fn completed(&self) -> &[Call] {
        match self {
            ProvisionError::Api { completed, .. } => completed,
            _ => &[],
        }
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

/// The id among `candidates` within two edits of `id` (a typo), closest first.
pub(super) fn close_match<'a>(
    id: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (edits(id, c), c))
        .filter(|(d, _)| *d > 0 && *d <= 2)
        .min()
        .map(|(_, c)| c.to_owned())
}

/// Levenshtein distance (ids are short: the quadratic table is nothing).
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_the_id_it_missed_and_nothing_far_off() {
        let ids = ["user-bob", "user-carol", "user-dave"];
        assert_eq!(close_match("user-bobb", ids), Some("user-bob".into()));
        assert_eq!(close_match("user-crol", ids), Some("user-carol".into()));
        assert_eq!(close_match("user-zzzzzz", ids), None);
        assert_eq!(
            close_match("user-bob", ids),
            None,
            "an exact id is not a typo"
        );
    }
}
