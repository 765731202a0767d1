//! Invitations.

use super::super::error::ApiError;
use super::super::paging::{ListQuery, bad_cursor, page_a, take_positioned, to_json};
use super::super::routes::Params;
use super::super::store::Store;
use super::Cx;
use super::common::*;
use bytes::Bytes;
use hyper::StatusCode;
use openai_access_actors::api::models::*;
use openai_access_actors::ids::*;

pub fn list_invites(store: &Store, _: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
    let after = q.after.as_deref();
    let org = &store.org;

    let start = match after {
        None => 0,
        Some(a) => store.invite_pos(a).ok_or_else(|| bad_cursor(a))? + usize::from(!q.inclusive),
    };
    let (data, more) =
        take_positioned(org.invites[start..].iter(), |i| i.id.as_str(), |_| true, q)?;
    page_a(&data, |i| i.id.as_str(), more)
}

pub fn retrieve_invite(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    let id = p[0];
    let i = store
        .invite_pos(id)
        .ok_or_else(|| ApiError::not_found("invite", id))?;
    to_json(&store.org.invites[i])
}

pub fn create_invite(
    store: &mut Store,
    _: Params,
    body: &[u8],
    cx: &mut Cx,
) -> Result<Bytes, ApiError> {
    let now = cx.now;

    let b: InviteBody = parse(body)?;
    if !valid_email(&b.email) {
        return Err(ApiError::bad_request(format!(
            "Invalid 'email': {:?} is not an email address",
            b.email
        ))
        .param("email"));
    }
    check_enum(&b.role, &["reader", "owner"], "role")?;
    let projects = b.projects.unwrap_or_default();
    for pr in &projects {
        project_index(store, pr.id.as_str())?;
        check_enum(
            pr.role.as_deref().unwrap_or(""),
            &["member", "owner"],
            "projects",
        )?;
    }
    let email = b.email.to_lowercase();
    let pending = store.org.invites.iter().any(|i| {
        i.status.as_deref() == Some("pending")
            && i.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&email))
    });
    if pending {
        return Err(ApiError::conflict(format!(
            "An invite for {email} is already pending"
        )));
    }
    if store.org.users.iter().any(|u| {
        u.email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(&email))
    }) {
        return Err(ApiError::bad_request(format!(
            "{email} is already a member of the organization"
        ))
        .param("email"));
    }
    let inv = Invite {
        object: Some("organization.invite".into()),
        id: InviteId::new(cx.new_id("invite-"))
            .map_err(|_| ApiError::server(StatusCode::INTERNAL_SERVER_ERROR))?,
        email: Some(email),
        role: Some(b.role),
        status: Some("pending".into()),
        created_at: Some(now),
        expires_at: Some(now + 7 * 86_400),
        accepted_at: None,
        projects,
    };
    let out = to_json(&inv);
    store.push_invite(inv);
    out
}

pub fn delete_invite(
    store: &mut Store,
    p: Params,
    _: &[u8],
    _: &mut Cx,
) -> Result<Bytes, ApiError> {
    let i = store
        .invite_pos(p[0])
        .ok_or_else(|| ApiError::not_found("invite", p[0]))?;
    if store.org.invites[i].status.as_deref() == Some("accepted") {
        return Err(ApiError::bad_request("cannot delete an accepted invite"));
    }
    let id = store.org.invites.remove(i).id;
    store.reindex_invites();
    deleted("organization.invite.deleted", Some(id.as_str()))
}
