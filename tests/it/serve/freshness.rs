//! Freshness in service mode: a change reaches the answers while a reconciliation is still
//! reading (it runs beside the incremental syncs, below them on the throttle), and a sync
//! that finds nothing changed neither swaps the served graph nor rewrites the output.

use super::*;
use openai_access_mock::{Change, MockConfig, Preset, RateLimit};

/// A metric's value (the sample without labels).
fn metric(s: &Service, name: &str) -> Option<f64> {
    let text = s.get_anonymous("/metrics").text;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

fn owners(s: &Service) -> Vec<String> {
    s.get("/api/v1/summary").body["org_owners"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o["key"]["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_change_is_served_while_the_reconciliation_is_still_reading() {
    let m = mock_with(MockConfig {
        preset: Preset::Small,
        rate_limit: Some(RateLimit {
            rpm: 20,
            burst: 5,
            retry_after: true,
        }),
        ..MockConfig::default()
    });
    // The first full sync with the limit lifted (at 20 requests/min it alone takes minutes).
    m.lift_limits(true);
    let s = Service::start(&m.base_url(), &["--full-sync-interval", "1h"]);
    s.wait_ready();
    let (_, _, dir) = s.stop_with("TERM");
    m.lift_limits(false);

    // Every stored list is now older than a second: a pass reads them all again, at 20
    // requests a minute per endpoint, for minutes; an incremental sync runs every second.
    let s = Service::start_in(
        dir,
        &m.base_url(),
        &["--interval", "1s", "--full-sync-interval", "1s"],
    );
    s.wait_ready();
    s.until("a reconciliation under way", |s| {
        metric(s, "openai_access_reconciliation_running") == Some(1.0)
    });
    let reader = m
        .org()
        .users
        .iter()
        .find(|u| !u.is_service_account() && u.role.as_deref() == Some("reader"))
        .map(|u| u.id.to_string())
        .expect("a reader");
    assert!(!owners(&s).contains(&reader));
    m.change(&Change::Request {
        method: "POST".into(),
        path: format!("/organization/users/{reader}"),
        body: serde_json::json!({"role": "owner"}),
    })
    .expect("made owner");
    s.until("the new owner in the answers", |s| {
        owners(s).contains(&reader)
    });
    // Shown before the pass ended: the pass is still reading, and none has completed.
    assert_eq!(
        metric(&s, "openai_access_reconciliation_running"),
        Some(1.0),
        "{}",
        s.logs()
    );
    assert_eq!(
        metric(&s, "openai_access_reconciliation_passes_total"),
        Some(0.0)
    );
    assert!(!pass_ended(&s, "reconciliation"));
    // Ready all along: a reconciliation under way is not staleness.
    assert_eq!(s.get_anonymous("/readyz").status, 200);
    // The oldest list is as old as the state (read before the restart), and said so.
    assert!(metric(&s, "openai_access_oldest_list_age_seconds").is_some_and(|a| a >= 1.0));
    assert!(metric(&s, "openai_access_state_lists").is_some_and(|n| n > 100.0));
}

#[test]
fn a_sync_that_finds_nothing_changed_keeps_the_served_graph_and_the_output() {
    let m = mock(Preset::Tiny);
    let s = Service::start(&m.base_url(), &["--interval", "1s"]);
    s.wait_ready();
    let out = s.dir.path().join("org.json");
    s.until("the output", |s| {
        s.syncs().iter().any(|r| r["result"] == "ok")
    });
    let first = s.get("/api/v1/summary").body["sync_id"].clone();
    assert!(first.is_u64(), "{}", s.get("/api/v1/summary").text);
    let written = std::fs::read(&out).expect("output");
    let modified = std::fs::metadata(&out)
        .expect("meta")
        .modified()
        .expect("mtime");
    let before = s.syncs().len();
    s.until("three more syncs", |s| s.syncs().len() >= before + 3);
    let later: Vec<Value> = s.syncs().into_iter().skip(before).collect();
    assert!(
        later
            .iter()
            .all(|r| r["result"] == "ok" && r["changes"] == 0),
        "{later:?}"
    );
    assert_eq!(
        s.get("/api/v1/summary").body["sync_id"],
        first,
        "the graph served is still the first sync's"
    );
    assert_eq!(std::fs::read(&out).expect("output"), written);
    assert_eq!(
        std::fs::metadata(&out)
            .expect("meta")
            .modified()
            .expect("mtime"),
        modified,
        "not rewritten with the same bytes either"
    );
    // Still fresh: each of those syncs confirmed the served graph.
    assert_eq!(s.get_anonymous("/readyz").status, 200);

    // A change: swapped and written.
    m.change(&Change::CreateProject {
        name: "Fresh".into(),
    })
    .expect("project");
    s.until("the change served", |s| {
        s.get("/api/v1/summary").body["sync_id"] != first
    });
    assert_ne!(std::fs::read(&out).expect("output"), written);
}

#[test]
fn an_unknown_event_is_counted_by_type_and_recorded_never_a_full_sync() {
    let m = mock(Preset::Tiny);
    let s = Service::start(&m.base_url(), &["--interval", "1s"]);
    s.wait_ready();
    m.change(&Change::Event {
        kind: "widget.frobbed".into(),
        project: None,
        payload: serde_json::json!({"id": "widget-9"}),
    })
    .expect("event");
    s.until("a sync that saw it", |s| {
        s.syncs()
            .iter()
            .any(|r| r["unknown_events"]["widget.frobbed"] == 1)
    });
    let syncs = s.syncs();
    let saw = syncs
        .iter()
        .find(|r| r["unknown_events"]["widget.frobbed"] == 1)
        .expect("the record");
    assert_eq!(saw["kind"], "incremental", "{saw}");
    assert_eq!(saw["result"], "ok");
    let text = s.get_anonymous("/metrics").text;
    assert!(
        text.lines()
            .any(|l| l == r#"openai_access_unknown_audit_events_total{type="widget.frobbed"} 1"#),
        "{text}"
    );
    assert!(s.logs().contains("widget.frobbed"), "warned");
}
