//! Refusals: a clear message and no mutation; a dry run reads and changes nothing.

use super::*;

#[test]
fn custom_project_role_for_a_service_account_is_refused() {
    let m = mock(Preset::Tiny);
    let r = grant(
        &m.base_url(),
        "project_role:proj-alpha/role_alpha_deployer:assigned",
        "service_account:proj-alpha/svc_acct_build",
    );
    refused(
        &m,
        r,
        "does not support assigning custom project roles to service accounts. Use the OpenAI platform",
    );
}

#[test]
fn an_org_owners_inherited_project_ownership_is_immutable() {
    let (m, url) = tiny();
    let id = "project:proj-beta:owner:user:user-erin";
    let graph = sync_ok(&url).graph;
    assert!(graph.grant(id).expect("inherited grant").immutable);
    refused(&m, revoke(&url, id), "inherited from role:owner:assigned");
    assert!(has_grant(&url, id));
}

#[test]
fn revoking_reader_is_refused_and_points_to_account_deletion() {
    let m = mock(Preset::Tiny);
    let r = revoke(&m.base_url(), "role:reader:assigned:user:user-bob");
    refused(
        &m,
        r,
        "reader is the floor role; delete the account instead (openai-access delete-account --user user-bob)",
    );
}

#[test]
fn deleting_an_accepted_invite_is_refused() {
    let m = mock(Preset::Tiny);
    let r = send(
        &m.base_url(),
        DeleteInvite {
            invite: literal("inv-accepted"),
            dry_run: false,
        },
    );
    refused(&m, r, "was accepted and cannot be deleted");
}

#[test]
fn anything_on_an_archived_project_is_refused() {
    let (m, url) = tiny();
    refused(
        &m,
        grant(&url, "project:proj-archived:member", "user:user-carol"),
        "proj-archived is archived",
    );
    refused(
        &m,
        revoke(&url, "project:proj-archived:member:user:user-bob"),
        "proj-archived is archived",
    );
    let invite = send(
        &url,
        CreateAccount {
            email: "late@tiny.example".into(),
            role: OrgRoleName::Reader,
            projects: vec![(literal("proj-archived"), ProjectSlug::Member)],
            dry_run: false,
        },
    );
    refused(&m, invite, "proj-archived is archived");
}

#[test]
fn a_read_only_key_fails_with_the_missing_permission() {
    let m = mock_with(MockConfig {
        preset: Preset::Tiny,
        key_permissions: KeyPermissions::ReadOnly,
        ..MockConfig::default()
    });
    let e = grant(&m.base_url(), "project:proj-beta:viewer", "user:user-carol")
        .expect_err("read-only key");
    assert_eq!(e.api_error().and_then(|a| a.status()), Some(403), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("api.organization.projects.users.write"),
        "{text}"
    );
    assert!(
        text.contains("POST /organization/projects/proj-beta/users"),
        "{text}"
    );
}

#[test]
fn a_dry_run_reads_but_makes_no_mutation() {
    let (m, url) = tiny();
    let o = without_mutation(&m, || {
        send(
            &url,
            Grant {
                entitlement: "project_role:proj-beta/role_beta_analyst:assigned"
                    .parse()
                    .expect("e"),
                principal: "user:user-bob".parse().expect("p"),
                dry_run: true,
            },
        )
    })
    .expect("dry run");
    assert!(o.dry_run);
    assert_eq!(o.result, ProvisionResult::Granted);
    assert_eq!(o.calls.len(), 2, "both steps are planned");
    assert!(!o.reads.is_empty());
    assert!(!has_grant(&url, "project:proj-beta:member:user:user-bob"));
}
