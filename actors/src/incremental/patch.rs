//! Reading one object instead of its whole list. At the real API's limits the org's user list
//! of a big org is hundreds of pages (twenty minutes at 10 requests/min) while the user an
//! event names is one request: the list's record in the state is kept, and what it held for
//! that object is replaced by what the object's own read says now (nothing, when it is gone).
//! The record then holds what reading the whole list would have given, for the same crawler
//! builds the facts. A read that fails in another way than "not found" makes the whole list
//! dirty instead: never a guess.

use super::{Dirty, collect_tokens};
use crate::api::models::{Invite, User};
use crate::api::{AdminClient, ApiError, Call};
use crate::crawlers::{Findings, Invites, ListKind, Org, OrgUsers};
use crate::ids::{InviteId, UserId};
use crate::state::{ListKey, ListRecord};
use serde::Serialize;
use std::collections::HashSet;

/// One object to read on its own.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Item {
    /// `GET /organization/users/{user_id}`.
    User(String),
    /// `GET /organization/users?emails[]=…`: the user an accepted invite became, whose id the
    /// event does not give.
    UserWithEmail(String),
    /// `GET /organization/invites/{invite_id}`.
    Invite(String),
}

impl Item {
    /// The list the object belongs to.
    pub fn list(&self) -> ListKey {
        match self {
            Item::User(_) | Item::UserWithEmail(_) => ListKey::of(&Call::users()),
            Item::Invite(_) => ListKey::of(&Call::invites()),
        }
    }

    /// The call that reads it, if its id can be a path segment.
    fn call(&self) -> Option<Call> {
        match self {
            Item::User(id) => UserId::new(id).ok().map(|u| Call::user(&u)),
            Item::UserWithEmail(email) => Some(Call::users_with_email(email)),
            Item::Invite(id) => InviteId::new(id).ok().map(|i| Call::invite(&i)),
        }
    }
}

impl std::fmt::Display for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Item::User(id) | Item::Invite(id) => f.write_str(id),
            Item::UserWithEmail(email) => write!(f, "user with email {email}"),
        }
    }
}

/// What reading one object found: the facts its list would give for it now, and the ids
/// whose old facts they replace.
struct Read {
    replaces: Vec<String>,
    findings: Findings,
    items: usize,
}

async fn read(api: &AdminClient, item: &Item, call: &Call) -> Result<Read, ApiError> {
    let mut findings = Findings::default();
    let (replaces, items) = match item {
        Item::User(id) => {
            let users: Vec<User> = api.find(call).await?.into_iter().collect();
            let n = users.len();
            OrgUsers::on_page(&Org, &mut true, users, &mut findings);
            (vec![id.clone()], n)
        }
        Item::UserWithEmail(_) => {
            let users: Vec<User> = api.list_all(call).await?;
            let ids = users.iter().map(|u| u.id.to_string()).collect();
            let n = users.len();
            OrgUsers::on_page(&Org, &mut true, users, &mut findings);
            (ids, n)
        }
        Item::Invite(id) => {
            let invites: Vec<Invite> = api.find(call).await?.into_iter().collect();
            let n = invites.len();
            Invites::on_page(&Org, &mut (), invites, &mut findings);
            (vec![id.clone()], n)
        }
    };
    Ok(Read {
        replaces,
        findings,
        items,
    })
}

/// Reads each of `dirty.items` and patches its list's record in `base`. Items whose list is
/// not in `base`, or whose read fails, make their list dirty. Returns the requests made.
pub async fn apply(api: &AdminClient, base: &mut [ListRecord], dirty: &mut Dirty) -> usize {
    let mut requests = 0;
    let items = std::mem::take(&mut dirty.items);
    for (item, why) in items {
        let key = item.list();
        if dirty.lists.contains_key(&key) {
            continue;
        }
        let (Some(record), Some(call)) = (base.iter_mut().find(|r| r.key == key), item.call())
        else {
            dirty.lists.insert(key, why);
            continue;
        };
        requests += 1;
        match read(api, &item, &call).await {
            Ok(found) => {
                replace(record, &found.replaces, found.findings, found.items);
                dirty.items.insert(item, why);
            }
            Err(e) => {
                tracing::warn!(item = %item, error = %e, "Reading one object failed; its whole list is read instead.");
                dirty
                    .lists
                    .insert(key, format!("{why}; reading {item} alone failed: {e}"));
            }
        }
    }
    // A list read whole makes the objects read from it moot.
    dirty
        .items
        .retain(|i, _| !dirty.lists.contains_key(&i.list()));
    requests
}

/// Drops what `record` held for `ids` and adds `findings` in its place.
fn replace(record: &mut ListRecord, ids: &[String], findings: Findings, items: usize) {
    let ids: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let names = |v: serde_json::Value| {
        let mut tokens = HashSet::new();
        collect_tokens(&v, &mut tokens);
        tokens.iter().any(|t| ids.contains(t.as_str()))
    };
    let before = record.resources.len();
    record.resources.retain(|r| !ids.contains(r.id.as_str()));
    let removed = before - record.resources.len();
    record
        .grants
        .retain(|g| !ids.contains(g.principal.id.as_str()));
    record
        .work
        .retain(|w| !names(serde_json::to_value(w).unwrap_or_default()));
    record.resources.extend(findings.resources);
    record.grants.extend(findings.grants);
    record.work.extend(findings.work);
    record.items = (record.items + items).saturating_sub(removed);
}
