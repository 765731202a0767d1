//! Random changes to an org, of every kind the mock supports, for the incremental-sync property
//! test and the bench: each is drawn from the org as it is now, so a sequence stays valid
//! (a change the org refuses, say a duplicate, is simply not made).

use super::changes::Change;
use super::rng::SplitMix64;
use super::state::{KeyOwner, Org, project_role_id};
use serde_json::json;

/// Every kind of change, so a test can say which ones it drew.
pub const KINDS: usize = 35;

/// A change drawn from `org`, with its kind's number (0..KINDS). `None` when the kind drawn
/// has nothing to act on in this org (e.g. no pending invite to accept).
pub fn draw(org: &Org, rng: &mut SplitMix64) -> (usize, Option<Change>) {
    let kind = rng.below(KINDS);
    (kind, of_kind(org, kind, rng))
}

/// One of `items`, if there is one.
fn some<'a>(rng: &mut SplitMix64, items: &[&'a str]) -> Option<&'a str> {
    (!items.is_empty()).then(|| *rng.pick(items))
}

fn req(method: &str, path: String, body: serde_json::Value) -> Option<Change> {
    Some(Change::Request {
        method: method.into(),
        path,
        body,
    })
}

fn of_kind(org: &Org, kind: usize, rng: &mut SplitMix64) -> Option<Change> {
    let humans: Vec<&str> = org
        .users
        .iter()
        .filter(|u| !u.is_service_account())
        .map(|u| u.id.as_str())
        .collect();
    let active: Vec<_> = org.projects.iter().filter(|p| !p.is_archived()).collect();
    let custom_org_roles: Vec<&str> = org
        .org_roles
        .iter()
        .filter(|r| !r.predefined_role)
        .map(|r| r.id.as_str())
        .collect();
    let pick_user = |rng: &mut SplitMix64| (!humans.is_empty()).then(|| *rng.pick(&humans));
    let pick_project = |rng: &mut SplitMix64| (!active.is_empty()).then(|| *rng.pick(&active));
    let pick_group = |rng: &mut SplitMix64| (!org.groups.is_empty()).then(|| rng.pick(&org.groups));
    match kind {
        // ---- through the API ----
        0 => {
            let u = pick_user(rng)?;
            let role = if rng.chance(0.5) { "owner" } else { "reader" };
            req(
                "POST",
                format!("/organization/users/{u}"),
                json!({"role": role}),
            )
        }
        1 => {
            // Keep at least one owner and some users.
            let u = pick_user(rng)?;
            let owners = org
                .users
                .iter()
                .filter(|x| x.role.as_deref() == Some("owner"))
                .count();
            let is_owner = org
                .users
                .iter()
                .any(|x| x.id.as_str() == u && x.role.as_deref() == Some("owner"));
            (humans.len() > 3 && !(is_owner && owners <= 1))
                .then(|| req("DELETE", format!("/organization/users/{u}"), json!({})))
                .flatten()
        }
        2 => {
            let (u, r) = (pick_user(rng)?, some(rng, &custom_org_roles)?);
            req(
                "POST",
                format!("/organization/users/{u}/roles"),
                json!({"role_id": r}),
            )
        }
        3 => {
            let a = rng.choose(&org.user_roles)?;
            req(
                "DELETE",
                format!("/organization/users/{}/roles/{}", a.user_id, a.role_id),
                json!({}),
            )
        }
        4 => {
            let g = pick_group(rng)?;
            let r = some(rng, &custom_org_roles)?;
            req(
                "POST",
                format!("/organization/groups/{}/roles", g.group.id),
                json!({"role_id": r}),
            )
        }
        5 => {
            let g = pick_group(rng)?;
            let a = rng.choose(&g.roles)?;
            req(
                "DELETE",
                format!("/organization/groups/{}/roles/{}", g.group.id, a.role_id),
                json!({}),
            )
        }
        6 => {
            let (g, u) = (pick_group(rng)?, pick_user(rng)?);
            req(
                "POST",
                format!("/organization/groups/{}/users", g.group.id),
                json!({"user_id": u}),
            )
        }
        7 => {
            let g = pick_group(rng)?;
            let m = rng.choose(&g.members)?;
            req(
                "DELETE",
                format!("/organization/groups/{}/users/{}", g.group.id, m.user_id),
                json!({}),
            )
        }
        8 => {
            let n = rng.next_u64() % 1_000_000;
            let mut projects = Vec::new();
            if let Some(p) = pick_project(rng) {
                projects.push(json!({"id": p.project.id, "role": "member"}));
            }
            req(
                "POST",
                "/organization/invites".into(),
                json!({"email": format!("new{n}@changes.example"), "role": "reader", "projects": projects}),
            )
        }
        9 => {
            let pending: Vec<_> = org
                .invites
                .iter()
                .filter(|i| i.status.as_deref() == Some("pending"))
                .collect();
            let i = rng.choose(&pending)?;
            req(
                "DELETE",
                format!("/organization/invites/{}", i.id),
                json!({}),
            )
        }
        10 => {
            let (p, u) = (pick_project(rng)?, pick_user(rng)?);
            let role = *rng.pick(&["owner", "member", "viewer"]);
            req(
                "POST",
                format!("/organization/projects/{}/users", p.project.id),
                json!({"user_id": u, "role": role}),
            )
        }
        11 => {
            let p = pick_project(rng)?;
            let m = rng.choose(&p.users)?;
            let role = *rng.pick(&["owner", "member", "viewer"]);
            req(
                "POST",
                format!(
                    "/organization/projects/{}/users/{}",
                    p.project.id, m.user_id
                ),
                json!({"role": role}),
            )
        }
        12 => {
            let p = pick_project(rng)?;
            let m = rng.choose(&p.users)?;
            req(
                "DELETE",
                format!(
                    "/organization/projects/{}/users/{}",
                    p.project.id, m.user_id
                ),
                json!({}),
            )
        }
        13 => {
            let p = pick_project(rng)?;
            let s = rng.choose(&p.service_accounts)?;
            let role = *rng.pick(&["owner", "member"]);
            req(
                "POST",
                format!(
                    "/organization/projects/{}/service_accounts/{}",
                    p.project.id, s.id
                ),
                json!({"role": role}),
            )
        }
        14 => {
            let (p, g) = (pick_project(rng)?, pick_group(rng)?);
            let kind = *rng.pick(&["owner", "member", "viewer"]);
            let role = project_role_id(kind, p.project.id.as_str());
            req(
                "POST",
                format!("/organization/projects/{}/groups", p.project.id),
                json!({"group_id": g.group.id, "role": role}),
            )
        }
        15 => {
            let p = pick_project(rng)?;
            let g = rng.choose(&p.groups)?;
            req(
                "DELETE",
                format!(
                    "/organization/projects/{}/groups/{}",
                    p.project.id, g.group_id
                ),
                json!({}),
            )
        }
        16 => {
            let p = pick_project(rng)?;
            let m = rng.choose(&p.users)?;
            let r = rng.choose(&p.roles)?;
            req(
                "POST",
                format!("/projects/{}/users/{}/roles", p.project.id, m.user_id),
                json!({"role_id": r.id}),
            )
        }
        17 => {
            let p = pick_project(rng)?;
            let a = rng.choose(&p.user_roles)?;
            req(
                "DELETE",
                format!(
                    "/projects/{}/users/{}/roles/{}",
                    p.project.id, a.user_id, a.role_id
                ),
                json!({}),
            )
        }
        18 => {
            let able: Vec<_> = active
                .iter()
                .filter(|p| !p.groups.is_empty() && !p.roles.is_empty())
                .collect();
            let p = rng.choose(&able)?;
            let g = rng.choose(&p.groups)?;
            let r = rng.choose(&p.roles)?;
            req(
                "POST",
                format!("/projects/{}/groups/{}/roles", p.project.id, g.group_id),
                json!({"role_id": r.id}),
            )
        }
        19 => {
            // Few groups hold custom project roles: pick among all of them.
            let held: Vec<_> = active
                .iter()
                .flat_map(|p| {
                    p.groups
                        .iter()
                        .flat_map(move |g| g.roles.iter().map(move |a| (p, g, a)))
                })
                .collect();
            let (p, g, a) = rng.choose(&held)?;
            req(
                "DELETE",
                format!(
                    "/projects/{}/groups/{}/roles/{}",
                    p.project.id, g.group_id, a.role_id
                ),
                json!({}),
            )
        }
        // ---- out of band ----
        20 => {
            let pending: Vec<_> = org
                .invites
                .iter()
                .filter(|i| i.status.as_deref() == Some("pending"))
                .collect();
            let i = rng.choose(&pending)?;
            Some(Change::AcceptInvite {
                invite: i.id.to_string(),
            })
        }
        21 => Some(Change::CreateProject {
            name: format!("Project {}", rng.next_u64() % 1000),
        }),
        22 => {
            let p = pick_project(rng)?;
            Some(Change::RenameProject {
                project: p.project.id.to_string(),
                name: format!("Renamed {}", rng.next_u64() % 1000),
            })
        }
        23 => {
            let p = pick_project(rng)?;
            Some(Change::ArchiveProject {
                project: p.project.id.to_string(),
            })
        }
        24 => {
            let p = pick_project(rng)?;
            Some(Change::CreateServiceAccount {
                project: p.project.id.to_string(),
                name: format!("bot {}", rng.next_u64() % 1000),
                role: (*rng.pick(&["owner", "member"])).into(),
            })
        }
        25 => {
            let p = pick_project(rng)?;
            let s = rng.choose(&p.service_accounts)?;
            Some(Change::DeleteServiceAccount {
                project: p.project.id.to_string(),
                service_account: s.id.to_string(),
            })
        }
        26 => {
            let p = pick_project(rng)?;
            let m = rng.choose(&p.users)?;
            Some(Change::CreateApiKey {
                project: p.project.id.to_string(),
                user: m.user_id.to_string(),
            })
        }
        27 => {
            let p = pick_project(rng)?;
            let k = p
                .api_keys
                .iter()
                .find(|k| matches!(k.owner, KeyOwner::User(_)))?;
            Some(Change::DeleteApiKey {
                project: p.project.id.to_string(),
                key: k.id.to_string(),
            })
        }
        28 => Some(Change::CreateGroup {
            name: format!("Team {}", rng.next_u64() % 1000),
        }),
        29 => {
            let g = pick_group(rng)?;
            Some(Change::RenameGroup {
                group: g.group.id.to_string(),
                name: format!("Renamed team {}", rng.next_u64() % 1000),
            })
        }
        30 => {
            let g = pick_group(rng)?;
            Some(Change::DeleteGroup {
                group: g.group.id.to_string(),
            })
        }
        31 => Some(Change::CreateOrgRole {
            name: format!("Auditor {}", rng.next_u64() % 1000),
        }),
        32 => {
            let r = some(rng, &custom_org_roles)?;
            Some(Change::DeleteOrgRole { role: r.to_owned() })
        }
        33 => {
            let p = pick_project(rng)?;
            Some(Change::CreateProjectRole {
                project: p.project.id.to_string(),
                name: format!("Deployer {}", rng.next_u64() % 1000),
            })
        }
        _ => {
            let p = pick_project(rng)?;
            let r = rng.choose(&p.roles)?;
            Some(Change::DeleteProjectRole {
                project: p.project.id.to_string(),
                role: r.id.to_string(),
            })
        }
    }
}
