//! The service's share of the third security probe: a token-less service reached through a
//! rebound name or from a web page, provisioning without a token, weak tokens, a revoke
//! naming another organization, and a tampered ledger.

use super::*;
use openai_access_mock::Preset;
use std::io::{Read, Write};

/// A raw HTTP/1.1 request to `url` (`http://127.0.0.1:PORT`) with the given `Host` and
/// `Origin`, as a browser tricked by DNS rebinding would send it; the status.
fn raw(url: &str, method: &str, path: &str, host: &str, origin: Option<&str>) -> u16 {
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let origin = origin.map_or(String::new(), |o| format!("Origin: {o}\r\n"));
    let body = r#"{"entitlement":"role:owner:assigned","principal":"user:user-bob"}"#;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{origin}content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line")
}

#[test]
fn a_token_less_service_answers_only_loopback_names_and_no_foreign_page() {
    let m = mock(Preset::Tiny);
    let s = Service::start_open(&m.base_url(), &[]);
    s.wait_ready();
    assert!(s.logs().contains("no API token is set"), "{}", s.logs());
    let port = s.url.rsplit(':').next().expect("port").to_owned();
    let summary = "/api/v1/summary";
    assert_eq!(
        raw(&s.url, "GET", summary, &format!("127.0.0.1:{port}"), None),
        200
    );
    assert_eq!(
        raw(&s.url, "GET", summary, &format!("localhost:{port}"), None),
        200
    );
    assert_eq!(
        raw(
            &s.url,
            "GET",
            summary,
            &format!("rebind.attacker.example:{port}"),
            None
        ),
        403,
        "a rebound name"
    );
    assert_eq!(
        raw(
            &s.url,
            "GET",
            summary,
            &format!("127.0.0.1:{port}"),
            Some("http://attacker.example")
        ),
        403,
        "a foreign page"
    );
    m.reset_stats();
    assert_eq!(
        raw(
            &s.url,
            "POST",
            "/api/v1/provisioning/grant",
            &format!("rebind.attacker.example:{port}"),
            Some("http://rebind.attacker.example")
        ),
        403
    );
    assert_eq!(m.stats().total(), 0, "nothing reached the org");
    // Probes stay open: Kubernetes names the pod by its address.
    assert_eq!(raw(&s.url, "GET", "/healthz", "10.0.0.7:8080", None), 200);
}

#[test]
fn provisioning_needs_a_token_and_a_token_must_be_long_and_private() {
    let dir = tempfile::tempdir().expect("tmp");
    let short = dir.path().join("short");
    std::fs::write(&short, "x\n").expect("write");
    for (args, says) in [
        (vec!["-p".to_owned()], "no API token is set"),
        (
            vec!["--api-token-file".to_owned(), short.display().to_string()],
            "shorter than 16",
        ),
    ] {
        let o = run_bounded(
            bin()
                .args(["serve", "--mock", "tiny", "--state-dir"])
                .arg(dir.path().join("state"))
                .args(&args),
            Duration::from_secs(60),
        );
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    }
    // A token file others can read draws the admin key file's warning (the token is read
    // before the bad --listen stops the service).
    #[cfg(unix)]
    for (mode, warned) in [(0o644, true), (0o600, false)] {
        use std::os::unix::fs::PermissionsExt;
        let token = dir.path().join(format!("token-{mode:o}"));
        std::fs::write(&token, format!("{TOKEN}\n")).expect("token");
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let o = run_bounded(
            bin()
                .args([
                    "serve",
                    "--mock",
                    "tiny",
                    "--listen",
                    "nowhere",
                    "--api-token-file",
                ])
                .arg(&token),
            Duration::from_secs(60),
        );
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert_eq!(
            text(&o).contains("API token file can be read by other users"),
            warned,
            "mode {mode:o}: {}",
            text(&o)
        );
    }
}

#[test]
fn a_revoke_naming_another_organization_is_refused_over_http() {
    let m = mock(Preset::Tiny);
    let s = Service::start(&m.base_url(), &["-p"]);
    s.wait_ready();
    m.reset_stats();
    let r = s.post(
        "/api/v1/provisioning/revoke",
        r#"{"grant":"organization:org-WRONG:member:user:user-dave"}"#,
    );
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "refused");
    assert!(r.text.contains("org-WRONG"), "{}", r.text);
    assert_eq!(m.stats().mutations, 0, "nothing changed");
    let r = s.post(
        "/api/v1/provisioning/revoke",
        r#"{"grant":"organization:org-tiny:member:user:user-nobody"}"#,
    );
    assert_eq!(r.status, 404, "a user who is not there: {}", r.text);
    assert_eq!(m.stats().mutations, 0);
}

#[test]
fn a_tampered_state_neither_repeats_sync_ids_nor_stops_the_reconciliation() {
    let m = mock(Preset::Tiny);
    let s = Service::start(&m.base_url(), &[]);
    s.wait_ready();
    let before: Vec<u64> = s.syncs().iter().filter_map(|r| r["id"].as_u64()).collect();
    let (_, _, dir) = s.stop_with("TERM");
    // What only someone editing the state can write: a sync id at the top of the range (ids
    // would wrap and repeat), lists read in the year 2100 (never due for a reconciliation).
    let db = rusqlite::Connection::open(dir.path().join("state").join("state.db")).expect("db");
    db.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'ledger'",
        [format!(r#"{{"next_sync_id":{}}}"#, u64::MAX)],
    )
    .expect("ledger");
    db.execute("UPDATE lists SET read_at = 4102444800", [])
        .expect("future");
    drop(db);
    let s = Service::start_in(dir, &m.base_url(), &["--interval", "1s"]);
    s.wait_ready();
    s.until("three syncs after the restart", |s| {
        s.syncs()
            .iter()
            .filter(|r| {
                r["result"] == "ok" && r["id"].as_u64().is_some_and(|id| !before.contains(&id))
            })
            .count()
            >= 3
    });
    s.until("the reconciliation", |s| pass_ended(s, "reconciliation"));
    let logs = s.logs();
    assert!(logs.contains("impossible next sync id"), "{logs}");
    assert!(logs.contains("in the future"), "{logs}");
    let ids: Vec<u64> = s.syncs().iter().filter_map(|r| r["id"].as_u64()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "an id repeated: {ids:?}");
    assert!(
        ids.iter().all(|&id| id < u64::MAX / 2),
        "ids wrapped or stuck at the top: {ids:?}"
    );
}

#[test]
fn a_damaged_c1z_output_is_set_aside_and_a_new_one_started() {
    let m = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("org.c1z");
    let damaged = b"C1ZF\0not a zstd frame at all".to_vec();
    std::fs::write(&out, &damaged).expect("seed");
    let out_arg = out.display().to_string();
    let s = Service::start_in(dir, &m.base_url(), &["--out", &out_arg]);
    s.wait_ready();
    s.until("a sync that wrote the output", |s| {
        s.syncs().iter().any(|r| r["result"] == "ok")
    });
    openai_access::output::c1z::check_readable(&out).expect("a new, whole .c1z");
    let aside: Vec<_> = std::fs::read_dir(s.dir.path())
        .expect("ls")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("org.damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "{}", s.logs());
    assert_eq!(std::fs::read(aside[0].path()).expect("aside"), damaged);
    // The next sync appends to the new file.
    let before = s.syncs().len();
    assert_eq!(s.post("/api/v1/sync", "{}").status, 202);
    s.until("another sync", |s| s.syncs().len() > before);
    s.until("it ended ok", |s| {
        s.syncs().last().is_some_and(|r| r["result"] == "ok")
    });
    openai_access::output::c1z::check_readable(&out).expect("still whole");
}
