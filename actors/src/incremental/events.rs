//! What an audit event may have changed: which lists to read again. Events are hints, the lists
//! are the truth, so the mapping errs wide: a list named here is read again in full and
//! replaces what the state held for it; a list wrongly left out would be wrong in the output,
//! so an event whose scope is not known dirties more (its project, or everything).
//!
//! | event                                   | lists read again                                  |
//! |-----------------------------------------|---------------------------------------------------|
//! | `user.added/updated/deleted`, project   | the project's members and keys (a key says if its owner is still a member), the user's project roles |
//! | `user.added/updated`, org               | the user, read alone (`GET /organization/users/{id}`) |
//! | `user.deleted`, org                     | the user read alone, and every other list that names the user |
//! | `invite.sent/deleted`                   | the invite, read alone                            |
//! | `invite.accepted`                       | the invite and the user with its email, read alone; the members of the projects it grants (of every project, if the state does not know it) |
//! | `project.*`                             | projects                                          |
//! | `service_account.*`, project            | the project's service accounts and keys           |
//! | `api_key.*`, project                    | the project's keys                                |
//! | `api_key.*` without a project, `admin_api_key.*` | the admin keys (and, for `api_key.*`, every project's keys and lists naming the key) |
//! | `group.created/updated`                 | groups                                            |
//! | `group.deleted`                         | groups (the grants it held or gave point at nothing then, and are dropped) |
//! | `role.created/updated`, org             | org roles, and every list that names the role     |
//! | `role.created/updated`, project         | the project's roles, and every list naming the role |
//! | `role.deleted`                          | the org's or the project's roles (its grants point at nothing then, and are dropped), and the project's groups (a group added to it with the role leaves it) |
//! | `role.assignment.*`                     | the principal's role list (org or project), and for a group in a project the project's groups |
//! | `role.bound_to_resource/unbound…`       | as `role.updated`                                 |
//! | `scim.enabled/disabled`                 | users and groups                                  |
//! | sign-ins, certificates, IP allowlists, rate limits, tunnels, checkpoints, external keys, workload identity, `organization.updated` | nothing: the graph holds none of it |
//! | anything else (`resource.deleted`, a type this build does not know) | its project's lists; else every list naming an id its payload holds; else nothing now: counted, reported, and left to the background reconciliation (never a full sync) |
//!
//! Group membership changes are not in the org-scoped log at all: group member lists are read
//! again on their own schedule (see `incremental`).

use super::patch::Item;
use crate::api::Call;
use crate::api::models::AuditEvent;
use crate::ids::{GroupId, InviteId, ProjectId, UserId};
use crate::state::ListKey;

/// What one event may have changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// These lists.
    Lists(Vec<ListKey>),
    /// One object of a list, read on its own (see `patch`).
    Item(super::patch::Item),
    /// An accepted invite: the invite, the user it became, the projects it grants (as the
    /// state knows them).
    InviteAccepted(String),
    /// Every list the state holds that names this id.
    Naming(String),
    /// Every list of this project (and the project list).
    Project(String),
    /// Every list of this kind (e.g. the members of every project).
    Every(crate::endpoint::Endpoint),
    /// An event whose scope is not known: every list naming one of `ids` (what its payload
    /// holds); when none does, nothing now: counted by `kind`, and left to the background
    /// reconciliation. An unknown type that fires daily must not make every sync a full read
    /// of the org (a day and a half for a large one at the real limits).
    Names { kind: String, ids: Vec<String> },
}

/// Every string of an event's payload (and its actor's ids left out: the actor is who did it,
/// not what it changed), as the ids it may name.
fn payload_ids(e: &AuditEvent) -> Vec<String> {
    let mut found = std::collections::HashSet::new();
    super::collect_tokens(e.payload(), &mut found);
    let mut ids: Vec<String> = found.into_iter().filter(|t| t.len() >= 3).collect();
    ids.sort();
    ids
}

/// Event types that change nothing the graph holds.
const IGNORED_PREFIXES: [&str; 13] = [
    "login.",
    "logout.",
    "certificate.",
    "certificates.",
    "checkpoint.",
    "external_key.",
    "ip_allowlist.",
    "rate_limit.",
    "tunnel.",
    "workload_identity_provider.",
    "workload_identity_provider_mapping.",
    "organization.updated",
    // Tenant-scoped events appear only with `tenant_only=true`, which this reader never asks.
    "tenant.",
];

/// What a mutation made through this process may have changed: the list its path names (a
/// `POST` to a collection), or the list its object belongs to (its parent path), when the
/// state holds that list; a user or an invitation alone is read alone; a deleted user is
/// also removed from every list naming it.
pub fn mutation_scopes(call: &Call) -> Vec<Scope> {
    let path = call.path.as_str();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["organization", "users", id] if UserId::new(*id).is_ok() => {
            let mut s = vec![Scope::Item(Item::User((*id).to_owned()))];
            if call.endpoint.method() == "DELETE" {
                s.push(Scope::Naming((*id).to_owned()));
            }
            s
        }
        ["organization", "invites", id] if InviteId::new(*id).is_ok() => {
            vec![Scope::Item(Item::Invite((*id).to_owned()))]
        }
        _ => {
            let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
            vec![Scope::Lists(
                [path, parent]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .map(ListKey::from_path)
                    .collect(),
            )]
        }
    }
}

fn key(call: Call) -> ListKey {
    ListKey::of(&call)
}

/// The scopes `e` may have changed. Ids that are not safe path segments widen the scope
/// (they cannot name a list, so the list they might have named cannot be singled out).
pub fn scopes(e: &AuditEvent) -> Vec<Scope> {
    let kind = e.kind.as_str();
    if IGNORED_PREFIXES.iter().any(|p| kind.starts_with(p)) {
        return Vec::new();
    }
    let project = e.project_id();
    let project_id = project.and_then(|p| ProjectId::new(p).ok());
    let id = e.field("id");
    // Anything this module cannot name exactly: its project if it has one, else what its
    // payload names.
    let wide = || match project {
        Some(p) => vec![Scope::Project(p.to_owned())],
        None => vec![Scope::Names {
            kind: kind.to_owned(),
            ids: payload_ids(e),
        }],
    };
    let naming = |id: Option<&str>| id.map(|i| Scope::Naming(i.to_owned()));
    match kind {
        "user.added" | "user.updated" | "user.deleted" => match (&project_id, project) {
            (Some(p), _) => {
                // A key says whether its owner still has access to the project.
                let mut s = vec![Scope::Lists(vec![
                    key(Call::project_users(p)),
                    key(Call::project_api_keys(p)),
                ])];
                if let Some(u) = id.and_then(|u| UserId::new(u).ok()) {
                    s.push(Scope::Lists(vec![key(Call::project_user_roles(p, &u))]));
                }
                s
            }
            (None, Some(_)) => wide(),
            (None, None) => {
                let mut s = vec![match id.filter(|u| UserId::new(*u).is_ok()) {
                    Some(u) => Scope::Item(Item::User(u.to_owned())),
                    None => Scope::Lists(vec![key(Call::users())]),
                }];
                if kind == "user.deleted" {
                    s.extend(naming(id));
                }
                s
            }
        },
        "invite.sent" | "invite.deleted" => {
            vec![match id.filter(|i| InviteId::new(*i).is_ok()) {
                Some(i) => Scope::Item(Item::Invite(i.to_owned())),
                None => Scope::Lists(vec![key(Call::invites())]),
            }]
        }
        "invite.accepted" => match id.filter(|i| InviteId::new(*i).is_ok()) {
            Some(i) => vec![Scope::InviteAccepted(i.to_owned())],
            // Which invite, which user, which projects: none of it known.
            None => vec![
                Scope::Lists(vec![key(Call::invites()), key(Call::users())]),
                Scope::Every(crate::endpoint::Endpoint::ListProjectUsers),
            ],
        },
        "project.created" | "project.updated" | "project.archived" | "project.deleted" => {
            vec![Scope::Lists(vec![key(Call::projects())])]
        }
        "service_account.created" | "service_account.updated" | "service_account.deleted" => {
            match project_id {
                // Service accounts are in the org's user list too, but the graph takes them
                // from their project only.
                Some(p) => vec![Scope::Lists(vec![
                    key(Call::project_service_accounts(&p)),
                    key(Call::project_api_keys(&p)),
                ])],
                None => wide(),
            }
        }
        "api_key.created" | "api_key.updated" | "api_key.deleted" => match project_id {
            Some(p) => vec![Scope::Lists(vec![key(Call::project_api_keys(&p))])],
            // Without a project: a project key whose project is not said, or an admin key.
            None => {
                let mut s = vec![
                    Scope::Every(crate::endpoint::Endpoint::ListProjectApiKeys),
                    Scope::Lists(vec![key(Call::admin_api_keys())]),
                ];
                s.extend(naming(id));
                s
            }
        },
        k if k.starts_with("admin_api_key.") => {
            vec![Scope::Lists(vec![key(Call::admin_api_keys())])]
        }
        "group.created" | "group.updated" => vec![Scope::Lists(vec![key(Call::groups())])],
        // A deleted group leaves the group list, and with it every grant it held or gave: the
        // graph drops grants whose principal or entitlement no list has (see `graph::expand`),
        // so the lists naming it need not be read again.
        "group.deleted" => vec![Scope::Lists(vec![key(Call::groups())])],
        "role.created"
        | "role.updated"
        | "role.deleted"
        | "role.bound_to_resource"
        | "role.unbound_from_resource" => {
            let at_project = e
                .field("resource_type")
                .is_some_and(|t| t.contains("project"))
                || project_id.is_some();
            let in_project = e
                .field("resource_id")
                .filter(|_| at_project)
                .or(project)
                .and_then(|p| ProjectId::new(p).ok());
            let mut s = match (at_project, &in_project) {
                (false, _) => vec![Scope::Lists(vec![key(Call::org_roles())])],
                (true, Some(p)) => vec![Scope::Lists(vec![key(Call::project_roles(p))])],
                (true, None) => vec![Scope::Every(crate::endpoint::Endpoint::ListProjectRoles)],
            };
            // Who holds it, when that can have changed. A deleted role leaves its list, and
            // the grants of it with it (dropped as pointing at nothing); but a group added to
            // a project with it leaves the project, and with it every role it had there.
            match (kind, &in_project) {
                ("role.deleted", Some(p)) => {
                    s.push(Scope::Lists(vec![key(Call::project_groups(p))]));
                }
                ("role.deleted", None) if at_project => {
                    s.push(Scope::Every(crate::endpoint::Endpoint::ListProjectGroups));
                }
                ("role.deleted", None) => {}
                _ => s.extend(naming(id)),
            }
            s
        }
        "role.assignment.created" | "role.assignment.deleted" => assignment(e),
        "scim.enabled" | "scim.disabled" => {
            vec![Scope::Lists(vec![key(Call::users()), key(Call::groups())])]
        }
        _ => wide(),
    }
}

/// A role given to or taken from a user or group, in the org or a project.
fn assignment(e: &AuditEvent) -> Vec<Scope> {
    let principal = e.field("principal_id").unwrap_or_default();
    let principal_type = e.field("principal_type").unwrap_or_default();
    let resource_type = e.field("resource_type").unwrap_or_default();
    let project = if resource_type.contains("project") {
        e.field("resource_id").or(e.project_id())
    } else {
        None
    };
    let everything = || match e.project_id() {
        Some(p) => vec![Scope::Project(p.to_owned())],
        None => vec![Scope::Names {
            kind: e.kind.clone(),
            ids: payload_ids(e),
        }],
    };
    match (principal_type, project.map(ProjectId::new)) {
        ("user", None) => match UserId::new(principal) {
            Ok(u) => vec![Scope::Lists(vec![key(Call::user_roles(&u))])],
            Err(_) => everything(),
        },
        ("group", None) => match GroupId::new(principal) {
            Ok(g) => vec![Scope::Lists(vec![key(Call::group_roles(&g))])],
            Err(_) => everything(),
        },
        ("user", Some(Ok(p))) => match UserId::new(principal) {
            Ok(u) => vec![Scope::Lists(vec![
                key(Call::project_user_roles(&p, &u)),
                key(Call::project_users(&p)),
            ])],
            Err(_) => vec![Scope::Project(p.to_string())],
        },
        ("group", Some(Ok(p))) => match GroupId::new(principal) {
            Ok(g) => vec![Scope::Lists(vec![
                key(Call::project_groups(&p)),
                key(Call::project_group_roles(&p, &g)),
            ])],
            Err(_) => vec![Scope::Project(p.to_string())],
        },
        _ => everything(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str, project: Option<&str>, payload: serde_json::Value) -> AuditEvent {
        serde_json::from_value(json!({
            "id": "audit_log-1",
            "type": kind,
            "effective_at": 1,
            "project": project.map(|p| json!({"id": p})),
            kind: payload,
        }))
        .expect("event")
    }

    fn lists(s: &[Scope]) -> Vec<String> {
        s.iter()
            .flat_map(|s| match s {
                Scope::Lists(l) => l.iter().map(|k| k.to_string()).collect(),
                other => vec![format!("{other:?}")],
            })
            .collect()
    }

    #[test]
    fn project_membership_events_name_the_project_s_members_and_the_user_s_roles() {
        let e = event(
            "user.added",
            Some("proj-1"),
            json!({"id": "user-9", "data": {"role": "member"}}),
        );
        assert_eq!(
            lists(&scopes(&e)),
            [
                "/organization/projects/proj-1/users",
                "/organization/projects/proj-1/api_keys",
                "/projects/proj-1/users/user-9/roles"
            ]
        );
    }

    #[test]
    fn a_deleted_user_is_read_alone_and_dirties_every_list_that_names_them() {
        let e = event("user.deleted", None, json!({"id": "user-9"}));
        assert_eq!(
            scopes(&e),
            vec![
                Scope::Item(Item::User("user-9".into())),
                Scope::Naming("user-9".into())
            ]
        );
    }

    #[test]
    fn assignments_name_the_principal_s_list() {
        let org = event(
            "role.assignment.created",
            None,
            json!({"principal_id": "group-1", "principal_type": "group", "resource_id": "org-1", "resource_type": "organization"}),
        );
        assert_eq!(lists(&scopes(&org)), ["/organization/groups/group-1/roles"]);
        let project = event(
            "role.assignment.deleted",
            Some("proj-1"),
            json!({"principal_id": "user-2", "principal_type": "user", "resource_id": "proj-1", "resource_type": "project"}),
        );
        assert_eq!(
            lists(&scopes(&project)),
            [
                "/projects/proj-1/users/user-2/roles",
                "/organization/projects/proj-1/users"
            ]
        );
    }

    #[test]
    fn what_is_not_known_widens_and_what_is_irrelevant_dirties_nothing() {
        assert!(scopes(&event("login.succeeded", None, json!({}))).is_empty());
        assert_eq!(
            scopes(&event("resource.deleted", None, json!({"id": "user-7"}))),
            vec![Scope::Names {
                kind: "resource.deleted".into(),
                ids: vec!["user-7".into()]
            }],
            "what its payload names, never everything"
        );
        assert_eq!(
            scopes(&event("tunnel.invented.someday", Some("proj-1"), json!({}))),
            Vec::<Scope>::new(),
            "a known-irrelevant prefix"
        );
        assert_eq!(
            scopes(&event("project.flux_capacitor", Some("proj-1"), json!({}))),
            vec![Scope::Project("proj-1".into())]
        );
        // An id that cannot name a list widens instead of being dropped.
        let bad = event(
            "role.assignment.created",
            None,
            json!({"principal_id": "../x", "principal_type": "user", "resource_type": "organization"}),
        );
        assert_eq!(
            scopes(&bad),
            vec![Scope::Names {
                kind: "role.assignment.created".into(),
                ids: vec!["../x".into(), "organization".into(), "user".into()]
            }]
        );
    }
}
