//! What a write's path names, found in the store or answered with the error naming it: the
//! `path` step of a `Write`.

use super::common::{
    active_project_index, group_index, position_of, project_index, service_account_pos, user_index,
};
use crate::error::ApiError;
use crate::routes::Params;
use crate::store::Store;
use openai_access_actors::api::models::Role;

/// A write on the organization itself: nothing to find.
pub(super) fn org(_: &Store, _: Params) -> Result<(), ApiError> {
    Ok(())
}

pub(super) fn user(store: &Store, p: Params) -> Result<usize, ApiError> {
    user_index(store, p[0])
}

pub(super) fn group(store: &Store, p: Params) -> Result<usize, ApiError> {
    group_index(store, p[0])
}

pub(super) fn invite(store: &Store, p: Params) -> Result<usize, ApiError> {
    store
        .invite_pos(p[0])
        .ok_or_else(|| ApiError::not_found("invite", p[0]))
}

pub(super) fn admin_key(store: &Store, p: Params) -> Result<usize, ApiError> {
    position_of(
        &store.org.admin_keys,
        |k| k.id.as_str(),
        p[0],
        "admin API key",
    )
}

pub(super) fn project(store: &Store, p: Params) -> Result<usize, ApiError> {
    project_index(store, p[0])
}

/// The project, unless it is archived (400 `project_archived`).
pub(super) fn active_project(store: &Store, p: Params) -> Result<usize, ApiError> {
    active_project_index(store, p[0])
}

/// A project (`p[0]`) and a user of the org (`p[1]`).
pub(super) fn project_user(store: &Store, p: Params) -> Result<(usize, usize), ApiError> {
    Ok((project_index(store, p[0])?, user_index(store, p[1])?))
}

/// A project (`p[0]`) and a group of the org (`p[1]`).
pub(super) fn project_group(store: &Store, p: Params) -> Result<(usize, usize), ApiError> {
    Ok((project_index(store, p[0])?, group_index(store, p[1])?))
}

/// A service account (`p[1]`) of a project that is not archived (`p[0]`).
pub(super) fn active_service_account(store: &Store, p: Params) -> Result<(usize, usize), ApiError> {
    let pi = active_project_index(store, p[0])?;
    Ok((pi, service_account_pos(&store.org.projects[pi], p[1])?))
}

/// A custom org role (`p[0]`).
pub(super) fn custom_org_role(store: &Store, p: Params) -> Result<usize, ApiError> {
    custom(&store.org.org_roles, p[0])
}

/// A custom role (`p[1]`) of a project (`p[0]`).
pub(super) fn custom_project_role(store: &Store, p: Params) -> Result<(usize, usize), ApiError> {
    let pi = project_index(store, p[0])?;
    Ok((pi, custom(&store.org.projects[pi].roles, p[1])?))
}

/// Predefined roles are the API's own: they can be read and assigned, not changed.
fn custom(roles: &[Role], id: &str) -> Result<usize, ApiError> {
    let i = position_of(roles, |r| r.id.as_str(), id, "role")?;
    if roles[i].predefined_role {
        return Err(ApiError::bad_request(format!(
            "Role {id} is predefined: only custom roles can be changed or deleted"
        )));
    }
    Ok(i)
}
