//! The read routes: answers from the served graph (the same engine answers as `access`, `who`
//! and `explain`), the grant list, the syncs and what each changed.

use super::AppState;
use super::error::Failure;
use crate::service::run::rfc3339;
use crate::service::served::{self, Served};
use actix_web::{HttpRequest, HttpResponse, web};
use openai_access_actors::graph::{Grant, ResourceKey, ResourceType};
use openai_access_actors::review::{Named, Path as Reason};
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

/// Grants per page unless `limit` says otherwise, and the most one page holds.
pub const DEFAULT_PAGE: usize = 100;
pub const MAX_PAGE: usize = 1000;

type Answer = Result<HttpResponse, Failure>;

pub fn graph(state: &AppState) -> Result<Arc<Served>, Failure> {
    state.shared.graph().ok_or_else(Failure::no_graph)
}

/// A path segment as the client meant it: actix leaves `%2F` encoded (a service account's id
/// is `<project>/<id>`), so it is decoded here, once.
fn segment(req: &HttpRequest, name: &str) -> Result<String, Failure> {
    let raw = req.match_info().get(name).unwrap_or_default();
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| Failure::bad_request(format!("the {name} in the path is not UTF-8")))
}

fn resource_type(text: &str, allowed: &[ResourceType]) -> Result<ResourceType, Failure> {
    ResourceType::parse(text)
        .filter(|t| allowed.contains(t))
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|t| t.as_str()).collect();
            Failure::bad_request(format!(
                "unknown type {text:?}: one of {}",
                names.join(", ")
            ))
        })
}

const PRINCIPALS: [ResourceType; 4] = [
    ResourceType::User,
    ResourceType::Group,
    ResourceType::ServiceAccount,
    ResourceType::Invite,
];

pub async fn summary(state: web::Data<AppState>) -> Answer {
    let g = graph(&state)?;
    let snap = &g.snapshot;
    let sync = snap.sync.clone().unwrap_or_default();
    Ok(HttpResponse::Ok().json(json!({
        "org_id": snap.org_id,
        "sync_id": g.sync_id,
        "synced_at": sync.synced_at,
        "kind": sync.kind,
        "served_since": rfc3339(g.synced_at),
        "resources": g.resources_by_type.values().sum::<usize>(),
        "resources_by_type": g.resources_by_type,
        "grants": g.grants,
        "org_owners": snap.org_owners(),
        "pending_invites": snap.pending_invites().len(),
    })))
}

/// `GET /api/v1/principals/{type}/{id}/access`: what a user, group, service account or
/// invitation can access and why. A user or invitation may be named by email.
pub async fn principal_access(req: HttpRequest, state: web::Data<AppState>) -> Answer {
    let t = resource_type(&segment(&req, "type")?, &PRINCIPALS)?;
    let id = segment(&req, "id")?;
    let g = graph(&state)?;
    let key = g.snapshot.find(t, &id)?.key();
    let body = g.answer("access", &key, |s| json_bytes(&s.access(&key)?))?;
    Ok(json_response(&req, body))
}

/// `GET /api/v1/resources/{type}/{id}/access`: who can access a resource, by role, and how.
pub async fn resource_access(req: HttpRequest, state: web::Data<AppState>) -> Answer {
    let t = resource_type(&segment(&req, "type")?, &ResourceType::ALL)?;
    let id = segment(&req, "id")?;
    let g = graph(&state)?;
    let key = g.snapshot.find(t, &id)?.key();
    let body = g.answer("who", &key, |s| json_bytes(&s.who(&key)?))?;
    Ok(json_response(&req, body))
}

#[derive(Deserialize)]
pub struct StaleQuery {
    days: Option<u32>,
}

/// `GET /api/v1/stale?days=N` (default 90): access not used in N days as of now: keys,
/// service accounts, users with neither sign-in nor API use, silent projects, overdue
/// invitations (`stale`'s answer).
pub async fn stale(state: web::Data<AppState>, q: web::Query<StaleQuery>) -> Answer {
    let days = q.days.unwrap_or(90);
    if !(1..=36_500).contains(&days) {
        return Err(Failure::bad_request(format!(
            "days: {days} is out of range: 1 to 36500"
        )));
    }
    let g = graph(&state)?;
    let now = openai_access_actors::clock::unix_now();
    Ok(HttpResponse::Ok().json(g.snapshot.stale(now, days)))
}

fn json_bytes(v: &impl Serialize) -> Result<web::Bytes, Failure> {
    serde_json::to_vec(v)
        .map(web::Bytes::from)
        .map_err(|e| Failure::internal(format!("cannot write the answer: {e}")))
}

/// The answer, gzipped when the client accepts it and a gzip form exists.
fn json_response(req: &HttpRequest, answer: served::Answer) -> HttpResponse {
    let mut r = HttpResponse::Ok();
    r.content_type(actix_web::http::header::ContentType::json())
        .insert_header((actix_web::http::header::VARY, "Accept-Encoding"));
    match answer.gzip.filter(|_| accepts_gzip(req)) {
        Some(gz) => r
            .insert_header((actix_web::http::header::CONTENT_ENCODING, "gzip"))
            .body(gz),
        None => r.body(answer.json),
    }
}

/// `Accept-Encoding` names gzip (or `*`) with a quality above zero.
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(actix_web::http::header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// `GET /api/v1/grants/{id}`: one grant and the chain of reasons behind it.
pub async fn grant(req: HttpRequest, state: web::Data<AppState>) -> Answer {
    let id = segment(&req, "id")?;
    let g = graph(&state)?;
    Ok(HttpResponse::Ok().json(g.snapshot.explain(&id)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantFilter {
    /// `TYPE:ID` of the principal.
    principal: Option<String>,
    /// `TYPE:ID` of the resource.
    resource: Option<String>,
    /// An entitlement id.
    entitlement: Option<String>,
    limit: Option<usize>,
    /// The last grant id of the previous page.
    after: Option<String>,
}

#[derive(Serialize)]
struct GrantRow {
    id: String,
    entitlement: String,
    resource: Named,
    principal: Named,
    how: Vec<Reason>,
    immutable: bool,
}

fn key_param(name: &str, text: &str) -> Result<ResourceKey, Failure> {
    text.parse().map_err(|_| {
        Failure::bad_request(format!(
            "{name}={text:?} is not TYPE:ID (e.g. user:user-abc, project:proj_1)"
        ))
    })
}

/// `GET /api/v1/grants?principal=&resource=&entitlement=&limit=&after=`: grants in id order,
/// a page at a time; `next` is the `after` of the next page.
pub async fn grants(state: web::Data<AppState>, q: web::Query<GrantFilter>) -> Answer {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Failure::bad_request(format!(
            "limit={limit}: between 1 and {MAX_PAGE}"
        )));
    }
    let principal = q
        .principal
        .as_deref()
        .map(|p| key_param("principal", p))
        .transpose()?;
    let resource = q
        .resource
        .as_deref()
        .map(|r| key_param("resource", r))
        .transpose()?;
    let g = graph(&state)?;
    let snap = &g.snapshot;
    let all: Box<dyn Iterator<Item = &Grant>> = match (&principal, &resource) {
        (Some(p), _) => Box::new(snap.grants_of(p)),
        (None, Some(r)) => Box::new(snap.grants_on(r)),
        (None, None) => {
            let grants = snap.grants();
            let start = q.after.as_deref().map_or(0, |a| {
                grants.partition_point(|g| g.id_text().to_string().as_str() <= a)
            });
            Box::new(grants[start..].iter())
        }
    };
    let after = q.after.as_deref();
    let mut page: Vec<GrantRow> = Vec::with_capacity(limit.min(64));
    let mut more = false;
    for gr in all {
        if resource.as_ref().is_some_and(|r| gr.resource != *r)
            || q.entitlement
                .as_deref()
                .is_some_and(|e| gr.entitlement.to_string() != e)
        {
            continue;
        }
        let id = gr.id_text().to_string();
        if after.is_some_and(|a| id.as_str() <= a) {
            continue;
        }
        if page.len() == limit {
            more = true;
            break;
        }
        page.push(GrantRow {
            id,
            entitlement: gr.entitlement.to_string(),
            resource: snap.named(&gr.resource),
            principal: snap.named(&gr.principal),
            how: snap.paths(gr),
            immutable: gr.immutable,
        });
    }
    let next = more.then(|| page.last().map(|r| r.id.clone())).flatten();
    Ok(HttpResponse::Ok().json(json!({"grants": page, "next": next})))
}

/// `GET /api/v1/syncs`: the syncs this service ran (the last few hundred), oldest first.
pub async fn syncs(state: web::Data<AppState>) -> Answer {
    Ok(HttpResponse::Ok().json(json!({"syncs": state.shared.history()})))
}

/// `GET /api/v1/tasks`: ConductorOne's last tasks (oldest first) and whether the service is
/// connected; 404 when it is not connected to ConductorOne at all.
pub async fn tasks(state: web::Data<AppState>) -> Answer {
    let Some(log) = &state.tasks else {
        return Err(Failure::not_found(
            "this service is not connected to ConductorOne (--client-id, --client-secret)",
        ));
    };
    Ok(HttpResponse::Ok().json(json!({"connected": log.connected(), "tasks": log.recent()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Since {
    since: u64,
}

/// `GET /api/v1/changes?since=SYNC_ID`: what each complete sync after that one changed.
pub async fn changes(state: web::Data<AppState>, q: web::Query<Since>) -> Answer {
    let history = state.shared.history();
    let oldest = state.shared.recorded_from();
    if q.since + 1 < oldest {
        return Err(Failure::new(
            actix_web::http::StatusCode::GONE,
            "history_gone",
            format!(
                "the changes since sync {} are no longer recorded (the oldest recorded sync is {oldest}); compare full snapshots instead",
                q.since,
            ),
        ));
    }
    let after: Vec<_> = history
        .iter()
        .filter(|r| r.id > q.since && r.result == crate::service::served::SyncResult::Ok)
        .map(|r| json!({"sync": r, "changes": r.changed.as_deref()}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"since": q.since, "syncs": after})))
}

#[cfg(test)]
mod tests {
    use super::accepts_gzip;
    use actix_web::test::TestRequest;

    #[test]
    fn gzip_is_sent_only_to_clients_that_accept_it() {
        let with = |v: &str| {
            accepts_gzip(
                &TestRequest::default()
                    .insert_header(("accept-encoding", v))
                    .to_http_request(),
            )
        };
        for yes in ["gzip", "br, gzip", "GZIP;q=0.5", "*", "deflate, gzip;q=1.0"] {
            assert!(with(yes), "{yes}");
        }
        for no in ["br", "identity", "gzip;q=0", "gzip; q=0.0", "x-gzip2", ""] {
            assert!(!with(no), "{no}");
        }
        assert!(!accepts_gzip(&TestRequest::default().to_http_request()));
    }
}
