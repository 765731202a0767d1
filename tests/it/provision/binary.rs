//! The binary: its switch, dry runs, JSON output and exit codes, and the embedded mock demo.

use super::*;

#[test]
fn without_the_switch_nothing_is_changed() {
    let m = mock(Preset::Tiny);
    let o = bin()
        .args(["grant", "--base-url", &m.base_url()])
        .args([
            "--entitlement",
            "project:proj-beta:viewer",
            "--principal",
            "user:user-carol",
        ])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(all(&o).contains("--provisioning"), "{}", all(&o));
    assert!(all(&o).contains("BATON_PROVISIONING=true"), "{}", all(&o));
    assert_eq!(m.stats().total(), 0, "not even a read");
    let o = bin()
        .args(["grant", "--base-url", &m.base_url()])
        .args([
            "--entitlement",
            "project:proj-beta:viewer",
            "--principal",
            "user:user-carol",
        ])
        .env("BATON_PROVISIONING", "false")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert_eq!(mutations(&m), 0);
}

#[test]
fn the_environment_switch_enables_provisioning_and_baton_aliases_work() {
    let m = mock(Preset::Tiny);
    let o = bin()
        .args(["grant", "--base-url", &m.base_url()])
        .args(["--grant-entitlement", "project:proj-beta:viewer"])
        .args(["--grant-principal", "user:user-carol"])
        .env("BATON_PROVISIONING", "true")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            r#"called: POST /organization/projects/proj-beta/users {"role":"viewer","user_id":"user-carol"}"#,
            "granted — grant project:proj-beta:viewer to user:user-carol (1 API call)",
        ]
    );
    assert!(has_grant(
        &m.base_url(),
        "project:proj-beta:viewer:user:user-carol"
    ));

    let o = bin()
        .args(["revoke", "-p", "--base-url", &m.base_url()])
        .args(["--revoke-grant", "project:proj-beta:viewer:user:user-carol"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    assert!(stdout(&o).contains("revoked"), "{}", all(&o));
    assert!(!has_grant(
        &m.base_url(),
        "project:proj-beta:viewer:user:user-carol"
    ));
}

#[test]
fn dry_run_prints_the_calls_in_order_and_makes_none() {
    let m = mock(Preset::Tiny);
    let o = bin()
        .args(["grant", "-p", "--dry-run", "--base-url", &m.base_url()])
        .args([
            "--entitlement",
            "project_role:proj-beta/role_beta_analyst:assigned",
        ])
        .args(["--principal", "user:user-bob"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            r#"would call: POST /organization/projects/proj-beta/users {"role":"member","user_id":"user-bob"}"#,
            r#"would call: POST /projects/proj-beta/users/user-bob/roles {"role_id":"role_beta_analyst"}"#,
            "dry run: would be granted — grant project_role:proj-beta/role_beta_analyst:assigned to user:user-bob (2 API calls planned, none made)",
        ]
    );
    assert_eq!(mutations(&m), 0, "a dry run makes no mutation");
    assert!(m.stats().total() > 0, "but it reads the current state");
    assert!(
        !out.contains(KEY) && !all(&o).contains(KEY),
        "the key is never printed"
    );
}

#[test]
fn json_output_and_exit_codes() {
    let m = mock(Preset::Tiny);
    let o = bin()
        .args(["delete-invite", "-p", "--json", "--base-url", &m.base_url()])
        .args(["--invite", "inv-pending"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["result"], "deleted");
    assert_eq!(v["calls"][0]["method"], "DELETE");
    assert_eq!(v["calls"][0]["path"], "/organization/invites/inv-pending");

    // A refusal exits 2 with its message.
    let o = bin()
        .args(["delete-invite", "-p", "--base-url", &m.base_url()])
        .args(["--invite", "inv-accepted"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(all(&o).contains("cannot be deleted"), "{}", all(&o));

    // A malformed id is a usage error.
    let o = bin()
        .args(["grant", "-p", "--base-url", &m.base_url()])
        .args([
            "--entitlement",
            "project:proj-alpha:admin",
            "--principal",
            "user:user-bob",
        ])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(all(&o).contains("owner, member or viewer"), "{}", all(&o));
}

#[test]
fn an_api_refusal_exits_3_with_the_apis_message() {
    let m = mock_with(MockConfig {
        preset: Preset::Tiny,
        key_permissions: KeyPermissions::ReadOnly,
        ..MockConfig::default()
    });
    let o = bin()
        .args(["create-account", "-p", "--base-url", &m.base_url()])
        .args(["--email", "new@tiny.example", "--role", "reader"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(3), "{}", all(&o));
    assert!(
        all(&o).contains("api.organization.invites.write"),
        "{}",
        all(&o)
    );
}

#[test]
fn the_embedded_mock_demo_works() {
    let o = bin()
        .args(["create-account", "--mock", "tiny", "-p"])
        .args(["--email", "new@tiny.example", "--role", "reader"])
        .args(["--project", "proj-alpha:member"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    assert!(stdout(&o).contains("invitation created"), "{}", all(&o));
}
