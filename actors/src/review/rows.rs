//! The auditor's table: one row per (principal, resource, entitlement), with names, emails,
//! how it is held and the dates a review asks about. Pending invitations add the grants they
//! will give once accepted, marked as pending.

use super::answers::{Path, path_text};
use super::{Snapshot, email_of, profile_int};
use crate::graph::{AccountType, Resource, ResourceKey, ResourceType, Traits};

/// One row of the access table. Dates are Unix seconds; the writer formats them.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AccessRow {
    /// `human`, `service_account`, `group` or `invite`.
    pub principal_kind: &'static str,
    pub principal_id: String,
    pub principal_name: String,
    pub principal_email: String,
    pub resource_type: &'static str,
    pub resource_id: String,
    pub resource_name: String,
    pub entitlement: String,
    pub entitlement_name: String,
    /// Every reason, e.g. `direct; via group grp-1 (Eng)`.
    pub held: String,
    pub immutable: bool,
    /// Carried by a pending invitation: held once it is accepted.
    pub pending: bool,
    /// When the principal joined: a user's `added_at`, a service account's or an invitation's
    /// `created_at`.
    pub principal_since: Option<i64>,
    /// An invitation's expiry.
    pub invite_expires_at: Option<i64>,
    pub grant_id: String,
}

impl Snapshot {
    /// Every grant, then the latent grants of every pending invitation (by invitation id).
    pub fn access_rows(&self) -> Vec<AccessRow> {
        let mut rows: Vec<AccessRow> = self
            .grants()
            .iter()
            .map(|g| {
                let held = self.paths(g);
                self.row(
                    &g.principal,
                    &g.resource,
                    g.entitlement.to_string(),
                    &held,
                    g.immutable,
                    g.id().to_string(),
                )
            })
            .collect();
        for invite in self.pending_invites() {
            for h in self.latent_grants(invite) {
                rows.push(self.row(
                    &invite.key(),
                    &h.resource.key,
                    h.entitlement,
                    &h.paths,
                    h.immutable,
                    h.grant,
                ));
            }
        }
        rows
    }

    fn row(
        &self,
        principal: &ResourceKey,
        resource: &ResourceKey,
        entitlement: String,
        paths: &[Path],
        immutable: bool,
        grant_id: String,
    ) -> AccessRow {
        let p = self.resource(principal);
        let r = self.named(resource);
        AccessRow {
            principal_kind: kind(principal.resource_type, p),
            principal_id: principal.id.as_str().to_owned(),
            principal_name: p.map_or_else(
                || principal.id.as_str().to_owned(),
                |p| p.display_name.clone(),
            ),
            principal_email: p.and_then(email_of).unwrap_or_default().to_owned(),
            resource_type: resource.resource_type.as_str(),
            resource_id: resource.id.as_str().to_owned(),
            resource_name: r.name,
            entitlement_name: self
                .entitlement(&entitlement)
                .map_or_else(|| entitlement.clone(), |e| e.display_name.clone()),
            entitlement,
            held: paths.iter().map(path_text).collect::<Vec<_>>().join("; "),
            immutable,
            pending: paths.iter().any(|p| matches!(p, Path::Invitation { .. })),
            principal_since: p
                .and_then(|p| profile_int(p, "added_at").or_else(|| profile_int(p, "created_at"))),
            invite_expires_at: p
                .filter(|p| p.resource_type == ResourceType::Invite)
                .and_then(|p| profile_int(p, "expires_at")),
            grant_id,
        }
    }
}

fn kind(t: ResourceType, r: Option<&Resource>) -> &'static str {
    match (t, r.map(|r| &r.traits)) {
        (ResourceType::Invite, _) => "invite",
        (ResourceType::Group, _) => "group",
        (ResourceType::ServiceAccount, _) => "service_account",
        (
            _,
            Some(Traits::User {
                account_type: AccountType::Service,
                ..
            }),
        ) => "service_account",
        _ => "human",
    }
}
