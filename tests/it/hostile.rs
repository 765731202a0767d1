//! Hostile servers and hostile input: no id may change which endpoint is called, no server
//! value may panic or hang the client, and no echoed key may reach any output.

use crate::support::*;
use openai_access_actors::mock::Preset;
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
