//! Long syncs, as a user runs them: interrupted ones (SIGINT, SIGTERM, `kill -9`, an outage
//! beyond the retry budget) resume with the same `--state` without reading again the lists they
//! completed and end with the graph an uninterrupted sync gives; the plan is said, and
//! `--max-duration` refuses a sync that would take too long before it reads anything more.
//!
//! "Not read again" is checked on the mock's counters: an uninterrupted sync makes `U`
//! requests (no 429s, no faults: each page once). A resumed sync makes `R` and says it took
//! `P` pages from the state; `R + P == U` holds exactly when no page the state holds was read
//! again and every page it lacks was.

use crate::support::*;
use openai_access_mock::{MockConfig, MockServer, Preset};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

/// An org slow enough to interrupt: ~200 requests, 4 at a time, 20 ms each.
fn slow_org() -> MockServer {
    mock_with(MockConfig {
        preset: Preset::Small,
        latency: Duration::from_millis(20),
        ..MockConfig::default()
    })
}

/// `sync` of `server` into `out`, 4 requests in flight unless `extra` says otherwise.
fn sync_cmd(server: &MockServer, state: Option<&Path>, out: &Path, extra: &[&str]) -> Command {
    let mut c = bin();
    c.args(["sync", "--no-progress", "--base-url"])
        .arg(server.base_url())
        .arg("--out")
        .arg(out)
        .args(extra)
        .env("OPENAI_ADMIN_KEY", KEY);
    if !extra.contains(&"--max-in-flight") {
        c.args(["--max-in-flight", "4"]);
    }
    if let Some(s) = state {
        c.arg("--state").arg(s);
    }
    c
}

/// Requests for the Admin API's lists and objects: the Usage API's, read after them, are not
/// lists a sync resumes or replays.
fn total(server: &MockServer) -> u64 {
    server
        .stats()
        .requests
        .iter()
        .filter(|(e, _)| !e.is_usage())
        .map(|(_, n)| n)
        .sum()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("output")).expect("json")
}

/// The output without its summary: what two syncs of the same org must agree on.
fn graph(mut v: Value) -> Value {
    strip_run(&mut v);
    v
}

/// An uninterrupted sync: its graph and its request count `U`.
fn baseline(server: &MockServer, dir: &Path) -> (Value, u64) {
    server.reset_stats();
    let out = dir.join("baseline.json");
    let o = run_bounded(
        &mut sync_cmd(server, None, &out, &[]),
        Duration::from_secs(120),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let u = total(server);
    server.reset_stats();
    (graph(read_json(&out)), u)
}

/// Starts a sync in the background; its stderr goes to `log`.
fn spawn(mut cmd: Command, log: &Path) -> Child {
    cmd.stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log"))
        .spawn()
        .expect("spawn openai-access")
}

/// Waits until the mock has received `n` requests (the sync must still be running then).
fn wait_for_requests(server: &MockServer, child: &mut Child, n: u64) {
    while total(server) < n {
        if let Some(status) = child.try_wait().expect("wait") {
            panic!(
                "the sync ended ({status}) before {n} requests; the org is too small to interrupt"
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

enum Stop {
    /// A signal by name, sent with the shell's own `kill`.
    Signal(&'static str),
    Kill,
}

fn stop(child: &mut Child, how: &Stop) -> ExitStatus {
    match how {
        Stop::Signal(sig) => {
            let sent = Command::new("sh")
                .arg("-c")
                .arg(format!("kill -s {sig} {}", child.id()))
                .status()
                .expect("sh");
            assert!(sent.success(), "kill -s {sig}");
        }
        Stop::Kill => child.kill().expect("kill -9"),
    }
    child.wait().expect("wait")
}

/// Runs the resumed sync to its end and checks it against the baseline; returns `P`.
fn resume_and_check(
    server: &MockServer,
    state: &Path,
    dir: &Path,
    (full, u): &(Value, u64),
) -> u64 {
    // The stopped sync's last requests must be counted before the counters restart.
    until_idle(server);
    server.reset_stats();
    let out = dir.join("resumed.json");
    let o = run_bounded(
        &mut sync_cmd(server, Some(state), &out, &[]),
        Duration::from_secs(120),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = total(server);
    let v = read_json(&out);
    let p = v["summary"]["resumed_pages"]
        .as_u64()
        .expect("resumed_pages");
    let lists = v["summary"]["resumed_lists"]
        .as_u64()
        .expect("resumed_lists");
    assert_eq!(
        r + p,
        *u,
        "requests of the resumed sync ({r}) + pages taken from the state ({p}) = an uninterrupted sync's requests"
    );
    if lists > 0 {
        assert!(
            text(&o).contains(&format!("resumed: {lists} lists ({p} pages)")),
            "the summary says what was resumed: {}",
            text(&o)
        );
    }
    assert!(
        graph(v) == *full,
        "the resumed graph differs from an uninterrupted sync's"
    );
    p
}

#[test]
fn syncs_interrupted_at_several_points_resume_without_reading_completed_lists_again() {
    let server = slow_org();
    let dir = tempfile::tempdir().expect("tmp");
    let base = baseline(&server, dir.path());
    let (_, u) = base;
    assert!(
        u > 150,
        "the org is big enough to interrupt at several points ({u})"
    );
    let cases = [
        ("SIGINT at the start", 3, Stop::Signal("INT"), Some(130)),
        ("SIGTERM a third in", u / 3, Stop::Signal("TERM"), Some(143)),
        ("kill -9 halfway", u / 2, Stop::Kill, None),
        (
            "SIGINT near the end",
            u * 4 / 5,
            Stop::Signal("INT"),
            Some(130),
        ),
    ];
    for (i, (what, at, how, code)) in cases.iter().enumerate() {
        let state = dir.path().join(format!("state-{i}"));
        server.reset_stats();
        let log = dir.path().join(format!("interrupted-{i}.log"));
        let mut child = spawn(
            sync_cmd(&server, Some(&state), &dir.path().join("x.json"), &[]),
            &log,
        );
        wait_for_requests(&server, &mut child, *at);
        let status = stop(&mut child, how);
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        assert_eq!(status.code(), *code, "{what}: {status}; {said}");
        if code.is_some() {
            assert!(
                said.contains("run the same command to resume"),
                "{what}: {said}"
            );
        }
        let read_before = total(&server);
        let p = resume_and_check(&server, &state, dir.path(), &base);
        assert!(
            p <= read_before,
            "{what}: no more pages taken ({p}) than were read ({read_before})"
        );
        if *at >= u / 3 {
            assert!(
                p > 0,
                "{what}: lists completed before the interruption were kept"
            );
        }
    }
}

#[test]
fn a_sync_interrupted_twice_still_resumes_to_the_same_graph() {
    let server = slow_org();
    let dir = tempfile::tempdir().expect("tmp");
    let base = baseline(&server, dir.path());
    let state = dir.path().join("state");
    let log = dir.path().join("run.log");
    let mut read = 0;
    for fraction in [4, 2] {
        server.reset_stats();
        let mut child = spawn(
            sync_cmd(&server, Some(&state), &dir.path().join("x.json"), &[]),
            &log,
        );
        wait_for_requests(&server, &mut child, base.1 / fraction);
        assert_eq!(stop(&mut child, &Stop::Kill).code(), None);
        read += total(&server);
    }
    let p = resume_and_check(&server, &state, dir.path(), &base);
    assert!(
        p <= read && p > 0,
        "{p} pages taken from the state, {read} read before"
    );
    // The state now holds a complete sync: the next run is not a resume but an incremental
    // sync, which, with nothing changed, reads the audit log's one page and nothing else.
    server.reset_stats();
    let out = dir.path().join("again.json");
    let o = run_bounded(
        &mut sync_cmd(&server, Some(&state), &out, &[]),
        Duration::from_secs(120),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = read_json(&out);
    assert_eq!(v["sync"]["state"]["kind"], "incremental", "{}", text(&o));
    assert_eq!(
        v["summary"]["resumed_lists"], 0,
        "a committed state is not resumed"
    );
    assert_eq!(total(&server), 1, "one page of the audit log");
    assert!(
        graph(v) == base.0,
        "the incremental graph equals the full one"
    );
}

#[test]
fn an_outage_beyond_the_retry_budget_leaves_a_partial_sync_that_resumes() {
    let server = slow_org();
    let dir = tempfile::tempdir().expect("tmp");
    let base = baseline(&server, dir.path());
    let state = dir.path().join("state");
    let log = dir.path().join("outage.log");
    let out = dir.path().join("partial.json");
    // Many in flight, so the lists cut off by the outage fail together, quickly.
    let cmd = sync_cmd(
        &server,
        Some(&state),
        &out,
        &[
            "--timeout",
            "1",
            "--retry-budget",
            "1",
            "--max-in-flight",
            "64",
        ],
    );
    let mut child = spawn(cmd, &log);
    wait_for_requests(&server, &mut child, base.1 / 3);
    server.outage(Duration::from_secs(3600));
    let status = child.wait().expect("wait");
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(status.code(), Some(1), "partial: {said}");
    assert!(said.contains("PARTIAL"), "{said}");
    assert!(
        said.contains("unreachable"),
        "the failures say the server was unreachable: {said}"
    );
    server.outage(Duration::ZERO);
    let p = resume_and_check(&server, &state, dir.path(), &base);
    assert!(p > 0, "lists read before the outage were kept");
}

#[test]
fn max_duration_refuses_with_the_plan_before_reading_beyond_the_top_level_lists() {
    let server = mock(Preset::Small);
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("never.json");
    // 10 requests a minute, burst 5: ~100 per-user role lists need about 9.5 minutes.
    let o = run_bounded(
        &mut sync_cmd(
            &server,
            None,
            &out,
            &["--rpm", "10", "--burst", "5", "--max-duration", "5m"],
        ),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let said = text(&o);
    assert!(said.contains("refused"), "{said}");
    assert!(said.contains("longer than the 5 min allowed"), "{said}");
    assert!(
        said.contains("at 10.0 requests/min on GET /organization/users/{user_id}/roles"),
        "{said}"
    );
    assert!(!out.exists(), "no output for a refused sync");
    let stats = server.stats();
    let users = server.org().users.len() as u64;
    let plan_requests: u64 = said
        .split("refused")
        .nth(1)
        .and_then(|s| s.split(" requests to go").next())
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the refusal names the requests to go");
    assert!(
        plan_requests >= users,
        "{plan_requests} requests planned for {users} users"
    );
    for (endpoint, n) in &stats.requests {
        let top_level = matches!(
            endpoint.template(),
            "GET /organization/users"
                | "GET /organization/invites"
                | "GET /organization/roles"
                | "GET /organization/groups"
                | "GET /organization/projects"
                | "GET /organization/admin_api_keys"
        );
        assert!(
            top_level || *n == 0,
            "{n} requests to {} beyond the top-level lists",
            endpoint.template()
        );
    }
}

#[test]
fn the_plan_is_logged_and_in_the_json_summary() {
    let server = mock(Preset::Small);
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("sync.json");
    let mut cmd = sync_cmd(
        &server,
        None,
        &out,
        &["--rpm", "60000", "--max-duration", "1h"],
    );
    cmd.env("RUST_LOG", "info");
    let o = run_bounded(&mut cmd, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("Plan: "), "{}", text(&o));
    let v = read_json(&out);
    let plan = &v["summary"]["plan"];
    // One list per user's roles: the plan counts them before any is read.
    let roles = "GET /organization/users/{user_id}/roles";
    let planned = plan["endpoints"][roles]["requests"]
        .as_u64()
        .unwrap_or_else(|| panic!("{plan}"));
    let read = server.stats().requests[&openai_access_actors::api::Endpoint::ListUserRoles];
    assert_eq!(planned, read, "{plan}");
    assert_eq!(plan["endpoints"][roles]["source"], "configured");
    assert_eq!(plan["bottleneck"], roles);
    assert!(plan["estimate"].as_u64().is_some(), "{plan}");
}
