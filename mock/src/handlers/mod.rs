//! Every operation the mock answers, by resource group. Reads take the store shared, writes
//! take it exclusively. A read is one function; a write is one `Write` (see `write`), which
//! describes it once: its steps, its scope and its audit entries. The tables below are the
//! only place an `Endpoint` meets its handler.
//!
//! | file               | holds                                                          |
//! |--------------------|----------------------------------------------------------------|
//! | `write`            | `Write`, the steps every mutation takes, and `Mutation`        |
//! | `path`             | what a write's path names, found or answered 404               |
//! | `audit`            | what a write's audit entries are made of                       |
//! | `common`           | body parsing, lookups, checks and answer shapes the rest share |
//! | `users` … `roles`  | each resource's reads and writes                               |

mod audit;
mod common;
mod groups;
mod invites;
mod keys;
mod path;
mod project_groups;
mod project_users;
mod projects;
mod roles;
mod service_accounts;
mod users;
mod write;

pub(crate) use keys::mint_key;

use super::audit::Event;
use super::error::ApiError;
use super::paging::{ListQuery, page_a, page_b};
use super::routes::Params;
use super::store::Store;
use audit::Written;
use bytes::Bytes;
use openai_access_actors::endpoint::Endpoint as E;
use write::Mutation;

/// What a write needs beyond the store: the time that stamps new records, and the names of
/// created objects.
pub struct Cx<'a> {
    pub now: i64,
    pub next_id: &'a mut dyn FnMut() -> u64,
}

impl Cx<'_> {
    /// `<prefix>mock000001`, …: a new object's id.
    pub fn new_id(&mut self, prefix: &str) -> String {
        format!("{prefix}mock{:06}", (self.next_id)())
    }
}

/// Answers a read (a GET). A list page with more to follow remembers what follows its
/// cursor; a cursor whose item has gone since resumes there (`mock::cursors`), and one that
/// names nothing the list ever held reads as the end of the list: the spec declares no error
/// for a list, and an empty last page is what a keyset cursor past every item gives.
pub(crate) fn read(store: &Store, ep: E, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let remember = |q: &ListQuery| {
        if let Some((cursor, followers)) = q.followers.take() {
            store.cursors.lock().remember(ep, p, &cursor, followers);
        }
    };
    let lost = |r: &Result<Bytes, ApiError>| matches!(r, Err(e) if e.code == Some(super::paging::CURSOR_NOT_FOUND));
    let first = answer(store, ep, p, q);
    if !lost(&first) {
        remember(q);
        return first;
    }
    let cursor = q.after.as_deref().unwrap_or_default();
    // Bound first: the lock must not be held while `remember` takes it again.
    let followers = store.cursors.lock().followers(ep, p, cursor);
    for f in followers {
        let resumed = ListQuery {
            after: Some(f),
            inclusive: true,
            ..q.clone()
        };
        let r = answer(store, ep, p, &resumed);
        if !lost(&r) {
            remember(&resumed);
            return r;
        }
    }
    match ep.list() {
        Some((openai_access_actors::endpoint::PageStyle::B, _)) => page_b::<()>(&[], |_| "", false),
        _ => page_a::<()>(&[], |_| "", false),
    }
}

fn answer(store: &Store, ep: E, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    match ep {
        E::ListUsers => users::list_users(store, p, q),
        E::RetrieveUser => users::retrieve_user(store, p, q),
        E::ListAdminApiKeys => keys::list_admin_api_keys(store, p, q),
        E::RetrieveAdminApiKey => keys::retrieve_admin_api_key(store, p, q),
        E::RetrieveProjectApiKey => keys::retrieve_project_api_key(store, p, q),
        E::RetrieveGroupRole => groups::retrieve_group_role(store, p, q),
        E::RetrieveUserRole => roles::retrieve_user_role(store, p, q),
        E::RetrieveProjectRole => roles::retrieve_project_role(store, p, q),
        E::RetrieveProjectUserRole => roles::retrieve_project_user_role(store, p, q),
        E::RetrieveProjectGroupRole => roles::retrieve_project_group_role(store, p, q),
        E::RetrieveProject => projects::retrieve_project(store, p, q),
        E::RetrieveProjectUser => project_users::retrieve_project_user(store, p, q),
        E::RetrieveProjectGroup => project_groups::retrieve_project_group(store, p, q),
        E::RetrieveProjectServiceAccount => {
            service_accounts::retrieve_project_service_account(store, p, q)
        }
        E::RetrieveGroup => groups::retrieve_group(store, p, q),
        E::RetrieveGroupUser => groups::retrieve_group_user(store, p, q),
        E::RetrieveOrgRole => roles::retrieve_org_role(store, p, q),
        E::ListUserRoles => users::list_user_roles(store, p, q),
        E::ListInvites => invites::list_invites(store, p, q),
        E::RetrieveInvite => invites::retrieve_invite(store, p, q),
        E::ListGroups => groups::list_groups(store, p, q),
        E::ListGroupUsers => groups::list_group_users(store, p, q),
        E::ListGroupRoles => groups::list_group_roles(store, p, q),
        E::ListProjects => projects::list_projects(store, p, q),
        E::ListProjectUsers => project_users::list_project_users(store, p, q),
        E::ListProjectServiceAccounts => {
            service_accounts::list_project_service_accounts(store, p, q)
        }
        E::ListProjectApiKeys => keys::list_project_api_keys(store, p, q),
        E::ListProjectGroups => project_groups::list_project_groups(store, p, q),
        E::ListOrgRoles => roles::list_org_roles(store, p, q),
        E::ListProjectRoles => roles::list_project_roles(store, p, q),
        E::ListProjectUserRoles => roles::list_project_user_roles(store, p, q),
        E::ListProjectGroupRoles => roles::list_project_group_roles(store, p, q),
        _ => Err(ApiError::not_found("route", ep.template())),
    }
}

/// Every write, one entry each.
static WRITES: &[&dyn Mutation] = &[
    &users::MODIFY,
    &users::DELETE,
    &users::ASSIGN_ROLE,
    &users::UNASSIGN_ROLE,
    &invites::CREATE,
    &invites::DELETE,
    &keys::CREATE_ADMIN_KEY,
    &keys::DELETE_ADMIN_KEY,
    &keys::DELETE_PROJECT_KEY,
    &service_accounts::CREATE,
    &service_accounts::DELETE,
    &service_accounts::CREATE_KEY,
    &service_accounts::UPDATE,
    &groups::CREATE,
    &groups::UPDATE,
    &groups::DELETE,
    &groups::ADD_USER,
    &groups::REMOVE_USER,
    &groups::ASSIGN_ROLE,
    &groups::UNASSIGN_ROLE,
    &projects::CREATE,
    &projects::MODIFY,
    &projects::ARCHIVE,
    &project_users::ADD,
    &project_users::MODIFY,
    &project_users::REMOVE,
    &project_groups::ADD,
    &project_groups::REMOVE,
    &roles::CREATE_ORG_ROLE,
    &roles::UPDATE_ORG_ROLE,
    &roles::DELETE_ORG_ROLE,
    &roles::CREATE_PROJECT_ROLE,
    &roles::UPDATE_PROJECT_ROLE,
    &roles::DELETE_PROJECT_ROLE,
    &roles::ASSIGN_PROJECT_USER_ROLE,
    &roles::UNASSIGN_PROJECT_USER_ROLE,
    &roles::ASSIGN_PROJECT_GROUP_ROLE,
    &roles::UNASSIGN_PROJECT_GROUP_ROLE,
];

fn mutation(ep: E) -> Option<&'static dyn Mutation> {
    WRITES.iter().copied().find(|m| m.endpoint() == ep)
}

/// Applies a write (a POST or a DELETE) to the store of the org `store.org.org_id`; returns
/// the answer and the audit entries it leaves.
pub(crate) fn write(
    store: &mut Store,
    ep: E,
    p: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<(Bytes, Vec<Event>), ApiError> {
    let m = mutation(ep).ok_or_else(|| ApiError::not_found("route", ep.template()))?;
    let reply = m.run(store, p, body, cx)?;
    let events = m.audit(&Written::new(&store.org.org_id, p, body, &reply));
    Ok((reply, events))
}

/// The scope a read-only key lacks for `ep`.
pub(crate) fn required_scope(ep: E) -> &'static str {
    if ep.is_usage() {
        return "api.usage.read";
    }
    mutation(ep).map_or("api.organization.read", |m| m.scope())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each mutation of the `Endpoint` table has exactly one entry, and nothing else has one.
    #[test]
    fn every_mutation_has_one_entry() {
        for ep in E::ALL {
            let entries = WRITES.iter().filter(|m| m.endpoint() == *ep).count();
            assert_eq!(entries, usize::from(ep.is_mutation()), "{}", ep.template());
        }
    }
}
