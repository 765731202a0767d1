//! The third security probe's findings, one test each (each fails on the build before the
//! fix): a revoke that ignored the organization, the key echoed in encoded forms, links and
//! loose modes in the state directory, hostile `.c1z` files, a hollow server, and bounds a
//! hostile server could stretch. The service's share (token-less provisioning, the ledger)
//! is in `serve/hardening.rs`.

use crate::support::*;
use openai_access_mock::Preset;
use std::time::Duration;

const SECRET: &str = "sk-admin-Q7xv2LmN9pRtY4wZ8kB3cD6fG1hJ5Ua0";

fn provision(base_url: &str, args: &[&str]) -> std::process::Output {
    run_bounded(
        bin()
            .env("OPENAI_ADMIN_KEY", KEY)
            .args(args)
            .args(["--base-url", base_url]),
        Duration::from_secs(60),
    )
}

/// `sync` of `base_url` with the mock's key and `args`, into `out`; bounded.
fn sync_to(base_url: &str, args: &[&str], out: &std::path::Path) -> std::process::Output {
    run_bounded(
        bin()
            .env("OPENAI_ADMIN_KEY", KEY)
            .args(["sync", "--no-progress", "--base-url", base_url])
            .args(args)
            .arg("--out")
            .arg(out),
        Duration::from_secs(60),
    )
}

/// [`sync_to`] keeping its state in `state`.
fn sync_with_state(
    base_url: &str,
    state: &std::path::Path,
    out: &std::path::Path,
) -> std::process::Output {
    let state = state.to_str().expect("utf-8");
    sync_to(base_url, &["--state", state], out)
}

fn user_exists(base_url: &str, user: &str) -> bool {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let c = client(base_url);
    let call = openai_access_actors::api::Call::user(&user.parse().expect("user id"));
    rt.block_on(c.find::<serde_json::Value>(&call))
        .expect("read user")
        .is_some()
}

#[test]
fn a_revoke_naming_another_organization_deletes_nobody() {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    let o = provision(
        &url,
        &[
            "revoke",
            "-p",
            "--grant",
            "organization:org-WRONG:member:user:user-dave",
        ],
    );
    let all = text(&o);
    assert_eq!(o.status.code(), Some(2), "{all}");
    assert!(
        all.contains("org-WRONG") && all.contains("org-tiny"),
        "names both: {all}"
    );
    assert!(user_exists(&url, "user-dave"), "user-dave was deleted");
    // A grant (not possible for membership anyway) naming another org is refused for that
    // reason first.
    let o = provision(
        &url,
        &[
            "grant",
            "-p",
            "--entitlement",
            "organization:org-WRONG:member",
            "--principal",
            "user:user-dave",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("org-WRONG"), "{}", text(&o));
    // The key's own organization is honoured, and --org-id names it when given.
    let o = provision(
        &url,
        &[
            "revoke",
            "-p",
            "--org-id",
            "org-mine",
            "--grant",
            "organization:org-tiny:member:user:user-dave",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(user_exists(&url, "user-dave"));
    let o = provision(
        &url,
        &[
            "revoke",
            "-p",
            "--grant",
            "organization:org-tiny:member:user:user-dave",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        !user_exists(&url, "user-dave"),
        "the right org's revoke works"
    );
}

#[test]
fn revoking_from_a_user_who_does_not_exist_is_an_error_not_already_revoked() {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    for grant in [
        "organization:org-tiny:member:user:user-nobody",
        "project_role:proj-alpha/role_alpha_deployer:assigned:user:user-nobody",
    ] {
        let o = provision(&url, &["revoke", "-p", "--grant", grant, "--json"]);
        let all = text(&o);
        assert_eq!(o.status.code(), Some(2), "{grant}: {all}");
        assert!(all.contains("not found"), "{grant}: {all}");
        assert!(!all.contains("already"), "{grant}: {all}");
    }
    assert_eq!(
        m.stats().mutations,
        0,
        "no change was sent: {:?}",
        m.stats()
    );
}

/// Every form of the key the probe saw leak, each from a different list, in error messages
/// and in data.
fn leaking_server() -> CannedServer {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(SECRET);
    let escaped: String = SECRET
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let forms = [
        escaped.clone(),
        SECRET.replace('-', "%2D"),
        b64,
        SECRET.to_uppercase(),
        SECRET[..SECRET.len() - 1].to_owned(),
        SECRET["sk-".len()..].to_owned(),
    ];
    canned_req(move |r| {
        let p = r.target.split('?').next().unwrap_or("");
        let error = |form: &str, status| {
            // Written by hand: the escaped form must reach the wire escaped.
            Canned::json(
                status,
                format!(
                    r#"{{"error":{{"message":"Incorrect API key provided: {form}","type":"x","param":null,"code":"invalid"}}}}"#
                ),
            )
        };
        match p {
            "/v1/organization/users" => Canned::json(
                200,
                format!(
                    r#"{{"object":"list","data":[{{"id":"user-1","role":"owner","name":"{escaped}","email":"a@b.c"}}],"first_id":"user-1","last_id":"user-1","has_more":false}}"#
                ),
            ),
            "/v1/organization/invites" => error(&forms[0], 403),
            "/v1/organization/projects" => error(&forms[1], 500),
            "/v1/organization/groups" => error(&forms[2], 500),
            "/v1/organization/roles" => error(&forms[3], 500),
            "/v1/organization/admin_api_keys" => error(&forms[4], 500),
            "/v1/organization/audit_logs" => error(&forms[5], 500),
            _ => error(&forms[5], 500),
        }
    })
}

/// Whether `text` holds any run of 8 of the key's characters past its public `sk-admin-`, in
/// any case, or its base64.
fn holds_key(text: &str) -> bool {
    use base64::Engine as _;
    let lower = text.to_lowercase();
    let secret = SECRET.to_lowercase();
    secret.as_bytes()[2..]
        .windows(8)
        .map(|w| std::str::from_utf8(w).expect("ascii"))
        .any(|w| lower.contains(w))
        || text.contains(&base64::engine::general_purpose::STANDARD.encode(SECRET)[4..20])
}

#[test]
fn the_key_echoed_in_any_encoding_reaches_no_output() {
    let server = leaking_server();
    let dir = tempfile::tempdir().expect("tempdir");
    for log_format in ["text", "json"] {
        let out = dir.path().join(format!("{log_format}.json"));
        let o = run_bounded(
            bin()
                .env("OPENAI_ADMIN_KEY", SECRET)
                .args(["sync", "--no-progress", "--allow-partial", "-v"])
                .args(["--log-format", log_format, "--max-attempts", "2"])
                .args(["--retry-budget", "2", "--base-url", &server.base_url])
                .arg("--out")
                .arg(&out),
            Duration::from_secs(120),
        );
        let all = text(&o);
        assert!(
            all.contains("Incorrect API key provided"),
            "the messages are kept: {all}"
        );
        assert!(
            !holds_key(&all),
            "stderr ({log_format}) holds the key: {all}"
        );
        if let Ok(written) = std::fs::read_to_string(&out) {
            assert!(!holds_key(&written), "the output holds the key: {written}");
            assert!(written.contains("REDACTED"), "{written}");
        }
    }
}

#[cfg(unix)]
#[test]
fn links_in_the_state_directory_are_not_followed_and_its_files_stay_private() {
    use std::os::unix::fs::PermissionsExt;
    let m = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    std::fs::create_dir(&state).expect("mkdir");
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").expect("victim");
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    std::os::unix::fs::symlink(&victim, state.join("journal.jsonl")).expect("link");
    std::os::unix::fs::symlink(&victim, state.join("lists.jsonl")).expect("link");
    let o = sync_with_state(&m.base_url(), &state, &dir.path().join("org.json"));
    let all = text(&o);
    assert_eq!(o.status.code(), Some(0), "{all}");
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "precious\n",
        "the link's target was written through"
    );
    let mode = |p: &std::path::Path| {
        std::fs::symlink_metadata(p)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&victim), 0o644);
    assert!(all.contains("mode is now 700"), "said: {all}");
    assert_eq!(mode(&state), 0o700);
    for entry in std::fs::read_dir(&state).expect("ls") {
        let p = entry.expect("entry").path();
        let meta = std::fs::symlink_metadata(&p).expect("meta");
        assert!(!meta.file_type().is_symlink(), "{} is a link", p.display());
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
}

/// A `.c1z` whose frame declares `declared` bytes: magic, then a zstd frame header alone.
fn c1z_declaring(declared: u64) -> Vec<u8> {
    let mut bytes = b"C1ZF\0".to_vec();
    // Magic, then a frame header descriptor: single segment, 8-byte content size.
    bytes.extend_from_slice(&0xFD2F_B528u32.to_le_bytes());
    bytes.push(0b1110_0000);
    bytes.extend_from_slice(&declared.to_le_bytes());
    bytes.extend_from_slice(&[0; 32]);
    bytes
}

#[test]
fn a_c1z_that_lies_about_its_size_is_refused_before_it_costs_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A 50-byte file declaring a terabyte (it panicked), and a real zstd bomb: 256 MiB of
    // zeros in a few kilobytes (it cost its full size in memory).
    let liar = dir.path().join("liar.c1z");
    std::fs::write(&liar, c1z_declaring(1 << 40)).expect("write");
    let bomb = dir.path().join("bomb.c1z");
    let mut b = b"C1ZF\0".to_vec();
    b.extend(
        zstd::encode_all(std::io::Read::take(std::io::repeat(0), 256 << 20), 3).expect("zstd"),
    );
    std::fs::write(&bomb, b).expect("write");
    for file in [&liar, &bomb] {
        for args in [
            vec!["access", "--user", "user-alice"],
            vec!["who", "--resource", "project:proj-alpha"],
            vec!["export", "--out", "-"],
        ] {
            let o = run_bounded(
                bin().args(&args).arg("--from").arg(file),
                Duration::from_secs(60),
            );
            let all = text(&o);
            assert_eq!(
                o.status.code(),
                Some(2),
                "{args:?} {}: {all}",
                file.display()
            );
            assert!(all.contains(".c1z"), "{all}");
            assert!(!all.contains("panicked"), "{all}");
        }
    }
    // The bound is configurable: a cap below the file's declared size refuses it too.
    let m = mock(Preset::Tiny);
    let good = dir.path().join("good.c1z");
    let o = sync_to(&m.base_url(), &[], &good);
    assert!(o.status.success(), "{}", text(&o));
    let o = run_bounded(
        bin()
            .env(openai_access::output::c1z::MAX_BYTES_ENV, "1000")
            .args(["access", "--user", "user-alice", "--from"])
            .arg(&good),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains(openai_access::output::c1z::MAX_BYTES_ENV),
        "{}",
        text(&o)
    );
}

#[test]
fn appending_to_a_damaged_c1z_fails_before_the_crawl() {
    let m = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("org.c1z");
    let mut damaged = c1z_declaring(4096);
    damaged.truncate(20);
    std::fs::write(&out, &damaged).expect("write");
    let o = sync_to(&m.base_url(), &["--append"], &out);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("cannot be appended to"), "{}", text(&o));
    assert_eq!(m.stats().total(), 0, "nothing requested: {:?}", m.stats());
    assert_eq!(
        std::fs::read(&out).expect("kept"),
        damaged,
        "left as it was"
    );
    // A state's output that proves damaged is set aside and a new one written.
    let state = dir.path().join("state");
    let o = sync_with_state(&m.base_url(), &state, &out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("set aside"), "{}", text(&o));
    openai_access::output::c1z::check_readable(&out).expect("a new, whole .c1z");
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "the damaged file is kept aside");
    assert_eq!(std::fs::read(aside[0].path()).expect("aside"), damaged);
}

#[test]
fn a_hollow_server_never_replaces_a_good_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("org.json");
    std::fs::write(&out, "{\"good\": true}\n").expect("seed");
    let empty = r#"{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}"#;
    let null = r#"{"object":"list","data":null,"first_id":null,"last_id":null,"has_more":false}"#;
    for (body, says) in [(empty, "no user"), (null, "expected an array")] {
        let server = canned(move |_, _| Canned::json(200, body));
        let o = sync_to(&server.base_url, &["--max-attempts", "1"], &out);
        let all = text(&o);
        assert_eq!(o.status.code(), Some(3), "{body}: {all}");
        assert_eq!(
            std::fs::read_to_string(&out).expect("out"),
            "{\"good\": true}\n",
            "{body}: the good output was replaced"
        );
        assert!(all.contains(says), "{all}");
    }
}

/// A server whose every answer promises more bytes than it sends, then closes.
fn cutting_server() -> String {
    use std::io::{BufRead, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = std::io::BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4000\r\n\r\n{\"object\":\"list\",\"data\":[{\"id\":\"u",
            );
        }
    });
    format!("http://{addr}/v1")
}

#[test]
fn a_body_cut_mid_way_is_not_an_unreachable_server() {
    let short = cutting_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let o = sync_to(&short, &["--max-attempts", "2"], &dir.path().join("o.json"));
    let all = text(&o);
    assert!(!all.contains("could not be reached"), "{all}");
}

#[test]
fn outputs_through_links_and_mismatched_formats_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let victim = dir.path().join("victim.json");
    std::fs::write(&victim, "mine\n").expect("victim");
    let link = dir.path().join("org.json");
    let csv_link = dir.path().join("org.csv");
    #[cfg(unix)]
    for l in [&link, &csv_link] {
        std::os::unix::fs::symlink(&victim, l).expect("link");
    }
    for args in [
        vec![
            "sync",
            "--mock",
            "tiny",
            "--no-progress",
            "--out",
            link.to_str().expect("utf8"),
        ],
        vec![
            "export",
            "--mock",
            "tiny",
            "--out",
            csv_link.to_str().expect("utf8"),
        ],
    ] {
        let o = run_bounded(bin().args(&args), Duration::from_secs(60));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("symbolic link"), "{}", text(&o));
    }
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "mine\n");
    let x = dir.path().join("x.csv");
    let o = run_bounded(
        bin()
            .args(["export", "--mock", "tiny", "--format", "xlsx", "--out"])
            .arg(&x),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!x.exists());
    let o = run_bounded(
        bin()
            .args([
                "sync",
                "--mock",
                "tiny",
                "--no-progress",
                "--format",
                "c1z",
                "--out",
            ])
            .arg(dir.path().join("x.json")),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

#[test]
fn an_unreadable_state_base_falls_back_to_a_full_sync() {
    let m = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let out = dir.path().join("org.json");
    let sync = || sync_with_state(&m.base_url(), &state, &out);
    assert!(sync().status.success());
    // A stored list damaged (by hand: no sync writes that), and no output to keep, so the
    // next sync must assemble the graph from the stored lists.
    let db = rusqlite::Connection::open(state.join("state.db")).expect("db");
    db.execute(
        "UPDATE lists SET record = X'7B6E6F' WHERE rowid = (SELECT MIN(rowid) FROM lists)",
        [],
    )
    .expect("damage");
    drop(db);
    std::fs::remove_file(&out).expect("no output to keep");
    let o = sync();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("out")).expect("json");
    assert_eq!(doc["sync"]["kind"], "full", "{}", doc["sync"]);
    assert!(
        doc["sync"]["state"]["full_because"]
            .as_str()
            .is_some_and(|w| w.contains("cannot be read")),
        "{}",
        doc["sync"]["state"]
    );
    // And the state is whole again: the next sync is incremental (with nothing changed, it
    // says so and leaves the output as it was).
    std::fs::remove_file(&out).expect("no output to keep");
    let o = sync();
    assert!(o.status.success());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("out")).expect("json");
    assert_eq!(doc["sync"]["kind"], "incremental");
}
