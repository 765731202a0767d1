//! Just-in-time provisioning on a big org: every row of README's provisioning table, run as a
//! user runs it (`grant`/`revoke`/… `-p --json` against the `large` mock), reads at most
//! three objects before it writes, whatever the org's size; and what it reports as read is
//! exactly what the mock was asked.

use crate::support::*;
use openai_access_actors::api::Endpoint;
use openai_access_mock::{MockServer, Org, Preset};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// Reads a single grant or revoke may make before writing.
const MAX_READS: u64 = 3;
/// A custom project role, or a group added to a project, needs one more: the project, the
/// role(s), the membership and the principal (or its current assignments); the API has no one
/// call that answers two of them.
const MAX_READS_CUSTOM_PROJECT_ROLE: u64 = 4;

struct Counted {
    out: Value,
    reads: u64,
    writes: u64,
    by_endpoint: BTreeMap<Endpoint, u64>,
}

fn run(server: &MockServer, args: &[&str]) -> Counted {
    server.reset_stats();
    let o = run_bounded(
        bin()
            .env("OPENAI_ADMIN_KEY", KEY)
            .args(args)
            .args(["-p", "--json", "--base-url"])
            .arg(server.base_url()),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
    let out: Value = serde_json::from_slice(&o.stdout).expect("json");
    let stats = server.stats();
    let (mut reads, mut writes) = (0, 0);
    for (e, n) in &stats.requests {
        if e.is_mutation() {
            writes += n;
        } else {
            reads += n;
        }
    }
    Counted {
        out,
        reads,
        writes,
        by_endpoint: stats.requests.clone(),
    }
}

/// Checks the counts, and that `reads` in the output names each request the mock saw.
fn check(what: &str, c: &Counted, max_reads: u64, result: &str) {
    assert_eq!(c.out["result"], result, "{what}: {}", c.out);
    assert!(
        c.reads <= max_reads,
        "{what}: {} reads (at most {max_reads}): {:?}",
        c.reads,
        c.by_endpoint
    );
    let reported = c.out["reads"].as_array().map_or(0, Vec::len) as u64;
    let pages: u64 = c.reads;
    assert!(
        reported <= pages && reported > 0,
        "{what}: {reported} reads reported, {pages} requests seen"
    );
    let calls = c.out["calls"].as_array().map_or(0, Vec::len) as u64;
    assert_eq!(c.writes, calls, "{what}: every write reported");
}

fn ids(org: &Org) -> Picks {
    let human = |role: &str| {
        org.users
            .iter()
            .find(|u| !u.is_service_account() && u.role.as_deref() == Some(role))
            .map(|u| u.id.to_string())
            .expect("a user with the role")
    };
    let p = org
        .projects
        .iter()
        .find(|p| {
            !p.is_archived()
                && !p.roles.is_empty()
                && p.users.len() > 2
                && p.service_accounts
                    .iter()
                    .any(|s| s.role.as_deref() == Some("member"))
        })
        .expect("an active project with custom roles, members and a service account");
    let member = p
        .users
        .iter()
        .filter(|m| m.role == "member")
        // Deleted at the end: not one the identity provider manages.
        .filter(|m| {
            org.users
                .iter()
                .any(|u| u.id == m.user_id && u.is_scim_managed != Some(true))
        })
        .find(|m| {
            !p.user_roles
                .iter()
                .any(|a| a.user_id == m.user_id && a.role_id == p.roles[0].id)
        })
        .expect("a member without the project's first custom role")
        .user_id
        .to_string();
    let outsider = org
        .users
        .iter()
        .filter(|u| !u.is_service_account() && u.role.as_deref() == Some("reader"))
        .filter(|u| u.is_scim_managed != Some(true))
        .find(|u| !p.users.iter().any(|m| m.user_id == u.id))
        .expect("a reader outside the project, not managed by SCIM (deleted at the end)")
        .id
        .to_string();
    let group = org
        .groups
        .iter()
        .filter(|g| g.group.is_scim_managed != Some(true))
        .find(|g| !p.groups.iter().any(|x| x.group_id == g.group.id))
        .expect("a group without access to the project, not managed by SCIM");
    let not_in_group = org
        .users
        .iter()
        .filter(|u| !u.is_service_account())
        .find(|u| !group.members.iter().any(|m| m.user_id == u.id))
        .expect("a user outside the group")
        .id
        .to_string();
    Picks {
        // An owner other than the one whose admin key the connector runs with (the
        // self-lockout guard would refuse that one).
        owner: org
            .users
            .iter()
            .filter(|u| !u.is_service_account() && u.role.as_deref() == Some("owner"))
            .map(|u| u.id.to_string())
            .find(|u| {
                org.admin_keys
                    .first()
                    .and_then(|k| k.owner.as_ref())
                    .is_none_or(|o| &o.id != u)
            })
            .expect("a second owner"),
        reader: human("reader"),
        project: p.project.id.to_string(),
        member,
        outsider,
        custom_project_role: p.roles[0].id.to_string(),
        service_account: p
            .service_accounts
            .iter()
            .find(|s| s.role.as_deref() == Some("member"))
            .expect("sa")
            .id
            .to_string(),
        custom_org_role: org
            .org_roles
            .iter()
            .find(|r| !r.predefined_role)
            .expect("a custom org role")
            .id
            .to_string(),
        group: group.group.id.to_string(),
        not_in_group,
        invite: org
            .invites
            .iter()
            .find(|i| i.status.as_deref() == Some("pending"))
            .expect("a pending invite")
            .id
            .to_string(),
        org: org.org_id.clone(),
    }
}

struct Picks {
    owner: String,
    reader: String,
    project: String,
    member: String,
    outsider: String,
    custom_project_role: String,
    service_account: String,
    custom_org_role: String,
    group: String,
    not_in_group: String,
    invite: String,
    org: String,
}

#[test]
fn every_provisioning_row_reads_a_few_objects_on_a_large_org() {
    let server = mock(Preset::Large);
    let k = ids(&server.org());
    let g = |e: String, p: String| {
        vec![
            "grant".to_owned(),
            "--entitlement".into(),
            e,
            "--principal".into(),
            p,
        ]
    };
    let r = |id: String| vec!["revoke".to_owned(), "--grant".into(), id];
    let rows: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "org role owner to a reader",
            g("role:owner:assigned".into(), format!("user:{}", k.reader)),
            "granted",
        ),
        (
            "revoke org owner",
            r(format!("role:owner:assigned:user:{}", k.owner)),
            "revoked",
        ),
        (
            "custom org role to a user",
            g(
                format!("role:{}:assigned", k.custom_org_role),
                format!("user:{}", k.reader),
            ),
            "granted",
        ),
        (
            "revoke a user's custom org role",
            r(format!(
                "role:{}:assigned:user:{}",
                k.custom_org_role, k.reader
            )),
            "revoked",
        ),
        (
            "custom org role to a group",
            g(
                format!("role:{}:assigned", k.custom_org_role),
                format!("group:{}", k.group),
            ),
            "granted",
        ),
        (
            "project viewer to a member",
            g(
                format!("project:{}:viewer", k.project),
                format!("user:{}", k.member),
            ),
            "granted",
        ),
        (
            "project member to an outsider",
            g(
                format!("project:{}:member", k.project),
                format!("user:{}", k.outsider),
            ),
            "granted",
        ),
        (
            "revoke project member",
            r(format!("project:{}:member:user:{}", k.project, k.outsider)),
            "revoked",
        ),
        (
            "project member to a group",
            g(
                format!("project:{}:member", k.project),
                format!("group:{}", k.group),
            ),
            "granted",
        ),
        (
            "project owner to a service account",
            g(
                format!("project:{}:owner", k.project),
                format!("service_account:{}/{}", k.project, k.service_account),
            ),
            "granted",
        ),
        (
            "revoke a service account's owner",
            r(format!(
                "project:{}:owner:service_account:{}/{}",
                k.project, k.project, k.service_account
            )),
            "revoked",
        ),
        (
            "custom project role to a member",
            g(
                format!(
                    "project_role:{}/{}:assigned",
                    k.project, k.custom_project_role
                ),
                format!("user:{}", k.member),
            ),
            "granted",
        ),
        (
            "revoke a custom project role",
            r(format!(
                "project_role:{}/{}:assigned:user:{}",
                k.project, k.custom_project_role, k.member
            )),
            "revoked",
        ),
        (
            "custom project role to a group",
            g(
                format!(
                    "project_role:{}/{}:assigned",
                    k.project, k.custom_project_role
                ),
                format!("group:{}", k.group),
            ),
            "granted",
        ),
        (
            "group membership",
            g(
                format!("group:{}:member", k.group),
                format!("user:{}", k.not_in_group),
            ),
            "granted",
        ),
        (
            "revoke group membership",
            r(format!("group:{}:member:user:{}", k.group, k.not_in_group)),
            "revoked",
        ),
        (
            "revoke org membership",
            r(format!("organization:{}:member:user:{}", k.org, k.outsider)),
            "revoked",
        ),
        (
            "delete a user",
            vec!["delete-account".into(), "--user".into(), k.member.clone()],
            "deleted",
        ),
        (
            "delete an invite",
            vec!["delete-invite".into(), "--invite".into(), k.invite.clone()],
            "deleted",
        ),
    ];
    let mut table = String::new();
    for (what, args, result) in &rows {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let c = run(&server, &args);
        // Adding a group to a project also reads the project's roles (for the predefined
        // role's id) and, since the group has no access yet, the group itself.
        let group_into_project = args.iter().any(|a| a.starts_with("group:"))
            && args.iter().any(|a| a.starts_with("project:"));
        let max = if group_into_project || args.iter().any(|a| a.starts_with("project_role:")) {
            MAX_READS_CUSTOM_PROJECT_ROLE
        } else {
            MAX_READS
        };
        check(what, &c, max, result);
        table += &format!("\n{what}: {} reads, {} writes", c.reads, c.writes);
    }
    // Inviting checks the email among users (one filtered page) and pending invites: the
    // invite list has no email filter, so it is read whole (the smallest list that answers).
    let invite_pages = server.org().invites.len().div_ceil(100) as u64;
    let c = run(
        &server,
        &[
            "create-account",
            "--email",
            "jit@new.example",
            "--role",
            "reader",
            "--project",
            &format!("{}:member", k.project),
        ],
    );
    check("create an account", &c, 2 + invite_pages, "created");
    eprintln!("{table}");
}

#[test]
fn a_missing_object_is_an_answer_not_an_error() {
    let server = mock(Preset::Small);
    let k = ids(&server.org());
    // Not a member of the group: granted by adding; the revoke of it: already revoked.
    let c = run(
        &server,
        &[
            "grant",
            "--entitlement",
            &format!("group:{}:member", k.group),
            "--principal",
            &format!("user:{}", k.not_in_group),
        ],
    );
    assert_eq!(c.out["result"], "granted", "{}", c.out);
    run(
        &server,
        &[
            "revoke",
            "--grant",
            &format!("group:{}:member:user:{}", k.group, k.not_in_group),
        ],
    );
    let c = run(
        &server,
        &[
            "revoke",
            "--grant",
            &format!("group:{}:member:user:{}", k.group, k.not_in_group),
        ],
    );
    assert_eq!(c.out["result"], "already_revoked", "{}", c.out);
    assert_eq!(c.writes, 0);
    // A user who does not exist is not "already revoked": the request names nothing.
    let o = run_bounded(
        bin()
            .env("OPENAI_ADMIN_KEY", KEY)
            .args([
                "revoke",
                "--grant",
                &format!("group:{}:member:user:user-nobody", k.group),
                "-p",
                "--base-url",
            ])
            .arg(server.base_url()),
        Duration::from_secs(60),
    );
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("user-nobody"), "{}", text(&o));
}
