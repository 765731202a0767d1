//! The service over time: an out-of-band change shows after the next scheduled sync; an
//! outage keeps the last graph served, then turns readiness stale, then fresh again; SIGTERM
//! during a sync or a provisioning request exits 0 and the next start resumes; bad flags are
//! refused before anything starts.

use super::*;
use openai_access_actors::api::Endpoint;
use openai_access_mock::{Change, MockConfig, Preset};
use std::process::Stdio;

#[test]
fn an_out_of_band_change_shows_after_the_next_scheduled_sync() {
    let m = mock(Preset::Tiny);
    let s = Service::start(&m.base_url(), &["--interval", "1s"]);
    s.wait_ready();
    let bob_owner = |s: &Service| {
        s.get("/api/v1/resources/role/owner/access").body["roles"]
            .as_array()
            .is_some_and(|roles| {
                roles.iter().any(|r| {
                    r["holders"].as_array().is_some_and(|h| {
                        h.iter().any(|h| h["principal"]["key"]["id"] == "user-bob")
                    })
                })
            })
    };
    assert!(!bob_owner(&s));
    // Made in the dashboard, not through this service.
    m.change(&Change::Request {
        method: "POST".into(),
        path: "/organization/users/user-bob".into(),
        body: serde_json::json!({"role": "owner"}),
    })
    .expect("changed");
    s.until("the change to show", |s| bob_owner(s));
    let last = s.syncs().last().cloned().expect("a sync");
    assert_eq!(
        last["kind"], "incremental",
        "read from the audit log: {last}"
    );
    assert!(
        last["requests"].as_u64().is_some_and(|r| r < 10),
        "an incremental sync reads little: {last}"
    );
}

#[test]
fn an_outage_keeps_the_last_graph_then_readiness_goes_stale_then_fresh_again() {
    let m = mock(Preset::Tiny);
    let s = Service::start(
        &m.base_url(),
        &[
            "--interval",
            "1s",
            "--max-staleness",
            "3s",
            "--timeout",
            "1",
            "--retry-budget",
            "1",
        ],
    );
    s.wait_ready();
    let grants = s.get("/api/v1/summary").body["grants"].clone();
    m.outage(Duration::from_secs(3600));
    s.until("a failed sync", |s| {
        s.syncs().iter().any(|r| r["result"] == "failed")
    });
    // Still answering, from the last complete graph.
    let sum = s.get("/api/v1/summary");
    assert_eq!((sum.status, &sum.body["grants"]), (200, &grants));
    s.until("readiness to report stale", |s| {
        let r = s.get_anonymous("/readyz");
        r.status == 503
            && r.body["state"] == "stale"
            && r.body["reason"]
                .as_str()
                .is_some_and(|t| t.starts_with("stale"))
    });
    let metrics = s.get_anonymous("/metrics").text;
    assert!(metrics.contains("result=\"failed\"}"), "{metrics}");
    assert!(metrics.contains("openai_access_ready 0"), "{metrics}");
    assert!(
        !metrics.contains("openai_access_sync_failures_since_success 0"),
        "{metrics}"
    );
    // The server is back: the next retry makes the graph fresh again.
    m.outage(Duration::ZERO);
    s.wait_ready();
    let metrics = s.get_anonymous("/metrics").text;
    assert!(
        metrics.contains("openai_access_sync_failures_since_success 0"),
        "{metrics}"
    );
    // An outage costs retries, not a full sync: the state's base survived it.
    let back = s
        .syncs()
        .into_iter()
        .rev()
        .find(|r| r["result"] == "ok")
        .expect("a sync after the outage");
    assert_eq!(
        back["kind"],
        "incremental",
        "{back}\n{:#?}\n{}",
        s.syncs(),
        s.logs()
    );
}

#[test]
fn the_changes_recorded_before_a_restart_are_still_answered_after_it() {
    let m = mock(Preset::Tiny);
    let s = Service::start(&m.base_url(), &["--interval", "1s"]);
    s.wait_ready();
    let first = s.syncs()[0]["id"].as_u64().expect("the first sync's id");
    m.change(&Change::Request {
        method: "POST".into(),
        path: "/organization/users/user-bob".into(),
        body: serde_json::json!({"role": "owner"}),
    })
    .expect("changed");
    let since = format!("/api/v1/changes?since={first}");
    s.until("the role change to be recorded", |s| {
        s.get(&since).text.contains("role:owner")
    });
    let before = s.get(&since).body["syncs"].clone();
    let syncs_before = s.syncs();
    let (status, logs, dir) = s.stop_with("TERM");
    assert_eq!(status.code(), Some(0), "{logs}");
    // Even without the ledger of sync ids, the next ids follow the history's.
    state_db(&dir)
        .execute("DELETE FROM meta WHERE key = 'ledger'", [])
        .expect("the ledger");

    let s = Service::start_in(dir, &m.base_url(), &["--interval", "1h"]);
    s.wait_ready();
    let after = s.get(&since);
    assert_eq!(after.status, 200, "{}", after.text);
    let after = after.body["syncs"].as_array().expect("syncs").clone();
    let before = before.as_array().expect("syncs");
    assert!(
        after.len() >= before.len() && after[..before.len()] == before[..],
        "what was recorded before the restart is answered the same after it:\n{before:#?}\n{after:#?}"
    );
    s.until("this run's first sync", |s| {
        s.syncs().len() > syncs_before.len()
    });
    let syncs = s.syncs();
    assert_eq!(syncs[..syncs_before.len()], syncs_before[..]);
    // This run's syncs follow, with later ids.
    let last_before = syncs_before.last().expect("a sync")["id"].as_u64();
    assert!(
        syncs[syncs_before.len()..]
            .iter()
            .all(|r| r["id"].as_u64() > last_before)
    );

    // A history that cannot be read costs the history, not the start: those changes are
    // then said to be gone (410), never answered as if nothing had happened.
    let (status, logs, dir) = s.stop_with("TERM");
    assert_eq!(status.code(), Some(0), "{logs}");
    state_db(&dir)
        .execute("UPDATE history SET record = '{\"format\": 7'", [])
        .expect("damage the history");
    let s = Service::start_in(dir, &m.base_url(), &["--interval", "1h"]);
    s.wait_ready();
    let gone = s.get(&since);
    assert_eq!(gone.status, 410, "{}\n{:#?}", gone.text, s.syncs());
    assert!(
        s.logs().contains("The sync history cannot be read"),
        "{}",
        s.logs()
    );
}

/// A mock whose every answer takes `ms` milliseconds: a sync (or a request) takes long
/// enough to be interrupted.
fn slow_mock(preset: Preset, ms: u64) -> openai_access_mock::MockServer {
    mock_with(MockConfig {
        preset,
        latency: Duration::from_millis(ms),
        ..MockConfig::default()
    })
}

/// The service's state database, opened beside it (SQLite's WAL lets two processes share it).
fn state_db(dir: &tempfile::TempDir) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(dir.path().join("state").join("state.db")).expect("db");
    db.busy_timeout(Duration::from_secs(10)).expect("timeout");
    db
}

/// Lists stored in the state so far.
fn lists_stored(path: &std::path::Path) -> usize {
    rusqlite::Connection::open(path)
        .and_then(|db| db.query_row("SELECT COUNT(*) FROM lists", [], |r| r.get::<_, i64>(0)))
        .map_or(0, |n| n as usize)
}

#[test]
fn sigterm_during_a_sync_exits_0_and_the_next_start_resumes_it() {
    let m = slow_mock(Preset::Small, 25);
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("state").join("state.db");
    let s = Service::start_in(dir, &m.base_url(), &["--max-in-flight", "2"]);
    s.until("some lists stored", |_| lists_stored(&db) > 10);
    let (status, logs, dir) = s.stop_with("TERM");
    assert_eq!(status.code(), Some(0), "{logs}");
    assert!(logs.contains("Stopping"), "{logs}");
    let read_before = lists_stored(&db);
    assert!(
        !dir.path().join("org.json").exists(),
        "no half-written output"
    );
    m.reset_stats();
    let s = Service::start_in(dir, &m.base_url(), &[]);
    s.wait_ready();
    let first = s.syncs()[0].clone();
    assert_eq!(first["kind"], "resumed", "{first}");
    // A full sync of small reads ~192 lists; the resumed one only what was left (the Usage
    // API's reads after the lists are not lists, and not counted).
    let full = 192;
    let stats = m.stats();
    let usage: u64 = stats
        .requests
        .iter()
        .filter(|(e, _)| e.is_usage())
        .map(|(_, n)| n)
        .sum();
    let lists = (stats.total() - usage) as usize;
    assert!(
        lists < full - read_before / 2,
        "resumed, not started again: {lists} requests after {read_before} lists were kept"
    );
    assert!(s.dir.path().join("org.json").exists());
}

#[test]
fn sigterm_during_a_provisioning_request_lets_it_finish_and_exits_0() {
    let m = slow_mock(Preset::Tiny, 150);
    let s = Service::start(&m.base_url(), &["--provisioning"]);
    s.wait_ready();
    m.reset_stats();
    let url = s.url.clone();
    let request = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        rt.block_on(async {
            let r = openai_access::commands::bench::serve_load::http_client()
                .post(format!("{url}/api/v1/provisioning/grant"))
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(r#"{"entitlement":"project:proj-beta:viewer","principal":"user:user-carol"}"#)
                .send()
                .await
                .expect("answered");
            (r.status().as_u16(), r.text().await.expect("body"))
        })
    });
    // The request is in flight once the mock has seen its first read.
    s.until("the provisioning request to reach the mock", |_| {
        m.stats().total() > 0
    });
    let (status, logs, _dir) = s.stop_with("TERM");
    let (code, body) = request.join().expect("request thread");
    assert_eq!(status.code(), Some(0), "{logs}");
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"granted\""), "{body}");
    assert_eq!(
        m.stats().get(Endpoint::AddProjectUser) + m.stats().get(Endpoint::ModifyProjectUser),
        1,
        "the change was made once"
    );
}

#[test]
fn bad_flags_are_refused_before_anything_starts() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("state");
    let empty = dir.path().join("empty-token");
    std::fs::write(&empty, "\n").expect("write");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--listen".into(), "0.0.0.0:0".into()],
            "no API token is set",
        ),
        (
            vec!["--listen".into(), "nowhere".into()],
            "is not ADDRESS:PORT",
        ),
        (
            vec!["--api-token-file".into(), empty.display().to_string()],
            "is empty",
        ),
        (
            vec!["--interval".into(), "0".into()],
            "must be longer than 0",
        ),
        (
            vec!["--out".into(), "-".into()],
            "writes its snapshot to a file",
        ),
        (
            vec![
                "--out".into(),
                dir.path().join("no/such/dir/x.json").display().to_string(),
            ],
            "no/such/dir",
        ),
    ];
    for (args, says) in cases {
        let o = run_bounded(
            bin()
                .args(["serve", "--mock", "tiny", "--state-dir"])
                .arg(&state)
                .args(&args),
            Duration::from_secs(60),
        );
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    }
    // An address already in use.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let o = run_bounded(
        bin()
            .args(["serve", "--mock", "tiny", "--state-dir"])
            .arg(&state)
            .args(["--listen", &taken.local_addr().expect("addr").to_string()]),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot listen"), "{}", text(&o));
}

#[test]
fn sigterm_stops_it_even_when_nobody_reads_its_logs_any_more() {
    // A free port, named up front: the log that would say it is not read.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("token"), TOKEN).expect("token");
    let mut child = bin()
        .env("OPENAI_ADMIN_KEY", KEY)
        .args([
            "serve",
            "--log-format",
            "json",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        // Nothing listens there: every sync fails and says so in the log.
        .args(["--base-url", "http://127.0.0.1:9/v1", "--interval", "1s"])
        .args(["--timeout", "1", "--retry-budget", "1"])
        .arg("--api-token-file")
        .arg(dir.path().join("token"))
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stderr.take());
    let http = openai_access::commands::bench::serve_load::http_client();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let failed = || {
        rt.block_on(async {
            let r = http
                .get(format!("http://127.0.0.1:{port}/api/v1/syncs"))
                .bearer_auth(TOKEN)
                .send()
                .await
                .ok()?;
            let v: Value = r.json().await.ok()?;
            Some(
                v["syncs"]
                    .as_array()?
                    .iter()
                    .filter(|s| s["result"] == "failed")
                    .count(),
            )
        })
        .unwrap_or(0)
    };
    let deadline = Instant::now() + PATIENCE;
    // Two failed syncs: each was logged into the closed pipe.
    while failed() < 2 {
        assert!(Instant::now() < deadline, "no failed syncs");
        std::thread::sleep(Duration::from_millis(25));
    }
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve did not stop on SIGTERM with its stderr closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn the_state_is_where_sync_s_variable_says_and_the_earlier_name_still_counts() {
    let m = mock(Preset::Tiny);
    for (var, warned) in [("BATON_STATE", false), ("BATON_STATE_DIR", true)] {
        let dir = tempfile::tempdir().expect("tmp");
        let state = dir.path().join("kept-here");
        let env = [(var.to_owned(), state.display().to_string())];
        let s = Service::start_with_env(dir, &m.base_url(), &[], &env);
        s.wait_ready();
        assert!(state.join("state.db").exists(), "{var}: {}", s.logs());
        assert_eq!(
            s.logs()
                .contains("BATON_STATE_DIR is the earlier name of BATON_STATE"),
            warned,
            "{var}: {}",
            s.logs()
        );
    }
}
