//! What a sync leaves on disk: never a worse output over a better one, checked before the
//! first request, and never anything of a real key in the mock.

use crate::support::*;
use openai_access_mock::{MockConfig, Preset};
use std::path::Path;
use std::time::Duration;

fn sync(base_url: &str, extra: &[&str]) -> std::process::Output {
    run_bounded(
        bin()
            .env("OPENAI_ADMIN_KEY", KEY)
            .args(["sync", "--no-progress", "--base-url", base_url])
            .args(extra),
        Duration::from_secs(120),
    )
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The sync runs recorded in a .c1z, by type, oldest first.
fn sync_types(c1z: &Path) -> Vec<String> {
    let opened = crate::c1z::open_c1z(c1z);
    let mut stmt = opened
        .conn
        .prepare("SELECT sync_type FROM v1_sync_runs ORDER BY id")
        .expect("prepare");
    stmt.query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn a_sync_that_reads_nothing_leaves_earlier_outputs_byte_for_byte() {
    let good = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tmp");
    let json = dir.path().join("org.json");
    let c1z = dir.path().join("org.c1z");
    for out in [&json, &c1z] {
        let o = sync(&good.base_url(), &["--out", out.to_str().expect("utf-8")]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let (json_before, c1z_before) = (read(&json), read(&c1z));

    // A server that is down: nothing listens on the port any more.
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}/v1", l.local_addr().expect("addr"))
    };
    // And one that answers every list with an error.
    let failing = mock_with(MockConfig {
        preset: Preset::Tiny,
        fail_paths: vec!["/".into()],
        ..MockConfig::default()
    });
    for base in [down.as_str(), failing.base_url().as_str()] {
        for (out, append) in [(&json, false), (&c1z, false), (&c1z, true)] {
            let mut args = vec!["--max-attempts", "1", "--out", out.to_str().expect("utf-8")];
            if append {
                args.push("--append");
            }
            let o = sync(base, &args);
            assert_eq!(o.status.code(), Some(3), "{base}: {}", text(&o));
            assert!(
                text(&o).contains("nothing was read") || text(&o).contains("nothing was written"),
                "{}",
                text(&o)
            );
        }
        assert_eq!(read(&json), json_before, "{base}: the JSON is untouched");
        assert_eq!(read(&c1z), c1z_before, "{base}: the .c1z is untouched");
        for entry in std::fs::read_dir(dir.path()).expect("ls") {
            let name = entry.expect("entry").file_name();
            let name = name.to_string_lossy();
            assert!(
                name == "org.json" || name == "org.c1z",
                "nothing else left behind: {name}"
            );
        }
    }
}

#[test]
fn a_partial_sync_goes_beside_the_output_and_never_evicts_a_full_sync() {
    let good = mock(Preset::Tiny);
    let partial = mock_with(MockConfig {
        preset: Preset::Tiny,
        fail_paths: vec!["/projects/proj-beta/".into()],
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().expect("tmp");
    let c1z = dir.path().join("org.c1z");
    let path = c1z.to_str().expect("utf-8");
    for _ in 0..2 {
        let o = sync(&good.base_url(), &["--out", path, "--append"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let before = read(&c1z);
    assert_eq!(sync_types(&c1z), ["full", "full"]);

    let o = sync(
        &partial.base_url(),
        &["--max-attempts", "1", "--out", path, "--append"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("org.partial.c1z"),
        "says where: {}",
        text(&o)
    );
    assert_eq!(read(&c1z), before, "the file of full syncs is untouched");
    let beside = dir.path().join("org.partial.c1z");
    assert_eq!(sync_types(&beside), ["partial"]);

    // Asked for: the partial sync is appended, as `partial`; both full syncs stay.
    let o = sync(
        &partial.base_url(),
        &[
            "--max-attempts",
            "1",
            "--out",
            path,
            "--append",
            "--allow-partial",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(sync_types(&c1z), ["full", "full", "partial"]);
}

#[test]
fn the_output_is_checked_before_the_first_request() {
    let server = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tmp");
    let not_c1z = dir.path().join("notes.c1z");
    std::fs::write(&not_c1z, "my notes").expect("write");
    let subdir = dir.path().join("a-dir.json");
    std::fs::create_dir(&subdir).expect("mkdir");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--out".into(),
                dir.path().join("missing/x.json").display().to_string(),
            ],
            "does not exist",
        ),
        (
            vec![
                "--out".into(),
                dir.path().join("access.csv").display().to_string(),
            ],
            "name it .json or .c1z",
        ),
        (
            vec!["--out".into(), subdir.display().to_string()],
            "not a regular file",
        ),
        (
            vec![
                "--out".into(),
                "/dev/null".into(),
                "--format".into(),
                "json".into(),
            ],
            "not a regular file",
        ),
        (
            vec![
                "--out".into(),
                not_c1z.display().to_string(),
                "--append".into(),
            ],
            "not a v1 .c1z",
        ),
        (
            vec!["--out".into(), "-".into(), "--format".into(), "c1z".into()],
            "standard output",
        ),
    ];
    for (args, says) in cases {
        server.reset_stats();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = sync(&server.base_url(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
        assert_eq!(
            server.stats().requests.values().sum::<u64>(),
            0,
            "{args:?}: no request was made"
        );
    }
    assert_eq!(read(&not_c1z), b"my notes");
    #[cfg(unix)]
    {
        let fifo = dir.path().join("pipe.json");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let o = sync(
                &server.base_url(),
                &["--out", fifo.to_str().expect("utf-8")],
            );
            assert_eq!(o.status.code(), Some(2), "{}", text(&o));
            assert!(text(&o).contains("not a regular file"), "{}", text(&o));
        }
    }
}

#[test]
fn json_goes_to_standard_output_with_the_run_it_came_from() {
    let server = mock(Preset::Tiny);
    let o = sync(&server.base_url(), &["--out", "-"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    let run = &v["sync"];
    assert_eq!(run["base_url"], server.base_url().as_str());
    assert_eq!(run["kind"], "full");
    assert_eq!(run["tool"], "openai-access");
    assert_eq!(run["version"], env!("CARGO_PKG_VERSION"));
    let at = run["synced_at"].as_str().expect("synced_at");
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
    assert!(v["grants"].as_array().is_some_and(|g| !g.is_empty()));
}

#[test]
fn a_sync_without_out_writes_sync_c1z_as_baton_does() {
    let server = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tmp");
    let o = run_bounded(
        bin()
            .current_dir(dir.path())
            .env("OPENAI_ADMIN_KEY", KEY)
            .args(["sync", "--no-progress", "--base-url", &server.base_url()]),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("Wrote sync.c1z"), "{}", text(&o));
    assert_eq!(sync_types(&dir.path().join("sync.c1z")), ["full"]);
}

#[test]
fn the_embedded_mock_never_receives_a_real_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, "sk-admin-REAL-KEY-FROM-FILE").expect("key");
    for (var, value) in [
        ("OPENAI_ADMIN_KEY", "sk-admin-REAL-KEY-FROM-ENV"),
        ("BATON_OPENAI_ADMIN_KEY", "sk-admin-REAL-KEY-FROM-BATON"),
    ] {
        // The mock accepts only its own key: had it been sent the real one, it would answer
        // 401 and the sync would exit 3.
        let o = run_bounded(
            bin().env(var, value).args([
                "sync",
                "--mock",
                "tiny",
                "--no-progress",
                "--out",
                "-",
                "-v",
            ]),
            Duration::from_secs(60),
        );
        assert_eq!(o.status.code(), Some(0), "{var}: {}", text(&o));
        assert!(!text(&o).contains("REAL-KEY"), "{}", text(&o));
    }
    let o = run_bounded(
        bin().arg("--admin-key-file").arg(&key_file).args([
            "--mock",
            "tiny",
            "--no-progress",
            "--file",
            "-",
        ]),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn an_interrupted_c1z_write_leaves_no_work_files_and_the_old_output() {
    let dir = tempfile::tempdir().expect("tmp");
    let c1z = dir.path().join("org.c1z");
    std::fs::write(&c1z, b"the previous output").expect("seed");
    // `large` takes seconds to write: long enough to be caught in the middle.
    let mut child = bin()
        .args(["sync", "--mock", "large", "--no-progress", "--out"])
        .arg(&c1z)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let work = || {
        std::fs::read_dir(dir.path())
            .expect("ls")
            .flatten()
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".org.c1z.work-")
            })
            .map(|e| e.path())
    };
    let found = loop {
        if let Some(w) = work() {
            break w;
        }
        assert!(
            child.try_wait().expect("wait").is_none(),
            "ended before writing"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // (It may be gone already if the write just finished: then there is nothing to see.)
        if let Ok(m) = std::fs::metadata(&found) {
            assert_eq!(
                m.permissions().mode() & 0o777,
                0o700,
                "a private work directory"
            );
        }
    }
    let sent = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("kill -s INT {}", child.id()))
        .status()
        .expect("sh");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["org.c1z"], "no work directory or temp file is left");
    assert_eq!(read(&c1z), b"the previous output");
}
