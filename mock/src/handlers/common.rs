//! What the handlers share: body parsing, lookups that answer 404, role and email checks,
//! the response shapes the spec gives mutations, and the list pages of role lists.

use crate::error::ApiError;
use crate::paging::{ListQuery, page_b, take, to_json};
use crate::state::{
    ApiKey, KeyOwner, ProjectMember, ProjectState, UserRole, org_role_id, project_role_id,
};
use crate::store::Store;
use bytes::Bytes;
use openai_access_actors::api::models::{
    ApiKeyOwner, ApiKeyOwnerRef, AssignedRole, Deleted, InviteProject, ProjectApiKey, ProjectUser,
    Role, User,
};
use openai_access_actors::ids::{PrincipalId, RoleId, UserId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
#[derive(Serialize)]
pub(super) struct UserRoleAssignment<'a> {
    pub object: &'static str,
    pub user: &'a User,
    pub role: &'a Role,
}

/// The embedded `Group` shape of `GroupRoleAssignment` (`scim_managed`, with `object`).
#[derive(Serialize)]
pub(super) struct GroupRef<'a> {
    pub object: &'static str,
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub created_at: Option<i64>,
    pub scim_managed: bool,
}

#[derive(Serialize)]
pub(super) struct GroupRoleAssignment<'a> {
    pub object: &'static str,
    pub group: GroupRef<'a>,
    pub role: &'a Role,
}

#[derive(Serialize)]
pub(super) struct GroupUserAssignment<'a> {
    pub object: &'static str,
    pub user_id: &'a str,
    pub group_id: &'a str,
}

/// `POST /organization/projects/{p}/users`: the spec also allows `email` instead of `user_id`.
#[derive(Deserialize)]
pub(super) struct AddProjectUserBody {
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub role: String,
}

/// Both optional, neither nullable.
#[derive(Deserialize)]
pub(super) struct UpdateServiceAccountBody {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub role: Option<String>,
}

/// `InviteRequest`: `projects` may be omitted (the legacy "default project" behaviour, which
/// the mock models as no projects).
#[derive(Deserialize)]
pub(super) struct InviteBody {
    pub email: String,
    pub role: String,
    #[serde(default, deserialize_with = "present")]
    pub projects: Option<Vec<InviteProject>>,
}

/// A body the spec makes optional: none reads as `{}`.
pub(super) fn parse_optional<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    parse(if body.trim_ascii().is_empty() {
        b"{}".as_slice()
    } else {
        body
    })
}

/// For a field the spec makes optional but not nullable: absent is `None`, `null` is refused
/// (`Option<T>` alone would read `null` as absent). Use with `#[serde(default)]`.
pub(super) fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// A name the spec bounds to 1..=255 characters (`CreateGroupBody`, `UpdateGroupBody`).
pub(super) fn check_name(name: &str, field: &'static str) -> Result<(), ApiError> {
    let n = name.chars().count();
    if (1..=255).contains(&n) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid '{field}': must be 1 to 255 characters, got {n}"
        ))
        .param(field))
    }
}

/// A secret the API shows once, when it mints a key: derived from the new id, so runs repeat.
pub(super) fn secret(prefix: &str, id: &str) -> String {
    let mut rng = crate::rng::SplitMix64::new(fnv(id));
    format!("{prefix}{:016x}{:016x}", rng.next_u64(), rng.next_u64())
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A request body: a JSON object, as every request schema of the spec is. An array would
/// otherwise be read field by field in order (serde's positional struct form).
pub(super) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.trim_ascii().is_empty() {
        return Err(ApiError::bad_request(
            "This operation requires a JSON request body",
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Invalid request body: {e}")))?;
    if !v.is_object() {
        return Err(ApiError::bad_request(
            "Invalid request body: expected a JSON object",
        ));
    }
    serde_json::from_value(v)
        .map_err(|e| ApiError::bad_request(format!("Invalid request body: {e}")))
}

pub(super) fn deleted(object: &str, id: Option<&str>) -> Result<Bytes, ApiError> {
    to_json(&Deleted {
        object: Some(object.to_owned()),
        id: id.map(str::to_owned),
        deleted: true,
    })
}

/// Short aliases are accepted wherever an org role id is taken.
pub(super) fn org_role(store: &Store, raw: &str) -> Result<Role, ApiError> {
    let id = match raw {
        "owner" | "reader" => org_role_id(raw, &store.org.org_id),
        _ => RoleId::new(raw).map_err(|_| ApiError::not_found("role", raw))?,
    };
    store
        .org
        .org_role(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("role", raw))
}

pub(super) fn user_index(store: &Store, id: &str) -> Result<usize, ApiError> {
    store
        .user_pos(id)
        .ok_or_else(|| ApiError::not_found("user", id))
}

pub(super) fn group_index(store: &Store, id: &str) -> Result<usize, ApiError> {
    store
        .group_pos(id)
        .ok_or_else(|| ApiError::not_found("group", id))
}

pub(super) fn project_index(store: &Store, id: &str) -> Result<usize, ApiError> {
    store
        .project_pos(id)
        .ok_or_else(|| ApiError::not_found("project", id))
}

pub(super) fn active_project_index(store: &Store, id: &str) -> Result<usize, ApiError> {
    active_project(store, id)?;
    project_index(store, id)
}

/// A project role (predefined or custom) by id or alias, with its scoped id.
/// A project role named by its id only, as bodies that ask for a role *identifier*
/// (`role` of add-project-group, `role_id` of role assignments) name it.
pub(super) fn project_role_by_id(store: &Store, pi: usize, raw: &str) -> Result<Role, ApiError> {
    let p = &store.org.projects[pi];
    let id = RoleId::new(raw).map_err(|_| ApiError::not_found("role", raw))?;
    p.role(&id).ok_or_else(|| ApiError::not_found("role", raw))
}

pub(super) fn project_role(store: &Store, pi: usize, raw: &str) -> Result<Role, ApiError> {
    let p = &store.org.projects[pi];
    let id = match raw {
        "owner" | "member" | "viewer" => project_role_id(raw, p.id().as_str()),
        _ => RoleId::new(raw).map_err(|_| ApiError::not_found("role", raw))?,
    };
    p.role(&id).ok_or_else(|| ApiError::not_found("role", raw))
}

/// A role change (`POST /organization/users/{id}`, `…/projects/{p}/users/{id}`): both fields
/// optional and nullable in the spec; `role` by name, `role_id` by a predefined role's id.
#[derive(Deserialize)]
pub(super) struct RoleChange {
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub role_id: Option<String>,
    /// Profile metadata of `UserRoleUpdateRequest`, checked for type and otherwise ignored.
    #[serde(default)]
    #[allow(dead_code)]
    pub technical_level: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    pub developer_persona: Option<String>,
}

impl RoleChange {
    /// The role asked for, if any: by name, or the predefined role `role_id` names
    /// (`role_name` resolves it); both given must agree.
    pub(super) fn chosen(
        self,
        role_name: impl Fn(&str) -> Result<Role, ApiError>,
    ) -> Result<Option<String>, ApiError> {
        let by_id = match &self.role_id {
            Some(id) => {
                let r = role_name(id)?;
                let name = openai_access_actors::baton::roles::predefined_name(
                    r.id.as_str(),
                    r.name.as_deref(),
                    r.predefined_role,
                )
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "role_id {id} is a custom role: custom roles are assigned through the roles endpoints"
                    ))
                })?;
                Some(name)
            }
            None => None,
        };
        match (self.role, by_id) {
            (Some(r), Some(i)) if r != i => Err(ApiError::bad_request(format!(
                "role ({r}) and role_id ({i}) name different roles"
            ))),
            (Some(r), _) => Ok(Some(r)),
            (None, i) => Ok(i),
        }
    }
}

pub(super) fn check_enum(
    role: &str,
    allowed: &[&str],
    field: &'static str,
) -> Result<(), ApiError> {
    if allowed.contains(&role) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid '{field}': {role:?}, expected one of {}",
            allowed.join(", ")
        ))
        .param(field))
    }
}

pub(super) fn valid_email(e: &str) -> bool {
    let mut parts = e.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.chars().any(char::is_whitespace)
        }
        _ => false,
    }
}

pub(super) fn group_ref(store: &Store, gi: usize) -> GroupRef<'_> {
    let g = &store.org.groups[gi].group;
    GroupRef {
        object: "group",
        id: g.id.as_str(),
        name: g.name.as_deref(),
        created_at: g.created_at,
        scim_managed: g.is_scim_managed.unwrap_or(false),
    }
}

/// Why `user` holding `role` among `roles` (an org's or a project's direct assignments) would
/// be a duplicate, if they hold it.
pub(super) fn held_role(roles: &[UserRole], user: &UserId, role: &RoleId) -> Option<String> {
    roles
        .iter()
        .any(|a| &a.user_id == user && &a.role_id == role)
        .then(|| format!("User {user} already has role {role}"))
}

/// `AssignedRoleDetails` as the spec requires it: two nullable fields the shared model does
/// not carry are written as nulls.
#[derive(Serialize)]
pub(super) struct AssignedOut<'a> {
    #[serde(flatten)]
    pub role: &'a AssignedRole,
    pub created_by_user_obj: Option<()>,
    pub metadata: Option<()>,
}

pub(super) fn ordered<T>(mut v: Vec<T>, desc: bool) -> Vec<T> {
    if desc {
        v.reverse();
    }
    v
}

pub(super) fn roles_page(roles: Vec<&Role>, q: &ListQuery) -> Result<Bytes, ApiError> {
    let items = ordered(roles, q.desc);
    let (data, more) = take(items.into_iter(), |r| r.id.as_str(), |_| true, q)?;
    page_b(&data, |r| r.id.as_str(), more)
}

/// Role assignment lists page by role id (the "id" of an `AssignedRoleDetails`).
pub(super) fn assigned_page(roles: Vec<AssignedRole>, q: &ListQuery) -> Result<Bytes, ApiError> {
    let items = ordered(roles, q.desc);
    let (data, more) = take(items.iter(), |r| r.id.as_str(), |_| true, q)?;
    let data: Vec<AssignedOut> = data
        .into_iter()
        .map(|role| AssignedOut {
            role,
            created_by_user_obj: None,
            metadata: None,
        })
        .collect();
    page_b(&data, |r| r.role.id.as_str(), more)
}

/// One entry of a role assignment list, by role id (404 when the principal does not hold it).
pub(super) fn one_assigned(roles: Vec<AssignedRole>, role_id: &str) -> Result<Bytes, ApiError> {
    let role = roles
        .iter()
        .find(|r| r.id.as_str() == role_id)
        .ok_or_else(|| ApiError::not_found("role assignment", role_id))?;
    to_json(&AssignedOut {
        role,
        created_by_user_obj: None,
        metadata: None,
    })
}

/// Where the item whose id is `id` sits in `items`, or 404 naming `what`.
pub(super) fn position_of<T>(
    items: &[T],
    item_id: impl Fn(&T) -> &str,
    id: &str,
    what: &str,
) -> Result<usize, ApiError> {
    items
        .iter()
        .position(|x| item_id(x) == id)
        .ok_or_else(|| ApiError::not_found(what, id))
}

pub(super) fn service_account_pos(pr: &ProjectState, id: &str) -> Result<usize, ApiError> {
    position_of(
        &pr.service_accounts,
        |s| s.id.as_str(),
        id,
        "service account",
    )
}

pub(super) fn api_key_pos(pr: &ProjectState, id: &str) -> Result<usize, ApiError> {
    position_of(&pr.api_keys, |k| k.id.as_str(), id, "API key")
}

pub(super) fn project<'a>(store: &'a Store, id: &str) -> Result<&'a ProjectState, ApiError> {
    store
        .project(id)
        .ok_or_else(|| ApiError::not_found("project", id))
}

/// The project, unless it is archived: its users and service accounts then answer 400.
pub(super) fn active_project<'a>(store: &'a Store, id: &str) -> Result<&'a ProjectState, ApiError> {
    let p = project(store, id)?;
    if p.is_archived() {
        return Err(ApiError::archived(id));
    }
    Ok(p)
}

pub(super) fn project_user(store: &Store, m: &ProjectMember) -> ProjectUser {
    let u = store
        .user_pos(m.user_id.as_str())
        .map(|i| &store.org.users[i]);
    ProjectUser {
        object: Some("organization.project.user".into()),
        id: m.user_id.clone(),
        name: u.and_then(|u| u.name.clone()),
        email: u.and_then(|u| u.email.clone()),
        role: Some(m.role.clone()),
        added_at: Some(m.added_at),
    }
}

pub(super) fn api_key(store: &Store, p: &ProjectState, k: &ApiKey) -> ProjectApiKey {
    let owner = match &k.owner {
        KeyOwner::User(id) => {
            let u = store.user_pos(id.as_str()).map(|i| &store.org.users[i]);
            ApiKeyOwner {
                kind: Some("user".into()),
                user: Some(ApiKeyOwnerRef {
                    id: PrincipalId::from(id),
                    name: u.and_then(|u| u.name.clone()),
                    email: u.and_then(|u| u.email.clone()),
                    created_at: u.and_then(|u| u.added_at),
                    role: p.member(id).map(|m| m.role.clone()),
                }),
                service_account: None,
            }
        }
        KeyOwner::ServiceAccount(id) => {
            let s = p.service_accounts.iter().find(|s| &s.id == id);
            ApiKeyOwner {
                kind: Some("service_account".into()),
                user: None,
                service_account: Some(ApiKeyOwnerRef {
                    id: PrincipalId::from(id),
                    name: s.and_then(|s| s.name.clone()),
                    email: None,
                    created_at: s.and_then(|s| s.created_at),
                    role: s.and_then(|s| s.role.clone()),
                }),
            }
        }
    };
    ProjectApiKey {
        object: Some("organization.project.api_key".into()),
        id: k.id.clone(),
        name: Some(k.name.clone()),
        redacted_value: Some(k.redacted_value.clone()),
        created_at: Some(k.created_at),
        last_used_at: k.last_used_at,
        expires_at: None,
        owner_project_access: Some(k.owner_project_access.clone()),
        owner,
    }
}
