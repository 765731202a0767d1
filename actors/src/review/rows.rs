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
    /// The principal's last day of API use and its requests in the usage window (a group's
    /// and an invitation's: none); `None` when the sync did not read usage.
    pub principal_api_last_used_at: Option<i64>,
    pub principal_api_requests: Option<u64>,
}

impl Snapshot {
    /// Every grant, then the latent grants of every pending invitation (by invitation id).
    pub fn access_rows(&self) -> Vec<AccessRow> {
        let mut rows = Vec::with_capacity(self.grants().len());
        self.each_access_row(|r| {
            rows.push(r);
            Ok::<(), std::convert::Infallible>(())
        })
        .unwrap_or_else(|e| match e {});
        rows
    }

    /// [`Snapshot::access_rows`] one row at a time, in the same order, to a writer that
    /// needs only the row at hand (a million-row CSV need not hold the table). Stops at the
    /// first error `f` returns.
    pub fn each_access_row<E>(&self, f: impl FnMut(AccessRow) -> Result<(), E>) -> Result<(), E> {
        self.each_access_row_from(0..self.access_row_sources(), f)
    }

    /// How many sources the table's rows come from: each grant (one row), then each pending
    /// invitation (a row per latent grant). Ranges of sources split the table into pieces
    /// that can be made apart, e.g. on separate cores, and joined in order.
    pub fn access_row_sources(&self) -> usize {
        self.grants().len() + self.pending_invites().len()
    }

    /// The rows of the sources in `sources` (see [`Snapshot::access_row_sources`]), in table
    /// order. Stops at the first error `f` returns.
    pub fn each_access_row_from<E>(
        &self,
        sources: std::ops::Range<usize>,
        mut f: impl FnMut(AccessRow) -> Result<(), E>,
    ) -> Result<(), E> {
        let grants = self.grants();
        let end = sources.end.min(grants.len());
        for g in grants.get(sources.start..end).unwrap_or_default() {
            let held = self.paths(g);
            f(self.row(
                &g.principal,
                &g.resource,
                g.entitlement.to_string(),
                &held,
                g.immutable,
                g.id_text().to_string(),
            ))?;
        }
        if sources.end <= grants.len() {
            return Ok(());
        }
        let first = sources.start.saturating_sub(grants.len());
        let invites = self.pending_invites();
        let last = (sources.end - grants.len()).min(invites.len());
        for invite in invites.get(first..last).unwrap_or_default() {
            for h in self.latent_grants(invite) {
                f(self.row(
                    &invite.key(),
                    &h.resource.key,
                    h.entitlement,
                    &h.paths,
                    h.immutable,
                    h.grant,
                ))?;
            }
        }
        Ok(())
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
        let api = p.and_then(super::api_use);
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
            resource_name: self.resource(resource).map_or_else(
                || resource.id.as_str().to_owned(),
                |r| r.display_name.clone(),
            ),
            entitlement_name: self
                .entitlement(&entitlement)
                .map_or_else(|| entitlement.clone(), |e| e.display_name.clone()),
            entitlement,
            held: paths
                .iter()
                .enumerate()
                .fold(String::new(), |mut held, (i, p)| {
                    if i > 0 {
                        held.push_str("; ");
                    }
                    held.push_str(&path_text(p));
                    held
                }),
            immutable,
            pending: paths.iter().any(|p| matches!(p, Path::Invitation { .. })),
            principal_since: p
                .and_then(|p| profile_int(p, "added_at").or_else(|| profile_int(p, "created_at"))),
            invite_expires_at: p
                .filter(|p| p.resource_type == ResourceType::Invite)
                .and_then(|p| profile_int(p, "expires_at")),
            grant_id,
            principal_api_last_used_at: api.and_then(|(last, _)| last),
            principal_api_requests: api.map(|(_, n)| n),
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
