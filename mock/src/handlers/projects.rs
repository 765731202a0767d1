//! Projects and what they hold: members, service accounts, API keys, groups.

use super::super::error::ApiError;
use super::super::paging::{ListQuery, bad_cursor, page_a, page_b, take, take_positioned, to_json};
use super::super::routes::Params;
use super::super::state::*;
use super::super::store::Store;
use super::Cx;
use super::common::*;
use bytes::Bytes;
use openai_access_actors::api::models::*;

pub fn list_projects(store: &Store, _p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let org = &store.org;

    let start = match q.after.as_deref() {
        None => 0,
        Some(a) => store.project_pos(a).ok_or_else(|| bad_cursor(a))? + usize::from(!q.inclusive),
    };
    let keep = |p: &&ProjectState| q.include_archived || !p.is_archived();
    let (data, more) = take_positioned(org.projects[start..].iter(), |p| p.id().as_str(), keep, q)?;
    let data: Vec<_> = data.into_iter().map(|p| &p.project).collect();
    page_a(&data, |p| p.id.as_str(), more)
}

pub fn list_project_users(store: &Store, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let pr = active_project(store, p[0])?;
    let (data, more) = take(pr.users.iter(), |m| m.user_id.as_str(), |_| true, q)?;
    let data: Vec<ProjectUser> = data.into_iter().map(|m| project_user(store, m)).collect();
    page_a(&data, |u| u.id.as_str(), more)
}

pub fn add_project_user(
    store: &mut Store,
    p: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let now = cx.now;

    let b: AddProjectUserBody = parse(body)?;
    let pi = active_project_index(store, p[0])?;
    check_enum(&b.role, &["owner", "member", "viewer"], "role")?;
    let u = match (&b.user_id, &b.email) {
        (Some(id), _) => store.user_pos(id),
        (None, Some(e)) => store.org.users.iter().position(|u| {
            u.email
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(e))
        }),
        (None, None) => {
            return Err(
                ApiError::bad_request("One of 'user_id' or 'email' is required").param("user_id"),
            );
        }
    };
    let who = b.user_id.or(b.email).unwrap_or_default();
    let u = u.ok_or_else(|| {
        ApiError::bad_request(format!("User {who} is not a member of the organization"))
            .param("user_id")
    })?;
    let user = &store.org.users[u];
    if user.is_service_account() {
        return Err(ApiError::bad_request(format!("{who} is a service account")).param("user_id"));
    }
    let user_id = user.id.clone();
    if store.org.projects[pi].member(&user_id).is_some() {
        return Err(ApiError::bad_request(format!(
            "User {user_id} is already a member of project {}",
            p[0]
        )));
    }
    let m = ProjectMember {
        user_id,
        role: b.role,
        added_at: now,
    };
    let out = to_json(&project_user(store, &m));
    store.org.projects[pi].users.push(m);
    out
}

pub fn modify_project_user(
    store: &mut Store,
    p: Params,
    body: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let b: RoleChange = parse(body)?;
    let pi = active_project_index(store, p[0])?;
    let role = b.chosen(|id| project_role(store, pi, id))?;
    if let Some(role) = &role {
        check_enum(role, &["owner", "member", "viewer"], "role")?;
    }
    let pr = &mut store.org.projects[pi];
    let m = pr
        .users
        .iter_mut()
        .find(|m| m.user_id.as_str() == p[1])
        .ok_or_else(|| ApiError::not_found("project user", p[1]))?;
    if let Some(role) = role {
        m.role = role;
    }
    let m = m.clone();
    to_json(&project_user(store, &m))
}

pub fn remove_project_user(
    store: &mut Store,
    p: Params,
    _: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let pi = active_project_index(store, p[0])?;
    let pr = &mut store.org.projects[pi];
    let before = pr.users.len();
    pr.users.retain(|m| m.user_id.as_str() != p[1]);
    if pr.users.len() == before {
        return Err(ApiError::not_found("project user", p[1]));
    }
    pr.user_roles.retain(|a| a.user_id.as_str() != p[1]);
    // Their keys stay, but the owner no longer has access to the project.
    for k in &mut pr.api_keys {
        if matches!(&k.owner, KeyOwner::User(o) if o.as_str() == p[1]) {
            k.owner_project_access = "inactive".into();
        }
    }
    deleted("organization.project.user.deleted", Some(p[1]))
}

pub fn list_project_service_accounts(
    store: &Store,
    p: Params,
    q: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = active_project(store, p[0])?;
    let (data, more) = take(pr.service_accounts.iter(), |s| s.id.as_str(), |_| true, q)?;
    page_a(&data, |s| s.id.as_str(), more)
}

pub fn update_service_account(
    store: &mut Store,
    p: Params,
    body: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let b: UpdateServiceAccountBody = parse(body)?;
    let pi = active_project_index(store, p[0])?;
    if let Some(r) = &b.role {
        check_enum(r, &["member", "owner"], "role")?;
    }
    let pr = &mut store.org.projects[pi];
    let i = service_account_pos(pr, p[1])?;
    let sa = &mut pr.service_accounts[i];
    if let Some(r) = b.role {
        sa.role = Some(r);
    }
    if let Some(n) = b.name {
        sa.name = Some(n);
    }
    to_json(sa)
}

pub fn list_project_api_keys(store: &Store, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    let want = match q.owner_project_access.as_deref() {
        None | Some("active") => Some("active"),
        Some("inactive") => Some("inactive"),
        Some("any") => None,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid 'owner_project_access': {other:?}, expected active, inactive or any"
            ))
            .param("owner_project_access"));
        }
    };
    let keep = |k: &&ApiKey| want.is_none_or(|w| k.owner_project_access == w);
    let (data, more) = take(pr.api_keys.iter(), |k| k.id.as_str(), keep, q)?;
    let data: Vec<ProjectApiKey> = data.into_iter().map(|k| api_key(store, pr, k)).collect();
    page_a(&data, |k| k.id.as_str(), more)
}

pub fn list_project_groups(store: &Store, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    let items = ordered(pr.groups.iter().collect(), q.desc);
    let (data, more) = take(items.into_iter(), |g| g.group_id.as_str(), |_| true, q)?;
    let data: Vec<ProjectGroup> = data
        .into_iter()
        .map(|g| project_group(store, pr, g))
        .collect();
    page_b(&data, |g| g.group_id.as_str(), more)
}

/// A group's access to a project, as the API shows it.
fn project_group(store: &Store, pr: &ProjectState, g: &ProjectGroupGrant) -> ProjectGroup {
    let grp = store.group(g.group_id.as_str()).map(|s| &s.group);
    ProjectGroup {
        object: Some("project.group".into()),
        project_id: pr.id().clone(),
        group_id: g.group_id.clone(),
        group_name: grp.and_then(|g| g.name.clone()),
        group_type: grp.and_then(|g| g.group_type.clone()),
        created_at: Some(g.created_at),
    }
}

pub fn retrieve_project(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    to_json(&project(store, p[0])?.project)
}

pub fn retrieve_project_user(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    let pr = active_project(store, p[0])?;
    let m = pr
        .users
        .iter()
        .find(|m| m.user_id.as_str() == p[1])
        .ok_or_else(|| ApiError::not_found("project user", p[1]))?;
    to_json(&project_user(store, m))
}

pub fn retrieve_project_group(store: &Store, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    let g = pr
        .groups
        .iter()
        .find(|g| g.group_id.as_str() == p[1])
        .ok_or_else(|| ApiError::not_found("project group", p[1]))?;
    let out = project_group(store, pr, g);
    // `group_type` (default `group`) names which kind of group the id is looked up as.
    let want = q.group_type.as_deref().unwrap_or("group");
    if out.group_type.as_deref().unwrap_or("group") != want {
        return Err(ApiError::not_found("project group", p[1]));
    }
    to_json(&out)
}

pub fn retrieve_project_service_account(
    store: &Store,
    p: Params,
    _: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = active_project(store, p[0])?;
    to_json(&pr.service_accounts[service_account_pos(pr, p[1])?])
}

pub fn add_project_group(
    store: &mut Store,
    p: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let now = cx.now;

    let b: ProjectGroupCreate = parse(body)?;
    let pi = project_index(store, p[0])?;
    let g = group_index(store, b.group_id.as_str())?;
    let role = project_role(store, pi, b.role.as_str())?;
    let group = store.org.groups[g].group.clone();
    let pr = &mut store.org.projects[pi];
    if pr.grant(&group.id).is_some() {
        return Err(ApiError::conflict(format!(
            "Group {} already has access to project {}",
            group.id, p[0]
        )));
    }
    pr.groups.push(ProjectGroupGrant {
        group_id: group.id.clone(),
        role_id: role.id,
        created_at: now,
        roles: Vec::new(),
    });
    to_json(&ProjectGroup {
        object: Some("project.group".into()),
        project_id: pr.id().clone(),
        group_id: group.id,
        group_name: group.name,
        group_type: group.group_type,
        created_at: Some(now),
    })
}

pub fn remove_project_group(
    store: &mut Store,
    p: Params,
    _: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let pi = project_index(store, p[0])?;
    let pr = &mut store.org.projects[pi];
    let before = pr.groups.len();
    pr.groups.retain(|g| g.group_id.as_str() != p[1]);
    if pr.groups.len() == before {
        return Err(ApiError::not_found("project group", p[1]));
    }
    deleted("project.group.deleted", None)
}

/// `PublicProjectResidency`.
const RESIDENCIES: &[&str] = &[
    "GLOBAL",
    "US_STORAGE_PROCESSING",
    "EU_STORAGE_PROCESSING",
    "JP_STORAGE",
    "KR_STORAGE",
    "CA_STORAGE",
    "SG_STORAGE",
    "IN_STORAGE",
    "AU_STORAGE",
    "GB_STORAGE",
    "AE_STORAGE",
    "AE_STORAGE_PROCESSING",
];

/// `ProjectCreateRequest`: the mock keeps only the name (residency and external keys change
/// where data lives, not who can reach it), but checks both as the spec types them.
#[derive(serde::Deserialize)]
struct ProjectCreate {
    name: String,
    #[serde(default)]
    residency: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    external_key_id: Option<String>,
}

pub fn create_project(
    store: &mut Store,
    _: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let b: ProjectCreate = parse(body)?;
    if let Some(r) = &b.residency {
        check_enum(r, RESIDENCIES, "residency")?;
    }
    let id = cx.new_id("proj_");
    let p = super::super::presets::build::project(&id, &b.name, cx.now, None);
    let out = to_json(&p.project);
    store.push_project(p);
    out
}

/// `ProjectUpdateRequest`: both fields optional and nullable (null changes nothing).
#[derive(serde::Deserialize)]
struct ProjectUpdate {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    external_key_id: Option<String>,
}

/// Renames a project; an archived one is read-only (a business rule the spec leaves open,
/// with the 400 it declares for this operation).
pub fn modify_project(
    store: &mut Store,
    p: Params,
    body: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let b: ProjectUpdate = parse(body)?;
    let pi = project_index(store, p[0])?;
    if store.org.projects[pi].is_archived() {
        return Err(ApiError::archived(p[0]));
    }
    let pr = &mut store.org.projects[pi].project;
    if let Some(n) = b.name {
        pr.name = Some(n);
    }
    to_json(pr)
}

/// Archiving is final and idempotent: an archived project answers as it is.
pub fn archive_project(
    store: &mut Store,
    p: Params,
    _: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let pi = project_index(store, p[0])?;
    let pr = &mut store.org.projects[pi].project;
    if pr.archived_at.is_none() {
        pr.status = Some("archived".into());
        pr.archived_at = Some(cx.now);
    }
    to_json(pr)
}
