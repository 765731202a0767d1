//! Provisioning against the stateful mock: every row of DESIGN §5 round-trips through a sync,
//! repeats are idempotent (no further mutation), the seed's refusals make no mutation, and the
//! binary's switch, dry runs and exit codes.

use crate::support::*;
use actix::prelude::*;
use openai_access_actors::api::AdminClient;
use openai_access_actors::block_on;
use openai_access_actors::graph::{ResourceKey, ResourceType};
use openai_access_actors::ids::literal;
use openai_access_actors::provisioner::{
    CreateAccount, DeleteAccount, DeleteInvite, Grant, OrgRoleName, ProjectSlug, ProvisionError,
    ProvisionOutcome, ProvisionResult, Provisioner, Revoke,
};
use openai_access_mock::{KeyPermissions, MockConfig, MockServer, Preset};
use std::process::{Command, Output};

fn send<M>(url: &str, msg: M) -> Result<ProvisionOutcome, ProvisionError>
where
    M: Message<Result = Result<ProvisionOutcome, ProvisionError>> + Send + 'static,
    Provisioner: Handler<M>,
{
    let client = client_config(url);
    block_on(async move {
        let api = AdminClient::new(client).expect("client");
        Provisioner::new(&api)
            .start()
            .send(msg)
            .await
            .unwrap_or(Err(ProvisionError::Stopped))
    })
}

fn grant(
    url: &str,
    entitlement: &str,
    principal: &str,
) -> Result<ProvisionOutcome, ProvisionError> {
    send(
        url,
        Grant {
            entitlement: entitlement.parse().expect("entitlement"),
            principal: principal.parse().expect("principal"),
            dry_run: false,
        },
    )
}

fn revoke(url: &str, grant_id: &str) -> Result<ProvisionOutcome, ProvisionError> {
    send(
        url,
        Revoke {
            grant: grant_id.parse().expect("grant id"),
            dry_run: false,
        },
    )
}

fn has_grant(url: &str, id: &str) -> bool {
    sync_ok(url).graph.grant(id).is_some()
}

fn mutations(m: &MockServer) -> u64 {
    m.stats().mutations
}

/// Runs `f` and asserts it sent no mutation to the mock.
fn without_mutation<T>(m: &MockServer, f: impl FnOnce() -> T) -> T {
    let before = mutations(m);
    let out = f();
    assert_eq!(mutations(m), before, "no mutation may be sent");
    out
}

/// One row of DESIGN §5: grant → a sync shows it; grant again → already granted, no
/// mutation; revoke → a sync no longer shows it; revoke again → already revoked, no mutation.
/// Returns the grant's and the revoke's outcomes.
fn round_trip(
    m: &MockServer,
    entitlement: &str,
    principal: &str,
) -> (ProvisionOutcome, ProvisionOutcome) {
    let url = m.base_url();
    let id = format!("{entitlement}:{principal}");
    assert!(!has_grant(&url, &id), "{id} must not exist before the test");

    let granted = grant(&url, entitlement, principal).expect("grant");
    assert_eq!(granted.result, ProvisionResult::Granted, "{granted:?}");
    assert!(!granted.calls.is_empty());
    assert!(has_grant(&url, &id), "a sync shows {id} after the grant");

    let again = without_mutation(m, || {
        grant(&url, entitlement, principal).expect("grant again")
    });
    assert_eq!(again.result, ProvisionResult::AlreadyGranted, "{again:?}");
    assert!(again.calls.is_empty());

    let revoked = revoke(&url, &id).expect("revoke");
    assert_eq!(revoked.result, ProvisionResult::Revoked, "{revoked:?}");
    assert!(!has_grant(&url, &id), "a sync no longer shows {id}");

    let again = without_mutation(m, || revoke(&url, &id).expect("revoke again"));
    assert_eq!(again.result, ProvisionResult::AlreadyRevoked, "{again:?}");
    assert!(again.calls.is_empty());
    (granted, revoked)
}

fn paths(o: &ProvisionOutcome) -> Vec<String> {
    o.calls.iter().map(ToString::to_string).collect()
}

// ---- every row of DESIGN §5 ----------------------------------------------------------------

#[test]
fn org_role_owner_is_set_and_revoking_it_makes_a_reader() {
    let m = mock(Preset::Tiny);
    let (g, r) = round_trip(&m, "role:owner:assigned", "user:user-bob");
    assert_eq!(
        paths(&g),
        [r#"POST /organization/users/user-bob {"role":"owner"}"#]
    );
    assert_eq!(
        paths(&r),
        [r#"POST /organization/users/user-bob {"role":"reader"}"#]
    );
    assert!(has_grant(
        &m.base_url(),
        "role:reader:assigned:user:user-bob"
    ));
}

#[test]
fn org_role_reader_is_granted_to_an_owner() {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    let o = grant(&url, "role:reader:assigned", "user:user-erin").expect("grant");
    assert_eq!(o.result, ProvisionResult::Granted);
    let graph = sync_ok(&url).graph;
    assert!(graph.grant("role:reader:assigned:user:user-erin").is_some());
    assert!(graph.grant("role:owner:assigned:user:user-erin").is_none());
    let again = without_mutation(&m, || grant(&url, "role:reader:assigned", "user:user-erin"));
    assert_eq!(
        again.expect("again").result,
        ProvisionResult::AlreadyGranted
    );
}

#[test]
fn custom_org_role_for_a_user() {
    let m = mock(Preset::Tiny);
    let (g, r) = round_trip(&m, "role:role_auditor:assigned", "user:user-carol");
    assert_eq!(
        paths(&g),
        [r#"POST /organization/users/user-carol/roles {"role_id":"role_auditor"}"#]
    );
    assert_eq!(
        paths(&r),
        ["DELETE /organization/users/user-carol/roles/role_auditor"]
    );
}

#[test]
fn custom_org_role_for_a_group() {
    let m = mock(Preset::Tiny);
    let (g, r) = round_trip(&m, "role:role_billing_admin:assigned", "group:grp-empty");
    assert_eq!(
        paths(&g),
        [r#"POST /organization/groups/grp-empty/roles {"role_id":"role_billing_admin"}"#]
    );
    assert_eq!(
        paths(&r),
        ["DELETE /organization/groups/grp-empty/roles/role_billing_admin"]
    );
}

#[test]
fn project_access_for_a_user_is_added_and_removed() {
    let m = mock(Preset::Tiny);
    let (g, r) = round_trip(&m, "project:proj-beta:viewer", "user:user-carol");
    assert_eq!(
        paths(&g),
        [r#"POST /organization/projects/proj-beta/users {"role":"viewer","user_id":"user-carol"}"#]
    );
    assert_eq!(
        paths(&r),
        ["DELETE /organization/projects/proj-beta/users/user-carol"]
    );
}

#[test]
fn project_role_of_a_member_is_changed() {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    // Carol is a viewer of proj-alpha: granting member changes her role.
    let o = grant(&url, "project:proj-alpha:member", "user:user-carol").expect("grant");
    assert_eq!(
        paths(&o),
        [r#"POST /organization/projects/proj-alpha/users/user-carol {"role":"member"}"#]
    );
    let graph = sync_ok(&url).graph;
    let member = graph
        .grant("project:proj-alpha:member:user:user-carol")
        .expect("member grant");
    assert!(member.direct);
    assert!(
        graph
            .grant("project:proj-alpha:viewer:user:user-carol")
            .is_none()
    );
    // Revoking a role she no longer has changes nothing.
    let stale = without_mutation(&m, || {
        revoke(&url, "project:proj-alpha:viewer:user:user-carol")
    });
    assert_eq!(
        stale.expect("stale").result,
        ProvisionResult::AlreadyRevoked
    );
}

#[test]
fn project_access_for_a_group_uses_the_predefined_role_id() {
    let m = mock(Preset::Tiny);
    let (g, r) = round_trip(&m, "project:proj-beta:viewer", "group:grp-empty");
    assert_eq!(
        paths(&g),
        [
            r#"POST /organization/projects/proj-beta/groups {"group_id":"grp-empty","role":"role-api-project-viewer__api-project__proj-beta"}"#
        ]
    );
    assert!(
        g.reads
            .iter()
            .any(|c| c.path == "/projects/proj-beta/roles"),
        "the role id is read from the project's roles"
    );
    // Its only role there: the group leaves the project.
    assert_eq!(
        paths(&r),
        ["DELETE /organization/projects/proj-beta/groups/grp-empty"]
    );
}

#[test]
fn a_further_predefined_role_for_a_group_with_access() {
    let m = mock(Preset::Tiny);
    // grp-eng already has member (and a custom role) in proj-alpha.
    let (g, r) = round_trip(&m, "project:proj-alpha:viewer", "group:grp-eng");
    assert_eq!(
        paths(&g),
        [
            r#"POST /projects/proj-alpha/groups/grp-eng/roles {"role_id":"role-api-project-viewer__api-project__proj-alpha"}"#
        ]
    );
    assert_eq!(
        paths(&r),
        [
            "DELETE /projects/proj-alpha/groups/grp-eng/roles/role-api-project-viewer__api-project__proj-alpha"
        ]
    );
    assert!(has_grant(
        &m.base_url(),
        "project:proj-alpha:member:group:grp-eng"
    ));
}

#[test]
fn service_account_role_changes() {
    let m = mock(Preset::Tiny);
    let principal = "service_account:proj-alpha/svc_acct_deploy";
    let (g, r) = round_trip(&m, "project:proj-alpha:owner", principal);
    assert_eq!(
        paths(&g),
        [
            r#"POST /organization/projects/proj-alpha/service_accounts/svc_acct_deploy {"role":"owner"}"#
        ]
    );
    assert_eq!(
        paths(&r),
        [
            r#"POST /organization/projects/proj-alpha/service_accounts/svc_acct_deploy {"role":"member"}"#
        ]
    );
    assert!(has_grant(
        &m.base_url(),
        "project:proj-alpha:member:service_account:proj-alpha/svc_acct_deploy"
    ));

    // A service account without a role gets one; member is its floor.
    let url = m.base_url();
    let idle = "service_account:proj-beta/svc_acct_idle";
    let o = grant(&url, "project:proj-beta:member", idle).expect("grant");
    assert_eq!(o.result, ProvisionResult::Granted);
    assert!(has_grant(&url, &format!("project:proj-beta:member:{idle}")));
    let floor = without_mutation(&m, || {
        revoke(&url, &format!("project:proj-beta:member:{idle}"))
    });
    let e = floor.expect_err("member is the floor").to_string();
    assert!(e.contains("delete the service account"), "{e}");
}

#[test]
fn custom_project_role_for_a_member() {
    let m = mock(Preset::Tiny);
    let (g, r) = round_trip(
        &m,
        "project_role:proj-alpha/role_alpha_deployer:assigned",
        "user:user-alice",
    );
    assert_eq!(
        paths(&g),
        [r#"POST /projects/proj-alpha/users/user-alice/roles {"role_id":"role_alpha_deployer"}"#]
    );
    assert_eq!(
        paths(&r),
        ["DELETE /projects/proj-alpha/users/user-alice/roles/role_alpha_deployer"]
    );
}

#[test]
fn custom_project_role_adds_a_non_member_as_member_first() {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    let entitlement = "project_role:proj-beta/role_beta_analyst:assigned";
    let o = grant(&url, entitlement, "user:user-bob").expect("grant");
    assert_eq!(o.result, ProvisionResult::Granted);
    assert_eq!(
        paths(&o),
        [
            r#"POST /organization/projects/proj-beta/users {"role":"member","user_id":"user-bob"}"#,
            r#"POST /projects/proj-beta/users/user-bob/roles {"role_id":"role_beta_analyst"}"#,
        ],
        "membership first, then the role; both reported"
    );
    assert!(
        o.notes.iter().any(|n| n.contains("as member first")),
        "{:?}",
        o.notes
    );
    let graph = sync_ok(&url).graph;
    assert!(
        graph
            .grant("project:proj-beta:member:user:user-bob")
            .is_some()
    );
    assert!(
        graph
            .grant("project_role:proj-beta/role_beta_analyst:assigned:user:user-bob")
            .is_some()
    );
    let again = without_mutation(&m, || grant(&url, entitlement, "user:user-bob"));
    assert_eq!(
        again.expect("again").result,
        ProvisionResult::AlreadyGranted
    );

    let id = format!("{entitlement}:user:user-bob");
    assert_eq!(
        revoke(&url, &id).expect("revoke").result,
        ProvisionResult::Revoked
    );
    let graph = sync_ok(&url).graph;
    assert!(graph.grant(&id).is_none());
    assert!(
        graph
            .grant("project:proj-beta:member:user:user-bob")
            .is_some(),
        "revoking the role leaves the membership"
    );
}

#[test]
fn custom_project_role_for_a_group_without_access_adds_it_as_member_first() {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    let (g, r) = round_trip(
        &m,
        "project_role:proj-alpha/role_alpha_deployer:assigned",
        "group:grp-sec",
    );
    assert_eq!(
        paths(&g),
        [
            r#"POST /organization/projects/proj-alpha/groups {"group_id":"grp-sec","role":"role-api-project-member__api-project__proj-alpha"}"#,
            r#"POST /projects/proj-alpha/groups/grp-sec/roles {"role_id":"role_alpha_deployer"}"#,
        ]
    );
    assert_eq!(
        paths(&r),
        ["DELETE /projects/proj-alpha/groups/grp-sec/roles/role_alpha_deployer"]
    );
    assert!(has_grant(&url, "project:proj-alpha:member:group:grp-sec"));
}

#[test]
fn a_groups_only_project_role_is_revoked_by_removing_the_group() {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    // grp-sec was added to proj-beta with the custom role itself.
    let id = "project_role:proj-beta/role_beta_analyst:assigned:group:grp-sec";
    assert!(has_grant(&url, id));
    let r = revoke(&url, id).expect("revoke");
    assert_eq!(
        paths(&r),
        ["DELETE /organization/projects/proj-beta/groups/grp-sec"]
    );
    assert!(!has_grant(&url, id));
}

#[test]
fn group_membership() {
    let m = mock(Preset::Tiny);
    let (g, r) = round_trip(&m, "group:grp-empty:member", "user:user-carol");
    assert_eq!(
        paths(&g),
        [r#"POST /organization/groups/grp-empty/users {"user_id":"user-carol"}"#]
    );
    assert_eq!(
        paths(&r),
        ["DELETE /organization/groups/grp-empty/users/user-carol"]
    );
}

#[test]
fn revoking_org_membership_deletes_the_user() {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    let id = "organization:org-tiny:member:user:user-dave";
    assert!(has_grant(&url, id));
    let o = revoke(&url, id).expect("revoke");
    assert_eq!(o.result, ProvisionResult::Revoked);
    assert_eq!(paths(&o), ["DELETE /organization/users/user-dave"]);
    let graph = sync_ok(&url).graph;
    assert!(graph.grant(id).is_none());
    assert!(
        graph
            .resource(&ResourceKey::new(
                ResourceType::User,
                "user-dave".parse().expect("id")
            ))
            .is_none()
    );
    // Revoking membership deletes the account: a user who is not there is a wrong id (a typo
    // must not read as success), not a revoke already done.
    let again = without_mutation(&m, || revoke(&url, id));
    assert!(
        matches!(again, Err(ProvisionError::NotFound { what: "user", .. })),
        "{again:?}"
    );
    // Membership itself is granted by invitation only.
    let e = without_mutation(&m, || {
        grant(&url, "organization:org-tiny:member", "user:user-dave")
    });
    assert!(
        e.expect_err("refused")
            .to_string()
            .contains("create-account")
    );
}

#[test]
fn create_account_invites_and_is_idempotent() {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    let msg = || CreateAccount {
        email: "new@tiny.example".into(),
        role: OrgRoleName::Reader,
        projects: vec![(literal("proj-alpha"), ProjectSlug::Member)],
        dry_run: false,
    };
    let o = send(&url, msg()).expect("create");
    assert_eq!(o.result, ProvisionResult::Created);
    assert_eq!(
        paths(&o),
        [
            r#"POST /organization/invites {"email":"new@tiny.example","projects":[{"id":"proj-alpha","role":"member"}],"role":"reader"}"#
        ]
    );
    let invite = o.invite_id.clone().expect("invite id");
    let graph = sync_ok(&url).graph;
    assert!(
        graph
            .resource(&ResourceKey::new(
                ResourceType::Invite,
                invite.parse().expect("id")
            ))
            .is_some()
    );
    let again = without_mutation(&m, || send(&url, msg())).expect("again");
    assert_eq!(again.result, ProvisionResult::AlreadyInvited);
    assert_eq!(again.invite_id.as_deref(), Some(invite.as_str()));

    // No projects: `projects` is still sent, empty.
    let o = send(
        &url,
        CreateAccount {
            email: "solo@tiny.example".into(),
            role: OrgRoleName::Owner,
            projects: vec![],
            dry_run: false,
        },
    )
    .expect("create");
    assert_eq!(
        paths(&o),
        [
            r#"POST /organization/invites {"email":"solo@tiny.example","projects":[],"role":"owner"}"#
        ]
    );
    // An existing user's email is not invited again.
    let member = without_mutation(&m, || {
        send(
            &url,
            CreateAccount {
                email: "bob@tiny.example".into(),
                role: OrgRoleName::Reader,
                projects: vec![],
                dry_run: false,
            },
        )
    });
    assert_eq!(
        member.expect("member").result,
        ProvisionResult::AlreadyMember
    );
}

#[test]
fn delete_account_and_delete_invite() {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    let del = || DeleteAccount {
        user: literal("user-carol"),
        dry_run: false,
    };
    let o = send(&url, del()).expect("delete");
    assert_eq!(o.result, ProvisionResult::Deleted);
    assert_eq!(paths(&o), ["DELETE /organization/users/user-carol"]);
    assert!(!has_grant(
        &url,
        "organization:org-tiny:member:user:user-carol"
    ));
    let again = without_mutation(&m, || send(&url, del())).expect("again");
    assert_eq!(again.result, ProvisionResult::AlreadyDeleted);

    let del = || DeleteInvite {
        invite: literal("inv-pending"),
        dry_run: false,
    };
    let o = send(&url, del()).expect("delete invite");
    assert_eq!(o.result, ProvisionResult::Deleted);
    assert_eq!(paths(&o), ["DELETE /organization/invites/inv-pending"]);
    assert!(
        sync_ok(&url)
            .graph
            .resource(&ResourceKey::new(
                ResourceType::Invite,
                "inv-pending".parse().expect("id")
            ))
            .is_none()
    );
    let again = without_mutation(&m, || send(&url, del())).expect("again");
    assert_eq!(again.result, ProvisionResult::AlreadyDeleted);
}

// ---- refusals: a clear message and no mutation ---------------------------------------------

fn refused(m: &MockServer, r: Result<ProvisionOutcome, ProvisionError>, expect: &str) {
    let e = r.expect_err("must be refused");
    assert!(
        matches!(e, ProvisionError::Refused(_)),
        "a refusal, not {e:?}"
    );
    assert!(e.to_string().contains(expect), "{e}");
    assert_eq!(m.stats().mutations, 0, "no mutation request was sent");
}

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
    let m = mock(Preset::Tiny);
    let url = m.base_url();
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
    let m = mock(Preset::Tiny);
    let url = m.base_url();
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
    let m = mock(Preset::Tiny);
    let url = m.base_url();
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

// ---- the binary ----------------------------------------------------------------------------

fn bin() -> Command {
    let mut c = crate::support::bin();
    c.env("OPENAI_ADMIN_KEY", KEY);
    c
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn all(o: &Output) -> String {
    format!("{}{}", stdout(o), String::from_utf8_lossy(&o.stderr))
}

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
