//! The hand-built `tiny` org: every edge case the connector must handle, where the tests
//! expect it.

use super::*;
use openai_access_actors::ids::{GroupId, ProjectId, literal};

#[test]
fn tiny_has_every_edge_case() {
    let org = generate(Preset::Tiny, 0);
    assert_eq!(org.org_id, "org-tiny");
    let dave = org.user(&literal("user-dave")).unwrap();
    assert!(dave.name.is_none() && dave.email.is_none());
    let sa_users: Vec<&str> = org
        .users
        .iter()
        .filter(|u| u.is_service_account())
        .map(|u| u.id.as_str())
        .collect();
    assert_eq!(
        sa_users,
        ["svc_acct_build", "svc_acct_deploy", "svc_acct_idle"]
    );
    let statuses: Vec<_> = org
        .invites
        .iter()
        .map(|i| i.status.clone().unwrap())
        .collect();
    assert_eq!(statuses, ["pending", "expired", "accepted"]);
    assert_eq!(org.group(&literal("grp-empty")).unwrap().members.len(), 0);
    assert_eq!(
        org.group(&literal("grp-tenant"))
            .unwrap()
            .group
            .group_type
            .as_deref(),
        Some("tenant_group")
    );
    let archived = org.project(&literal::<ProjectId>("proj-archived")).unwrap();
    assert!(archived.is_archived() && archived.project.archived_at.is_some());

    // Erin's auditor role: direct and through grp-sec.
    let erin = org.user_org_roles(&literal("user-erin"));
    assert_eq!(erin.len(), 1);
    assert_eq!(erin[0].id.as_str(), "role_auditor");
    let sources: Vec<_> = erin[0]
        .inherited_from()
        .iter()
        .map(|s| (s.principal_type.as_str(), s.principal_id.as_str()))
        .collect();
    assert_eq!(sources, [("user", "user-erin"), ("group", "grp-sec")]);
    // Dave only inherits it.
    let dave = org.user_org_roles(&literal("user-dave"));
    assert_eq!(dave[0].inherited_from().len(), 1);

    let alpha = org.project(&literal::<ProjectId>("proj-alpha")).unwrap();
    let bob = org.project_user_roles(alpha, &literal("user-bob"));
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0].inherited_from().len(), 2, "direct and via grp-eng");
    let carol = org.project_user_roles(alpha, &literal("user-carol"));
    assert_eq!(carol[0].id.as_str(), "role_alpha_deployer");
    let grp_eng = alpha.group_roles(&literal::<GroupId>("grp-eng"));
    assert_eq!(grp_eng.len(), 2);
    assert!(grp_eng[0].predefined_role);
    assert_eq!(grp_eng[0].id, project_role_id("member", "proj-alpha"));

    let beta = org.project(&literal::<ProjectId>("proj-beta")).unwrap();
    assert_eq!(beta.service_accounts[0].role.as_deref(), Some("none"));
    assert_eq!(beta.groups[0].role_id.as_str(), "role_beta_analyst");
    assert!(beta.api_keys[0].last_used_at.is_none());
    let s = org.shape();
    assert_eq!(
        (
            s.users,
            s.service_account_users,
            s.projects,
            s.archived_projects
        ),
        (5, 3, 3, 1)
    );
}
