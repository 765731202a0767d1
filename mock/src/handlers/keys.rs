//! Keys: the org's admin API keys, and the API keys of a project (user keys, and the keys
//! minted for service accounts).

use super::common::*;
use super::path;
use super::write::{Write, as_given, never, no_body};
use crate::audit::Event;
use crate::error::ApiError;
use crate::paging::{ListQuery, page_a, take, to_json};
use crate::routes::Params;
use crate::state::{ApiKey, KeyOwner};
use crate::store::Store;
use bytes::Bytes;
use openai_access_actors::api::models::{AdminApiKey, ProjectApiKey};
use openai_access_actors::endpoint::Endpoint;
use openai_access_actors::ids::{ApiKeyId, literal};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub(super) fn list_admin_api_keys(
    store: &Store,
    _: Params,
    q: &ListQuery,
) -> Result<Bytes, ApiError> {
    let (data, more) = take(store.org.admin_keys.iter(), |k| k.id.as_str(), |_| true, q)?;
    page_a(&data, |k| k.id.as_str(), more)
}

pub(super) fn retrieve_admin_api_key(
    store: &Store,
    p: Params,
    _: &ListQuery,
) -> Result<Bytes, ApiError> {
    to_json(&store.org.admin_keys[path::admin_key(store, p)?])
}

/// `POST /organization/admin_api_keys`.
#[derive(Deserialize)]
pub(super) struct AdminKeyCreate {
    name: String,
    #[serde(default, deserialize_with = "present")]
    expires_in_seconds: Option<Integer>,
}

/// An `integer` of JSON Schema: any number with no fractional part (`60` and `60.0` alike).
#[derive(Clone, Copy, Debug)]
pub(super) struct Integer(i64);

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        n.as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .map(Integer)
            .ok_or_else(|| serde::de::Error::custom(format!("{n} is not an integer")))
    }
}

#[derive(Serialize)]
struct WithValue<'a, T> {
    #[serde(flatten)]
    key: &'a T,
    value: String,
}

const ADMIN_KEYS: &str = "api.organization.admin_api_keys.write";

/// `POST /organization/admin_api_keys`: a new admin key, owned by whoever owns the key that
/// asked (the mock's clients run with the first one); its value is shown in this answer only.
pub(super) static CREATE_ADMIN_KEY: Write<(), AdminKeyCreate, AdminKeyCreate> = Write {
    ep: Endpoint::CreateAdminApiKey,
    scope: ADMIN_KEYS,
    body: |body| {
        let b: AdminKeyCreate = parse(body)?;
        if let Some(Integer(s)) = b.expires_in_seconds
            && !(1..=31_536_000).contains(&s)
        {
            return Err(ApiError::bad_request(format!(
                "Invalid 'expires_in_seconds': {s}, must be between 1 and 31536000"
            ))
            .param("expires_in_seconds"));
        }
        Ok(b)
    },
    path: path::org,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, (), b, cx| {
        let id = cx.new_id("key_");
        let value = secret("sk-admin-", &id);
        let key = AdminApiKey {
            object: Some("organization.admin_api_key".into()),
            id: id.clone(),
            name: Some(b.name),
            redacted_value: Some(format!("sk-admin...{}", &value[value.len() - 4..])),
            created_at: Some(cx.now),
            expires_at: b.expires_in_seconds.map(|Integer(s)| cx.now + s),
            last_used_at: None,
            owner: store.org.admin_keys.first().and_then(|k| k.owner.clone()),
        };
        let out = to_json(&WithValue { key: &key, value });
        store.org.admin_keys.push(key);
        out
    },
    audit: |w| {
        vec![Event::new(
            "api_key.created",
            json!({"id": w.reply("id"), "data": {"scopes": []}}),
        )]
    },
};

pub(super) static DELETE_ADMIN_KEY: Write<usize, (), ()> = Write {
    ep: Endpoint::DeleteAdminApiKey,
    scope: ADMIN_KEYS,
    body: no_body,
    path: path::admin_key,
    resolve: as_given,
    duplicate: never,
    apply: |store, p, i, (), _| {
        store.org.admin_keys.remove(i);
        deleted("organization.admin_api_key.deleted", Some(p[0]))
    },
    audit: |w| vec![Event::new("api_key.deleted", json!({"id": w.p[0]}))],
};

pub(super) fn list_project_api_keys(
    store: &Store,
    p: Params,
    q: &ListQuery,
) -> Result<Bytes, ApiError> {
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

pub(super) fn retrieve_project_api_key(
    store: &Store,
    p: Params,
    _: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = project(store, p[0])?;
    to_json(&api_key(store, pr, &pr.api_keys[api_key_pos(pr, p[1])?]))
}

/// `DELETE /organization/projects/{project_id}/api_keys/{key_id}`: a service account's key is
/// refused (400), as the reference says; it goes with its service account.
pub(super) static DELETE_PROJECT_KEY: Write<usize, (), ()> = Write {
    ep: Endpoint::DeleteProjectApiKey,
    scope: "api.organization.projects.api_keys.write",
    body: no_body,
    path: path::project,
    resolve: as_given,
    duplicate: never,
    apply: |store, p, pi, (), _| {
        let pr = &mut store.org.projects[pi];
        let i = api_key_pos(pr, p[1])?;
        if matches!(pr.api_keys[i].owner, KeyOwner::ServiceAccount(_)) {
            return Err(ApiError::bad_request(format!(
                "API key {} belongs to a service account: delete the service account instead.",
                p[1]
            )));
        }
        pr.api_keys.remove(i);
        deleted("organization.project.api_key.deleted", Some(p[1]))
    },
    audit: |w| vec![Event::new("api_key.deleted", json!({"id": w.p[1]})).in_project(w.p[0])],
};

/// A project key: its listed form (redacted) and the secret the caller sees once.
pub(crate) fn mint_key(id: &str, name: String, owner: KeyOwner, now: i64) -> (ApiKey, String) {
    let value = secret("sk-proj-", id);
    let key = ApiKey {
        id: literal::<ApiKeyId>(id),
        name,
        redacted_value: format!("sk-proj-...{}", &value[value.len() - 4..]),
        created_at: now,
        last_used_at: None,
        owner_project_access: "active".into(),
        owner,
        usage: crate::usage::Activity::Never,
    };
    (key, value)
}
