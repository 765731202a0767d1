//! Project access and project roles, predefined and custom, for members, groups and service
//! accounts.

use super::*;

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
    let (m, url) = tiny();
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
    let (m, url) = tiny();
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
    let (m, url) = tiny();
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
    let (_m, url) = tiny();
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
