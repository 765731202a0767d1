//! The `openai-access` binary: exit codes, messages, output files.

use crate::support::*;
use openai_access_mock::{MockConfig, Preset};

#[test]
fn sync_of_the_embedded_mock_writes_sorted_json() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("sync.json");
    let o = bin()
        .args(["sync", "--mock", "tiny", "--no-progress", "--out"])
        .arg(&out)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).expect("out")).expect("json");
    for key in ["resource_types", "resources", "entitlements", "grants"] {
        assert!(v[key].as_array().is_some_and(|a| !a.is_empty()), "{key}");
    }
    let ids: Vec<&str> = v["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .map(|g| g["id"].as_str().expect("id"))
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert!(
        v["summary"]["requests"]
            .as_object()
            .is_some_and(|r| !r.is_empty())
    );
    assert!(text(&o).contains("grants"), "summary table on stderr");
}

#[test]
fn a_wrong_key_exits_3_before_crawling() {
    let server = mock(Preset::Tiny);
    let o = bin()
        .args(["sync", "--no-progress", "--base-url", &server.base_url()])
        .env("OPENAI_ADMIN_KEY", "sk-admin-wrong")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("401"), "{}", text(&o));
    assert!(
        !text(&o).contains("sk-admin-wrong"),
        "the key is never printed"
    );
    let total: u64 = server.stats().requests.values().sum();
    assert_eq!(total, 1, "only the first page of the user list was tried");
}

#[test]
fn no_key_is_a_usage_error_that_says_where_keys_come_from() {
    let o = bin()
        .args(["sync", "--base-url", "http://127.0.0.1:9/v1"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("OPENAI_ADMIN_KEY") && text(&o).contains("All permissions"),
        "{}",
        text(&o)
    );
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let o = bin()
        .args(["sync", "--base-url", "http://203.0.113.9/v1"])
        .env("OPENAI_ADMIN_KEY", "k")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--allow-insecure-http"), "{}", text(&o));
}

#[test]
fn a_project_whose_lists_always_fail_gives_partial_output_and_exit_1() {
    let server = mock_with(MockConfig {
        preset: Preset::Tiny,
        fail_paths: vec!["/projects/proj-beta/".into()],
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("partial.json");
    let o = bin()
        .args([
            "sync",
            "--no-progress",
            "--max-attempts",
            "2",
            "--base-url",
            &server.base_url(),
            "--out",
        ])
        .arg(&out)
        .env("OPENAI_ADMIN_KEY", KEY)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // A partial sync goes beside the output, never over it.
    assert!(!out.exists());
    let beside = dir.path().join("partial.partial.json");
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&beside).expect("out")).expect("json");
    assert_eq!(v["partial"], true);
    let failed: Vec<&str> = v["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert_eq!(failed.len(), 5, "{failed:?}");
    assert!(failed.iter().all(|p| p.contains("proj-beta")), "{failed:?}");
    assert!(text(&o).contains("PARTIAL"), "{}", text(&o));
    // The rest of the org is still there.
    assert!(
        v["grants"]
            .as_array()
            .expect("grants")
            .iter()
            .any(|g| g["id"] == "project:proj-alpha:owner:user:user-alice")
    );
}

#[test]
fn a_read_only_key_still_syncs() {
    let server = mock_with(MockConfig {
        preset: Preset::Tiny,
        key_permissions: openai_access_mock::KeyPermissions::ReadOnly,
        ..MockConfig::default()
    });
    let o = bin()
        .args(["sync", "--no-progress", "--base-url", &server.base_url()])
        .env("OPENAI_ADMIN_KEY", KEY)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn bad_flags_are_usage_errors() {
    let o = bin()
        .args(["sync", "--max-in-flight", "0"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2));
    let o = bin()
        .args(["sync", "--mock", "huge"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("tiny, small, medium or large"));
}

#[test]
fn a_key_lacking_permissions_names_what_it_could_not_read_and_exits_3() {
    // The user list works (it proves the key); every other list is refused as a restricted
    // key's would be.
    let server = canned(|_, target| {
        if target.starts_with("/v1/organization/users?") {
            Canned::json(200, r#"{"object":"list","data":[],"has_more":false}"#)
        } else {
            Canned::json(
                403,
                error_body(
                    "You have insufficient permissions for this operation. Missing scopes: api.organization.read",
                    "insufficient_permissions",
                ),
            )
        }
    });
    let o = bin()
        .args(["sync", "--no-progress", "--base-url", &server.base_url])
        .env("OPENAI_ADMIN_KEY", "sk-admin-restricted")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let t = text(&o);
    for path in [
        "/organization/invites",
        "/organization/roles",
        "/organization/groups",
        "/organization/projects",
    ] {
        assert!(t.contains(path), "names {path}: {t}");
    }
    assert!(t.contains("Missing scopes"), "the API's message: {t}");
    assert!(
        t.contains("All permissions"),
        "says what key is needed: {t}"
    );
}

#[test]
fn a_limits_file_is_written_read_back_and_replaced_when_unusable() {
    let server = mock_with(MockConfig {
        preset: Preset::Tiny,
        rate_limit: Some(openai_access_mock::RateLimit {
            rpm: 600,
            burst: 1,
            retry_after: true,
        }),
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().expect("tmp");
    let limits = dir.path().join("limits.json");
    // One sync against a rested server: it must succeed; returns the limits file and output.
    let sync = || {
        server.rest();
        let o = bin()
            .args([
                "sync",
                "--no-progress",
                "--max-attempts",
                "30",
                "--base-url",
            ])
            .arg(server.base_url())
            .arg("--limits-file")
            .arg(&limits)
            .env("OPENAI_ADMIN_KEY", KEY)
            .env("RUST_LOG", "info")
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&limits).expect("limits file")).expect("json");
        (v, text(&o))
    };
    let (first, _) = sync();
    assert_eq!(first["server"], server.base_url().as_str());
    let rpm_min = first["limits"]["shared"]["rpm_min"]
        .as_f64()
        .expect("rpm_min");
    assert!(rpm_min > 0.0 && rpm_min <= 600.0 * 1.02, "{first}");

    // Read back: the second sync starts from it and keeps it (what it proves only narrows).
    let (second, _) = sync();
    let again = second["limits"]["shared"]["rpm_min"]
        .as_f64()
        .expect("rpm_min");
    assert!(again >= rpm_min * 0.999, "{second}");

    // Garbage, or limits of another server: ignored with a word why, then replaced.
    for (content, why) in [
        ("not json", "not valid"),
        (
            r#"{"version":1,"server":"https://elsewhere.example/v1","limits":{"shared":{"rpm_min":1,"rpm_max":2,"burst_min":1}}}"#,
            "another server",
        ),
    ] {
        std::fs::write(&limits, content).expect("write");
        let (v, out) = sync();
        assert!(out.contains(why), "{out}");
        assert_eq!(v["server"], server.base_url().as_str(), "{v}");
    }
}

/// Runs `args` with standard output a pipe whose reader has already gone, as `… | head -1`
/// leaves it once `head` has its line.
fn into_a_closed_pipe(args: &[&str]) -> std::process::Output {
    let mut child = bin()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    drop(child.stdout.take());
    child.wait_with_output().expect("wait")
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly_as_sigpipe_would() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("state");
    let state = state.to_str().expect("utf-8");
    // The medium org's JSON is far larger than a pipe's buffer, so the write meets the close.
    let o = into_a_closed_pipe(&[
        "sync",
        "--mock",
        "medium",
        "--no-progress",
        "--state",
        state,
        "--out",
        "-",
    ]);
    assert_eq!(o.status.code(), Some(141), "{}", text(&o));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(!said.to_lowercase().contains("broken pipe"), "{said}");
    assert!(!said.contains("error"), "{said}");
    // The sync was not committed as delivered: the next one finishes it from the lists it
    // read (resumed), rather than believing the output was written.
    let again_out = dir.path().join("again.json");
    let again = bin()
        .args([
            "sync",
            "--mock",
            "medium",
            "--no-progress",
            "--state",
            state,
            "--out",
        ])
        .arg(&again_out)
        .output()
        .expect("run");
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&again_out).expect("out")).expect("json");
    assert_eq!(
        v["sync"]["state"]["kind"],
        "full (resumed)",
        "{}",
        text(&again)
    );
    // And a review command cut short the same way.
    let file = mock_sync_json("medium", dir.path());
    let o = into_a_closed_pipe(&[
        "export",
        "--from",
        file.to_str().expect("utf-8"),
        "--out",
        "-",
    ]);
    assert_eq!(o.status.code(), Some(141), "{}", text(&o));
    assert!(
        !text(&o).to_lowercase().contains("broken pipe"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_flag_means_one_thing_in_every_command() {
    use clap::CommandFactory;
    let mut cli = openai_access::cli::Cli::command();
    cli.build();
    let mut commands: Vec<clap::Command> = vec![cli.clone()];
    // (clap's own `help` subcommand aside.)
    for sub in cli.get_subcommands().filter(|c| c.get_name() != "help") {
        commands.push(sub.clone());
        commands.extend(
            sub.get_subcommands()
                .filter(|c| c.get_name() != "help")
                .cloned(),
        );
    }
    for cmd in &mut commands {
        let name = cmd.get_name().to_owned();
        // The shared flags stand in their own group, under one heading, in every --help.
        let help = cmd.render_long_help().to_string();
        let heading = help
            .find("Logging (every command):")
            .unwrap_or_else(|| panic!("{name}: no logging heading in\n{help}"));
        for flag in ["--log-format", "--log-level", "--verbose"] {
            let at = help.find(flag).unwrap_or_else(|| panic!("{name}: {flag}"));
            assert!(at > heading, "{name}: {flag} stands outside its group");
        }
        for arg in cmd.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            let takes = arg.get_num_args().unwrap_or_default();
            match long {
                // Printing JSON on stdout, as a boolean: `--json`, `--json=false`.
                "json" => assert_eq!(
                    (takes.min_values(), takes.max_values()),
                    (0, 1),
                    "{name} --json"
                ),
                // A boolean wherever it appears, never a switch in one place only.
                "no-hedge" | "no-retry-after" => {
                    assert_eq!(takes.max_values(), 1, "{name} --{long}")
                }
                _ => {}
            }
            assert_ne!(long, "state-dir", "{name}: the state is --state everywhere");
        }
    }
    // `export` and `report` write files: no --json to accept and ignore.
    for args in [
        &["export", "--mock", "tiny", "--out", "x.csv", "--json"][..],
        &["report", "--mock", "tiny", "--out", "x.html", "--json"][..],
        &["bench", "--preset", "tiny", "--json", "x.json"][..],
    ] {
        let o = bin().args(args).output().expect("run");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("--json"), "{args:?}: {}", text(&o));
    }
    // And a review's `--json=false` is the table.
    let dir = tempfile::tempdir().expect("tmp");
    let file = mock_sync_json("tiny", dir.path());
    let from = file.to_str().expect("utf-8");
    let table = bin()
        .args([
            "who",
            "--from",
            from,
            "--resource",
            "project:proj-alpha",
            "--json=false",
        ])
        .output()
        .expect("run");
    assert_eq!(table.status.code(), Some(0), "{}", text(&table));
    assert!(serde_json::from_slice::<serde_json::Value>(&table.stdout).is_err());
    let json = bin()
        .args([
            "who",
            "--from",
            from,
            "--resource",
            "project:proj-alpha",
            "--json",
        ])
        .output()
        .expect("run");
    assert!(serde_json::from_slice::<serde_json::Value>(&json.stdout).is_ok());
}
