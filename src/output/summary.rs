//! The sync summary: counts per type, requests per endpoint, retries, 429s and duration. Goes
//! into the JSON output and, as a table, to stderr.

use openai_access_actors::EndpointCounts;
use openai_access_actors::SyncOutcome;
use openai_access_actors::plan::SyncPlan;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Serialize)]
pub struct Summary {
    pub resources_by_type: BTreeMap<&'static str, usize>,
    pub resources: usize,
    pub entitlements: usize,
    pub grants: usize,
    /// Grants materialised from group grants (held through `group:<g>:member`).
    pub grants_expanded_from_groups: usize,
    /// `project:<p>:owner` grants held only through the org owner role.
    pub implicit_project_owner_grants: usize,
    /// Grants dropped because their entitlement or principal was never seen.
    pub dangling_grants_dropped: usize,
    pub requests: BTreeMap<&'static str, EndpointCounts>,
    pub requests_total: u64,
    pub retries: u64,
    pub rate_limited: u64,
    /// Requests per minute learned from 429s, per endpoint.
    pub learned_rpm: BTreeMap<&'static str, f64>,
    pub duration_ms: u64,
    /// Once the top-level lists were read: the requests each endpoint still needed and how
    /// long they would take at the rate known then.
    pub plan: Option<SyncPlan>,
    /// Lists an interrupted sync had read, taken from `--state` instead of read again.
    pub resumed_lists: usize,
    pub resumed_pages: u64,
    /// Lists read from the API by this sync, and lists taken from the state instead.
    pub lists_read: u64,
    pub lists_from_state: u64,
    /// With `--state`: what kind of sync ran, and why (in the JSON output, under `sync`).
    #[serde(skip)]
    pub state: Option<StateSummary>,
}

/// What a sync with `--state` did: its kind; for an incremental one the audit entries read and
/// the lists read again with the first reason for each; for a full one why it was not
/// incremental; and how old each group's membership data is.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StateSummary {
    pub kind: String,
    pub audit_entries: usize,
    pub audit_pages: usize,
    pub lists_read_again: usize,
    pub group_rescans: usize,
    /// Up to 100 of the lists read again, each with why.
    pub read_again: Vec<ReadAgain>,
    /// Objects read on their own (one request each) instead of their whole list.
    pub objects_read_alone: usize,
    /// Up to 100 of them (`list` names the object), each with why.
    pub read_alone: Vec<ReadAgain>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_because: Option<String>,
    /// Entries whose scope is not known and which name nothing the state holds, by type:
    /// nothing read for them now, left to the background reconciliation.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown_events: BTreeMap<String, usize>,
    /// Group id → when its member list was read (RFC 3339), for lists taken from the state;
    /// the others were read by this sync.
    pub group_members_read_at: BTreeMap<String, String>,
    /// Sign-ins seen in the audit log (`login.succeeded`): since when it has been watched
    /// without a gap, and each user's latest.
    pub logins: LoginsOut,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct LoginsOut {
    pub watched_since: Option<String>,
    pub last_login_at: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReadAgain {
    pub list: String,
    pub why: String,
}

impl StateSummary {
    pub fn of(p: &openai_access_actors::stateful::Prepared) -> Self {
        let rfc = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|d| d.to_rfc3339())
                .unwrap_or_default()
        };
        Self {
            kind: if p.resumed > 0 {
                format!("{} (resumed)", p.kind.as_str())
            } else if p.unchanged() {
                format!("{} (nothing changed)", p.kind.as_str())
            } else {
                p.kind.as_str().to_owned()
            },
            audit_entries: p.events,
            audit_pages: p.audit_pages,
            lists_read_again: p.dirty.lists.len(),
            group_rescans: p.dirty.group_rescans,
            read_again: p
                .dirty
                .lists
                .iter()
                .take(100)
                .map(|(k, why)| ReadAgain {
                    list: k.to_string(),
                    why: why.clone(),
                })
                .collect(),
            objects_read_alone: p.dirty.items.len(),
            read_alone: p
                .dirty
                .items
                .iter()
                .take(100)
                .map(|(item, why)| ReadAgain {
                    list: format!("{} in {}", item, item.list()),
                    why: why.clone(),
                })
                .collect(),
            full_because: p.fallback.as_ref().map(ToString::to_string),
            unknown_events: p.unknown_events.clone(),
            group_members_read_at: p
                .group_members_read_at
                .iter()
                .map(|(g, t)| (g.clone(), rfc(*t)))
                .collect(),
            logins: LoginsOut {
                watched_since: p.logins.watched_since.map(rfc),
                last_login_at: p
                    .logins
                    .last
                    .iter()
                    .map(|(u, t)| (u.clone(), rfc(*t)))
                    .collect(),
            },
        }
    }
}

/// `1 page`, `2 pages`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What a sync with a state says when nothing changed: no list read again, no output written.
#[derive(Clone, Debug, Serialize)]
pub struct Unchanged {
    /// `unchanged`.
    pub result: &'static str,
    pub requests_total: u64,
    /// The output of the last sync, left as it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_kept: Option<String>,
    pub state: StateSummary,
}

impl Unchanged {
    pub fn of(
        p: &openai_access_actors::stateful::Prepared,
        api: &openai_access_actors::AdminClient,
        output: Option<&std::path::Path>,
    ) -> Self {
        Self {
            result: "unchanged",
            requests_total: api.stats().total().requests,
            output_kept: output.map(|p| p.display().to_string()),
            state: StateSummary::of(p),
        }
    }

    pub fn table(&self) -> String {
        format!(
            "Nothing changed since the last sync: {} ({}, {}), no list to read again; {}.",
            counted(
                self.state.audit_entries as u64,
                "audit entry",
                "audit entries"
            ),
            counted(self.state.audit_pages as u64, "page", "pages"),
            counted(self.requests_total, "request", "requests"),
            match &self.output_kept {
                Some(p) => format!("{p} left as it was"),
                None => "nothing written".to_owned(),
            }
        )
    }
}

impl Summary {
    pub fn of(o: &SyncOutcome) -> Self {
        let requests: BTreeMap<_, _> = o.requests.iter().map(|(e, c)| (e.template(), *c)).collect();
        Summary {
            resources_by_type: o
                .graph
                .counts_by_type()
                .into_iter()
                .map(|(t, n)| (t.as_str(), n))
                .collect(),
            resources: o.graph.resource_count(),
            entitlements: o.graph.entitlement_count(),
            grants: o.graph.grant_count(),
            grants_expanded_from_groups: o.report.expanded_from_groups,
            implicit_project_owner_grants: o.report.implicit_project_owners,
            dangling_grants_dropped: o.report.dangling.len(),
            requests_total: requests.values().map(|c| c.requests).sum(),
            retries: requests.values().map(|c| c.retries).sum(),
            rate_limited: requests.values().map(|c| c.rate_limited).sum(),
            requests,
            learned_rpm: o
                .rates
                .iter()
                .filter_map(|r| {
                    r.learned_rpm
                        .map(|v| (r.endpoint.template(), (v * 10.0).round() / 10.0))
                })
                .collect(),
            duration_ms: o.duration.as_millis() as u64,
            plan: o.plan.clone(),
            resumed_lists: o.progress.resumed,
            resumed_pages: o.progress.resumed_pages,
            lists_read: o
                .progress
                .crawlers
                .values()
                .map(|c| c.crawls_done)
                .sum::<u64>()
                .saturating_sub(o.progress.replayed as u64),
            lists_from_state: o.progress.replayed as u64,
            state: None,
        }
    }

    /// A plain-text table for stderr.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{:<18} {:>10}", "resource type", "count");
        for (t, n) in &self.resources_by_type {
            let _ = writeln!(s, "{t:<18} {n:>10}");
        }
        let _ = writeln!(s, "{:<18} {:>10}", "entitlements", self.entitlements);
        let _ = writeln!(s, "{:<18} {:>10}", "grants", self.grants);
        let _ = writeln!(
            s,
            "{:<18} {:>10}   (held through a group's membership)",
            "  via groups", self.grants_expanded_from_groups
        );
        let _ = writeln!(
            s,
            "{:<18} {:>10}   (org owners own every project)",
            "  implicit owners", self.implicit_project_owner_grants
        );
        let _ = writeln!(s);
        // Every sync request is a GET: the paths alone, so the table fits 80 columns.
        let shown = |e: &str| e.strip_prefix("GET ").unwrap_or(e).to_owned();
        let width = self
            .requests
            .keys()
            .map(|e| shown(e).len())
            .max()
            .unwrap_or(0)
            .max("GET endpoint".len());
        let _ = writeln!(
            s,
            "{:<width$} {:>8} {:>5} {:>4} {:>4}",
            "GET endpoint", "requests", "retry", "429s", "fail"
        );
        for (e, c) in &self.requests {
            let _ = writeln!(
                s,
                "{:<width$} {:>8} {:>5} {:>4} {:>4}",
                shown(e),
                c.requests,
                c.retries,
                c.rate_limited,
                c.failures
            );
        }
        let _ = writeln!(
            s,
            "{:<width$} {:>8} {:>5} {:>4}",
            "total", self.requests_total, self.retries, self.rate_limited
        );
        if let Some(plan) = &self.plan {
            let _ = writeln!(s, "plan: {}", plan.describe());
        }
        if let Some(st) = &self.state {
            match &st.full_because {
                Some(why) if st.kind.starts_with("full") => {
                    let _ = writeln!(s, "sync: full, because {why}");
                }
                _ => {
                    let n = |k: usize, one: &str, many: &str| counted(k as u64, one, many);
                    let _ = writeln!(
                        s,
                        "sync: {}; {} ({}), {} read again ({}), {} read alone",
                        st.kind,
                        n(st.audit_entries, "audit entry", "audit entries"),
                        n(st.audit_pages, "page", "pages"),
                        n(st.lists_read_again, "list", "lists"),
                        n(st.group_rescans, "group rescan", "group rescans"),
                        n(st.objects_read_alone, "object", "objects"),
                    );
                }
            }
            if let Some(oldest) = st.group_members_read_at.values().min() {
                let _ = writeln!(
                    s,
                    "group members taken from the state were read at {oldest} or later"
                );
            }
        }
        if self.resumed_lists > 0 {
            let _ = writeln!(
                s,
                "resumed: {} lists ({} pages) read by the interrupted sync were taken from the state, not read again",
                self.resumed_lists, self.resumed_pages
            );
        }
        let _ = writeln!(s, "duration: {:.3} s", self.duration_ms as f64 / 1000.0);
        s
    }
}

/// What the usage read did, as the JSON output's `sync.usage` and the summary say it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UsageSummary {
    pub window_days: u32,
    /// The window's first and last day, `YYYY-MM-DD`.
    pub from: String,
    pub through: String,
    pub requests: u64,
    pub pages: u64,
    /// Per usage type, the days asked for this time (with a state: only those not kept).
    pub days_read: BTreeMap<&'static str, i64>,
    /// Types not read, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<openai_access_actors::usage::Missing>,
}

fn day(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl UsageSummary {
    pub fn of(r: &openai_access_actors::usage::UsageRead) -> Self {
        Self {
            window_days: r.evidence.window_days,
            from: day(r.evidence.from),
            through: day(r.evidence.through),
            requests: r.requests,
            pages: r.pages,
            days_read: r.days_read.clone(),
            missing: r.evidence.missing.clone(),
        }
    }
}
