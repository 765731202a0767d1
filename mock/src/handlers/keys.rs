//! Keys: the org's admin API keys, and the API keys of a project (user keys, and the keys
//! minted for service accounts).

use super::super::error::ApiError;
use super::super::paging::{ListQuery, page_a, take, to_json};
use super::super::routes::Params;
use super::super::state::{ApiKey, KeyOwner};
use super::super::store::Store;
use super::Cx;
use super::common::*;
use bytes::Bytes;
use openai_access_actors::api::models::AdminApiKey;
use openai_access_actors::ids::{ApiKeyId, literal};
use serde::{Deserialize, Serialize};

pub fn list_admin_api_keys(store: &Store, _: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let (data, more) = take(store.org.admin_keys.iter(), |k| k.id.as_str(), |_| true, q)?;
    page_a(&data, |k| k.id.as_str(), more)
}

fn admin_key_pos(store: &Store, id: &str) -> Result<usize, ApiError> {
    position_of(
        &store.org.admin_keys,
        |k| k.id.as_str(),
        id,
        "admin API key",
    )
}

pub fn retrieve_admin_api_key(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    to_json(&store.org.admin_keys[admin_key_pos(store, p[0])?])
}

/// `POST /organization/admin_api_keys`.
#[derive(Deserialize)]
struct AdminKeyCreate {
    name: String,
    #[serde(default, deserialize_with = "present")]
    expires_in_seconds: Option<i64>,
}

#[derive(Serialize)]
struct WithValue<'a, T> {
    #[serde(flatten)]
    key: &'a T,
    value: String,
}

/// A new admin key, owned by whoever owns the key that asked (the mock's clients run with the
/// first one); its value is shown in this answer only.
pub fn create_admin_api_key(
    store: &mut Store,
    _: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let b: AdminKeyCreate = parse(body)?;
    if let Some(s) = b.expires_in_seconds
        && !(1..=31_536_000).contains(&s)
    {
        return Err(ApiError::bad_request(format!(
            "Invalid 'expires_in_seconds': {s}, must be between 1 and 31536000"
        ))
        .param("expires_in_seconds"));
    }
    let id = cx.new_id("key_");
    let value = secret("sk-admin-", &id);
    let key = AdminApiKey {
        object: Some("organization.admin_api_key".into()),
        id: id.clone(),
        name: Some(b.name),
        redacted_value: Some(format!("sk-admin...{}", &value[value.len() - 4..])),
        created_at: Some(cx.now),
        expires_at: b.expires_in_seconds.map(|s| cx.now + s),
        last_used_at: None,
        owner: store.org.admin_keys.first().and_then(|k| k.owner.clone()),
    };
    let out = to_json(&WithValue { key: &key, value });
    store.org.admin_keys.push(key);
    out
}

pub fn delete_admin_api_key(
    store: &mut Store,
    p: Params,
    _: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let i = admin_key_pos(store, p[0])?;
    store.org.admin_keys.remove(i);
    deleted("organization.admin_api_key.deleted", Some(p[0]))
}

pub fn retrieve_project_api_key(
    store: &Store,
    p: Params,
    _: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    to_json(&api_key(store, pr, &pr.api_keys[api_key_pos(pr, p[1])?]))
}

pub fn delete_project_api_key(
    store: &mut Store,
    p: Params,
    _: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let pi = project_index(store, p[0])?;
    let pr = &mut store.org.projects[pi];
    let i = api_key_pos(pr, p[1])?;
    pr.api_keys.remove(i);
    deleted("organization.project.api_key.deleted", Some(p[1]))
}

/// A project key: its listed form (redacted) and the secret the caller sees once.
pub fn mint_key(id: &str, name: String, owner: KeyOwner, now: i64) -> (ApiKey, String) {
    let value = secret("sk-proj-", id);
    let key = ApiKey {
        id: literal::<ApiKeyId>(id),
        name,
        redacted_value: format!("sk-proj-...{}", &value[value.len() - 4..]),
        created_at: now,
        last_used_at: None,
        owner_project_access: "active".into(),
        owner,
    };
    (key, value)
}
