//! Stale access: what a review should question because it is not used. Time is a parameter
//! (`now`, Unix seconds), so the same file gives the same answer on any day it is asked to.

use super::answers::{KeyInfo, Named};
use super::{Snapshot, profile_int, unix_of};
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
    /// Users with no sign-in within the window, as far as the audit log watched tells.
    pub users: Vec<IdleUser>,
    /// What the audit log cannot tell about sign-ins here, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users_note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdleUser {
    pub user: Named,
    /// `None`: no sign-in seen since the log has been watched.
    pub last_login_at: Option<i64>,
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
        let (users, users_note) = self.idle_users(now, cutoff, days);
        Stale {
            as_of: now,
            days,
            api_keys: stale,
            service_accounts,
            invites,
            users,
            users_note,
        }
    }

    /// Users whose last sign-in seen is before `cutoff`; those with none seen only when the
    /// log has been watched, without a gap, since before `cutoff`.
    fn idle_users(&self, now: i64, cutoff: i64, days: u32) -> (Vec<IdleUser>, Option<String>) {
        let Some(seen) = self
            .sync
            .as_ref()
            .and_then(|s| s.state.as_ref())
            .and_then(|s| s.logins.as_ref())
        else {
            return (
                Vec::new(),
                Some("sign-ins unknown: this sync did not watch the audit log (sync with --state, or serve, reads its login.succeeded entries)".to_owned()),
            );
        };
        let since = seen.watched_since.as_deref().and_then(unix_of);
        let whole_window = since.is_some_and(|s| s <= cutoff);
        let users: Vec<IdleUser> = self
            .resources_of(ResourceType::User)
            .into_iter()
            .filter_map(|u| {
                let last = seen
                    .last_login_at
                    .get(u.id.as_str())
                    .and_then(|t| unix_of(t));
                let idle = match last {
                    Some(t) => t < cutoff,
                    None => whole_window,
                };
                idle.then(|| IdleUser {
                    user: self.named(&u.key()),
                    last_login_at: last,
                })
            })
            .collect();
        let note = match since {
            None => Some("the audit log has not been watched without a gap yet (a first sync, a gap, or a sync that could not read it): users with no sign-in seen are not listed until it has been watched for the whole window".to_owned()),
            Some(s) if !whole_window => Some(format!(
                "the audit log has been watched for {} day(s), less than {days}: users with no sign-in seen are not listed yet",
                (now - s).max(0) / DAY
            )),
            Some(_) => None,
        };
        (users, note)
    }
}
