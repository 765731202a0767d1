//! Org roles, predefined and custom, for users and groups; group membership; org membership,
//! whose revoke deletes the user.

use super::*;

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
    let (m, url) = tiny();
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
    let (m, url) = tiny();
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
