//! Every operation the mock answers, by resource group. Reads take the store shared, writes
//! take it exclusively; each is one function, and the tables below are the only place an
//! `Endpoint` meets its handler.

pub mod audit;
mod common;
mod groups;
mod invites;
mod keys;
mod projects;
mod roles;
mod service_accounts;
mod users;

pub use common::required_scope;
pub use keys::mint_key;

use super::error::ApiError;
use super::paging::{ListQuery, page_a, page_b};
use super::routes::Params;
use super::store::Store;
use bytes::Bytes;
use openai_access_actors::endpoint::Endpoint as E;

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
pub fn read(store: &Store, ep: E, p: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
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
        E::RetrieveProjectUser => projects::retrieve_project_user(store, p, q),
        E::RetrieveProjectGroup => projects::retrieve_project_group(store, p, q),
        E::RetrieveProjectServiceAccount => projects::retrieve_project_service_account(store, p, q),
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
        E::ListProjectUsers => projects::list_project_users(store, p, q),
        E::ListProjectServiceAccounts => projects::list_project_service_accounts(store, p, q),
        E::ListProjectApiKeys => projects::list_project_api_keys(store, p, q),
        E::ListProjectGroups => projects::list_project_groups(store, p, q),
        E::ListOrgRoles => roles::list_org_roles(store, p, q),
        E::ListProjectRoles => roles::list_project_roles(store, p, q),
        E::ListProjectUserRoles => roles::list_project_user_roles(store, p, q),
        E::ListProjectGroupRoles => roles::list_project_group_roles(store, p, q),
        _ => Err(ApiError::not_found("route", ep.template())),
    }
}

/// Applies a write (a POST or a DELETE).
pub fn write(
    store: &mut Store,
    ep: E,
    p: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    match ep {
        E::ModifyUser => users::modify_user(store, p, body, cx),
        E::DeleteUser => users::delete_user(store, p, body, cx),
        E::AssignUserRole => users::assign_user_role(store, p, body, cx),
        E::UnassignUserRole => users::unassign_user_role(store, p, body, cx),
        E::CreateInvite => invites::create_invite(store, p, body, cx),
        E::DeleteInvite => invites::delete_invite(store, p, body, cx),
        E::CreateAdminApiKey => keys::create_admin_api_key(store, p, body, cx),
        E::DeleteAdminApiKey => keys::delete_admin_api_key(store, p, body, cx),
        E::DeleteProjectApiKey => keys::delete_project_api_key(store, p, body, cx),
        E::CreateProjectServiceAccount => {
            service_accounts::create_service_account(store, p, body, cx)
        }
        E::DeleteProjectServiceAccount => {
            service_accounts::delete_service_account(store, p, body, cx)
        }
        E::CreateServiceAccountApiKey => {
            service_accounts::create_service_account_key(store, p, body, cx)
        }
        E::CreateGroup => groups::create_group(store, p, body, cx),
        E::UpdateGroup => groups::update_group(store, p, body, cx),
        E::DeleteGroup => groups::delete_group(store, p, body, cx),
        E::CreateProject => projects::create_project(store, p, body, cx),
        E::ModifyProject => projects::modify_project(store, p, body, cx),
        E::ArchiveProject => projects::archive_project(store, p, body, cx),
        E::CreateOrgRole => roles::create_org_role(store, p, body, cx),
        E::UpdateOrgRole => roles::update_org_role(store, p, body, cx),
        E::DeleteOrgRole => roles::delete_org_role(store, p, body, cx),
        E::CreateProjectRole => roles::create_project_role(store, p, body, cx),
        E::UpdateProjectRole => roles::update_project_role(store, p, body, cx),
        E::DeleteProjectRole => roles::delete_project_role(store, p, body, cx),
        E::AddGroupUser => groups::add_group_user(store, p, body, cx),
        E::RemoveGroupUser => groups::remove_group_user(store, p, body, cx),
        E::AssignGroupRole => groups::assign_group_role(store, p, body, cx),
        E::UnassignGroupRole => groups::unassign_group_role(store, p, body, cx),
        E::AddProjectUser => projects::add_project_user(store, p, body, cx),
        E::ModifyProjectUser => projects::modify_project_user(store, p, body, cx),
        E::RemoveProjectUser => projects::remove_project_user(store, p, body, cx),
        E::UpdateServiceAccount => projects::update_service_account(store, p, body, cx),
        E::AddProjectGroup => projects::add_project_group(store, p, body, cx),
        E::RemoveProjectGroup => projects::remove_project_group(store, p, body, cx),
        E::AssignProjectUserRole => roles::assign_project_user_role(store, p, body, cx),
        E::UnassignProjectUserRole => roles::unassign_project_user_role(store, p, body, cx),
        E::AssignProjectGroupRole => roles::assign_project_group_role(store, p, body, cx),
        E::UnassignProjectGroupRole => roles::unassign_project_group_role(store, p, body, cx),
        _ => Err(ApiError::not_found("route", ep.template())),
    }
}
