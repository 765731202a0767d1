//! Guards against dangerous or mistaken provisioning, as a user meets them: the last owner is
//! never demoted or deleted, and a request naming a user, group or service account that does
//! not exist is an error (exit 2, naming it), never "already revoked" or "would be granted".

use crate::support::*;
use openai_access_mock::{MockServer, Preset};
use std::process::Output;
use std::time::Duration;

fn cli(server: &MockServer, args: &[&str]) -> Output {
    run_bounded(
        bin()
            .env("OPENAI_ADMIN_KEY", KEY)
            .args(args)
            .args(["-p", "--base-url"])
            .arg(server.base_url()),
        Duration::from_secs(60),
    )
}

/// `cli`, which must succeed.
fn succeeds(server: &MockServer, args: &[&str]) -> Output {
    let o = cli(server, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
    o
}

fn mutations(server: &MockServer) -> u64 {
    server
        .stats()
        .requests
        .iter()
        .filter(|(e, _)| e.is_mutation())
        .map(|(_, n)| n)
        .sum()
}

#[test]
fn the_last_owner_is_neither_demoted_nor_deleted() {
    let server = mock(Preset::Tiny);
    // Two owners: demoting one is fine, and says who remains.
    let o = succeeds(
        &server,
        &["revoke", "--grant", "role:owner:assigned:user:user-erin"],
    );
    assert!(
        text(&o).contains("user-alice remains an owner"),
        "{}",
        text(&o)
    );
    // Now alice is the only one.
    server.reset_stats();
    for args in [
        &["revoke", "--grant", "role:owner:assigned:user:user-alice"][..],
        &["delete-account", "--user", "user-alice"][..],
        &[
            "revoke",
            "--grant",
            "organization:org-tiny:member:user:user-alice",
        ][..],
        &[
            "revoke",
            "--grant",
            "role:owner:assigned:user:user-alice",
            "--dry-run",
        ][..],
    ] {
        let o = cli(&server, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        let said = text(&o);
        assert!(
            said.contains("user-alice is the organization's only owner (1 owner: user-alice)"),
            "{args:?}: {said}"
        );
        assert!(
            said.contains("role:owner:assigned"),
            "says what to do: {said}"
        );
    }
    assert_eq!(mutations(&server), 0, "nothing was changed");
    // With a second owner again, the demotion goes through.
    succeeds(
        &server,
        &[
            "grant",
            "--entitlement",
            "role:owner:assigned",
            "--principal",
            "user:user-bob",
        ],
    );
    // (Alice owns the connector's own admin key: that guard is passed on purpose here.)
    succeeds(
        &server,
        &[
            "revoke",
            "--grant",
            "role:owner:assigned:user:user-alice",
            "--allow-self-lockout",
        ],
    );
}

#[test]
fn the_owner_of_the_connector_s_own_admin_key_is_kept_unless_asked() {
    // In `tiny`, alice owns the admin key the mock's clients run with (matched on its
    // redacted value); erin owns another one.
    let server = mock(Preset::Tiny);
    server.reset_stats();
    for args in [
        &["revoke", "--grant", "role:owner:assigned:user:user-alice"][..],
        &["delete-account", "--user", "user-alice"][..],
    ] {
        let o = cli(&server, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        let said = text(&o);
        assert!(said.contains("user-alice owns admin key key_admin_connector (Connector), the key this connector runs with"), "{said}");
        assert!(said.contains("--allow-self-lockout"), "{said}");
        assert!(!said.contains(KEY), "the key itself is never shown");
    }
    assert_eq!(mutations(&server), 0);
    // Erin's key is not the connector's: her demotion goes through.
    succeeds(
        &server,
        &["revoke", "--grant", "role:owner:assigned:user:user-erin"],
    );
    // Alice's, asked for: done, with the consequence said.
    succeeds(
        &server,
        &[
            "grant",
            "--entitlement",
            "role:owner:assigned",
            "--principal",
            "user:user-carol",
        ],
    );
    let o = succeeds(
        &server,
        &[
            "revoke",
            "--grant",
            "role:owner:assigned:user:user-alice",
            "--allow-self-lockout",
        ],
    );
    assert!(
        text(&o).contains("it stops working with this change"),
        "{}",
        text(&o)
    );
}

#[test]
fn scim_managed_users_and_groups_are_changed_in_the_identity_provider() {
    // `tiny`: grp-sec and user-bob are SCIM-managed.
    let server = mock(Preset::Tiny);
    server.reset_stats();
    let cases = [
        (
            &[
                "grant",
                "--entitlement",
                "group:grp-sec:member",
                "--principal",
                "user:user-carol",
            ][..],
            "group grp-sec's membership is managed by SCIM",
        ),
        (
            &["delete-account", "--user", "user-bob"][..],
            "user user-bob is managed by SCIM",
        ),
        (
            &[
                "revoke",
                "--grant",
                "organization:org-tiny:member:user:user-bob",
            ][..],
            "user user-bob is managed by SCIM",
        ),
    ];
    for (args, says) in cases {
        let o = cli(&server, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{}", text(&o));
        assert!(text(&o).contains("identity provider"), "{}", text(&o));
    }
    assert_eq!(mutations(&server), 0);
    for (args, _) in cases.iter().take(2) {
        let mut args = args.to_vec();
        args.push("--allow-scim-override");
        let o = cli(&server, &args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("may undo this change"), "{}", text(&o));
    }
}

#[test]
fn requests_naming_nothing_are_errors_not_no_ops() {
    let server = mock(Preset::Tiny);
    let project = server
        .org()
        .projects
        .iter()
        .find(|p| !p.is_archived())
        .expect("an active project")
        .project
        .id
        .to_string();
    let group = server.org().groups[0].group.id.to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "revoke".into(),
                "--grant".into(),
                format!("group:{group}:member:user:user-bobb"),
            ],
            "user user-bobb not found; did you mean user-bob?",
        ),
        (
            vec![
                "revoke".into(),
                "--grant".into(),
                "group:grp-nope:member:user:user-bob".into(),
            ],
            "group grp-nope not found",
        ),
        (
            vec![
                "revoke".into(),
                "--grant".into(),
                "group:grp-eg:member:user:user-bob".into(),
            ],
            "group grp-eg not found; did you mean grp-eng?",
        ),
        (
            vec![
                "grant".into(),
                "--entitlement".into(),
                format!("project:{project}:member"),
                "--principal".into(),
                "user:user-nobody".into(),
                "--dry-run".into(),
            ],
            "user user-nobody not found",
        ),
        (
            vec![
                "revoke".into(),
                "--grant".into(),
                format!("project:{project}:viewer:user:user-nobody"),
            ],
            "user user-nobody not found",
        ),
        (
            vec![
                "revoke".into(),
                "--grant".into(),
                "role:owner:assigned:user:user-nobody".into(),
            ],
            "user user-nobody not found",
        ),
        (
            vec![
                "grant".into(),
                "--entitlement".into(),
                format!("project:{project}:member"),
                "--principal".into(),
                "group:grp-nope".into(),
                "--dry-run".into(),
            ],
            "group grp-nope not found",
        ),
    ];
    server.reset_stats();
    for (args, says) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = cli(&server, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
        assert!(!text(&o).contains("already revoked"), "{}", text(&o));
    }
    assert_eq!(mutations(&server), 0);
}

#[test]
fn an_exclusive_role_granted_says_which_grant_it_replaces() {
    let server = mock(Preset::Tiny);
    let project = server
        .org()
        .projects
        .iter()
        .find(|p| !p.is_archived())
        .expect("an active project")
        .clone();
    let member = project
        .users
        .iter()
        .find(|m| m.role == "member")
        .expect("a member")
        .user_id
        .to_string();
    let p = project.project.id.to_string();
    let o = succeeds(
        &server,
        &[
            "grant",
            "--entitlement",
            &format!("project:{p}:viewer"),
            "--principal",
            &format!("user:{member}"),
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(
        v["replaces"],
        format!("project:{p}:member:user:{member}"),
        "{v}"
    );
    // In words too; and an org role change replaces the old org role.
    let o = cli(
        &server,
        &[
            "grant",
            "--entitlement",
            "role:owner:assigned",
            "--principal",
            "user:user-carol",
        ],
    );
    assert!(
        text(&o).contains("replaces: role:reader:assigned:user:user-carol"),
        "{}",
        text(&o)
    );
}

#[test]
fn admin_keys_are_in_the_graph_and_the_connector_s_own_is_not_deleted_by_accident() {
    let server = mock(Preset::Tiny);
    let keys = |server: &MockServer| -> Vec<serde_json::Value> {
        let o = sync_ok(&server.base_url());
        let v: serde_json::Value = serde_json::from_str(&graph_json(&o)).expect("json");
        v["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .filter(|r| r["resource_type"] == "admin_api_key")
            .cloned()
            .collect()
    };
    let before = keys(&server);
    assert_eq!(before.len(), 2, "{before:?}");
    let ours: Vec<&serde_json::Value> = before
        .iter()
        .filter(|k| k["profile"]["is_connector_key"] == true)
        .collect();
    assert_eq!(
        ours.len(),
        1,
        "exactly the key this connector runs with is marked"
    );
    assert_eq!(ours[0]["id"], "key_admin_connector");
    assert_eq!(
        ours[0]["traits"]["identity"]["id"], "user-alice",
        "its owner"
    );
    assert!(!serde_json::to_string(&before).expect("json").contains(KEY));

    server.reset_stats();
    let o = cli(
        &server,
        &["delete-admin-key", "--key", "key_admin_connector"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("is the key this connector runs with"),
        "{}",
        text(&o)
    );
    assert_eq!(mutations(&server), 0);
    succeeds(&server, &["delete-admin-key", "--key", "key_admin_erin"]);
    let o = cli(&server, &["delete-admin-key", "--key", "key_admin_erin"]);
    assert!(text(&o).contains("already deleted"), "{}", text(&o));
    let after = keys(&server);
    assert_eq!(after.len(), 1);
    let o = succeeds(
        &server,
        &[
            "delete-admin-key",
            "--key",
            "key_admin_connector",
            "--allow-self-lockout",
        ],
    );
    assert!(text(&o).contains("it stops working now"), "{}", text(&o));
}
