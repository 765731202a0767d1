//! Stale access: what a review should question because it is not used. Time is a parameter
//! (`now`, Unix seconds), so the same file gives the same answer on any day it is asked to.

use super::answers::{KeyInfo, Named};
use super::{Snapshot, profile_int};
use crate::graph::{ResourceKey, ResourceType};
use serde::Serialize;

const DAY: i64 = 86_400;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StaleServiceAccount {
    pub service_account: Named,
    /// Its keys, all stale; none at all counts too (it can do nothing until given one).
    pub keys: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OverdueInvite {
    pub invite: Named,
    pub expires_at: i64,
}

/// What has not been used within the window, sorted by id.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stale {
    pub as_of: i64,
    pub days: u32,
    /// Keys not used within the window, or never.
    pub api_keys: Vec<KeyInfo>,
    pub service_accounts: Vec<StaleServiceAccount>,
    /// Still `pending` although their expiry has passed.
    pub invites: Vec<OverdueInvite>,
}

impl Snapshot {
    /// Keys not used in `days` days before `now` (or never), service accounts all of whose
    /// keys are such, and invitations still pending after their expiry.
    pub fn stale(&self, now: i64, days: u32) -> Stale {
        let cutoff = now - i64::from(days) * DAY;
        let (stale, fresh): (Vec<KeyInfo>, Vec<KeyInfo>) = self
            .api_keys()
            .into_iter()
            .partition(|k| k.last_used_at.is_none_or(|t| t < cutoff));
        let owners = |keys: &[KeyInfo]| -> Vec<ResourceKey> {
            keys.iter()
                .filter_map(|k| Some(k.owner.as_ref()?.key.clone()))
                .collect()
        };
        let (fresh_owners, stale_owners) = (owners(&fresh), owners(&stale));
        let service_accounts = self
            .resources_of(ResourceType::ServiceAccount)
            .into_iter()
            .map(|sa| sa.key())
            .filter(|sa| !fresh_owners.contains(sa))
            .map(|sa| StaleServiceAccount {
                keys: stale_owners.iter().filter(|o| **o == sa).count(),
                service_account: self.named(&sa),
            })
            .collect();
        let invites = self
            .pending_invites()
            .into_iter()
            .filter_map(|i| {
                let expires_at = profile_int(i, "expires_at").filter(|&e| e < now)?;
                Some(OverdueInvite {
                    invite: self.named(&i.key()),
                    expires_at,
                })
            })
            .collect();
        Stale {
            as_of: now,
            days,
            api_keys: stale,
            service_accounts,
            invites,
        }
    }
}
