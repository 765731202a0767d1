//! The HTTP side: one std thread with its own tokio runtime (never the caller's: actix cannot
//! share one), hyper's plain HTTP/1 connection builder with TCP_NODELAY (crates.md §4.1), and
//! the request pipeline: count, delay, authenticate, inject failures, limit, answer.

use super::config::{FaultKind, KeyPermissions, MockConfig, Plan};
use super::error::ApiError;
use super::faults;
use super::limiter::{Limiter, retry_after_secs};
use super::lists;
use super::mutations;
use super::paging::{ListQuery, to_json};
use super::presets::generate;
use super::rng::SharedRng;
use super::routes::{self, route};
use super::state::Org;
use super::stats::{Counters, MockStats};
use super::store::Store;
use crate::endpoint::Endpoint;
use axum::body::Body;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use parking_lot::RwLock;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::oneshot;

/// Request bodies are tiny JSON objects; anything larger is refused.
const MAX_BODY: usize = 1 << 20;

struct Shared {
    cfg: MockConfig,
    /// `Bearer <key>`, precomputed so the check is one comparison.
    expected_auth: String,
    store: RwLock<Store>,
    counters: Counters,
    limiter: Option<Limiter>,
    rng: SharedRng,
    next_id: AtomicU64,
}

/// A running mock. Dropping it stops the server and joins its thread.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Generates the org, binds `127.0.0.1:port` and starts serving on a thread of its own.
    /// Returns once the socket accepts connections.
    pub fn start(cfg: MockConfig) -> std::io::Result<MockServer> {
        let org = generate(cfg.preset, cfg.seed);
        let listener = std::net::TcpListener::bind(("127.0.0.1", cfg.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            expected_auth: format!("Bearer {}", cfg.admin_key),
            store: RwLock::new(Store::new(org)),
            counters: Counters::new(),
            limiter: cfg.rate_limit.map(Limiter::new),
            rng: SharedRng::new(cfg.seed ^ 0x6D6F_636B),
            next_id: AtomicU64::new(1),
            cfg,
        });
        let (stop, stopped) = oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name("openai-mock".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("openai-mock-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    accept_loop(listener, serving, stopped).await;
                });
                // Open keep-alive connections would otherwise hold the runtime open.
                rt.shutdown_timeout(Duration::from_millis(200));
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(std::io::Error::other("mock server thread exited early")),
        }
        Ok(MockServer {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT/v1`
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn stats(&self) -> MockStats {
        self.shared.counters.snapshot()
    }

    pub fn reset_stats(&self) {
        self.shared.counters.reset();
    }

    /// Refills every endpoint's rate-limit bucket, as if the server had been left alone for a
    /// while (benchmarks separate their runs with this, as hours separate periodic syncs).
    pub fn rest(&self) {
        if let Some(limiter) = &self.shared.limiter {
            limiter.refill();
        }
    }

    /// A snapshot of the org as it is now, mutations included.
    pub fn org(&self) -> Org {
        self.shared.store.read().org.clone()
    }

    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        let svc = service_fn(move |req| handle(shared.clone(), req));
                        // A client hanging up (or a Dropped fault) ends the connection; nothing to do.
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
        }
    }
}

fn json(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn error(e: &ApiError) -> Response<Body> {
    json(e.status, e.body())
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    Ok(answer(&shared, req).await)
}

async fn answer(shared: &Shared, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path();
    if path == "/__mock/stats" && req.method() == Method::GET {
        return match to_json(&shared.counters.snapshot()) {
            Ok(b) => json(StatusCode::OK, b),
            Err(e) => error(&e),
        };
    }
    let Some(rest) = path.strip_prefix("/v1/") else {
        return error(&ApiError::not_found("route", path));
    };
    // Segments are percent-decoded, as a real server's router does; an empty, `.` or `..`
    // segment routes nowhere (a client that sends one was steered by an id).
    let decoded = routes::segments(rest);
    let segs: Vec<&str> = decoded.iter().flatten().map(|s| s.as_ref()).collect();
    let routed = if decoded.iter().all(Option::is_some) {
        route(req.method(), &segs)
    } else {
        None
    };
    if let Some((ep, _)) = routed {
        shared.counters.request(ep);
    }
    delay(shared).await;

    if !authorized(shared, &req) {
        Counters::bump(&shared.counters.unauthorized);
        return error(
            &ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                "Incorrect API key provided. You must use an admin API key (sk-admin-...) for this endpoint.",
            )
            .code("invalid_api_key"),
        );
    }
    let Some((ep, params)) = routed else {
        return error(&ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!("Invalid URL ({} {path})", req.method()),
        ));
    };
    if shared
        .cfg
        .fail_paths
        .iter()
        .any(|f| path.contains(f.as_str()))
    {
        Counters::bump(&shared.counters.faults);
        return error(&ApiError::server(StatusCode::INTERNAL_SERVER_ERROR));
    }
    if let Some(limiter) = &shared.limiter
        && let Err(wait) = limiter.check(ep)
    {
        Counters::bump(&shared.counters.rate_limited);
        let mut r = error(
            &ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "requests",
                format!(
                    "Rate limit reached for {}. Please try again later.",
                    ep.template()
                ),
            )
            .code("rate_limit_exceeded"),
        );
        if shared.cfg.rate_limit.is_some_and(|l| l.retry_after) {
            r.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs(wait)));
        }
        return r;
    }

    // Faults only on GETs: mutations must stay exactly-once (see `Faults`).
    let fault = if ep.is_mutation() {
        None
    } else {
        faults::draw(&shared.cfg.faults, &shared.rng)
    };
    if let Some(kind) = fault {
        Counters::bump(&shared.counters.faults);
        if let Some(status) = faults::status(kind) {
            return error(&ApiError::server(status));
        }
        match kind {
            FaultKind::Malformed => return faults::malformed(),
            FaultKind::Slow => tokio::time::sleep(shared.cfg.faults.slow).await,
            _ => {}
        }
    }

    if ep.is_mutation() && shared.cfg.key_permissions == KeyPermissions::ReadOnly {
        return error(
            &ApiError::new(
                StatusCode::FORBIDDEN,
                "invalid_request_error",
                format!(
                    "You have insufficient permissions for this operation. Missing scopes: {}. \
                     Check that you have the correct role in your organization and that your API key has the right scopes.",
                    mutations::required_scope(ep)
                ),
            )
            .code("insufficient_permissions"),
        );
    }
    if ep == Endpoint::ListGroupUsers && shared.cfg.plan == Plan::Free {
        return error(
            &ApiError::new(
                StatusCode::FORBIDDEN,
                "invalid_request_error",
                "Listing group members requires a Business, Enterprise or higher plan.",
            )
            .code("plan_upgrade_required"),
        );
    }

    let result = if ep.is_mutation() {
        let query_free = params;
        let owned: [String; 3] = query_free.map(str::to_owned);
        let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => {
                return error(&ApiError::bad_request(
                    "Request body unreadable or larger than 1 MiB",
                ));
            }
        };
        let p = [owned[0].as_str(), owned[1].as_str(), owned[2].as_str()];
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let mut new_id = |prefix: &str| {
            format!(
                "{prefix}mock{:06}",
                shared.next_id.fetch_add(1, Ordering::Relaxed)
            )
        };
        mutations::mutate(&mut shared.store.write(), ep, p, &body, now, &mut new_id)
    } else {
        match ListQuery::parse(ep, req.uri().query()) {
            Err(e) => Err(e),
            Ok(q) => {
                let store = shared.store.read();
                if ep == Endpoint::RetrieveInvite {
                    lists::retrieve_invite(&store, params[0])
                } else {
                    lists::list(&store, ep, params, &q)
                }
            }
        }
    };
    match (result, fault) {
        (Err(e), _) => error(&e),
        (Ok(b), Some(FaultKind::Truncated)) => faults::truncated(b),
        (Ok(b), Some(FaultKind::Dropped)) => faults::dropped(b),
        (Ok(b), _) => json(StatusCode::OK, b),
    }
}

/// Exactly one credential: `Authorization: Bearer <admin_key>`.
fn authorized(shared: &Shared, req: &Request<Incoming>) -> bool {
    req.headers()
        .get(AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == shared.expected_auth.as_bytes())
}

/// `latency ± uniform(jitter)`, never negative.
async fn delay(shared: &Shared) {
    let (base, jitter) = (shared.cfg.latency, shared.cfg.latency_jitter);
    if base.is_zero() && jitter.is_zero() {
        return;
    }
    let offset = (shared.rng.unit() * 2.0 - 1.0) * jitter.as_secs_f64();
    let d = (base.as_secs_f64() + offset).max(0.0);
    tokio::time::sleep(Duration::from_secs_f64(d)).await;
}
