//! How a request reaches a server and its answer comes back: over HTTP (reqwest), or straight
//! into an in-process server (the mock, in a simulation on a paused clock). The client sees
//! one shape either way, so retries, the throttle and every check behave the same.

use super::error::{ApiError, TransportKind};
use super::retry_after::retry_after;
use crate::endpoint::Endpoint;
use crate::secret::server_text;
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// The largest response read: far above the largest real page (1,000 role assignments, well
/// under 1 MiB), so only a broken or hostile server meets it; its list fails cleanly instead of
/// exhausting memory (with 64 requests in flight, 64 times over).
pub(super) const MAX_RESPONSE_BYTES: usize = 32 << 20;

/// One request as it goes on the wire (the key in `authorization`).
pub struct WireRequest {
    pub method: &'static str,
    /// Relative to the API's root, e.g. `/organization/users`.
    pub path: String,
    /// Already encoded, without `?`.
    pub query: String,
    pub authorization: String,
    pub body: Option<Vec<u8>>,
}

/// What came back: the status, the wait a 429 asked for, and the body (or why it broke).
pub(super) struct Fetched {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Result<Bytes, ApiError>,
}

/// A server reached without a network.
pub trait Transport: Send + Sync {
    fn send(
        &self,
        req: WireRequest,
    ) -> Pin<Box<dyn Future<Output = Result<WireResponse, TransportKind>> + Send + '_>>;
}

/// An in-process server's answer.
pub struct WireResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// `Err` when the server broke the body off.
    pub body: Result<Bytes, TransportKind>,
}

/// A `Transport` to put in a `ClientConfig`.
#[derive(Clone)]
pub struct InProcess(pub Arc<dyn Transport>);

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcess")
    }
}

/// Sends `req` over HTTP and reads the answer, at most [`MAX_RESPONSE_BYTES`] of it.
pub(super) async fn over_http(
    http: &reqwest::Client,
    base: &str,
    endpoint: Endpoint,
    req: WireRequest,
) -> Result<Fetched, ApiError> {
    let method = match req.method {
        "POST" => reqwest::Method::POST,
        "DELETE" => reqwest::Method::DELETE,
        _ => reqwest::Method::GET,
    };
    let mut url = format!("{base}{}", req.path);
    if !req.query.is_empty() {
        url.push('?');
        url.push_str(&req.query);
    }
    let mut r = http
        .request(method, url)
        .header(reqwest::header::AUTHORIZATION, req.authorization)
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    if let Some(b) = req.body {
        r = r.body(b);
    }
    let mut resp = r.send().await.map_err(|e| transport(endpoint, &e))?;
    let status = resp.status().as_u16();
    let retry_after = (status == 429)
        .then(|| retry_after(resp.headers()))
        .flatten();
    let too_large = || ApiError::UnsafeData {
        endpoint,
        detail: format!("a response larger than {} MiB", MAX_RESPONSE_BYTES >> 20),
    };
    let body = async {
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut buf = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport(endpoint, &e))? {
            if buf.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(too_large());
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(buf))
    }
    .await;
    Ok(Fetched {
        status,
        retry_after,
        body,
    })
}

/// Sends `req` to an in-process server, giving up after `timeout` as the HTTP client would.
pub(super) async fn in_process(
    server: &dyn Transport,
    endpoint: Endpoint,
    timeout: Duration,
    req: WireRequest,
) -> Result<Fetched, ApiError> {
    let failed = |kind| ApiError::Transport {
        endpoint,
        kind,
        detail: "in-process server".to_owned(),
    };
    let r = tokio::time::timeout(timeout, server.send(req))
        .await
        .map_err(|_| failed(TransportKind::Timeout))?
        .map_err(failed)?;
    Ok(Fetched {
        status: r.status,
        retry_after: (r.status == 429).then(|| retry_after(&r.headers)).flatten(),
        body: r.body.map_err(failed),
    })
}

fn transport(endpoint: Endpoint, e: &reqwest::Error) -> ApiError {
    // reqwest's own message is generic ("error sending request"); the cause is in the chain.
    let mut causes = String::new();
    let mut tls = false;
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        causes.push_str(": ");
        causes.push_str(&cause.to_string());
        tls |= cause.downcast_ref::<rustls::Error>().is_some()
            || cause
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
        source = cause.source();
    }
    // A connection that was made (TCP and name resolution worked) and then failed before any
    // HTTP over https failed in TLS; rustls' own errors may arrive boxed where they cannot be
    // told apart by type.
    let lower = causes.to_ascii_lowercase();
    tls |= lower.contains("certificate")
        || (e.is_connect()
            && e.url().is_some_and(|u| u.scheme() == "https")
            && !lower.contains("tcp connect error")
            && !lower.contains("dns error"));
    let detail = format!("{e}{causes}");
    let kind = if tls {
        TransportKind::Tls
    } else if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else if e.is_body() || e.is_decode() || e.is_request() {
        TransportKind::Interrupted
    } else {
        TransportKind::Other
    };
    // reqwest's messages never contain headers; the URL they may quote holds no secret (the
    // base URL may not carry credentials). Redacted all the same: it is text we print.
    ApiError::Transport {
        endpoint,
        kind,
        detail: server_text(&detail),
    }
}
