//! The control API, `/__fake/…` on the fake's own TLS port, for a person with curl or a test in
//! another process. No authentication: the fake listens on loopback only.
//!
//! | request | answer |
//! |---|---|
//! | `GET /__fake/` | this list |
//! | `POST /__fake/tasks` (a task script or an array) | `{"ids": […]}` |
//! | `GET /__fake/tasks` | every task: id, type, state (queued, handed_out, finished), cancelled |
//! | `POST /__fake/tasks/{id}/cancel` | `{"id", "cancelled": true}`, 404 if unknown |
//! | `GET /__fake/transcript` | every request so far |
//! | `GET /__fake/hellos` | the accepted Hellos (summaries) |
//! | `GET /__fake/finished` | finished tasks: outcome, code, non_retryable, response_type |
//! | `GET /__fake/uploads/{task id}` | `[{"index", "bytes", "sha256"}]` |
//! | `GET /__fake/uploads/{task id}/{index}` | the uploaded bytes |
//! | `POST /__fake/availability` `{"mode": "up"\|"unavailable"}` | the new mode |
//! | `POST /__fake/availability` `{"mode": "refusing", "for_ms": N}` | refuses for N ms, then up |
//! | `POST /__fake/token` `{"mode": "issue"\|"reject"\|"fail"}` | the new mode |
//! | `POST /__fake/revoke-tokens` | every issued token forgotten |
//! | `POST /__fake/fail-uploads` `{"count": N}` | the next N uploads fail UNAVAILABLE |

use super::Shared;
use super::baton::Handled;
use super::http::{CONTROL_PREFIX, bytes, json, read_body};
use super::script::TaskScript;
use super::state::{Availability, TokenMode};
use crate::c1::proto::BatonServiceHelloRequest;
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};
use tonic::body::Body;

/// How long an answer to "start refusing" has to reach its caller before connections are cut.
const ANSWER_GRACE: Duration = Duration::from_millis(100);

const ROUTES: &[&str] = &[
    "GET /__fake/",
    "POST /__fake/tasks",
    "GET /__fake/tasks",
    "POST /__fake/tasks/{id}/cancel",
    "GET /__fake/transcript",
    "GET /__fake/hellos",
    "GET /__fake/finished",
    "GET /__fake/uploads/{task_id}",
    "GET /__fake/uploads/{task_id}/{index}",
    "POST /__fake/availability {\"mode\": \"up\"|\"unavailable\"|\"refusing\", \"for_ms\"}",
    "POST /__fake/token {\"mode\": \"issue\"|\"reject\"|\"fail\"}",
    "POST /__fake/revoke-tokens",
    "POST /__fake/fail-uploads {\"count\": N}",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AvailabilityBody {
    mode: Availability,
    #[serde(default)]
    for_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    mode: TokenMode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailUploadsBody {
    count: u32,
}

fn bad_request(message: impl Into<String>) -> Response<Body> {
    json(StatusCode::BAD_REQUEST, &json!({"error": message.into()}))
}

fn not_found() -> Response<Body> {
    json(
        StatusCode::NOT_FOUND,
        &json!({"error": "not found", "routes": ROUTES}),
    )
}

pub(crate) async fn handle(
    shared: &std::sync::Arc<Shared>,
    request: Request<Incoming>,
) -> Response<Body> {
    let method = request.method().clone();
    let path = request
        .uri()
        .path()
        .trim_start_matches(CONTROL_PREFIX)
        .trim_end_matches('/')
        .to_owned();
    let parts: Vec<&str> = if path.is_empty() {
        Vec::new()
    } else {
        path.split('/').collect()
    };
    match (&method, parts.as_slice()) {
        (&Method::GET, []) => json(StatusCode::OK, &json!({"routes": ROUTES})),
        (&Method::GET, ["tasks"]) => json(StatusCode::OK, &shared.state.lock().tasks_json()),
        (&Method::POST, ["tasks"]) => {
            let body = match json_body::<Value>(request).await {
                Ok(body) => body,
                Err(response) => return response,
            };
            match TaskScript::list_from_json(&body) {
                Ok(scripts) => {
                    let mut state = shared.state.lock();
                    let ids: Vec<String> = scripts
                        .iter()
                        .map(|s| {
                            state.enqueue(
                                s.to_task(|| crate::output::c1z::ksuid::new_at(SystemTime::now())),
                            )
                        })
                        .collect();
                    json(StatusCode::OK, &json!({"ids": ids}))
                }
                Err(error) => bad_request(error.to_string()),
            }
        }
        (&Method::POST, ["tasks", id, "cancel"]) => {
            if shared.state.lock().cancel(id) {
                json(StatusCode::OK, &json!({"id": id, "cancelled": true}))
            } else {
                not_found()
            }
        }
        (&Method::GET, ["transcript"]) => {
            json(StatusCode::OK, &json!(shared.state.lock().transcript))
        }
        (&Method::GET, ["hellos"]) => {
            let hellos: Vec<Value> = shared
                .state
                .lock()
                .hellos
                .iter()
                .map(|h| {
                    let (task_id, mut summary) = BatonServiceHelloRequest::describe(h);
                    summary["task_id"] = json!(task_id);
                    summary
                })
                .collect();
            json(StatusCode::OK, &Value::Array(hellos))
        }
        (&Method::GET, ["finished"]) => {
            let finished: Vec<Value> = shared
                .state
                .lock()
                .finished
                .iter()
                .map(|f| f.to_json())
                .collect();
            json(StatusCode::OK, &Value::Array(finished))
        }
        (&Method::GET, ["uploads", task_id]) => {
            let state = shared.state.lock();
            let uploads: Vec<Value> = state
                .uploads
                .get(*task_id)
                .map(|records| {
                    records
                        .iter()
                        .enumerate()
                        .map(|(i, r)| json!({"index": i, "bytes": r.data.len(), "sha256": r.sha256_hex()}))
                        .collect()
                })
                .unwrap_or_default();
            json(StatusCode::OK, &Value::Array(uploads))
        }
        (&Method::GET, ["uploads", task_id, index]) => {
            let state = shared.state.lock();
            let record = index
                .parse::<usize>()
                .ok()
                .and_then(|i| state.uploads.get(*task_id)?.get(i));
            match record {
                Some(r) => bytes(StatusCode::OK, "application/octet-stream", r.data.clone()),
                None => not_found(),
            }
        }
        (&Method::POST, ["availability"]) => {
            let body = match json_body::<AvailabilityBody>(request).await {
                Ok(body) => body,
                Err(response) => return response,
            };
            set_availability(shared, body)
        }
        (&Method::POST, ["token"]) => match json_body::<TokenBody>(request).await {
            Ok(body) => {
                shared.state.lock().token_mode = body.mode;
                json(StatusCode::OK, &json!({"mode": body.mode}))
            }
            Err(response) => response,
        },
        (&Method::POST, ["revoke-tokens"]) => {
            shared.state.lock().tokens.clear();
            json(StatusCode::OK, &json!({"revoked": true}))
        }
        (&Method::POST, ["fail-uploads"]) => match json_body::<FailUploadsBody>(request).await {
            Ok(body) => {
                shared.state.lock().failing_uploads = body.count;
                json(StatusCode::OK, &json!({"count": body.count}))
            }
            Err(response) => response,
        },
        _ => not_found(),
    }
}

/// Refusing shuts the control API out too (it shares the port), so over the control API it
/// only comes with a duration after which the fake is up again.
fn set_availability(shared: &std::sync::Arc<Shared>, body: AvailabilityBody) -> Response<Body> {
    match (body.mode, body.for_ms) {
        (Availability::Refusing, None) => {
            bad_request("refusing needs for_ms: the control API would be refused too")
        }
        (Availability::Refusing, Some(ms)) => {
            // New connections are refused from now on; open ones (this one included) are cut
            // a moment later, so this answer still reaches the caller.
            shared.state.lock().availability = Availability::Refusing;
            let shared = shared.clone();
            tokio::spawn(async move {
                tokio::time::sleep(ANSWER_GRACE).await;
                shared.cut_connections();
                tokio::time::sleep(Duration::from_millis(ms)).await;
                shared.set_availability(Availability::Up);
            });
            json(StatusCode::OK, &json!({"mode": body.mode, "for_ms": ms}))
        }
        (mode, _) => {
            shared.set_availability(mode);
            json(StatusCode::OK, &json!({"mode": mode}))
        }
    }
}

async fn json_body<T: serde::de::DeserializeOwned>(
    request: Request<Incoming>,
) -> Result<T, Response<Body>> {
    let body = read_body(request).await?;
    serde_json::from_slice(&body).map_err(|e| bad_request(format!("body: {e}")))
}
