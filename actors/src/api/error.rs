//! Errors of the Admin API client. Each one knows whether retrying can help.

use crate::endpoint::Endpoint;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{endpoint}: rate limited (HTTP 429){}: {message}", retry_after.map(|d| format!(", retry after {} ms", d.as_millis())).unwrap_or_default())]
    RateLimited {
        endpoint: Endpoint,
        retry_after: Option<Duration>,
        message: String,
    },

    #[error("{endpoint}: HTTP {status}: {message}")]
    Status {
        endpoint: Endpoint,
        status: u16,
        message: String,
        code: Option<String>,
    },

    #[error("{endpoint}: {kind} ({detail})")]
    Transport {
        endpoint: Endpoint,
        kind: TransportKind,
        detail: String,
    },

    #[error("{endpoint}: unreadable response body ({detail})")]
    Body { endpoint: Endpoint, detail: String },

    #[error("{endpoint}: the server repeated cursor {cursor:?}; stopping instead of looping")]
    RepeatedCursor { endpoint: Endpoint, cursor: String },

    #[error("{endpoint}: has_more is true but the page names no cursor")]
    MissingCursor { endpoint: Endpoint },

    /// The server answered with data this client refuses to act on (an id that is not a single
    /// safe path segment). Not retried: the same server would say the same.
    #[error("{endpoint}: the server returned unusable data ({detail}); refusing to act on it")]
    UnsafeData { endpoint: Endpoint, detail: String },

    #[error("{endpoint}: gave up after {attempts} attempts ({why}) in {} ms: {}", elapsed.as_millis(), said_without(last, *endpoint))]
    GaveUp {
        endpoint: Endpoint,
        /// Requests sent for this call, 429s included.
        attempts: u32,
        /// What ran out: failed answers, or the retry budget.
        why: String,
        elapsed: Duration,
        last: Box<ApiError>,
    },

    #[error("invalid configuration: {0}")]
    Config(String),
}

/// `e` as said after its endpoint has been named once already.
fn said_without(e: &ApiError, endpoint: Endpoint) -> String {
    let said = e.to_string();
    match said.strip_prefix(&format!("{endpoint}: ")) {
        Some(rest) => rest.to_owned(),
        None => said,
    }
}

/// What went wrong below HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    Timeout,
    Connect,
    /// The connection broke while the body was read (reset, closed early).
    Interrupted,
    /// TLS failed (an untrusted or invalid certificate, a failed handshake): retrying cannot
    /// help, and the server may not be the one meant.
    Tls,
    Other,
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportKind::Timeout => "request timed out",
            TransportKind::Connect => "could not connect",
            TransportKind::Interrupted => "connection interrupted",
            TransportKind::Tls => "TLS failed",
            TransportKind::Other => "transport error",
        })
    }
}

/// How a failed attempt counts against a call's retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The server answered and the answer was no good (5xx, an unreadable or broken body):
    /// counts against `max_attempts`.
    Answer,
    /// 429: the throttle's business (pause, slow down); only the pause counts, against the
    /// retry budget.
    RateLimited,
    /// No answer at all (could not connect, timed out): the time counts against the retry
    /// budget, as an outage.
    Unreachable,
    /// Retrying cannot help.
    Permanent,
}

impl ApiError {
    /// The error behind a `GaveUp`, else this one.
    pub fn root(&self) -> &ApiError {
        match self {
            ApiError::GaveUp { last, .. } => last.root(),
            other => other,
        }
    }

    /// How this error counts when a call decides whether to try again.
    pub fn failure(&self) -> Failure {
        match self {
            ApiError::RateLimited { .. } => Failure::RateLimited,
            ApiError::Body { .. } => Failure::Answer,
            ApiError::Status { status, .. } if *status >= 500 => Failure::Answer,
            ApiError::Transport { kind, .. } => match kind {
                TransportKind::Timeout | TransportKind::Connect => Failure::Unreachable,
                TransportKind::Interrupted => Failure::Answer,
                TransportKind::Tls | TransportKind::Other => Failure::Permanent,
            },
            _ => Failure::Permanent,
        }
    }

    /// 429, 5xx, timeouts, connection resets and truncated or malformed bodies are worth
    /// another attempt; 4xx answers and our own protocol checks are not.
    pub fn is_retryable(&self) -> bool {
        self.failure() != Failure::Permanent
    }

    /// The server's own wait hint, if it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status, looking through a final `GaveUp`.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            ApiError::RateLimited { .. } => Some(429),
            ApiError::GaveUp { last, .. } => last.status(),
            _ => None,
        }
    }

    /// The API's machine-readable error code, looking through a final `GaveUp`.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Status { code, .. } => code.as_deref(),
            ApiError::GaveUp { last, .. } => last.code(),
            _ => None,
        }
    }

    pub fn endpoint(&self) -> Option<Endpoint> {
        match self {
            ApiError::RateLimited { endpoint, .. }
            | ApiError::Status { endpoint, .. }
            | ApiError::Transport { endpoint, .. }
            | ApiError::Body { endpoint, .. }
            | ApiError::RepeatedCursor { endpoint, .. }
            | ApiError::MissingCursor { endpoint }
            | ApiError::UnsafeData { endpoint, .. }
            | ApiError::GaveUp { endpoint, .. } => Some(*endpoint),
            ApiError::Config(_) => None,
        }
    }

    /// 401: the key is wrong. Nothing else will work either.
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// 403: the key lacks a permission (or the plan lacks a feature).
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
    }

    /// 403 because of the organization's plan (a free plan cannot list group members), not
    /// the key: expected, and said once by the sync rather than per list.
    pub fn refused_by_plan(&self) -> bool {
        self.is_forbidden()
            && (self.code().is_some_and(|c| c.contains("plan"))
                || self.to_string().to_ascii_lowercase().contains("plan"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_up_call_names_its_endpoint_once() {
        let e = ApiError::GaveUp {
            endpoint: Endpoint::ListUsers,
            attempts: 2,
            why: "2 failed answers".into(),
            elapsed: Duration::from_millis(30),
            last: Box::new(ApiError::Status {
                endpoint: Endpoint::ListUsers,
                status: 500,
                message: "boom".into(),
                code: None,
            }),
        };
        let said = e.to_string();
        assert_eq!(said.matches("/organization/users").count(), 1, "{said}");
        assert!(said.ends_with(": HTTP 500: boom"), "{said}");
    }
}
