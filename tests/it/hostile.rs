//! Hostile servers and hostile input: no id may change which endpoint is called, no server
//! value may panic or hang the client, and no echoed key may reach any output.

use crate::support::*;
use openai_access_mock::Preset;
use std::time::Duration;

const SECRET: &str = "sk-admin-HOSTILE-SECRET-0123456789";

fn page_a(items: &str) -> String {
    format!(
        r#"{{"object":"list","data":[{items}],"first_id":null,"last_id":null,"has_more":false}}"#
    )
}

fn empty_page() -> Canned {
    Canned::json(200, page_a(""))
}

/// The path of a request target, without its query.
fn path(target: &str) -> &str {
    target.split('?').next().unwrap_or(target)
}

fn sync_against(base_url: &str, extra: &[&str], out: &std::path::Path) -> std::process::Output {
    run_bounded(
        bin()
            .env("OPENAI_ADMIN_KEY", SECRET)
            // Placement of partial output is not what these tests are about: it goes to `out`.
            .args([
                "sync",
                "--no-progress",
                "--allow-partial",
                "--base-url",
                base_url,
                "--out",
            ])
            .arg(out)
            .args(extra),
        Duration::from_secs(120),
    )
}

#[test]
fn ids_that_are_not_a_single_safe_segment_are_refused_as_server_data() {
    let server = canned_req(|r| match path(r.target) {
        "/v1/organization/users" => Canned::json(
            200,
            page_a(
                r#"{"id":"..","role":"owner","email":"dots@evil.example"},{"id":"user-ok","role":"reader"}"#,
            ),
        ),
        "/v1/organization/projects" => Canned::json(200, page_a(r#"{"id":".."},{"id":"proj-ok"}"#)),
        "/v1/organization/groups" => Canned::json(200, page_a(r#"{"id":"."}"#)),
        _ => empty_page(),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("sync.json");
    let o = sync_against(&server.base_url, &[], &out);
    let all = text(&o);
    assert_eq!(o.status.code(), Some(1), "partial: {all}");
    assert!(all.contains("unsafe id"), "says why: {all}");
    let json = std::fs::read_to_string(&out).expect("output");
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    let ids = |key: &str, field: &str| -> Vec<String> {
        doc[key]
            .as_array()
            .expect("array")
            .iter()
            .map(|x| x[field].to_string())
            .collect()
    };
    for id in ids("resources", "id").iter().chain(&ids("grants", "id")) {
        assert!(
            !id.contains("\"..\"") && !id.contains(":..") && !id.contains(":.:"),
            "{id}"
        );
    }
    assert!(
        !json.contains("dots@evil.example"),
        "the `..` user is not in the graph"
    );
    // No request went anywhere an id steered it: every path is one the crawler meant.
    let seen = server.seen.lock().expect("log").clone();
    for s in &seen {
        let p = path(s.split_whitespace().nth(1).unwrap_or(""));
        assert!(
            !p.split('/')
                .any(|seg| seg == "." || seg == ".." || seg.is_empty() && p.ends_with('/')),
            "{s}"
        );
    }
    assert!(
        !seen
            .iter()
            .any(|s| s.contains("/projects/") || s.contains("/groups/")),
        "no fan-out from refused objects: {seen:?}"
    );
}

#[test]
fn absurd_retry_after_values_neither_panic_nor_hang() {
    for (name, value) in [
        ("retry-after", "1e300"),
        ("retry-after", "999999"),
        ("retry-after-ms", "1e300"),
        ("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"),
    ] {
        let server = canned(move |_, _| {
            Canned::json(429, error_body("slow down", "rate_limit_exceeded")).header(name, value)
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let o = sync_against(
            &server.base_url,
            &["--retry-budget", "1"],
            &dir.path().join("x.json"),
        );
        let all = text(&o);
        assert!(!all.contains("panicked"), "{name}: {value}: {all}");
        assert!(
            matches!(o.status.code(), Some(1) | Some(3)),
            "{name}: {value}: {all}"
        );
        assert!(
            all.contains("asked for a long wait") && all.contains("asked to wait"),
            "says so at the default verbosity: {all}"
        );
    }
}

/// Error bodies (and, for good measure, a data field) that echo the Authorization header.
fn echoing_server() -> CannedServer {
    canned_req(|r| {
        let echoed = format!("Incorrect API key provided: {}", r.authorization);
        match path(r.target) {
            "/v1/organization/users" => Canned::json(
                200,
                page_a(&format!(
                    r#"{{"id":"user-1","role":"reader","name":"{}"}}"#,
                    r.authorization
                )),
            ),
            "/v1/organization/invites" => Canned::json(403, error_body(&echoed, "forbidden")),
            "/v1/organization/projects" => Canned::json(500, error_body(&echoed, "server_error")),
            "/v1/organization/groups" => {
                Canned::json(429, error_body(&echoed, "rate_limit_exceeded"))
                    .header("retry-after-ms", "1")
            }
            _ => empty_page(),
        }
    })
}

fn c1z_payload(path: &std::path::Path) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("c1z");
    assert!(bytes.starts_with(b"C1ZF\0"), "a c1z");
    zstd::decode_all(&bytes[5..]).expect("zstd")
}

#[test]
fn a_key_the_server_echoes_back_reaches_no_output() {
    let server = echoing_server();
    let dir = tempfile::tempdir().expect("tempdir");
    for (format, ext) in [("text", "json"), ("json", "c1z")] {
        let out = dir.path().join(format!("sync.{ext}"));
        let o = sync_against(
            &server.base_url,
            &[
                "--log-format",
                format,
                "-v",
                "--max-attempts",
                "2",
                "--retry-budget",
                "2",
            ],
            &out,
        );
        let all = text(&o);
        assert_eq!(o.status.code(), Some(3), "a 403 is fatal: {all}");
        assert!(
            all.contains("Incorrect API key provided"),
            "the message itself is kept: {all}"
        );
        assert!(
            !all.contains("HOSTILE-SECRET"),
            "stdout/stderr ({format}): {all}"
        );
        let written = if ext == "c1z" {
            c1z_payload(&out)
        } else {
            std::fs::read(&out).expect("json")
        };
        let written = String::from_utf8_lossy(&written);
        assert!(written.contains("REDACTED"), "the echo was there, redacted");
        assert!(
            !written.contains("HOSTILE-SECRET"),
            "{ext} output holds the key"
        );
    }
    // A rejected key whose rejection quotes it.
    let rejecting = canned_req(|r| {
        Canned::json(
            401,
            error_body(
                &format!("Incorrect API key provided: {}", r.authorization),
                "invalid_api_key",
            ),
        )
    });
    let o = sync_against(&rejecting.base_url, &[], &dir.path().join("r.json"));
    assert_eq!(o.status.code(), Some(3));
    assert!(!text(&o).contains("HOSTILE-SECRET"), "{}", text(&o));
    // Provisioning errors, as text and as JSON.
    for json in [false, true] {
        let mut cmd = bin();
        cmd.env("OPENAI_ADMIN_KEY", SECRET).args([
            "grant",
            "-p",
            "--base-url",
            &server.base_url,
            "--entitlement",
            "project:proj-1:member",
            "--principal",
            "user:user-1",
            "--max-attempts",
            "2",
        ]);
        if json {
            cmd.arg("--json");
        }
        let o = run_bounded(&mut cmd, Duration::from_secs(120));
        assert_ne!(o.status.code(), Some(0));
        assert!(!text(&o).contains("HOSTILE-SECRET"), "{}", text(&o));
    }
}

#[test]
fn provisioning_ids_that_are_not_a_single_safe_segment_are_refused_before_any_request() {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    let cases: &[&[&str]] = &[
        &["revoke", "--grant", "role:role_auditor:assigned:group:.."],
        &[
            "revoke",
            "--grant",
            "project_role:proj-alpha/role_alpha_deployer:assigned:user:..",
        ],
        &[
            "revoke",
            "--grant",
            "project_role:proj-alpha/..:assigned:user:user-bob",
        ],
        &["revoke", "--grant", "project:..:member:user:user-bob"],
        &[
            "grant",
            "--entitlement",
            "group:.:member",
            "--principal",
            "user:user-bob",
        ],
        &[
            "grant",
            "--entitlement",
            "project:proj-alpha:member",
            "--principal",
            "user:..",
        ],
        &[
            "grant",
            "--entitlement",
            "role:..:assigned",
            "--principal",
            "group:grp-eng",
        ],
        &[
            "grant",
            "--entitlement",
            "project:proj-alpha:member",
            "--principal",
            "service_account:../svc",
        ],
        &[
            "grant",
            "--entitlement",
            "project:a/b:member",
            "--principal",
            "user:user-bob",
        ],
        &["delete-account", "--user", ".."],
        &["delete-invite", "--invite", "."],
        &[
            "create-account",
            "--email",
            "x@tiny.example",
            "--role",
            "reader",
            "--project",
            "..:member",
        ],
    ];
    for args in cases {
        for dry in [false, true] {
            let mut cmd = bin();
            cmd.env("OPENAI_ADMIN_KEY", KEY)
                .args(*args)
                .args(["-p", "--base-url", &url]);
            if dry {
                cmd.arg("--dry-run");
            }
            let o = run_bounded(&mut cmd, Duration::from_secs(60));
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
            let says = text(&o);
            assert!(
                says.contains("unsafe id") || says.contains("an id without `/`"),
                "names what is wrong: {args:?}: {says}"
            );
        }
    }
    assert_eq!(m.stats().total(), 0, "no request reached the server");
}

// ---- issue 13 §6: more hostile servers and inputs ---------------------------------------------

#[test]
fn a_page_of_too_many_items_fails_its_list_and_nothing_else() {
    let many: Vec<String> = (0..10_001)
        .map(|i| format!(r#"{{"id":"user-{i}","role":"reader"}}"#))
        .collect();
    let page = page_a(&many.join(","));
    let server = canned_req(move |r| match path(r.target) {
        "/v1/organization/users" => Canned::json(200, page.clone()),
        "/v1/organization/projects" => Canned::json(200, page_a(r#"{"id":"proj-ok"}"#)),
        _ => empty_page(),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("sync.json");
    let o = sync_against(&server.base_url, &["--max-attempts", "1"], &out);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("too many items in one page"),
        "{}",
        text(&o)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).expect("out")).expect("json");
    assert!(
        doc["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .any(|r| r["id"] == "proj-ok"),
        "the rest of the org is read"
    );
}

#[test]
fn a_server_that_invents_cursors_forever_is_left_after_a_bounded_number_of_pages() {
    use openai_access_actors::api::{AdminClient, Call, MAX_PAGES_PER_LIST};
    let server = canned(|n, _| {
        Canned::json(
            200,
            format!(
                r#"{{"object":"list","data":[{{"id":"user-{n}"}}],"first_id":"user-{n}","last_id":"user-{n}","has_more":true}}"#
            ),
        )
    });
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let client = AdminClient::new(client_config(&server.base_url)).expect("client");
    let call = Call::users();
    let err = rt.block_on(async {
        let mut pager = client.pager(&call);
        loop {
            match pager.next::<serde_json::Value>().await {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("an endless list ended"),
                Err(e) => break e,
            }
        }
    });
    assert!(err.to_string().contains("longer than"), "{err}");
    let hits = server.hits.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(hits, MAX_PAGES_PER_LIST + 1, "pages read before giving up");
}

#[test]
fn an_id_repeated_in_a_page_is_listed_once() {
    let groups: Vec<&str> =
        std::iter::repeat_n(r#"{"id":"group-dup","name":"G"}"#, 1_000).collect();
    let page = page_a(&groups.join(","));
    let server = canned_req(move |r| match path(r.target) {
        "/v1/organization/users" => Canned::json(200, page_a(r#"{"id":"user-1","role":"owner"}"#)),
        "/v1/organization/groups" => Canned::json(200, page.clone()),
        _ => empty_page(),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let o = sync_against(&server.base_url, &[], &dir.path().join("sync.json"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let seen = server.seen.lock().expect("log").clone();
    let members = seen
        .iter()
        .filter(|s| s.starts_with("GET /v1/organization/groups/group-dup/users"))
        .count();
    assert_eq!(members, 1, "{seen:?}");
}

#[test]
fn a_malformed_key_is_refused_before_any_request() {
    let server = mock(Preset::Tiny);
    for key in [
        "sk-admin-a\nsecond-line",
        "sk-admin-\u{7}bell",
        "sk admin spaced",
    ] {
        let o = run_bounded(
            bin()
                .env("OPENAI_ADMIN_KEY", key)
                .args(["sync", "--no-progress", "--out", "-", "--base-url"])
                .arg(server.base_url()),
            Duration::from_secs(60),
        );
        assert_eq!(o.status.code(), Some(2), "{key:?}: {}", text(&o));
        assert!(text(&o).contains("key"), "{}", text(&o));
    }
    assert_eq!(server.stats().requests.values().sum::<u64>(), 0);
}

#[test]
fn tls_that_fails_is_fatal_at_once_and_named() {
    // A plain-HTTP server asked for https: the TLS handshake fails.
    let server = canned(|_, _| empty_page());
    let https = server.base_url.replace("http://", "https://");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("sync.json");
    let o = sync_against(&https, &[], &out);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("TLS failed"), "{}", text(&o));
    assert!(!out.exists(), "nothing written");
    assert!(
        server.hits.load(std::sync::atomic::Ordering::SeqCst) <= 1,
        "one handshake, not retried"
    );
}

#[test]
fn a_provisioner_that_loses_a_race_to_the_same_change_succeeds() {
    use std::sync::atomic::{AtomicBool, Ordering};
    // The first read says carol is not a member; another writer adds her before our POST,
    // which the API then refuses with "already a member"; a fresh read shows her there.
    let added = std::sync::Arc::new(AtomicBool::new(false));
    let a = added.clone();
    let server = canned_req(move |r| match (r.method, path(r.target)) {
        ("GET", "/v1/organization/projects/proj-1") => Canned::json(
            200,
            r#"{"id":"proj-1","object":"organization.project","name":"P","status":"active"}"#
                .to_owned(),
        ),
        ("GET", "/v1/organization/projects/proj-1/users/user-carol") => {
            if a.load(Ordering::SeqCst) {
                Canned::json(
                    200,
                    r#"{"id":"user-carol","role":"member","email":"c@x.example"}"#.to_owned(),
                )
            } else {
                Canned::json(404, error_body("No such user in project", "not_found"))
            }
        }
        ("POST", "/v1/organization/projects/proj-1/users") => {
            a.store(true, Ordering::SeqCst);
            Canned::json(
                400,
                error_body(
                    "User is already a member of this project",
                    "invalid_request_error",
                ),
            )
        }
        ("GET", "/v1/organization/users/user-carol") => {
            Canned::json(200, r#"{"id":"user-carol","role":"reader"}"#.to_owned())
        }
        _ => empty_page(),
    });
    let o = run_bounded(
        bin().env("OPENAI_ADMIN_KEY", SECRET).args([
            "grant",
            "-p",
            "--json",
            "--base-url",
            &server.base_url,
            "--entitlement",
            "project:proj-1:member",
            "--principal",
            "user:user-carol",
        ]),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["result"], "already_granted", "{v}");
    assert!(
        v["notes"]
            .to_string()
            .contains("another change got there first"),
        "{v}"
    );
}

#[test]
fn server_text_cannot_forge_a_log_line() {
    let forged = "boom\n2026-12-01T00:00:00.000000Z  INFO Sync finished cleanly.\u{202E}";
    let server = canned_req(move |r| match path(r.target) {
        "/v1/organization/users" => Canned::json(200, page_a(r#"{"id":"user-1","role":"reader"}"#)),
        "/v1/organization/invites" => Canned::json(500, error_body(forged, "server_error")),
        _ => empty_page(),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let o = sync_against(
        &server.base_url,
        &["--max-attempts", "1"],
        &dir.path().join("s.json"),
    );
    let all = text(&o);
    assert!(all.contains("boom"), "{all}");
    assert!(
        !all.lines()
            .any(|l| l.starts_with("2026-12-01T00:00:00.000000Z")),
        "a forged line: {all}"
    );
    assert!(!all.contains('\u{202E}'), "{all}");
}

#[test]
fn flags_that_would_mislead_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, SECRET).expect("key");
    let cases: [(&[&str], &str); 6] = [
        (&["--org-id", ""], "--org-id"),
        (&["--org-id", "a:b"], "--org-id"),
        (&["--timeout", "100000"], "--timeout"),
        (
            &["--base-url", "https://api.example/v1?org=x"],
            "query or fragment",
        ),
        (
            &["--base-url", "https://user:hunter2@api.example/v1"],
            "credentials",
        ),
        (
            &["--base-url", "https://api.example/v1#frag"],
            "query or fragment",
        ),
    ];
    for (args, says) in cases {
        let o = run_bounded(
            bin()
                .env("OPENAI_ADMIN_KEY", SECRET)
                .args(["sync", "--no-progress", "--out", "-"])
                .args(args),
            Duration::from_secs(30),
        );
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
        assert!(!text(&o).contains("hunter2"), "{}", text(&o));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let server = mock(Preset::Tiny);
        std::fs::write(&key_file, KEY).expect("key");
        let o = run_bounded(
            bin()
                .args(["sync", "--no-progress", "--out", "-", "--admin-key-file"])
                .arg(&key_file)
                .arg("--base-url")
                .arg(server.base_url()),
            Duration::from_secs(60),
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(
            text(&o).contains("can be read by other users"),
            "{}",
            text(&o)
        );
    }
}
