//! The Baton connector's command line: no subcommand, baton-sdk's flags, a `BATON_*` variable
//! for every flag, `capabilities` and `config`.

use crate::support::*;
use openai_access::cli::values::baton_env;
use openai_access_mock::Preset;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// A valid value for each setting, and the flags it needs beside it.
fn sample(id: &str) -> Option<(&'static str, &'static [&'static str])> {
    Some(match id {
        "log_format" => ("json", &[]),
        "log_level" => ("warn", &[]),
        "mock" => ("tiny", &[]),
        "mock_seed" => ("7", &["--mock", "tiny"]),
        "base_url" => ("https://admin.example/v1", &[]),
        "admin_key_file" => ("/run/secrets/key", &[]),
        "admin_key" => ("sk-admin-sample", &[]),
        "org_id" => ("org-sample", &[]),
        "max_in_flight" => ("7", &[]),
        "rpm" => ("9", &[]),
        "burst" => ("3", &["--rpm", "9"]),
        "timeout" => ("17", &[]),
        "max_attempts" => ("4", &[]),
        "retry_budget" => ("99", &[]),
        "out" => ("org.c1z", &[]),
        "format" => ("json", &[]),
        "progress_every" => ("11", &[]),
        "limits_file" => ("limits.json", &[]),
        "state" => ("state-dir", &[]),
        "max_duration" => ("2h", &[]),
        "group_rescan_interval" => ("30m", &[]),
        "audit_retention" => ("7d", &[]),
        "usage_days" => ("30", &[]),
        "grant_entitlement" => ("project:proj-1:member", &["--grant-principal", "user:u1"]),
        "grant_principal" => ("user-1", &["--grant-entitlement", "project:proj-1:member"]),
        "grant_principal_type" => (
            "user",
            &[
                "--grant-entitlement",
                "project:proj-1:member",
                "--grant-principal",
                "u1",
            ],
        ),
        "revoke_grant" => ("project:proj-1:member:user:u1", &[]),
        "create_account_email" => ("new@example.com", &[]),
        "create_account_login" => ("new@example.com", &[]),
        "create_account_profile" => (r#"{"role":"reader"}"#, &[]),
        "delete_resource" => ("user-1", &["--delete-resource-type", "user"]),
        "delete_resource_type" => ("user", &["--delete-resource", "user-1"]),
        "client_id" => ("client-sample", &[]),
        "client_secret" => ("secret-sample", &[]),
        "client_secret_file" => ("/run/secrets/c1-secret", &[]),
        "task_concurrency" => ("5", &[]),
        "c1z_temp_dir" => ("/tmp", &[]),
        // Booleans: set by the bare flag, or `true` in the variable.
        "allow_insecure_http"
        | "append"
        | "allow_partial"
        | "c1z_newer_sdk"
        | "no_progress"
        | "provisioning"
        | "dry_run"
        | "full"
        | "allow_self_lockout"
        | "allow_scim_override"
        | "no_hedge"
        | "no_usage"
        | "json" => ("true", &[]),
        _ => return None,
    })
}

/// `config --json`, as a map from setting to its row.
fn config(args: &[&str], env: &[(&str, &str)]) -> BTreeMap<String, Value> {
    let mut cmd = bin();
    cmd.arg("config").args(args);
    // `--json` is also what asks `config` for JSON: given by the variable or the flag under
    // test, or here.
    if !env.iter().any(|(k, _)| *k == "BATON_JSON") && !args.contains(&"--json") {
        cmd.arg("--json");
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = run_bounded(&mut cmd, Duration::from_secs(30));
    assert_eq!(
        o.status.code(),
        Some(0),
        "config {args:?} {env:?}: {}",
        text(&o)
    );
    let rows: Vec<Value> = serde_json::from_slice(&o.stdout).expect("config --json");
    rows.into_iter()
        .map(|r| (r["setting"].as_str().expect("setting").to_owned(), r))
        .collect()
}

#[test]
fn every_flag_has_its_baton_variable_and_both_give_the_same_setting() {
    let settings = config(&[], &[]);
    assert!(settings.len() > 30, "{}", settings.len());
    for (id, row) in &settings {
        let flag = row["flag"].as_str().expect("flag");
        let long = flag.rsplit("--").next().expect("long name");
        let env = baton_env(long);
        assert_eq!(
            row["env"],
            env.as_str(),
            "{id}: named as baton-sdk names it"
        );
        let (value, companions) =
            sample(id).unwrap_or_else(|| panic!("{id} ({flag}): add a sample value to this test"));
        let shown = |row: &Value| row["value"].as_str().map(str::to_owned);
        let secret = matches!(id.as_str(), "admin_key" | "client_secret");
        let want = if secret { "(set, not shown)" } else { value };

        let by_env = config(companions, &[(env.as_str(), value)]);
        assert_eq!(by_env[id]["source"], "environment", "{env}");
        assert_eq!(shown(&by_env[id]).as_deref(), Some(want), "{env}");

        let mut args: Vec<&str> = companions.to_vec();
        let flag_arg = format!("--{long}");
        args.push(&flag_arg);
        if value != "true" {
            args.push(value);
        }
        let by_flag = config(&args, &[]);
        assert_eq!(by_flag[id]["source"], "command line", "{flag}");
        assert_eq!(shown(&by_flag[id]).as_deref(), Some(want), "{flag}");
    }
}

#[test]
fn booleans_read_as_go_reads_them_and_nothing_else() {
    for (value, want) in [
        ("1", "true"),
        ("TRUE", "true"),
        ("t", "true"),
        ("0", "false"),
        ("False", "false"),
    ] {
        let c = config(&[], &[("BATON_PROVISIONING", value)]);
        assert_eq!(c["provisioning"]["value"], want, "{value}");
    }
    let o = run_bounded(
        bin().arg("config").env("BATON_PROVISIONING", "yes"),
        Duration::from_secs(30),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("is not a boolean"), "{}", text(&o));
}

#[test]
fn secrets_are_never_shown_by_config_or_help() {
    let o = run_bounded(
        bin()
            .arg("config")
            .env("BATON_OPENAI_ADMIN_KEY", "sk-admin-TOP-SECRET")
            .env("BATON_CLIENT_SECRET", "TOP-SECRET-CLIENT"),
        Duration::from_secs(30),
    );
    assert_eq!(o.status.code(), Some(0));
    let o2 = run_bounded(
        bin()
            .arg("--help")
            .env("BATON_OPENAI_ADMIN_KEY", "sk-admin-TOP-SECRET")
            .env("BATON_CLIENT_SECRET", "TOP-SECRET-CLIENT"),
        Duration::from_secs(30),
    );
    for out in [text(&o), text(&o2)] {
        assert!(!out.contains("TOP-SECRET"), "{out}");
    }
}

#[test]
fn with_no_subcommand_it_syncs_or_provisions_as_a_baton_connector() {
    let server = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tmp");
    let base = server.base_url();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = bin();
        cmd.current_dir(dir.path())
            .env("BATON_OPENAI_ADMIN_KEY", KEY)
            .env("BATON_BASE_URL", &base)
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run_bounded(&mut cmd, Duration::from_secs(60))
    };
    // A sync to sync.c1z, logging JSON lines (stdout is not a terminal), as the SDK does.
    let o = run(&[], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(dir.path().join("sync.c1z").exists());
    let stderr = String::from_utf8_lossy(&o.stderr);
    for line in stderr.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    // ConductorOne's credentials make it a service connected to ConductorOne (see
    // conductorone.rs); malformed ones are refused at once, by name, the secret unprinted.
    let o = run(
        &[],
        &[
            ("BATON_CLIENT_ID", "c1-client"),
            ("BATON_CLIENT_SECRET", "c1-secret"),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("BATON_CLIENT_ID"), "{}", text(&o));
    assert!(!text(&o).contains("c1-secret"), "{}", text(&o));

    // Provisioning by baton-sdk's flags, enabled by its variable.
    let o = run(
        &[
            "--grant-entitlement",
            "project:proj-beta:viewer",
            "--grant-principal",
            "user-carol",
            "--grant-principal-type",
            "user",
        ],
        &[("BATON_PROVISIONING", "true")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let beta = |org: &openai_access_mock::Org| {
        org.projects
            .iter()
            .find(|p| p.project.id.as_str() == "proj-beta")
            .map(|p| {
                p.users
                    .iter()
                    .map(|u| (u.user_id.to_string(), u.role.clone()))
                    .collect::<Vec<_>>()
            })
            .expect("proj-beta")
    };
    assert!(
        beta(&server.org()).contains(&("user-carol".to_owned(), "viewer".to_owned())),
        "{:?}",
        beta(&server.org())
    );
    let o = run(
        &[
            "--revoke-grant",
            "project:proj-beta:viewer:user:user-carol",
            "-p",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!beta(&server.org()).iter().any(|(u, _)| u == "user-carol"));

    let o = run(
        &[
            "-p",
            "--create-account-email",
            "new@tiny.example",
            "--create-account-profile",
            r#"{"role":"owner","projects":["proj-alpha:member"]}"#,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let invite = server
        .org()
        .invites
        .into_iter()
        .find(|i| i.email.as_deref() == Some("new@tiny.example"))
        .expect("invited");
    assert_eq!(invite.role.as_deref(), Some("owner"));

    let o = run(
        &[
            "-p",
            "--delete-resource",
            "user-dave",
            "--delete-resource-type",
            "user",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        !server
            .org()
            .users
            .iter()
            .any(|u| u.id.as_str() == "user-dave")
    );

    // Without -p nothing changes, and it says how to enable it.
    let o = run(
        &[
            "--delete-resource",
            "user-bob",
            "--delete-resource-type",
            "user",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        server
            .org()
            .users
            .iter()
            .any(|u| u.id.as_str() == "user-bob")
    );
    // One action at a time; a type that cannot be deleted is named.
    let o = run(
        &[
            "-p",
            "--revoke-grant",
            "project:proj-beta:viewer:user:user-carol",
            "--delete-resource",
            "user-bob",
            "--delete-resource-type",
            "user",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = run(
        &[
            "-p",
            "--delete-resource",
            "proj-beta",
            "--delete-resource-type",
            "project",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("only user"), "{}", text(&o));
}

#[test]
fn capabilities_name_what_each_resource_type_supports() {
    let o = run_bounded(bin().arg("capabilities"), Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(
        v["@type"],
        "type.googleapis.com/c1.connector.v2.ConnectorCapabilities"
    );
    let caps: BTreeMap<String, Vec<String>> = v["resourceTypeCapabilities"]
        .as_array()
        .expect("types")
        .iter()
        .map(|t| {
            (
                t["resourceType"]["id"].as_str().expect("id").to_owned(),
                t["capabilities"]
                    .as_array()
                    .expect("caps")
                    .iter()
                    .map(|c| c.as_str().expect("cap").to_owned())
                    .collect(),
            )
        })
        .collect();
    // Every type a sync writes is synced; every type with an entitlement is provisioned.
    let sync = run_bounded(
        bin().args(["sync", "--mock", "tiny", "--no-progress", "--out", "-"]),
        Duration::from_secs(60),
    );
    let graph: Value = serde_json::from_slice(&sync.stdout).expect("sync json");
    for t in graph["resource_types"].as_array().expect("types") {
        let id = t["id"].as_str().expect("id");
        assert!(caps[id].contains(&"CAPABILITY_SYNC".to_owned()), "{id}");
    }
    for e in graph["entitlements"].as_array().expect("entitlements") {
        let t = e["resource"]["resource_type"].as_str().expect("type");
        assert!(caps[t].contains(&"CAPABILITY_PROVISION".to_owned()), "{t}");
    }
    assert!(caps["user"].contains(&"CAPABILITY_ACCOUNT_PROVISIONING".to_owned()));
    assert!(caps["invite"].contains(&"CAPABILITY_RESOURCE_DELETE".to_owned()));
    assert!(!caps["api_key"].contains(&"CAPABILITY_PROVISION".to_owned()));
}

#[test]
fn top_level_help_shows_the_baton_mode_first_then_the_commands() {
    let o = run_bounded(bin().arg("--help"), Duration::from_secs(30));
    let help = String::from_utf8_lossy(&o.stdout);
    let baton = help
        .find("As a Baton connector")
        .expect("Baton mode described");
    let commands = help.find("Commands").expect("commands listed");
    assert!(baton < commands, "{help}");
    for flag in [
        "--grant-entitlement",
        "--revoke-grant",
        "--file",
        "--log-level",
        "BATON_BASE_URL",
    ] {
        assert!(help.contains(flag), "{flag}");
    }
}
