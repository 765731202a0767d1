//! A project's service accounts: creating one (with its first key), minting further keys,
//! deleting one (and its keys, and the user that stands for it).

use super::audit::field;
use super::common::*;
use super::keys::mint_key;
use super::path;
use super::write::{Write, as_given, never, no_body};
use crate::audit::Event;
use crate::error::ApiError;
use crate::paging::{ListQuery, page_a, take, to_json};
use crate::presets::build;
use crate::routes::Params;
use crate::state::KeyOwner;
use crate::store::Store;
use bytes::Bytes;
use openai_access_actors::endpoint::Endpoint;
use openai_access_actors::ids::{UserId, literal};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// `ProjectServiceAccountCreateRequest`.
#[derive(Deserialize)]
pub(super) struct Create {
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

pub(super) fn list_project_service_accounts(
    store: &Store,
    p: Params,
    q: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = active_project(store, p[0])?;
    let (data, more) = take(pr.service_accounts.iter(), |s| s.id.as_str(), |_| true, q)?;
    page_a(&data, |s| s.id.as_str(), more)
}

pub(super) fn retrieve_project_service_account(
    store: &Store,
    p: Params,
    _: &ListQuery,
) -> Result<Bytes, ApiError> {
    let pr = active_project(store, p[0])?;
    to_json(&pr.service_accounts[service_account_pos(pr, p[1])?])
}

const SCOPE: &str = "api.organization.projects.service_accounts.write";

/// `POST /organization/projects/{project_id}/service_accounts`: the API creates service
/// accounts as members of the project (`role` is `member`), with a user standing for each and
/// a first key; with `create_service_account_only`, with neither default role (`none`) nor key.
pub(super) static CREATE: Write<usize, Create, Create> = Write {
    ep: Endpoint::CreateProjectServiceAccount,
    scope: SCOPE,
    body: parse,
    path: path::active_project,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, pi, b, cx| {
        let sa = cx.new_id("svc_acct_");
        let only = b.create_service_account_only.unwrap_or(false);
        let key_id = (!only).then(|| cx.new_id("key_"));
        let role = if only { "none" } else { "member" };
        store.org.users.push(build::sa_user(&sa, &b.name, cx.now));
        store.reindex_users();
        let pr = &mut store.org.projects[pi];
        pr.service_accounts
            .push(build::service_account(&sa, &b.name, role, cx.now));
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
            role,
            created_at: cx.now,
            api_key: key_id.as_deref().zip(minted).map(|(id, value)| MintedKey {
                object: KEY_OBJECT,
                value,
                name: "Secret key",
                created_at: cx.now,
                id,
            }),
        })
    },
    audit: |w| {
        let p = w.p;
        let mut events = vec![
            Event::new(
                "service_account.created",
                json!({"id": w.reply("id"), "data": {"role": w.reply("role")}}),
            )
            .in_project(p[0]),
        ];
        if let Some(key) = w.reply.get("api_key").filter(|k| !k.is_null()) {
            events.push(
                Event::new(
                    "api_key.created",
                    json!({"id": field(key, "id"), "data": {"scopes": []}}),
                )
                .in_project(p[0]),
            );
        }
        events
    },
};

/// `CreateProjectServiceAccountApiKeyBody`: both fields optional, neither nullable.
#[derive(Deserialize)]
pub(super) struct Mint {
    #[serde(default, deserialize_with = "present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[allow(dead_code)]
    // Scopes restrict what the key may call; the mock serves no model calls.
    scopes: Option<Vec<String>>,
}

/// `POST /organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys`.
pub(super) static CREATE_KEY: Write<(usize, usize), Mint, Mint> = Write {
    ep: Endpoint::CreateServiceAccountApiKey,
    scope: SCOPE,
    body: parse_optional,
    path: path::active_service_account,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, (pi, si), b, cx| {
        let pr = &mut store.org.projects[pi];
        let sa = pr.service_accounts[si].id.clone();
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
    },
    audit: |w| {
        vec![
            Event::new(
                "api_key.created",
                json!({"id": w.reply("id"), "data": {"scopes": w.body.get("scopes").cloned().unwrap_or(json!([]))}}),
            )
            .in_project(w.p[0]),
        ]
    },
};

/// `DELETE …/service_accounts/{service_account_id}`: its keys and its user go with it.
pub(super) static DELETE: Write<(usize, usize), (), ()> = Write {
    ep: Endpoint::DeleteProjectServiceAccount,
    scope: SCOPE,
    body: no_body,
    path: path::active_service_account,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, (pi, si), (), _| {
        let pr = &mut store.org.projects[pi];
        let sa = pr.service_accounts.remove(si).id;
        pr.api_keys
            .retain(|k| !matches!(&k.owner, KeyOwner::ServiceAccount(s) if *s == sa));
        store.org.users.retain(|u| u.id.as_str() != sa.as_str());
        store.forget_user(&literal::<UserId>(sa.as_str()));
        deleted(
            "organization.project.service_account.deleted",
            Some(sa.as_str()),
        )
    },
    audit: |w| {
        vec![Event::new("service_account.deleted", json!({"id": w.p[1]})).in_project(w.p[0])]
    },
};

/// `POST /organization/projects/{project_id}/service_accounts/{service_account_id}`.
pub(super) static UPDATE: Write<
    usize,
    UpdateServiceAccountBody,
    (usize, UpdateServiceAccountBody),
> = Write {
    ep: Endpoint::UpdateServiceAccount,
    scope: SCOPE,
    body: parse,
    path: path::active_project,
    resolve: |store, p, &pi, b| {
        if let Some(r) = &b.role {
            check_enum(r, &["member", "owner"], "role")?;
        }
        Ok((service_account_pos(&store.org.projects[pi], p[1])?, b))
    },
    duplicate: never,
    apply: |store, _, pi, (i, b), _| {
        let sa = &mut store.org.projects[pi].service_accounts[i];
        if let Some(r) = b.role {
            sa.role = Some(r);
        }
        if let Some(n) = b.name {
            sa.name = Some(n);
        }
        to_json(sa)
    },
    audit: |w| {
        vec![
            Event::new(
                "service_account.updated",
                json!({"id": w.p[1], "changes_requested": {"role": w.body("role")}}),
            )
            .in_project(w.p[0]),
        ]
    },
};
