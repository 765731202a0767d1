//! A project's service accounts: creating one (with its first key), minting further keys,
//! deleting one (and its keys, and the user that stands for it).

use super::super::error::ApiError;
use super::super::paging::to_json;
use super::super::presets::build;
use super::super::routes::Params;
use super::super::state::KeyOwner;
use super::super::store::Store;
use super::Cx;
use super::common::*;
use super::keys::mint_key;
use bytes::Bytes;
use openai_access_actors::ids::{UserId, literal};
use serde::{Deserialize, Serialize};

/// `ProjectServiceAccountCreateRequest`.
#[derive(Deserialize)]
struct Create {
    name: String,
    #[serde(default)]
    create_service_account_only: Option<bool>,
}

/// `ProjectServiceAccountApiKey` / `ServiceAccountApiKeyBody`: the one answer with the secret.
#[derive(Serialize)]
struct MintedKey<'a> {
    object: &'static str,
    value: String,
    name: &'a str,
    created_at: i64,
    id: &'a str,
}

#[derive(Serialize)]
struct Created<'a> {
    object: &'static str,
    id: &'a str,
    name: &'a str,
    role: &'static str,
    created_at: i64,
    api_key: Option<MintedKey<'a>>,
}

const KEY_OBJECT: &str = "organization.project.service_account.api_key";

/// The API creates service accounts as members of the project (`role` is `member`).
pub fn create_service_account(
    store: &mut Store,
    p: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let b: Create = parse(body)?;
    let pi = active_project_index(store, p[0])?;
    let sa = cx.new_id("svc_acct_");
    let key_id = (!b.create_service_account_only.unwrap_or(false)).then(|| cx.new_id("key_"));
    store.org.users.push(build::sa_user(&sa, &b.name, cx.now));
    store.reindex_users();
    let pr = &mut store.org.projects[pi];
    pr.service_accounts
        .push(build::service_account(&sa, &b.name, "member", cx.now));
    let minted = key_id.as_deref().map(|id| {
        let (key, value) = mint_key(
            id,
            "Secret key".into(),
            KeyOwner::ServiceAccount(literal(&sa)),
            cx.now,
        );
        pr.api_keys.push(key);
        value
    });
    to_json(&Created {
        object: "organization.project.service_account",
        id: &sa,
        name: &b.name,
        role: "member",
        created_at: cx.now,
        api_key: key_id.as_deref().zip(minted).map(|(id, value)| MintedKey {
            object: KEY_OBJECT,
            value,
            name: "Secret key",
            created_at: cx.now,
            id,
        }),
    })
}

/// `CreateProjectServiceAccountApiKeyBody`: both fields optional, neither nullable.
#[derive(Deserialize)]
struct Mint {
    #[serde(default, deserialize_with = "present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[allow(dead_code)]
    // Scopes restrict what the key may call; the mock serves no model calls.
    scopes: Option<Vec<String>>,
}

pub fn create_service_account_key(
    store: &mut Store,
    p: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let b: Mint = parse_optional(body)?;
    let pi = active_project_index(store, p[0])?;
    let pr = &mut store.org.projects[pi];
    let sa = pr.service_accounts[service_account_pos(pr, p[1])?]
        .id
        .clone();
    let id = cx.new_id("key_");
    let name = b.name.unwrap_or_else(|| "Secret key".into());
    let (key, value) = mint_key(&id, name.clone(), KeyOwner::ServiceAccount(sa), cx.now);
    pr.api_keys.push(key);
    to_json(&MintedKey {
        object: KEY_OBJECT,
        value,
        name: &name,
        created_at: cx.now,
        id: &id,
    })
}

pub fn delete_service_account(
    store: &mut Store,
    p: Params,
    _: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let pi = active_project_index(store, p[0])?;
    let pr = &mut store.org.projects[pi];
    let i = service_account_pos(pr, p[1])?;
    let sa = pr.service_accounts.remove(i).id;
    pr.api_keys
        .retain(|k| !matches!(&k.owner, KeyOwner::ServiceAccount(s) if *s == sa));
    store.org.users.retain(|u| u.id.as_str() != sa.as_str());
    store.forget_user(&literal::<UserId>(sa.as_str()));
    deleted(
        "organization.project.service_account.deleted",
        Some(sa.as_str()),
    )
}
