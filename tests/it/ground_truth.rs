//! What a sync of a mock org must produce, computed straight from the mock's state, not
//! through the API or the crawler: the reference the sync tests compare against.

use openai_access_mock::Org;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// `owner`/`reader`/`member`/`viewer` for predefined role ids, else `None`.
fn predefined(role_id: &str) -> Option<String> {
    ["role-api-organization-", "role-api-project-"]
        .iter()
        .find_map(|p| role_id.strip_prefix(p))
        .and_then(|rest| rest.split("__").next())
        .map(str::to_owned)
        .or_else(|| {
            ["owner", "reader", "member", "viewer"]
                .contains(&role_id)
                .then(|| role_id.to_owned())
        })
}

fn org_role_ent(role_id: &str) -> String {
    format!(
        "role:{}:assigned",
        predefined(role_id).unwrap_or_else(|| role_id.to_owned())
    )
}

fn project_role_ent(p: &str, role_id: &str) -> String {
    match predefined(role_id) {
        Some(slug) => format!("project:{p}:{slug}"),
        None => format!("project_role:{p}/{role_id}:assigned"),
    }
}

/// Resource counts per type.
pub fn resource_counts(org: &Org) -> BTreeMap<&'static str, usize> {
    let active: Vec<_> = org.projects.iter().filter(|p| !p.is_archived()).collect();
    let mut m = BTreeMap::new();
    m.insert("organization", 1);
    m.insert(
        "user",
        org.users.iter().filter(|u| !u.is_service_account()).count(),
    );
    m.insert("invite", org.invites.len());
    m.insert(
        "role",
        2 + org.org_roles.iter().filter(|r| !r.predefined_role).count(),
    );
    m.insert("project", org.projects.len());
    m.insert("project_role", active.iter().map(|p| p.roles.len()).sum());
    m.insert(
        "service_account",
        active.iter().map(|p| p.service_accounts.len()).sum(),
    );
    m.insert("group", org.groups.len());
    m.insert("api_key", active.iter().map(|p| p.api_keys.len()).sum());
    m.insert("admin_api_key", org.admin_keys.len());
    m
}

/// Every grant id the graph must hold (direct and derived), for a paid plan.
pub fn grant_ids(org: &Org, with_group_members: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let sa_by_raw: HashMap<String, String> = org
        .projects
        .iter()
        .filter(|p| !p.is_archived())
        .flat_map(|p| {
            p.service_accounts.iter().map(move |s| {
                (
                    s.id.to_string(),
                    format!("service_account:{}/{}", p.id(), s.id),
                )
            })
        })
        .collect();
    let principal = |user: &str| {
        sa_by_raw
            .get(user)
            .cloned()
            .unwrap_or_else(|| format!("user:{user}"))
    };
    let humans: HashSet<&str> = org
        .users
        .iter()
        .filter(|u| !u.is_service_account())
        .map(|u| u.id.as_str())
        .collect();
    // ent -> holders (principal strings), to derive group expansion and org owners.
    let mut holders: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for u in org.users.iter().filter(|u| !u.is_service_account()) {
        add(
            &mut holders,
            format!("organization:{}:member", org.org_id),
            format!("user:{}", u.id),
        );
        if let Some(r) = u.role.as_deref() {
            add(
                &mut holders,
                format!("role:{r}:assigned"),
                format!("user:{}", u.id),
            );
        }
    }
    for r in &org.user_roles {
        add(
            &mut holders,
            org_role_ent(r.role_id.as_str()),
            principal(r.user_id.as_str()),
        );
    }
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    for g in &org.groups {
        for a in &g.roles {
            add(
                &mut holders,
                org_role_ent(a.role_id.as_str()),
                format!("group:{}", g.group.id),
            );
        }
        if with_group_members {
            for m in &g.members {
                add(
                    &mut holders,
                    format!("group:{}:member", g.group.id),
                    principal(m.user_id.as_str()),
                );
                members
                    .entry(format!("group:{}", g.group.id))
                    .or_default()
                    .push(principal(m.user_id.as_str()));
            }
        }
    }
    for p in org.projects.iter().filter(|p| !p.is_archived()) {
        let pid = p.id().as_str();
        for m in &p.users {
            add(
                &mut holders,
                format!("project:{pid}:{}", m.role),
                principal(m.user_id.as_str()),
            );
        }
        for s in &p.service_accounts {
            if let Some(role) = s.role.as_deref().filter(|r| *r != "none") {
                add(
                    &mut holders,
                    format!("project:{pid}:{role}"),
                    format!("service_account:{pid}/{}", s.id),
                );
            }
        }
        for r in &p.user_roles {
            add(
                &mut holders,
                project_role_ent(pid, r.role_id.as_str()),
                principal(r.user_id.as_str()),
            );
        }
        for g in &p.groups {
            let who = format!("group:{}", g.group_id);
            add(
                &mut holders,
                project_role_ent(pid, g.role_id.as_str()),
                who.clone(),
            );
            for a in &g.roles {
                add(
                    &mut holders,
                    project_role_ent(pid, a.role_id.as_str()),
                    who.clone(),
                );
            }
        }
    }
    // Group grants reach the groups' members.
    let group_grants: Vec<(String, String)> = holders
        .iter()
        .flat_map(|(ent, who)| {
            who.iter()
                .filter(|w| w.starts_with("group:"))
                .map(move |w| (ent.clone(), w.clone()))
        })
        .collect();
    for (ent, group) in group_grants {
        for m in members.get(&group).into_iter().flatten() {
            add(&mut holders, ent.clone(), m.clone());
        }
    }
    // Org owners own every active project.
    let owners: Vec<String> = holders
        .get("role:owner:assigned")
        .into_iter()
        .flatten()
        .filter(|w| w.starts_with("user:"))
        .cloned()
        .collect();
    for p in org.projects.iter().filter(|p| !p.is_archived()) {
        for o in &owners {
            add(&mut holders, format!("project:{}:owner", p.id()), o.clone());
        }
    }
    for (ent, who) in holders {
        for w in who {
            // Principals the sync never sees as resources are not granted anything.
            let known = match w.split_once(':') {
                Some(("user", id)) => humans.contains(id),
                _ => true,
            };
            if known {
                out.insert(format!("{ent}:{w}"));
            }
        }
    }
    out
}

fn add(holders: &mut BTreeMap<String, BTreeSet<String>>, ent: String, who: String) {
    holders.entry(ent).or_default().insert(who);
}
