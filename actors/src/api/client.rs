//! `AdminClient`: every call goes through the shared [`Throttle`], is retried with exponential
//! backoff and jitter (the `backoff` crate) within a bounded number of attempts and time, and
//! is counted per endpoint.

use super::Endpoint;
use super::error::{ApiError, TransportKind};
use super::models::ErrorEnvelope;
use super::page::{Page, RawPage};
use super::request::ListRequest;
use super::stats::ClientStats;
use crate::secret::AdminKey;
use crate::throttle::{Priority, Throttle, ThrottleConfig};
use backoff::ExponentialBackoff;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

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
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// Total time one call may spend retrying.
    pub retry_budget: Duration,
    /// Page size override (tests page at 1 and 7); `None` = each endpoint's maximum.
    pub page_size: Option<u32>,
    pub throttle: ThrottleConfig,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, key: AdminKey) -> Self {
        Self {
            base_url: base_url.into(),
            key,
            allow_insecure_http: false,
            timeout: Duration::from_secs(30),
            max_attempts: 8,
            retry_budget: Duration::from_secs(120),
            page_size: None,
            throttle: ThrottleConfig::default(),
        }
    }
}

/// Cheap to clone: clones share the HTTP pool, the throttle and the counters.
#[derive(Clone)]
pub struct AdminClient {
    http: reqwest::Client,
    base: Arc<str>,
    key: AdminKey,
    config: Arc<ClientConfig>,
    throttle: Throttle,
    stats: ClientStats,
    priority: Priority,
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

/// Follows a list's cursors to its end. A cursor the server already gave is an error, not a
/// loop.
pub struct Pager<'a> {
    client: &'a AdminClient,
    req: &'a ListRequest,
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
pub fn check_base_url(base_url: &str, allow_insecure_http: bool) -> Result<url::Url, ApiError> {
    let url = url::Url::parse(base_url)
        .map_err(|e| ApiError::Config(format!("base URL {base_url:?}: {e}")))?;
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

impl AdminClient {
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        check_base_url(&config.base_url, config.allow_insecure_http)?;
        // reqwest is built without a default TLS provider (ring keeps the build small); install
        // ring unless the process already chose one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            .pool_max_idle_per_host(config.throttle.max_in_flight.max(1))
            .user_agent(concat!("openai-access/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Config(format!("HTTP client: {e}")))?;
        let throttle = Throttle::new(config.throttle.clone());
        Ok(Self {
            http,
            base: config.base_url.trim_end_matches('/').into(),
            key: config.key.clone(),
            throttle,
            stats: ClientStats::default(),
            config: Arc::new(config),
            priority: Priority::Bulk,
        })
    }

    /// A clone sharing everything (pool, throttle, counters) whose requests go through the
    /// throttle at `priority`: the provisioner's requests overtake bulk sync traffic.
    pub fn with_priority(&self, priority: Priority) -> Self {
        Self {
            priority,
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
        req: &ListRequest,
        after: Option<&str>,
    ) -> Result<Page<T>, ApiError> {
        let Some((style, _)) = req.endpoint.list() else {
            return Err(ApiError::Config(format!(
                "{} is not a list endpoint",
                req.endpoint
            )));
        };
        let mut query: Vec<(&str, String)> = req.query.clone();
        query.push(("limit", self.page_size(req.endpoint).to_string()));
        if let Some(a) = after {
            query.push(("after", a.to_owned()));
        }
        let raw: RawPage<T> = self
            .call(
                req.endpoint,
                reqwest::Method::GET,
                &req.path,
                &query,
                None::<&()>,
            )
            .await?;
        raw.normalise(style).map_err(|_| ApiError::MissingCursor {
            endpoint: req.endpoint,
        })
    }

    /// Pages through `req` one page at a time (see [`Pager`]).
    pub fn pager<'a>(&'a self, req: &'a ListRequest) -> Pager<'a> {
        Pager {
            client: self,
            req,
            after: None,
            seen: HashSet::new(),
            done: false,
        }
    }

    /// Every item of a list.
    pub async fn list_all<T: DeserializeOwned>(
        &self,
        req: &ListRequest,
    ) -> Result<Vec<T>, ApiError> {
        let mut all = Vec::new();
        let mut pager = self.pager(req);
        while let Some(page) = pager.next::<T>().await? {
            all.extend(page.items);
        }
        Ok(all)
    }

    /// One API call with retries. Mutations are retried too: every mutation the connector
    /// makes is idempotent in effect, and the provisioner re-checks state before acting.
    pub async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        endpoint: Endpoint,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let started = Instant::now();
        let attempts = AtomicU32::new(0);
        let body = match body.map(serde_json::to_vec).transpose() {
            Ok(b) => b,
            Err(e) => return Err(ApiError::Config(format!("request body: {e}"))),
        };
        let policy = ExponentialBackoff {
            initial_interval: Duration::from_millis(100),
            max_interval: Duration::from_secs(10),
            multiplier: 2.0,
            randomization_factor: 0.3,
            max_elapsed_time: Some(self.config.retry_budget),
            ..ExponentialBackoff::default()
        };
        let op = || async {
            let n = attempts.fetch_add(1, Ordering::AcqRel) + 1;
            match self
                .attempt::<T>(endpoint, method.clone(), path, query, body.as_deref())
                .await
            {
                Ok(v) => Ok(v),
                Err(e)
                    if e.is_retryable()
                        && n < self.config.max_attempts
                        && started.elapsed() < self.config.retry_budget =>
                {
                    let retry_after = e.retry_after();
                    Err(backoff::Error::Transient {
                        err: e,
                        retry_after,
                    })
                }
                Err(e) => Err(backoff::Error::Permanent(e)),
            }
        };
        let notify = |e: ApiError, wait: Duration| {
            self.stats.record_retry(endpoint);
            tracing::debug!(endpoint = endpoint.template(), path, wait_ms = wait.as_millis() as u64, error = %e, "Retrying request.");
        };
        match backoff::future::retry_notify(policy, op, notify).await {
            Ok(v) => Ok(v),
            Err(e) => {
                let attempts = attempts.load(Ordering::Acquire);
                if e.is_retryable() {
                    self.stats.record_failure(endpoint);
                    Err(ApiError::GaveUp {
                        endpoint,
                        attempts,
                        elapsed: started.elapsed(),
                        last: Box::new(e),
                    })
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&[u8]>,
    ) -> Result<T, ApiError> {
        let mut permit = self.throttle.acquire_with(endpoint, self.priority).await;
        self.stats.record_request(endpoint);
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(self.key.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(b) = body {
            req = req.body(b.to_vec());
        }
        let resp = req.send().await.map_err(|e| transport(endpoint, &e))?;
        let status = resp.status().as_u16();
        if status == 429 {
            let retry_after = retry_after(resp.headers());
            self.stats.record_rate_limited(endpoint);
            self.throttle.on_rate_limited(&mut permit, retry_after);
            let message = resp
                .bytes()
                .await
                .ok()
                .and_then(|b| error_message(&b).map(|(m, _)| m))
                .unwrap_or_default();
            return Err(ApiError::RateLimited {
                endpoint,
                retry_after,
                message,
            });
        }
        let bytes = resp.bytes().await.map_err(|e| transport(endpoint, &e))?;
        if !(200..300).contains(&status) {
            let (message, code) = error_message(&bytes).unwrap_or_else(|| {
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
        serde_json::from_slice(&bytes).map_err(|e| ApiError::Body {
            endpoint,
            detail: e.to_string(),
        })
    }
}

fn transport(endpoint: Endpoint, e: &reqwest::Error) -> ApiError {
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else if e.is_body() || e.is_decode() || e.is_request() {
        TransportKind::Interrupted
    } else {
        TransportKind::Other
    };
    // reqwest's messages never contain headers, so the key cannot leak through them.
    ApiError::Transport {
        endpoint,
        kind,
        detail: e.to_string(),
    }
}

fn error_message(body: &[u8]) -> Option<(String, Option<String>)> {
    serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .map(|e| (e.error.message, e.error.code))
}

/// `Retry-After-Ms` (milliseconds), else `Retry-After` (seconds or an HTTP date).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let v = text("retry-after")?;
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
        let mut d = HeaderMap::new();
        d.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&d), Some(Duration::ZERO));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

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
