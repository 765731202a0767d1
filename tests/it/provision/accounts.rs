//! Accounts: creating one invites (once), deleting one removes the user or the invite.

use super::*;

#[test]
fn create_account_invites_and_is_idempotent() {
    let (m, url) = tiny();
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
    let (m, url) = tiny();
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
