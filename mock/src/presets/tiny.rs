//! `tiny`: a hand-built org around every edge case of the model, a handful of each.

use super::super::state::{
    GroupState, KeyOwner, ORG_RESOURCE, Org, PROJECT_RESOURCE, ProjectGroupGrant, gen_id,
    predefined_org_roles, project_role_id,
};
use super::build::*;
use super::{DAY, T0};
use crate::usage::Activity;
use openai_access_actors::api::models::InviteProject;
use openai_access_actors::ids::{GroupId, ProjectId, RoleId, ServiceAccountId, UserId};

/// The hand-built fixture: every resource type and every edge case, a handful of each.
pub(super) fn tiny() -> Org {
    let org_id = "org-tiny";
    let t = |days: i64| T0 + days * DAY;

    let mut users = vec![
        user(
            "user-alice",
            Some("Alice Owner"),
            Some("alice@tiny.example"),
            "owner",
            t(0),
        ),
        user(
            "user-bob",
            Some("Bob Reader"),
            Some("bob@tiny.example"),
            "reader",
            t(1),
        ),
        user(
            "user-carol",
            Some("Carol Reader"),
            Some("carol@tiny.example"),
            "reader",
            t(2),
        ),
        // The nullable traps: no name, no email.
        user("user-dave", None, None, "reader", t(3)),
        user(
            "user-erin",
            Some("Erin Owner"),
            Some("erin@tiny.example"),
            "owner",
            t(4),
        ),
        sa_user("svc_acct_build", "build bot", t(10)),
        sa_user("svc_acct_deploy", "deploy bot", t(11)),
        sa_user("svc_acct_idle", "idle bot", t(12)),
    ];
    // Bob is provisioned by the identity provider (SCIM).
    users[1].is_scim_managed = Some(true);
    // Alice used an API key recently; carol long ago (a dormancy review's case); others never.
    users[0].api_key_last_used_at = Some(t(20));
    users[2].api_key_last_used_at = Some(t(3));

    let invites = vec![
        invite(
            "inv-pending",
            "frank@tiny.example",
            "reader",
            "pending",
            t(20),
            vec![InviteProject {
                id: gen_id::<ProjectId>("proj-alpha"),
                role: Some("member".into()),
            }],
        ),
        invite(
            "inv-expired",
            "grace@tiny.example",
            "reader",
            "expired",
            t(5),
            Vec::new(),
        ),
        invite(
            "inv-accepted",
            "erin@tiny.example",
            "owner",
            "accepted",
            t(3),
            Vec::new(),
        ),
    ];

    let mut org_roles = predefined_org_roles(org_id).to_vec();
    org_roles.push(custom_role(
        "role_billing_admin",
        "Billing Admin",
        ORG_RESOURCE,
        &[
            "api.organization.billing.read",
            "api.organization.billing.write",
        ],
    ));
    org_roles.push(custom_role(
        "role_auditor",
        "Auditor",
        ORG_RESOURCE,
        &["api.organization.audit_logs.read", "api.groups.read"],
    ));

    let groups = vec![
        GroupState {
            group: group("grp-eng", "Engineering", "group", false, t(6)),
            members: members(&["user-bob", "user-carol"], t(6)),
            roles: Vec::new(),
        },
        GroupState {
            group: group("grp-sec", "Security", "group", true, t(7)),
            members: members(&["user-dave", "user-erin"], t(7)),
            roles: vec![assigned_at("role_auditor", t(7))],
        },
        GroupState {
            group: group("grp-empty", "Empty", "group", false, t(8)),
            members: Vec::new(),
            roles: Vec::new(),
        },
        GroupState {
            group: group("grp-tenant", "Tenant Admins", "tenant_group", false, t(9)),
            members: members(&["user-alice"], t(9)),
            roles: Vec::new(),
        },
    ];

    let user_roles = vec![
        user_role("user-bob", "role_billing_admin", t(8)),
        // Erin holds the auditor role directly and through grp-sec.
        user_role("user-erin", "role_auditor", t(8)),
    ];

    let mut alpha = project("proj-alpha", "Alpha", t(1), None);
    alpha.users = vec![
        member("user-alice", "owner", t(1)),
        member("user-bob", "member", t(2)),
        member("user-carol", "viewer", t(3)),
    ];
    alpha.roles = vec![custom_role(
        "role_alpha_deployer",
        "Deployer",
        PROJECT_RESOURCE,
        &["api.project.deployments.write"],
    )];
    alpha.user_roles = vec![user_role("user-bob", "role_alpha_deployer", t(4))];
    alpha.service_accounts = vec![
        service_account("svc_acct_build", "build bot", "owner", t(10)),
        service_account("svc_acct_deploy", "deploy bot", "member", t(11)),
    ];
    alpha.groups = vec![ProjectGroupGrant {
        group_id: gen_id::<GroupId>("grp-eng"),
        role_id: project_role_id("member", "proj-alpha"),
        created_at: t(6),
        roles: vec![assigned_at("role_alpha_deployer", t(7))],
    }];
    alpha.api_keys = vec![
        key(
            "key_alice",
            KeyOwner::User(gen_id::<UserId>("user-alice")),
            true,
            t(2),
            Some(t(30)),
        ),
        key(
            "key_build",
            KeyOwner::ServiceAccount(gen_id::<ServiceAccountId>("svc_acct_build")),
            true,
            t(10),
            Some(t(31)),
        ),
        // Only visible with owner_project_access=any (or inactive).
        key(
            "key_bob_hidden",
            KeyOwner::User(gen_id::<UserId>("user-bob")),
            false,
            t(3),
            Some(t(5)),
        ),
    ];

    // What the Usage API shows (issue 36), counted back from the mock's today: Alice uses her
    // key every day and never signs in (an API-only user); the build bot's key stopped 40 days
    // ago; Bob's hidden key is unused.
    alpha.api_keys[0].usage = Activity::daily(40, 0b11);
    alpha.api_keys[1].usage = Activity::between(200, 40, 120);
    alpha.api_keys[2].usage = Activity::Never;

    let mut beta = project("proj-beta", "Beta", t(2), None);
    beta.users = vec![member("user-dave", "member", t(3))];
    beta.roles = vec![custom_role(
        "role_beta_analyst",
        "Analyst",
        PROJECT_RESOURCE,
        &["api.project.usage.read"],
    )];
    beta.service_accounts = vec![service_account("svc_acct_idle", "idle bot", "none", t(12))];
    // Granted with a custom role id rather than a predefined one.
    beta.groups = vec![ProjectGroupGrant {
        group_id: gen_id::<GroupId>("grp-sec"),
        role_id: gen_id::<RoleId>("role_beta_analyst"),
        created_at: t(7),
        roles: Vec::new(),
    }];
    beta.api_keys = vec![key(
        "key_idle",
        KeyOwner::ServiceAccount(gen_id::<ServiceAccountId>("svc_acct_idle")),
        true,
        t(12),
        None,
    )];
    // Beta's only key fell silent 120 days ago, longer than any usage window: a silent project
    // (whose member may still sign in to the dashboard).
    beta.api_keys[0].usage = Activity::between(300, 120, 5);

    let mut archived = project("proj-archived", "Archived", t(0), Some(t(15)));
    archived.users = vec![member("user-bob", "member", t(1))];

    Org {
        org_id: org_id.into(),
        users,
        invites,
        org_roles,
        groups,
        user_roles,
        projects: vec![alpha, beta, archived],
        admin_keys: vec![
            admin_key(
                "key_admin_connector",
                "Connector",
                "user-alice",
                "Alice",
                t(2),
            ),
            admin_key("key_admin_erin", "Erin's laptop", "user-erin", "Erin", t(4)),
        ],
    }
}
