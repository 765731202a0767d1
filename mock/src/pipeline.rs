//! How the mock answers one request, in the order a real API gateway would: count it, delay
//! it, authenticate, route, inject configured failures, rate-limit, inject faults, check the
//! key's permissions and the plan, then answer from the store. No HTTP here: `server` feeds
//! it requests off sockets; a test or a simulation may feed it directly.

use super::audit::{self, Actor};
use super::changes::Change;
use super::config::{FaultKind, KeyPermissions, MockConfig, Plan};
use super::error::ApiError;
use super::faults;
use super::handlers::{self, Cx};
use super::limiter::{Limiter, retry_after_secs};
use super::paging::{ListQuery, to_json};
use super::reply::Reply;
use super::rng::SharedRng;
use super::routes::{self, route};
use super::state::Org;
use super::stats::Counters;
use super::store::Store;
use bytes::Bytes;
use hyper::StatusCode;
use openai_access_actors::endpoint::Endpoint;
use parking_lot::{Mutex, RwLock};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// One request, as the pipeline reads it.
#[derive(Clone, Debug)]
pub struct MockRequest {
    pub method: String,
    /// The path, e.g. `/v1/organization/users` (still percent-encoded).
    pub path: String,
    pub query: Option<String>,
    /// The `Authorization` header, as sent.
    pub authorization: Option<Vec<u8>>,
    /// The body, or `None` when it could not be read or was too large.
    pub body: Option<Bytes>,
    /// The `Content-Type` header, as sent.
    pub content_type: Option<String>,
}

/// Everything answering needs, shared by every connection.
pub struct Shared {
    pub cfg: MockConfig,
    /// `Bearer <key>`, precomputed so the check is one comparison.
    expected_auth: String,
    pub store: RwLock<Store>,
    pub counters: Counters,
    pub limiter: Option<Limiter>,
    rng: SharedRng,
    next_id: AtomicU64,
    /// Until then the server answers nothing at all (requests hang until the client gives up).
    outage_until: Mutex<Option<Instant>>,
    /// The rate limit is not enforced while set (a bench seeds a state at full speed, then
    /// measures under the limit).
    limits_lifted: std::sync::atomic::AtomicBool,
    /// Connections accepted and not yet closed (see `open_connections`).
    pub(super) open_connections: std::sync::atomic::AtomicUsize,
}

impl Shared {
    /// Connections the server holds open. Once a client process is gone, this reaching 0
    /// means every request it sent has been read and counted: a test that resets the
    /// counters after killing a client waits for it, or a request in flight at the kill
    /// would be counted against the next run.
    pub fn open_connections(&self) -> usize {
        self.open_connections.load(Ordering::SeqCst)
    }

    pub fn new(cfg: MockConfig, mut store: Store) -> Self {
        // The first admin key is the one clients run with: its redacted value says so.
        if let (Some(k), Some(key)) = (
            store.org.admin_keys.first_mut(),
            openai_access_actors::AdminKey::new(&cfg.admin_key),
        ) {
            k.redacted_value = Some(key.redacted());
        }
        Self {
            expected_auth: format!("Bearer {}", cfg.admin_key),
            store: RwLock::new(store),
            counters: Counters::new(),
            limiter: cfg.rate_limit.map(Limiter::new),
            rng: SharedRng::new(cfg.seed ^ 0x6D6F_636B),
            next_id: AtomicU64::new(1),
            outage_until: Mutex::new(None),
            limits_lifted: std::sync::atomic::AtomicBool::new(false),
            open_connections: std::sync::atomic::AtomicUsize::new(0),
            cfg,
        }
    }

    /// Refills every endpoint's rate-limit bucket, as if the server had been left alone for a
    /// while (benchmarks separate their runs with this, as hours separate periodic syncs).
    pub fn rest(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.refill();
        }
    }

    /// The request counters.
    pub fn stats(&self) -> super::MockStats {
        self.counters.snapshot()
    }

    pub fn reset_stats(&self) {
        self.counters.reset();
    }

    /// A snapshot of the org as it is now, mutations included.
    pub fn org(&self) -> Org {
        self.store.read().org.clone()
    }

    /// Stops (`true`) or resumes enforcing the rate limit.
    pub fn lift_limits(&self, lifted: bool) {
        self.limits_lifted
            .store(lifted, std::sync::atomic::Ordering::Relaxed);
    }

    /// From now on, for `lasting`, requests get no answer at all: the server is down, as far
    /// as a client can tell (it times out).
    pub fn outage(&self, lasting: Duration) {
        *self.outage_until.lock() = Some(Instant::now() + lasting);
    }

    fn down(&self) -> bool {
        self.outage_until
            .lock()
            .is_some_and(|until| Instant::now() < until)
    }
}

/// Answers `req`.
pub(crate) async fn answer(shared: &Shared, req: MockRequest) -> Reply {
    if let Some(reply) = control(shared, &req) {
        return reply;
    }
    if shared.down() {
        // No answer: the client's timeout decides.
        return std::future::pending().await;
    }
    let Some(rest) = req.path.strip_prefix("/v1/") else {
        return Reply::error(&ApiError::not_found("route", &req.path));
    };
    let decoded = routes::segments(rest);
    let segs: Vec<&str> = decoded.iter().flatten().map(|s| s.as_ref()).collect();
    let routed = if decoded.iter().all(Option::is_some) {
        route(&req.method, &segs)
    } else {
        None
    };
    if let Some((ep, _)) = routed {
        shared.counters.request(ep);
    }
    delay(shared).await;
    if !authorized(shared, &req) {
        Counters::bump(&shared.counters.unauthorized);
        return Reply::error(&unauthorized());
    }
    let Some((ep, params)) = routed else {
        return Reply::error(&ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!("Invalid URL ({} {})", req.method, req.path),
        ));
    };
    if let Some(reply) = refused_before_answering(shared, ep, &req.path) {
        return reply;
    }
    // Faults only on GETs: mutations must stay exactly-once (see `Faults`).
    let fault = (!ep.is_mutation())
        .then(|| faults::draw(&shared.cfg.faults, &shared.rng))
        .flatten();
    if let Some(kind) = fault {
        Counters::bump(&shared.counters.faults);
        if let Some(status) = faults::status(kind) {
            return Reply::error(&ApiError::server(status));
        }
        match kind {
            FaultKind::Malformed => return faults::malformed(),
            FaultKind::Slow => tokio::time::sleep(shared.cfg.faults.slow).await,
            _ => {}
        }
    }
    if let Some(e) = refused_by_key_or_plan(shared, ep) {
        return Reply::error(&e);
    }
    match (respond(shared, ep, params, &req), fault) {
        (Err(e), _) => Reply::error(&e),
        (Ok(b), Some(FaultKind::Truncated)) => faults::truncated(b),
        (Ok(b), Some(FaultKind::Dropped)) => faults::dropped(b),
        (Ok(b), _) => Reply::ok(b),
    }
}

/// The mock's own routes: `GET /__mock/stats` (the request counters),
/// `POST /__mock/outage?seconds=N` (answer nothing for N seconds), `POST /__mock/change`
/// (an out-of-band change, JSON: see [`Change`]) and `POST /__mock/limits?lifted=true|false`
/// (stop or resume enforcing the rate limit: a benchmark fills a state fast, then measures
/// under the limit).
fn control(shared: &Shared, req: &MockRequest) -> Option<Reply> {
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/__mock/change") => {
            let parsed = req.body.as_deref().map(serde_json::from_slice::<Change>);
            Some(match parsed {
                Some(Ok(change)) => match shared.change(&change) {
                    Ok(()) => Reply::ok(bytes::Bytes::from_static(b"{}")),
                    Err(e) => Reply::error(&e),
                },
                Some(Err(e)) => Reply::error(&ApiError::bad_request(format!("change: {e}"))),
                None => Reply::error(&ApiError::bad_request("change: no body")),
            })
        }
        ("GET", "/__mock/stats") => Some(match to_json(&shared.counters.snapshot()) {
            Ok(b) => Reply::ok(b),
            Err(e) => Reply::error(&e),
        }),
        ("POST", "/__mock/limits") => {
            let lifted = url::form_urlencoded::parse(req.query.as_deref().unwrap_or("").as_bytes())
                .find(|(k, _)| k == "lifted")
                .and_then(|(_, v)| v.parse::<bool>().ok());
            Some(match lifted {
                Some(l) => {
                    shared.lift_limits(l);
                    Reply::ok(bytes::Bytes::from_static(b"{}"))
                }
                None => {
                    Reply::error(&ApiError::bad_request("lifted: true or false").param("lifted"))
                }
            })
        }
        ("POST", "/__mock/outage") => {
            let seconds =
                url::form_urlencoded::parse(req.query.as_deref().unwrap_or("").as_bytes())
                    .find(|(k, _)| k == "seconds")
                    .and_then(|(_, v)| v.parse::<f64>().ok())
                    .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0);
            Some(match seconds {
                Some(s) => {
                    shared.outage(Duration::from_secs_f64(s));
                    Reply::ok(bytes::Bytes::from_static(b"{}"))
                }
                None => Reply::error(
                    &ApiError::bad_request("seconds: a number from 0 to 86400").param("seconds"),
                ),
            })
        }
        _ => None,
    }
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        "Incorrect API key provided. You must use an admin API key (sk-admin-...) for this endpoint.",
    )
    .code("invalid_api_key")
}

/// Exactly one credential: `Authorization: Bearer <admin_key>`; the scheme's case does not
/// matter (RFC 9110 §11.1), the key's does.
fn authorized(shared: &Shared, req: &MockRequest) -> bool {
    let want = shared.expected_auth.as_bytes();
    let scheme = "Bearer ".len();
    req.authorization.as_deref().is_some_and(|v| {
        v.len() == want.len()
            && v[..scheme].eq_ignore_ascii_case(&want[..scheme])
            && v[scheme..] == want[scheme..]
    })
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

/// Failures configured for every request to a path, and the rate limit.
fn refused_before_answering(shared: &Shared, ep: Endpoint, path: &str) -> Option<Reply> {
    if shared
        .cfg
        .fail_paths
        .iter()
        .any(|f| path.contains(f.as_str()))
    {
        Counters::bump(&shared.counters.faults);
        return Some(Reply::error(&ApiError::server(
            StatusCode::INTERNAL_SERVER_ERROR,
        )));
    }
    if shared
        .limits_lifted
        .load(std::sync::atomic::Ordering::Relaxed)
    {
        return None;
    }
    let wait = shared.limiter.as_ref()?.check(ep).err()?;
    Counters::bump(&shared.counters.rate_limited);
    let mut reply = Reply::error(
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
        reply.retry_after = Some(retry_after_secs(wait));
    }
    Some(reply)
}

/// What the key or the plan does not allow: every mutation for a read-only key, the Usage API
/// for a key without its scope, group member lists on a free plan.
fn refused_by_key_or_plan(shared: &Shared, ep: Endpoint) -> Option<ApiError> {
    if ep.is_usage() && shared.cfg.key_permissions == KeyPermissions::NoUsage {
        return Some(
            ApiError::new(
                StatusCode::FORBIDDEN,
                "invalid_request_error",
                "You have insufficient permissions for this operation. Missing scopes: api.usage.read. \
                 Check that you have the correct role in your organization and that your API key has the right scopes.",
            )
            .code("insufficient_permissions"),
        );
    }
    if ep.is_mutation() && shared.cfg.key_permissions == KeyPermissions::ReadOnly {
        return Some(
            ApiError::new(
                StatusCode::FORBIDDEN,
                "invalid_request_error",
                format!(
                    "You have insufficient permissions for this operation. Missing scopes: {}. \
                     Check that you have the correct role in your organization and that your API key has the right scopes.",
                    handlers::required_scope(ep)
                ),
            )
            .code("insufficient_permissions"),
        );
    }
    (ep == Endpoint::ListGroupUsers && shared.cfg.plan == Plan::Free).then(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "invalid_request_error",
            "Listing group members requires a Business, Enterprise or higher plan.",
        )
        .code("plan_upgrade_required")
    })
}

/// The answer from the store: a write under the write lock, a read under the read lock.
fn respond(
    shared: &Shared,
    ep: Endpoint,
    params: routes::Params<'_>,
    req: &MockRequest,
) -> Result<Bytes, ApiError> {
    if ep == Endpoint::ListAuditLogs {
        return shared.audit_page(req.query.as_deref());
    }
    if ep.is_usage() {
        return super::usage::page(&shared.store.read(), ep, req.query.as_deref(), unix_now());
    }
    if !ep.is_mutation() {
        let q = ListQuery::parse(ep, req.query.as_deref())?;
        return handlers::read(&shared.store.read(), ep, params, &q);
    }
    let body = req
        .body
        .as_ref()
        .ok_or_else(|| ApiError::bad_request("Request body unreadable or larger than 1 MiB"))?;
    if !body.is_empty()
        && let Some(ct) = req.content_type.as_deref()
        && !is_json(ct)
    {
        return Err(ApiError::bad_request(format!(
            "Invalid Content-Type header ({ct}), expected application/json"
        )));
    }
    let now = unix_now();
    let mut next_id = || shared.next_id.fetch_add(1, Ordering::Relaxed);
    let mut cx = Cx {
        now,
        next_id: &mut next_id,
    };
    let mut store = shared.store.write();
    let (reply, mut events) = handlers::write(&mut store, ep, params, body, &mut cx)?;
    name_projects(&store, &mut events);
    store.audit.record(events, Actor::ApiKey, now);
    Ok(reply)
}

/// Names the project each of `events` is scoped to, as the store has it now.
fn name_projects(store: &crate::store::Store, events: &mut [crate::audit::Event]) {
    for e in events {
        if let Some(p) = e.project.as_deref().and_then(|id| store.project(id)) {
            e.project_name = p.project.name.clone();
        }
    }
}

/// `application/json` or a `+json` type, with or without parameters (`; charset=utf-8`).
/// A request without the header is read as JSON, as clients that omit it expect.
fn is_json(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media == "application/json" || (media.starts_with("application/") && media.ends_with("+json"))
}

/// The audit log's clock: virtual when the mock runs in a simulation.
use openai_access_actors::clock::unix_now;

impl Shared {
    /// Makes `change`: the org changes and the audit log records it, with the admin key as the
    /// actor of a `Request` and a person in the dashboard as the actor of anything else.
    pub fn change(&self, change: &Change) -> Result<(), ApiError> {
        let now = unix_now();
        let mut next_id = || self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut cx = Cx {
            now,
            next_id: &mut next_id,
        };
        let mut store = self.store.write();
        let mut events = change.apply(&mut store, &mut cx)?;
        let actor = match change {
            Change::Request { .. } => Actor::ApiKey,
            Change::Login { user } => Actor::Member {
                id: user.clone(),
                email: store
                    .user_pos(user)
                    .and_then(|i| store.org.users[i].email.clone())
                    .unwrap_or_default(),
            },
            _ => Actor::Session,
        };
        name_projects(&store, &mut events);
        store.audit.record(events, actor, now);
        Ok(())
    }

    /// Ages the audit log by `by` (every entry that much older), and forgets what is then older
    /// than `retention`: the log as it is after that much time. For tests of a reader's cursor.
    pub fn age_audit(&self, by: Duration, retention: Option<Duration>) {
        let mut store = self.store.write();
        store.audit.age(by.as_secs() as i64);
        if let Some(keep) = retention {
            store.audit.expire(unix_now() - keep.as_secs() as i64);
        }
    }

    /// Every audit entry still held, oldest first.
    pub fn audit_entries(&self) -> Vec<super::AuditEntry> {
        self.store.read().audit.entries().to_vec()
    }

    /// One page of `GET /organization/audit_logs`.
    fn audit_page(&self, query: Option<&str>) -> Result<Bytes, ApiError> {
        if !self.cfg.audit.enabled {
            return Err(audit::disabled());
        }
        let q = audit::AuditQuery::parse(query)?;
        if let Some(keep) = self.cfg.audit.retention {
            self.store
                .write()
                .audit
                .expire(unix_now() - keep.as_secs() as i64);
        }
        audit::list(&self.store.read().audit, &q)
    }
}
