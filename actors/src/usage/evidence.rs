//! What the usage kept says, as answers: each API key's, user's, service account's and
//! project's last day of use and requests in the window, and what could not be read. Written
//! into the graph's resources (profile fields, and the traits Baton's readers look at) so that
//! every output carries it and a review of a saved sync reads it back.

use crate::graph::{GrantGraph, ResourceKey, ResourceType, Traits};
use crate::state::usage::{DAY, Totals, UsageBook};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub(super) use crate::graph::usage::{
    LAST_USED, MISSING, REQUESTS, WINDOW_DAYS, WINDOW_FROM, WINDOW_THROUGH,
};

/// One principal's or project's use in the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Use {
    /// The start of the last day with requests (Unix seconds).
    pub last_used_at: Option<i64>,
    pub requests: u64,
}

impl Use {
    fn merge(&mut self, other: Use) {
        self.last_used_at = self.last_used_at.max(other.last_used_at);
        self.requests += other.requests;
    }
}

/// A usage type that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missing {
    pub kind: String,
    pub why: String,
}

/// The usage of a window of days.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub window_days: u32,
    /// The window's first and last day (their starts, Unix seconds).
    pub from: i64,
    pub through: i64,
    /// Types not read this time: their totals are what earlier syncs kept (or nothing).
    pub missing: Vec<Missing>,
    /// By API key id, user id and project id (the Usage API's ids).
    pub keys: BTreeMap<String, Use>,
    pub users: BTreeMap<String, Use>,
    pub projects: BTreeMap<String, Use>,
}

fn uses(t: &BTreeMap<String, crate::state::usage::DayTotal>) -> BTreeMap<String, Use> {
    t.iter()
        .map(|(id, d)| {
            (
                id.clone(),
                Use {
                    last_used_at: Some(d.last_day * DAY),
                    requests: d.requests,
                },
            )
        })
        .collect()
}

/// `YYYY-MM-DD` of a Unix time.
fn date(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl Evidence {
    /// What `book` holds for the days `from..=today` (day numbers).
    pub fn from_book(
        book: &UsageBook,
        window_days: u32,
        from: i64,
        today: i64,
        missing: Vec<Missing>,
    ) -> Self {
        let totals = book.totals(from).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "Cannot total the usage kept.");
            Totals::default()
        });
        Self {
            window_days,
            from: from * DAY,
            through: today * DAY,
            missing,
            keys: uses(&totals.keys),
            users: uses(&totals.users),
            projects: uses(&totals.projects),
        }
    }

    /// Nothing was read at all (every type refused or failed): no resource gets a count, which
    /// would read as "unused".
    pub fn is_unknown(&self) -> bool {
        self.missing.len() == super::KINDS.len()
    }

    /// Writes the evidence into `graph`: every API key, user, service account and project
    /// gets [`LAST_USED`] and [`REQUESTS`] (0 when unused in the window); a key's `last_used_at`
    /// and a user's or service account's last activity move up to its last day of use (never
    /// down: the Admin API's own times are more precise); the organization gets the window.
    pub fn apply(&self, graph: &mut GrantGraph) {
        let known = !self.is_unknown();
        // A service account's use is its keys'; a user's is what the API reports for the user,
        // or failing that (keys the API does not attribute to a user), their keys'.
        let mut by_owner: BTreeMap<ResourceKey, Use> = BTreeMap::new();
        if known {
            for r in graph.resources_mut() {
                if r.resource_type != ResourceType::ApiKey {
                    continue;
                }
                let id = r.id.as_str();
                let key_id = id.rsplit('/').next().unwrap_or(id);
                let u = self.keys.get(key_id).copied().unwrap_or_default();
                annotate(&mut r.profile, u);
                if let Traits::Secret {
                    identity,
                    last_used_at,
                    ..
                } = &mut r.traits
                {
                    *last_used_at = (*last_used_at).max(u.last_used_at);
                    if let Some(owner) = identity {
                        by_owner.entry(owner.clone()).or_default().merge(u);
                    }
                }
            }
        }
        for r in graph.resources_mut() {
            let u = match r.resource_type {
                ResourceType::User if known => {
                    let via_keys = by_owner.get(&r.key()).copied().unwrap_or_default();
                    let own = self.users.get(r.id.as_str()).copied().unwrap_or_default();
                    Use {
                        last_used_at: own.last_used_at.max(via_keys.last_used_at),
                        requests: own.requests.max(via_keys.requests),
                    }
                }
                ResourceType::ServiceAccount if known => {
                    by_owner.get(&r.key()).copied().unwrap_or_default()
                }
                ResourceType::Project if known => self
                    .projects
                    .get(r.id.as_str())
                    .copied()
                    .unwrap_or_default(),
                ResourceType::Organization => {
                    self.annotate_org(&mut r.profile);
                    continue;
                }
                _ => continue,
            };
            annotate(&mut r.profile, u);
            if let Traits::User { last_activity, .. } = &mut r.traits {
                *last_activity = (*last_activity).max(u.last_used_at);
            }
        }
    }

    fn annotate_org(&self, p: &mut BTreeMap<String, serde_json::Value>) {
        p.insert(WINDOW_DAYS.into(), self.window_days.into());
        p.insert(WINDOW_FROM.into(), date(self.from).into());
        p.insert(WINDOW_THROUGH.into(), date(self.through).into());
        if !self.missing.is_empty() {
            let kinds: Vec<&str> = self.missing.iter().map(|m| m.kind.as_str()).collect();
            p.insert(MISSING.into(), kinds.join(",").into());
        }
    }
}

fn annotate(p: &mut BTreeMap<String, serde_json::Value>, u: Use) {
    match u.last_used_at {
        Some(t) => p.insert(LAST_USED.into(), t.into()),
        None => p.remove(LAST_USED),
    };
    p.insert(REQUESTS.into(), u.requests.into());
}
