//! Stale access: what a review should question because it is not used. Time is a parameter
//! (`now`, Unix seconds), so the same file gives the same answer on any day it is asked to.

use super::answers::{KeyInfo, Named};
use super::{Snapshot, api_use, profile_int, unix_of};
use crate::graph::usage;
use crate::graph::{Resource, ResourceKey, ResourceType};
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
    /// Active projects with no API use in the window (Usage API), whatever their members do in
    /// the dashboard: the latest sign-in of one is shown beside it.
    pub projects: Vec<SilentProject>,
    /// What the usage read cannot tell here, if anything (not read, types missing, a window
    /// shorter than the days asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SilentProject {
    pub project: Named,
    /// Its last day of API use within the usage window, if any (before the cutoff).
    pub last_api_use_at: Option<i64>,
    /// The latest dashboard sign-in of a user with access to it, as far as the audit log tells.
    pub last_member_sign_in_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdleUser {
    pub user: Named,
    /// `None`: no sign-in seen since the log has been watched.
    pub last_login_at: Option<i64>,
    /// Their last day of API use, when the usage read saw one (before the cutoff: a user
    /// active through the API is not idle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_api_use_at: Option<i64>,
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
        let (window, usage_note) = self.usage_window(days);
        let (users, users_note) = self.idle_users(now, cutoff, days);
        let projects = if window {
            self.silent_projects(cutoff)
        } else {
            Vec::new()
        };
        Stale {
            as_of: now,
            days,
            api_keys: stale,
            service_accounts,
            invites,
            users,
            users_note,
            projects,
            usage_note,
        }
    }

    /// Whether the usage read covers the `days` asked (so no use seen means none), and what
    /// it cannot tell.
    fn usage_window(&self, days: u32) -> (bool, Option<String>) {
        let org = self.resources_of(ResourceType::Organization);
        let org = org.first().map(|o| &o.profile);
        let Some(window) = org.and_then(|p| p.get(usage::WINDOW_DAYS)?.as_u64()) else {
            return (false, Some("API use unknown: this sync did not read the Usage API (sync without --no-usage reads it): keys are judged by the Admin API's last use, users by sign-ins only, and silent projects are not listed".to_owned()));
        };
        let missing = org
            .and_then(|p| p.get(usage::MISSING)?.as_str())
            .map(str::to_owned);
        if missing
            .as_deref()
            .is_some_and(|m| m.split(',').count() == usage::TYPES)
        {
            return (
                false,
                Some(format!(
                    "API use unknown: the Usage API could not be read ({})",
                    missing.unwrap_or_default()
                )),
            );
        }
        let short = (window < u64::from(days)).then(|| format!("API use is known for {window} days, fewer than {days}: use seen counts, but no use seen proves nothing, so silent projects are not listed"));
        let partial = missing.map(|m| format!("usage of these types was not read this time: {m}"));
        let note = match (short, partial) {
            (None, None) => None,
            (a, b) => Some(a.into_iter().chain(b).collect::<Vec<_>>().join("; ")),
        };
        (window >= u64::from(days), note)
    }

    /// Active projects whose API use (all types, all keys) stopped before `cutoff`, or never
    /// was, within the window.
    fn silent_projects(&self, cutoff: i64) -> Vec<SilentProject> {
        let logins = self.logins();
        self.resources_of(ResourceType::Project)
            .into_iter()
            .filter(|p| super::profile_str(p, "status") != Some("archived"))
            .filter_map(|p| {
                let (last, _) = api_use(p)?;
                if last.is_some_and(|t| t >= cutoff) {
                    return None;
                }
                let key = p.key();
                let last_member_sign_in_at = self
                    .grants_giving_access_to(&key)
                    .filter(|g| g.principal.resource_type == ResourceType::User)
                    .filter_map(|g| logins.get(g.principal.id.as_str()).copied())
                    .max();
                Some(SilentProject {
                    project: self.named(&key),
                    last_api_use_at: last,
                    last_member_sign_in_at,
                })
            })
            .collect()
    }

    /// Each user's latest sign-in seen (Unix seconds).
    fn logins(&self) -> std::collections::HashMap<&str, i64> {
        self.sync
            .as_ref()
            .and_then(|s| s.state.as_ref())
            .and_then(|s| s.logins.as_ref())
            .map(|l| {
                l.last_login_at
                    .iter()
                    .filter_map(|(u, t)| Some((u.as_str(), unix_of(t)?)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Users whose last sign-in seen is before `cutoff`; those with none seen only when the
    /// log has been watched, without a gap, since before `cutoff`.
    /// A user whose API use is within the window is not idle, whatever the sign-ins say.
    fn idle_users(&self, now: i64, cutoff: i64, days: u32) -> (Vec<IdleUser>, Option<String>) {
        let used = |u: &Resource| api_use(u).and_then(|(last, _)| last);
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
                let api = used(u);
                (idle && api.is_none_or(|t| t < cutoff)).then(|| IdleUser {
                    user: self.named(&u.key()),
                    last_login_at: last,
                    last_api_use_at: api,
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
