//! Invitations.

use super::common::*;
use super::path;
use super::write::{Write, as_given, never, no_body};
use crate::audit::Event;
use crate::error::ApiError;
use crate::paging::{ListQuery, bad_cursor, page_a, take_positioned, to_json};
use crate::routes::Params;
use crate::store::Store;
use bytes::Bytes;
use hyper::StatusCode;
use openai_access_actors::api::models::*;
use openai_access_actors::endpoint::Endpoint;
use openai_access_actors::ids::*;
use serde_json::json;

pub(super) fn list_invites(store: &Store, _: Params, q: &ListQuery) -> Result<Bytes, ApiError> {
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

pub(super) fn retrieve_invite(store: &Store, p: Params, _: &ListQuery) -> Result<Bytes, ApiError> {
    let id = p[0];
    let i = store
        .invite_pos(id)
        .ok_or_else(|| ApiError::not_found("invite", id))?;
    to_json(&store.org.invites[i])
}

const SCOPE: &str = "api.organization.invites.write";

/// `POST /organization/invites`: one pending invite per address, none for a member.
pub(super) static CREATE: Write<(), InviteBody, InviteBody> = Write {
    ep: Endpoint::CreateInvite,
    scope: SCOPE,
    body: |body| {
        let b: InviteBody = parse(body)?;
        if !valid_email(&b.email) {
            return Err(ApiError::bad_request(format!(
                "Invalid 'email': {:?} is not an email address",
                b.email
            ))
            .param("email"));
        }
        check_enum(&b.role, &["reader", "owner"], "role")?;
        Ok(b)
    },
    path: path::org,
    resolve: |store, _, _, b| {
        for pr in b.projects.iter().flatten() {
            project_index(store, pr.id.as_str())?;
            check_enum(
                pr.role.as_deref().unwrap_or(""),
                &["member", "owner"],
                "projects",
            )?;
        }
        Ok(b)
    },
    duplicate: |store, _, _, b| {
        let email = b.email.to_lowercase();
        let pending = store.org.invites.iter().any(|i| {
            i.status.as_deref() == Some("pending")
                && i.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&email))
        });
        pending.then(|| format!("An invite for {email} is already pending"))
    },
    apply: |store, _, (), b, cx| {
        let email = b.email.to_lowercase();
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
        let now = cx.now;
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
            projects: b.projects.unwrap_or_default(),
        };
        let out = to_json(&inv);
        store.push_invite(inv);
        out
    },
    audit: |w| {
        vec![Event::new(
            "invite.sent",
            json!({"id": w.reply("id"), "data": {"email": w.body("email"), "role": w.body("role")}}),
        )]
    },
};

/// `DELETE /organization/invites/{invite_id}`: an accepted invite stays.
pub(super) static DELETE: Write<usize, (), ()> = Write {
    ep: Endpoint::DeleteInvite,
    scope: SCOPE,
    body: no_body,
    path: path::invite,
    resolve: as_given,
    duplicate: never,
    apply: |store, _, i, (), _| {
        if store.org.invites[i].status.as_deref() == Some("accepted") {
            return Err(ApiError::bad_request("cannot delete an accepted invite"));
        }
        let id = store.org.invites.remove(i).id;
        store.reindex_invites();
        deleted("organization.invite.deleted", Some(id.as_str()))
    },
    audit: |w| vec![Event::new("invite.deleted", json!({"id": w.p[0]}))],
};
