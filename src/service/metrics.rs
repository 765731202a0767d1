//! `/metrics` in Prometheus' text exposition format (version 0.0.4). A handful of families
//! rendered from state that already exists (the client's counters, the throttle, the served
//! graph, the service's counters), so there is no registry to keep in step.

use super::schedule::readiness;
use super::served::Shared;
use openai_access_actors::AdminClient;
use std::fmt::Write;
use std::time::{Duration, SystemTime};

/// One family: its HELP and TYPE lines, then its samples.
struct Family<'a> {
    out: &'a mut String,
}

fn family<'a>(out: &'a mut String, name: &str, kind: &str, help: &str) -> Family<'a> {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    Family { out }
}

impl Family<'_> {
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) -> &mut Self {
        let _ = write!(self.out, "{name}");
        if !labels.is_empty() {
            let inner: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = write!(self.out, "{{{}}}", inner.join(","));
        }
        let _ = writeln!(self.out, " {value}");
        self
    }
}

/// The background passes and the ages of the state's lists, which they bound.
fn background(o: &mut String, b: &super::served::Background, now: SystemTime) {
    for (prefix, what, p) in [
        (
            "openai_access_reconciliation",
            "background reconciliation pass (every list older than --full-sync-interval)",
            &b.reconciliation,
        ),
        (
            "openai_access_group_rescan",
            "group rescan pass (group member lists older than --group-rescan-interval)",
            &b.group_rescan,
        ),
    ] {
        let n = format!("{prefix}_running");
        family(o, &n, "gauge", &format!("1 while a {what} runs.")).sample(
            &n,
            &[],
            f64::from(u8::from(p.running)),
        );
        let n = format!("{prefix}_passes_total");
        family(o, &n, "counter", &format!("Each {what} that completed.")).sample(
            &n,
            &[],
            p.passes as f64,
        );
        let n = format!("{prefix}_lists_read_total");
        family(
            o,
            &n,
            "counter",
            &format!("Lists read again by each {what}."),
        )
        .sample(&n, &[], p.lists_read as f64);
        let n = format!("{prefix}_lists_changed_total");
        family(
            o,
            &n,
            "counter",
            &format!("Lists a {what} found changed (what the audit log did not say)."),
        )
        .sample(&n, &[], p.lists_changed as f64);
        let n = format!("{prefix}_last_duration_seconds");
        let mut f = family(o, &n, "gauge", &format!("How long the last {what} took."));
        if let Some(d) = p.last_duration_s {
            f.sample(&n, &[], d);
        }
    }
    let n = "openai_access_state_lists";
    family(o, n, "gauge", "Lists the state holds.").sample(n, &[], b.lists as f64);
    let age = |t: i64| {
        let read = std::time::UNIX_EPOCH + Duration::from_secs(t.max(0) as u64);
        now.duration_since(read).unwrap_or_default().as_secs_f64()
    };
    let n = "openai_access_oldest_list_age_seconds";
    let mut f = family(
        o,
        n,
        "gauge",
        "Age of the least recently read list the state holds: at most --full-sync-interval plus one pass.",
    );
    if let Some(t) = b.oldest_read {
        f.sample(n, &[], age(t));
    }
    let n = "openai_access_oldest_group_members_age_seconds";
    let mut f = family(
        o,
        n,
        "gauge",
        "Age of the least recently read group member list: at most --group-rescan-interval plus one group rescan.",
    );
    if let Some(t) = b.oldest_group_members_read {
        f.sample(n, &[], age(t));
    }
}

/// Label values escape `\`, `"` and newlines.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub fn render(
    shared: &Shared,
    client: &AdminClient,
    tasks: Option<&super::c1::TaskLog>,
    now: SystemTime,
    max_age: Duration,
) -> String {
    let mut out = String::with_capacity(8 << 10);
    let o = &mut out;
    if let Some(log) = tasks {
        let n = "openai_access_c1_tasks_total";
        let mut f = family(
            o,
            n,
            "counter",
            "ConductorOne tasks carried out, by type and result (succeeded, failed, unsupported, cancelled, abandoned).",
        );
        for ((kind, result), v) in log.counts() {
            f.sample(n, &[("type", kind), ("result", result.as_str())], v as f64);
        }
        let n = "openai_access_c1_connected";
        family(
            o,
            n,
            "gauge",
            "1 while ConductorOne answers Hello and polls, else 0.",
        )
        .sample(n, &[], if log.connected() { 1.0 } else { 0.0 });
    }
    {
        let c = shared.counters();
        let n = "openai_access_sync_runs_total";
        let mut f = family(
            o,
            n,
            "counter",
            "Syncs run, by kind and result (ok, partial, failed).",
        );
        for ((kind, result), v) in &c.syncs {
            f.sample(
                n,
                &[("kind", kind.as_str()), ("result", result.as_str())],
                *v as f64,
            );
        }
        let n = "openai_access_sync_duration_seconds";
        let mut f = family(o, n, "summary", "Time syncs took, by kind.");
        for (kind, (sum, count)) in &c.sync_seconds {
            f.sample(&format!("{n}_sum"), &[("kind", kind.as_str())], *sum);
            f.sample(
                &format!("{n}_count"),
                &[("kind", kind.as_str())],
                *count as f64,
            );
        }
        let n = "openai_access_provisioning_requests_total";
        let mut f = family(
            o,
            n,
            "counter",
            "Provisioning requests, by action and result (changed, unchanged, dry_run, refused, invalid, failed, disabled).",
        );
        for ((action, result), v) in &c.provisioning {
            f.sample(n, &[("action", action), ("result", result)], *v as f64);
        }
        let n = "openai_access_unknown_audit_events_total";
        let mut f = family(
            o,
            n,
            "counter",
            "Audit-log events of a type this build does not know that named nothing the state holds (left to the reconciliation), by type.",
        );
        for (kind, v) in &c.unknown_events {
            f.sample(n, &[("type", kind)], *v as f64);
        }
    }
    background(o, &shared.background(), now);
    let counts = client.stats().snapshot();
    for (n, help, pick) in [
        (
            "openai_access_api_requests_total",
            "Admin API requests sent, retries included, by endpoint.",
            0,
        ),
        (
            "openai_access_api_retries_total",
            "Admin API requests sent again after a failed answer, by endpoint.",
            1,
        ),
        (
            "openai_access_api_rate_limited_total",
            "Admin API answers 429, by endpoint.",
            2,
        ),
        (
            "openai_access_api_failures_total",
            "Admin API calls that failed after every retry, by endpoint.",
            3,
        ),
    ] {
        let mut f = family(o, n, "counter", help);
        for (e, c) in &counts {
            let v = [c.requests, c.retries, c.rate_limited, c.failures][pick];
            f.sample(n, &[("endpoint", e.template())], v as f64);
        }
    }
    let n = "openai_access_learned_rpm";
    let mut f = family(
        o,
        n,
        "gauge",
        "The pace (requests/min) the throttle sends each endpoint at, once learned from 429s.",
    );
    for r in client.throttle().rates() {
        if let Some(rpm) = r.learned_rpm {
            f.sample(n, &[("endpoint", r.endpoint.template())], rpm);
        }
    }
    let known = client.throttle().known_limits();
    let n = "openai_access_known_limit_rpm";
    let mut f = family(
        o,
        n,
        "gauge",
        "The rate limit as bracketed by evidence: its lower (bound=min) and upper (bound=max) ends, shared or per endpoint.",
    );
    let ranges = known
        .shared
        .iter()
        .map(|r| ("shared", r))
        .chain(known.endpoints.iter().map(|(e, r)| (e.as_str(), r)));
    for (scope, r) in ranges {
        f.sample(n, &[("scope", scope), ("bound", "min")], r.rpm_min);
        if r.rpm_max.is_finite() {
            f.sample(n, &[("scope", scope), ("bound", "max")], r.rpm_max);
        }
    }
    let graph = shared.graph();
    let n = "openai_access_resources";
    let mut f = family(o, n, "gauge", "Resources in the served graph, by type.");
    for (t, v) in graph.iter().flat_map(|g| g.resources_by_type.iter()) {
        f.sample(n, &[("type", t)], *v as f64);
    }
    let n = "openai_access_grants";
    let mut f = family(o, n, "gauge", "Grants in the served graph.");
    if let Some(g) = &graph {
        f.sample(n, &[], g.grants as f64);
    }
    let fresh = shared.freshness();
    let n = "openai_access_seconds_since_last_successful_sync";
    let mut f = family(
        o,
        n,
        "gauge",
        "Age of the served graph (absent before the first complete graph).",
    );
    if let Some(at) = fresh.served_synced_at {
        f.sample(
            n,
            &[],
            now.duration_since(at).unwrap_or_default().as_secs_f64(),
        );
    }
    let n = "openai_access_sync_failures_since_success";
    family(
        o,
        n,
        "gauge",
        "Syncs that failed or ended partial since the served graph's.",
    )
    .sample(n, &[], f64::from(fresh.failures));
    let n = "openai_access_sync_running";
    family(o, n, "gauge", "1 while a sync runs.").sample(
        n,
        &[],
        f64::from(u8::from(fresh.running)),
    );
    usage(o, shared);
    let n = "openai_access_ready";
    let ready = readiness(&fresh, now, max_age).ready();
    family(o, n, "gauge", "1 when /readyz answers 200.").sample(n, &[], f64::from(u8::from(ready)));
    out
}

/// The last usage read (absent before one, and with `--no-usage`).
fn usage(o: &mut String, shared: &Shared) {
    let Some(u) = shared.usage() else {
        return;
    };
    let n = "openai_access_usage_window_days";
    family(
        o,
        n,
        "gauge",
        "Days of usage (Usage API) the answers judge by.",
    )
    .sample(n, &[], f64::from(u.evidence.window_days));
    let n = "openai_access_usage_requests_total";
    family(
        o,
        n,
        "counter",
        "Usage API requests sent, retries included.",
    )
    .sample(n, &[], u.requests_total as f64);
    let n = "openai_access_usage_types_missing";
    family(
        o,
        n,
        "gauge",
        "Usage types the last read could not read (10: usage unknown).",
    )
    .sample(n, &[], u.evidence.missing.len() as f64);
    for (n, help, pick) in [
        (
            "openai_access_usage_principals",
            "API keys, users, service accounts and projects the usage covers, by type.",
            0,
        ),
        (
            "openai_access_usage_unused",
            "Of those, how many made no API request in the window, by type.",
            1,
        ),
    ] {
        let mut f = family(o, n, "gauge", help);
        for (t, (all, unused)) in &u.principals {
            f.sample(n, &[("type", t)], [*all, *unused][pick] as f64);
        }
    }
}
