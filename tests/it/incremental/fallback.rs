//! When an incremental sync cannot trust the log (off, unreadable, a cursor past retention, a
//! gap), it is a full sync that says why.

use super::*;

#[test]
fn an_unusable_log_or_cursor_means_a_full_sync_that_says_why() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("o.json");
    // The log is off.
    let off = mock_with(MockConfig {
        preset: Preset::Tiny,
        audit: AuditConfig {
            enabled: false,
            retention: None,
        },
        ..MockConfig::default()
    });
    let st_off = dir.path().join("s-off");
    let st_off = st_off.to_str().expect("utf-8");
    sync(&off, &out, &["--state", st_off]);
    let (v, _) = sync(&off, &out, &["--state", st_off]);
    assert_eq!(v["sync"]["kind"], "full");
    assert!(
        v["sync"]["state"]["full_because"]
            .as_str()
            .expect("why")
            .contains("no complete sync")
            || v["sync"]["state"]["full_because"]
                .as_str()
                .expect("why")
                .contains("audit log"),
        "{}",
        v["sync"]
    );

    // Asked for.
    let on = server(Preset::Tiny, 0);
    let st = dir.path().join("s-on");
    let st = st.to_str().expect("utf-8");
    sync(&on, &out, &["--state", st]);
    let (v, _) = sync(&on, &out, &["--state", st, "--full"]);
    assert_eq!(v["sync"]["kind"], "full");
    assert_eq!(
        v["sync"]["state"]["full_because"],
        "a full sync was asked for"
    );

    // Older than the assumed retention.
    let (v, _) = sync(&on, &out, &["--state", st, "--audit-retention", "1s"]);
    assert_eq!(v["sync"]["kind"], "full");
    assert!(
        v["sync"]["state"]["full_because"]
            .as_str()
            .expect("why")
            .contains("older than the audit log keeps")
    );

    // A gap: the entry the last sync ended on has expired.
    let gap = server(Preset::Tiny, 0);
    let st = dir.path().join("s-gap");
    let st = st.to_str().expect("utf-8");
    gap.change(&Change::CreateGroup {
        name: "Before".into(),
    })
    .expect("change");
    gap.age_audit(Duration::from_secs(3600), None);
    sync(&gap, &out, &["--state", st]);
    gap.age_audit(Duration::from_secs(3600), Some(Duration::from_secs(1800)));
    let (v, _) = sync(&gap, &out, &["--state", st]);
    assert_eq!(v["sync"]["kind"], "full", "{}", v["sync"]);
    assert!(
        v["sync"]["state"]["full_because"]
            .as_str()
            .expect("why")
            .contains("gap"),
        "{}",
        v["sync"]
    );

    // An event of a kind nothing knows, naming nothing the state holds: never a full sync
    // (a day and a half for a large org at the real limits); counted, said, and left to the
    // background reconciliation.
    let odd = server(Preset::Tiny, 0);
    let st = dir.path().join("s-odd");
    let st = st.to_str().expect("utf-8");
    sync(&odd, &out, &["--state", st]);
    odd.change(&Change::Event {
        kind: "widget.frobbed".into(),
        project: None,
        payload: serde_json::json!({"id": "widget-9"}),
    })
    .expect("event");
    let before = std::fs::read(&out).expect("out");
    let (_, stderr) = sync(&odd, &out, &["--state", st, "--log-format", "json"]);
    let summary: Value = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["fields"]["message"] == "Sync summary.")
        .map(|l| l["fields"]["summary"].clone())
        .expect("a summary line");
    assert_eq!(summary["result"], "unchanged", "{summary}");
    assert_eq!(summary["state"]["kind"], "incremental (nothing changed)");
    assert_eq!(summary["state"]["unknown_events"]["widget.frobbed"], 1);
    assert_eq!(summary["state"]["lists_read_again"], 0);
    assert!(stderr.contains("widget.frobbed"), "warned: {stderr}");
    assert_eq!(
        std::fs::read(&out).expect("out"),
        before,
        "the output is left as it was"
    );
    // Naming something it holds: what names it is read again.
    odd.change(&Change::Event {
        kind: "widget.frobbed".into(),
        project: None,
        payload: serde_json::json!({"group": "grp-eng"}),
    })
    .expect("event");
    let (v, _) = sync(&odd, &out, &["--state", st]);
    assert_eq!(v["sync"]["kind"], "incremental", "{}", v["sync"]);
    assert!(
        v["sync"]["state"]["read_again"]
            .as_array()
            .expect("read again")
            .iter()
            .any(|r| r["list"] == "/organization/groups/grp-eng/users"),
        "{}",
        v["sync"]["state"]
    );
}
