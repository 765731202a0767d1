//! `AdminClient`: every call goes through the shared [`Throttle`], is retried (see
//! [`super::retry`]) and is counted per endpoint. Whatever a server sends back is scrubbed of
//! the admin key before anything reads it.

use super::call::Call;
use super::error::{ApiError, Failure};
use super::hedge::{HedgePolicy, Latencies};
use super::models::ErrorEnvelope;
use super::page::{Page, RawPage, TOO_MANY_ITEMS};
use super::retry::{Next, Retry};
use super::stats::ClientStats;
use super::wire::{self, Fetched, InProcess, WireRequest};
use crate::endpoint::Endpoint;
use crate::ids::UnsafeId;
use crate::secret::AdminKey;
use crate::throttle::{Permit, Priority, Throttle, ThrottleConfig};
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// The production Admin API.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// How the client talks to the API.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub base_url: String,
    pub key: AdminKey,
    /// Plain `http://` to a non-loopback host is refused unless this is set.
    pub allow_insecure_http: bool,
    /// Per attempt.
    pub timeout: Duration,
    /// Failed answers one call accepts (5xx, unreadable or broken bodies), the first included.
    /// 429s and attempts that never reached the server do not count: see `retry_budget`.
    pub max_attempts: u32,
    /// The waits the server imposes on one call, summed: backoff after failed answers, the
    /// pauses its 429s ask for, and time the server was unreachable. Time queued behind the
    /// client's own pacing does not count. Every wait is capped by what is left.
    pub retry_budget: Duration,
    /// Page size override (tests page at 1 and 7); `None` = each endpoint's maximum.
    pub page_size: Option<u32>,
    pub throttle: ThrottleConfig,
    /// Talk to this in-process server instead of over HTTP (simulations).
    pub in_process: Option<InProcess>,
    /// When a slow read is asked again (see [`super::hedge`]); `None`: never.
    pub hedge: Option<HedgePolicy>,
}

impl ClientConfig {
    /// Checks what can be checked before any request: the base URL's scheme and host, the
    /// key's characters.
    pub fn check(&self) -> Result<(), ApiError> {
        check_base_url(&self.base_url, self.allow_insecure_http)?;
        if let Some(problem) = self.key.problem() {
            return Err(ApiError::Config(format!(
                "the admin key is malformed: {problem}"
            )));
        }
        Ok(())
    }

    pub fn new(base_url: impl Into<String>, key: AdminKey) -> Self {
        Self {
            base_url: base_url.into(),
            key,
            allow_insecure_http: false,
            timeout: Duration::from_secs(30),
            max_attempts: 8,
            retry_budget: Duration::from_secs(600),
            page_size: None,
            throttle: ThrottleConfig::default(),
            in_process: None,
            hedge: Some(HedgePolicy::default()),
        }
    }
}

/// Cheap to clone: clones share the HTTP pool, the throttle and the counters.
#[derive(Clone)]
pub struct AdminClient {
    wire: Wire,
    base: Arc<str>,
    key: AdminKey,
    config: Arc<ClientConfig>,
    throttle: Throttle,
    stats: ClientStats,
    priority: Priority,
    /// The server has answered once (any status). Until then an unreachable server is not
    /// waited for: a wrong URL, a closed port or a failing TLS handshake ends the run at once
    /// instead of after every list's retry budget.
    answered: Arc<AtomicBool>,
    /// Recent answer times per endpoint, when reads are hedged.
    latencies: Option<Arc<Latencies>>,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient")
            .field("base", &self.base)
            .field("key", &self.key)
            .finish()
    }
}

/// One page from a [`Pager`].
pub struct PageItems<T> {
    pub items: Vec<T>,
    /// No page follows this one.
    pub last: bool,
}

/// The most pages one list is followed for: at 100 items a page, 200,000 objects of one kind
/// (users, projects, keys, members), ten times the largest organization we know of. A server
/// that keeps inventing fresh cursors is stopped here instead of paged forever.
pub const MAX_PAGES_PER_LIST: usize = 2_000;

/// Follows a list's cursors to its end. A cursor the server already gave is an error, not a
/// loop; a page without items ends the list (`Page::normalise`), so every page followed
/// brings at least one item.
pub struct Pager<'a> {
    client: &'a AdminClient,
    req: &'a Call,
    after: Option<String>,
    seen: HashSet<String>,
    done: bool,
}

impl Pager<'_> {
    /// The next page, or `None` once the last one was returned.
    pub async fn next<T: DeserializeOwned>(&mut self) -> Result<Option<PageItems<T>>, ApiError> {
        if self.done {
            return Ok(None);
        }
        let page: Page<T> = self.client.page(self.req, self.after.as_deref()).await?;
        match page.next {
            None => self.done = true,
            Some(_) if self.seen.len() >= MAX_PAGES_PER_LIST => {
                self.done = true;
                return Err(ApiError::UnsafeData {
                    endpoint: self.req.endpoint,
                    detail: format!(
                        "a list longer than {MAX_PAGES_PER_LIST} pages; no organization has that many objects of one kind"
                    ),
                });
            }
            Some(next) if !self.seen.insert(next.clone()) => {
                self.done = true;
                return Err(ApiError::RepeatedCursor {
                    endpoint: self.req.endpoint,
                    cursor: next,
                });
            }
            Some(next) => self.after = Some(next),
        }
        Ok(Some(PageItems {
            items: page.items,
            last: self.done,
        }))
    }
}

/// Checks the scheme: https anywhere, http only to loopback unless explicitly allowed.
pub(super) fn check_base_url(
    base_url: &str,
    allow_insecure_http: bool,
) -> Result<url::Url, ApiError> {
    let url = url::Url::parse(base_url)
        .map_err(|e| ApiError::Config(format!("base URL {base_url:?}: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::Config(
            "the base URL carries credentials (user:password@); the admin key is the only credential, and a URL is printed in logs".to_owned(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ApiError::Config(format!(
            "the base URL {:?} has a query or fragment; give the API root only, e.g. https://api.openai.com/v1",
            url.as_str()
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                None => false,
            };
            if loopback || allow_insecure_http {
                Ok(url)
            } else {
                Err(ApiError::Config(format!(
                    "refusing plain http to {base_url}: the admin key would travel unencrypted; use https, a loopback address, or --allow-insecure-http"
                )))
            }
        }
        other => Err(ApiError::Config(format!(
            "base URL {base_url:?}: unsupported scheme {other:?}"
        ))),
    }
}

/// Where requests go.
#[derive(Clone)]
enum Wire {
    Http(reqwest::Client),
    InProcess(InProcess),
}

impl AdminClient {
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        config.check()?;
        // reqwest is built without a default TLS provider (ring keeps the build small); install
        // ring unless the process already chose one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = match &config.in_process {
            Some(server) => Wire::InProcess(server.clone()),
            None => Wire::Http(
                reqwest::Client::builder()
                    .timeout(config.timeout)
                    .connect_timeout(Duration::from_secs(10))
                    .tcp_nodelay(true)
                    .pool_max_idle_per_host(config.throttle.max_in_flight.max(1))
                    .user_agent(concat!("openai-access/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| ApiError::Config(format!("HTTP client: {e}")))?,
            ),
        };
        let throttle = Throttle::new(config.throttle.clone());
        let latencies = config.hedge.map(|p| Arc::new(Latencies::new(p)));
        Ok(Self {
            wire: http,
            base: config.base_url.trim_end_matches('/').into(),
            key: config.key.clone(),
            throttle,
            stats: ClientStats::default(),
            config: Arc::new(config),
            priority: Priority::Bulk,
            answered: Arc::new(AtomicBool::new(false)),
            latencies,
        })
    }

    /// Whether an admin key's `redacted_value` is the key this client runs with.
    pub fn runs_with(&self, redacted: &str) -> bool {
        self.key.matches_redacted(redacted)
    }

    /// A clone sharing everything (pool, throttle, counters) whose requests go through the
    /// throttle at `priority`: the provisioner's requests overtake bulk sync traffic.
    pub fn with_priority(&self, priority: Priority) -> Self {
        Self {
            priority,
            ..self.clone()
        }
    }

    /// A clone sharing the pool, throttle and latencies whose counters start at zero and also
    /// count into this client's: one sync of a long-lived client reports its own requests.
    pub fn for_run(&self) -> Self {
        Self {
            stats: self.stats.child(),
            ..self.clone()
        }
    }

    pub fn stats(&self) -> &ClientStats {
        &self.stats
    }

    pub fn throttle(&self) -> &Throttle {
        &self.throttle
    }

    /// The page size sent to `endpoint`: its maximum unless overridden.
    pub fn page_size(&self, endpoint: Endpoint) -> u32 {
        let max = endpoint.list().map_or(100, |(_, max)| max);
        self.config.page_size.map_or(max, |p| p.clamp(1, max))
    }

    /// One page of a list.
    pub async fn page<T: DeserializeOwned>(
        &self,
        req: &Call,
        after: Option<&str>,
    ) -> Result<Page<T>, ApiError> {
        let Some((style, _)) = req.endpoint.list() else {
            return Err(ApiError::Config(format!(
                "{} is not a list endpoint",
                req.endpoint
            )));
        };
        let mut query: Vec<(&str, String)> =
            req.query.iter().map(|(k, v)| (*k, v.clone())).collect();
        query.push(("limit", self.page_size(req.endpoint).to_string()));
        if let Some(a) = after {
            query.push(("after", a.to_owned()));
        }
        let raw: RawPage<T> = self.send(req, &query).await?;
        raw.normalise(style).map_err(|_| ApiError::MissingCursor {
            endpoint: req.endpoint,
        })
    }

    /// Pages through `req` one page at a time (see [`Pager`]).
    pub fn pager<'a>(&'a self, req: &'a Call) -> Pager<'a> {
        Pager {
            client: self,
            req,
            after: None,
            seen: HashSet::new(),
            done: false,
        }
    }

    /// Every item of a list.
    pub async fn list_all<T: DeserializeOwned>(&self, req: &Call) -> Result<Vec<T>, ApiError> {
        let mut all = Vec::new();
        let mut pager = self.pager(req);
        while let Some(page) = pager.next::<T>().await? {
            all.extend(page.items);
        }
        Ok(all)
    }

    /// Makes `call` (with retries) and decodes the answer. Mutations are retried too: every
    /// mutation the connector makes is idempotent in effect, and the provisioner re-checks
    /// state before acting.
    pub async fn execute<T: DeserializeOwned>(&self, call: &Call) -> Result<T, ApiError> {
        let query: Vec<(&str, String)> = call.query.iter().map(|(k, v)| (*k, v.clone())).collect();
        self.send(call, &query).await
    }

    /// A single-object GET: `None` when the API answers 404 (an answer: not there).
    pub async fn find<T: DeserializeOwned>(&self, call: &Call) -> Result<Option<T>, ApiError> {
        match self.execute::<T>(call).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        call: &Call,
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        let endpoint = call.endpoint;
        let started = Instant::now();
        let body = match call.body.as_ref().map(serde_json::to_vec).transpose() {
            Ok(b) => b,
            Err(e) => return Err(ApiError::Config(format!("request body: {e}"))),
        };
        let mut retry = Retry::new(self.config.max_attempts, self.config.retry_budget);
        loop {
            let attempt_started = Instant::now();
            let error = match self
                .attempt::<T>(call, query, body.as_deref(), &mut retry)
                .await
            {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if error.failure() == Failure::Unreachable && !self.answered.load(Ordering::Relaxed) {
                self.stats.record_failure(endpoint);
                return Err(error);
            }
            match retry.after(&error, attempt_started.elapsed()) {
                Next::Wait(wait) => {
                    self.stats.record_retry(endpoint);
                    tracing::debug!(endpoint = endpoint.template(), path = %call.path, wait_ms = wait.as_millis() as u64, error = %error, "Retrying request.");
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                }
                Next::Fail => return Err(error),
                Next::GiveUp(why) => {
                    self.stats.record_failure(endpoint);
                    return Err(ApiError::GaveUp {
                        endpoint,
                        attempts: retry.attempts(),
                        why,
                        elapsed: started.elapsed(),
                        last: Box::new(error),
                    });
                }
            }
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        call: &Call,
        query: &[(&str, String)],
        body: Option<&[u8]>,
        retry: &mut Retry,
    ) -> Result<T, ApiError> {
        let endpoint = call.endpoint;
        let permit = self.throttle.acquire_with(endpoint, self.priority).await;
        let req = || WireRequest {
            method: endpoint.method(),
            path: call.path.clone(),
            query: url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish(),
            authorization: format!("Bearer {}", self.key.expose()),
            body: body.map(<[u8]>::to_vec),
        };
        // Only reads are hedged (a second mutation could act twice), and only reads someone
        // waits for: a background read (the usage read, a reconciliation pass) has no deadline,
        // and its pages are slow by nature, so a hedge would be a wasted request.
        let no_hedge = endpoint.is_mutation() || self.priority == Priority::Background;
        let (fetched, mut permit) = match (&self.latencies, no_hedge) {
            (Some(l), false) => self.hedged(endpoint, &req, permit, l).await,
            _ => (self.exchange(endpoint, req()).await, permit),
        };
        let fetched = fetched?;
        let status = fetched.status;
        self.answered.store(true, Ordering::Relaxed);
        if status == 429 {
            let asked = fetched.retry_after;
            self.stats.record_rate_limited(endpoint);
            let pause = retry.pause_for(endpoint, asked, self.throttle.default_pause());
            self.throttle.on_rate_limited(&mut permit, Some(pause));
            let message = fetched
                .body
                .ok()
                .and_then(|b| self.error_message(&b).map(|(m, _)| m));
            return Err(ApiError::RateLimited {
                endpoint,
                retry_after: asked,
                message: message.unwrap_or_default(),
            });
        }
        let bytes = fetched.body?;
        if !(200..300).contains(&status) {
            let (message, code) = self.error_message(&bytes).unwrap_or_else(|| {
                (
                    format!("no error message (body: {} bytes)", bytes.len()),
                    None,
                )
            });
            return Err(ApiError::Status {
                endpoint,
                status,
                message,
                code,
            });
        }
        self.throttle.on_success(&mut permit);
        let bytes = self.key.scrub_json(&bytes);
        serde_json::from_slice(&bytes).map_err(|e| {
            let detail = self.key.server_text(&e.to_string());
            if detail.starts_with(UnsafeId::MARKER) || detail.starts_with(TOO_MANY_ITEMS) {
                ApiError::UnsafeData { endpoint, detail }
            } else {
                ApiError::Body { endpoint, detail }
            }
        })
    }
}

impl AdminClient {
    /// The error envelope's message and code, decoded first and then made safe: our key in
    /// any form a server may echo it (JSON-escaped, percent-encoded, base64, part of it), and
    /// anything else that looks like a credential, redacted.
    fn error_message(&self, body: &[u8]) -> Option<(String, Option<String>)> {
        serde_json::from_slice::<ErrorEnvelope>(body).ok().map(|e| {
            (
                self.key.server_text(&e.error.message),
                e.error.code.map(|c| self.key.server_text(&c)),
            )
        })
    }

    /// One request on the wire, counted and timed.
    async fn exchange(&self, endpoint: Endpoint, req: WireRequest) -> Result<Fetched, ApiError> {
        self.stats.record_request(endpoint);
        let sent = Instant::now();
        let fetched = match &self.wire {
            Wire::Http(http) => wire::over_http(http, &self.base, endpoint, req).await,
            Wire::InProcess(server) => {
                wire::in_process(&*server.0, endpoint, self.config.timeout, req).await
            }
        };
        if let (Some(l), Ok(f)) = (&self.latencies, &fetched)
            && f.body.is_ok()
        {
            l.record(endpoint, sent.elapsed());
        }
        fetched
    }

    /// [`AdminClient::exchange`], asked again once the hedge deadline has passed without an
    /// answer, if the throttle has a spare slot and `endpoint`'s budget has room (see
    /// `Throttle::try_spare`); at most once. The first answer wins, whatever it says; the
    /// other request is dropped and its permit with it (the throttle records its outcome as
    /// unknown). Returns the winner's permit.
    async fn hedged(
        &self,
        endpoint: Endpoint,
        req: &(dyn Fn() -> WireRequest + Sync),
        permit: Permit,
        latencies: &Latencies,
    ) -> (Result<Fetched, ApiError>, Permit) {
        let sent = tokio::time::Instant::now();
        let first = self.exchange(endpoint, req());
        tokio::pin!(first);
        // The deadline is read again on every wake-up: a read sent before enough answers were
        // known (the first round trips, which are the critical chain's start) becomes
        // hedgeable once they are. Room is looked for again on every wake-up too: it comes
        // and goes (a slot frees, the frontier grows, a pace token comes due).
        let spare = loop {
            // One percentile per wake-up: it sorts the endpoint's window.
            let after = latencies.hedge_after(endpoint);
            let soonest = tokio::time::Instant::now() + latencies.floor();
            let wake = after.map_or(soonest, |a| (sent + a).max(soonest));
            tokio::select! {
                fetched = &mut first => return (fetched, permit),
                () = tokio::time::sleep_until(wake) => {}
            }
            if after.is_none_or(|a| sent.elapsed() < a) {
                continue;
            }
            let spare = tokio::select! {
                fetched = &mut first => return (fetched, permit),
                slot = self.throttle.spare_slot() => {
                    slot.and_then(|s| self.throttle.try_spare(endpoint, s))
                }
            };
            if let Some(spare) = spare {
                break spare;
            }
        };
        self.stats.record_hedge(endpoint);
        tracing::debug!(
            endpoint = endpoint.template(),
            waited_ms = sent.elapsed().as_millis() as u64,
            "Hedging a slow request."
        );
        let second = self.exchange(endpoint, req());
        tokio::pin!(second);
        tokio::select! {
            fetched = &mut first => (fetched, permit),
            fetched = &mut second => (fetched, spare),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_base_url("http://127.0.0.1:8080/v1", false).is_ok());
        assert!(check_base_url("http://localhost/v1", false).is_ok());
        assert!(check_base_url("http://[::1]:9/v1", false).is_ok());
        assert!(check_base_url("https://api.openai.com/v1", false).is_ok());
        assert!(check_base_url("http://10.0.0.1/v1", false).is_err());
        assert!(check_base_url("http://10.0.0.1/v1", true).is_ok());
        assert!(check_base_url("ftp://x/v1", true).is_err());
    }
}
