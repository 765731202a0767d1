//! Provisioning over HTTP: off unless switched on (the CLI's message), dry runs always, the
//! engine's refusals with no mutation, and a change visible in the very next query.

use super::*;
use openai_access_mock::Preset;

const GRANT: &str = r#"{"entitlement":"project:proj-beta:viewer","principal":"user:user-carol"}"#;
const GRANT_ID: &str = "project:proj-beta:viewer:user:user-carol";

fn carol_holds(s: &Service) -> bool {
    let a = s.get("/api/v1/principals/user/user-carol/access");
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .any(|g| g["grant"] == GRANT_ID)
}

#[test]
fn without_the_switch_a_change_is_refused_with_the_clis_message_and_nothing_is_sent() {
    let m = mock(Preset::Tiny);
    let s = Service::start(&m.base_url(), &[]);
    s.wait_ready();
    m.reset_stats();
    let r = s.post("/api/v1/provisioning/grant", GRANT);
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "provisioning_disabled");
    assert_eq!(
        r.body["error"]["message"],
        openai_access::settings::PROVISIONING_DISABLED
    );
    assert_eq!(m.stats().total(), 0, "not even a read");
    // A dry run needs no switch: it reads, plans, and changes nothing.
    let dry = s.post(
        "/api/v1/provisioning/grant",
        &GRANT.replace('}', r#","dry_run":true}"#),
    );
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(dry.body["outcome"]["dry_run"], true);
    assert_eq!(dry.body["outcome"]["result"], "granted");
    assert!(
        !dry.body["outcome"]["calls"]
            .as_array()
            .expect("calls")
            .is_empty()
    );
    assert_eq!(m.stats().mutations, 0);
    assert!(!carol_holds(&s));
    let metrics = s.get_anonymous("/metrics").text;
    assert!(
        metrics.contains(
            "openai_access_provisioning_requests_total{action=\"grant\",result=\"disabled\"} 1"
        ),
        "{metrics}"
    );
}

#[test]
fn with_the_switch_a_grant_is_made_once_and_shows_in_the_next_query() {
    let m = mock(Preset::Tiny);
    let s = Service::start(&m.base_url(), &["--provisioning"]);
    s.wait_ready();
    assert!(!carol_holds(&s));
    let r = s.post("/api/v1/provisioning/grant", GRANT);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["outcome"]["result"], "granted");
    assert_eq!(r.body["refresh"]["visible"], true, "{}", r.text);
    assert!(
        carol_holds(&s),
        "visible at once, without waiting for the schedule"
    );
    // Read back because it was made here, not only because the audit log says so.
    let out: Value =
        serde_json::from_slice(&std::fs::read(s.dir.path().join("org.json")).expect("--out"))
            .expect("json");
    let again = &out["sync"]["state"]["read_again"];
    assert!(
        again
            .to_string()
            .contains("made here: POST /organization/projects/proj-beta/users"),
        "{again}"
    );
    // In the mock too.
    let org = m.org();
    let beta = org
        .projects
        .iter()
        .find(|p| p.id().as_str() == "proj-beta")
        .expect("beta");
    assert_eq!(
        beta.users
            .iter()
            .find(|u| u.user_id.as_str() == "user-carol")
            .map(|u| u.role.as_str()),
        Some("viewer")
    );
    // Idempotent: the same request again changes nothing.
    m.reset_stats();
    let again = s.post("/api/v1/provisioning/grant", GRANT);
    assert_eq!(
        again.body["outcome"]["result"], "already_granted",
        "{}",
        again.text
    );
    assert_eq!(again.body["refresh"], Value::Null);
    assert_eq!(m.stats().mutations, 0);
    // The change is in the history of what changed.
    let changes = s.get("/api/v1/changes?since=0");
    assert!(changes.text.contains(GRANT_ID), "{}", changes.text);
}

#[test]
fn a_refusal_is_a_409_with_the_engines_reason_and_no_mutation() {
    let m = mock(Preset::Tiny);
    let s = Service::start(&m.base_url(), &["--provisioning"]);
    s.wait_ready();
    m.reset_stats();
    let r = s.post(
        "/api/v1/provisioning/revoke",
        r#"{"grant":"role:reader:assigned:user:user-bob"}"#,
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "refused");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .is_some_and(|t| t.contains("reader is the floor role")),
        "{}",
        r.text
    );
    let r = s.post(
        "/api/v1/provisioning/revoke",
        r#"{"grant":"project:proj-beta:owner:user:user-erin"}"#,
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(m.stats().mutations, 0, "a refusal makes no mutation");
    // A guard's remedy is said in the API's own terms, not the command line's.
    let r = s.post(
        "/api/v1/provisioning/revoke",
        r#"{"grant":"role:owner:assigned:user:user-alice"}"#,
    );
    assert_eq!(r.status, 409, "{}", r.text);
    let said = r.body["error"]["message"].as_str().unwrap_or_default();
    assert!(said.contains(r#""allow_self_lockout": true"#), "{}", r.text);
    assert!(!said.contains("--allow"), "{}", r.text);
    assert_eq!(m.stats().mutations, 0);
    let r = s.post(
        "/api/v1/provisioning/delete-account",
        r#"{"user":"user-nobody"}"#,
    );
    // Idempotent, as on the command line: what is already gone is reported, not refused.
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["outcome"]["result"], "already_deleted");
    assert_eq!(m.stats().mutations, 0);
}
