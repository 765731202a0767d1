//! The HTTP API (actix-web). Handlers read the served graph (one `Arc` per request, never a
//! half-finished sync) and send the engine's `Provisioner` and the service's `Refresher`
//! messages; they never panic, and every error is JSON of one shape ([`error::Failure`]).
//!
//! | route                                         | auth | what                                   |
//! |-----------------------------------------------|------|----------------------------------------|
//! | `GET /healthz`                                | no   | the process answers                    |
//! | `GET /readyz`                                 | no   | a complete graph, fresh enough          |
//! | `GET /metrics`                                | no   | Prometheus text; no access data         |
//! | `GET /api/v1/summary`                         | yes  | counts, owners, the sync served         |
//! | `GET /api/v1/principals/{type}/{id}/access`   | yes  | what a principal can access, and why    |
//! | `GET /api/v1/resources/{type}/{id}/access`    | yes  | who can access a resource, and how      |
//! | `GET /api/v1/grants/{id}`                     | yes  | one grant and the chain behind it       |
//! | `GET /api/v1/grants?principal=&resource=&entitlement=&limit=&after=` | yes | grants, a page at a time |
//! | `GET /api/v1/stale?days=N`                    | yes  | access unused in N days (keys, accounts, users, projects) |
//! | `GET /api/v1/syncs`                           | yes  | the syncs run, with their results       |
//! | `GET /api/v1/tasks`                           | yes  | ConductorOne's tasks and what became of them |
//! | `GET /api/v1/changes?since=SYNC_ID`           | yes  | what each sync after that one changed   |
//! | `POST /api/v1/sync` `{"full": bool}`          | yes  | a sync now                              |
//! | `POST /api/v1/provisioning/{grant,revoke,create-account,delete-account,delete-invite}` | yes | provisioning |

pub mod auth;
pub mod error;
mod provision;
mod queries;

use super::metrics;
use super::refresher::{Refresher, SyncNow};
use super::schedule::readiness;
use super::served::Shared;
use actix::Addr;
use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{HttpResponse, web};
use error::Failure;
use openai_access_actors::AdminClient;
use openai_access_actors::provisioner::{Overrides, Provisioner};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// The largest request body accepted (every request of this API is a few hundred bytes).
pub const MAX_BODY: usize = 64 * 1024;

/// What every handler can reach.
pub struct AppState {
    pub shared: Arc<Shared>,
    pub refresher: Addr<Refresher>,
    /// One provisioner per combination of guards passed on purpose, indexed by
    /// `self_lockout as usize * 2 + scim as usize`; all on the engine's arbiter.
    pub provisioners: [Addr<Provisioner>; 4],
    /// For `/metrics`: its counters and throttle are the whole process's.
    pub client: AdminClient,
    pub token: Option<auth::Token>,
    /// What `/api/` offers without a token (see `service::api_access`).
    pub access: super::ApiAccess,
    /// Provisioning over HTTP: asked for, and behind a token.
    pub provisioning: bool,
    pub refresh_wait: Duration,
    pub max_staleness: Duration,
    /// ConductorOne's tasks, when the service is connected to it.
    pub tasks: Option<Arc<super::c1::TaskLog>>,
}

impl AppState {
    fn provisioner(&self, o: Overrides) -> &Addr<Provisioner> {
        &self.provisioners[usize::from(o.self_lockout) * 2 + usize::from(o.scim)]
    }
}

/// The routes, for `App::configure`.
pub fn routes(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let json = web::JsonConfig::default()
            .limit(MAX_BODY)
            .error_handler(|e, _| error::json_body_error(e).into());
        let query = web::QueryConfig::default()
            .error_handler(|e, _| Failure::bad_request(format!("bad query string: {e}")).into());
        let path = web::PathConfig::default()
            .error_handler(|e, _| Failure::bad_request(format!("bad path: {e}")).into());
        cfg.app_data(state)
            .app_data(json)
            .app_data(query)
            .app_data(path)
            .app_data(web::PayloadConfig::new(MAX_BODY))
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
            .route("/metrics", web::get().to(metrics_text))
            .service(
                web::scope("/api")
                    .wrap(from_fn(auth::require_token))
                    .route("/v1/summary", web::get().to(queries::summary))
                    .route(
                        "/v1/principals/{type}/{id:.+}/access",
                        web::get().to(queries::principal_access),
                    )
                    .route(
                        "/v1/resources/{type}/{id:.+}/access",
                        web::get().to(queries::resource_access),
                    )
                    .route("/v1/stale", web::get().to(queries::stale))
                    .route("/v1/grants", web::get().to(queries::grants))
                    .route("/v1/grants/{id:.+}", web::get().to(queries::grant))
                    .route("/v1/syncs", web::get().to(queries::syncs))
                    .route("/v1/tasks", web::get().to(queries::tasks))
                    .route("/v1/changes", web::get().to(queries::changes))
                    .route("/v1/sync", web::post().to(sync_now))
                    .route("/v1/provisioning/grant", web::post().to(provision::grant))
                    .route("/v1/provisioning/revoke", web::post().to(provision::revoke))
                    .route(
                        "/v1/provisioning/create-account",
                        web::post().to(provision::create_account),
                    )
                    .route(
                        "/v1/provisioning/delete-account",
                        web::post().to(provision::delete_account),
                    )
                    .route(
                        "/v1/provisioning/delete-invite",
                        web::post().to(provision::delete_invite),
                    )
                    .default_service(web::to(no_route)),
            )
            .default_service(web::to(no_route));
    }
}

async fn no_route(req: actix_web::HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    Failure::not_found(format!(
        "no route {} {} (see the README's service section)",
        req.method(),
        req.path()
    ))
    .error_response()
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "alive"}))
}

/// 200 when a complete graph is served and fresh enough (see `schedule::readiness`), else
/// 503; says why either way, with no access data.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let f = state.shared.freshness();
    let r = readiness(&f, openai_access_actors::clock::now(), state.max_staleness);
    let status = if r.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    HttpResponse::build(status).json(json!({
        "ready": r.ready(),
        "state": r.reason.as_str(),
        "reason": r.reason.to_string(),
        "age_s": r.age.map(|a| a.as_secs()),
        "max_staleness_s": state.max_staleness.as_secs(),
        "sync_running": f.running,
        "failures_since_success": f.failures,
    }))
}

async fn metrics_text(state: web::Data<AppState>) -> HttpResponse {
    let body = metrics::render(
        &state.shared,
        &state.client,
        state.tasks.as_deref(),
        openai_access_actors::clock::now(),
        state.max_staleness,
    );
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SyncBody {
    #[serde(default)]
    full: bool,
}

/// `POST /api/v1/sync`: a sync now (or right after the running one); answers at once.
async fn sync_now(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, Failure> {
    let full = if body.iter().all(u8::is_ascii_whitespace) {
        false
    } else {
        serde_json::from_slice::<SyncBody>(&body)
            .map_err(|e| Failure::bad_request(format!("the body is not {{\"full\": bool}}: {e}")))?
            .full
    };
    state
        .refresher
        .send(SyncNow {
            full,
            why: "asked through the API".to_owned(),
            touched: Vec::new(),
            upload: None,
        })
        .await
        .map_err(|_| {
            Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "stopping",
                "the service is stopping",
            )
        })?;
    Ok(HttpResponse::Accepted().json(json!({"accepted": true, "full": full})))
}
