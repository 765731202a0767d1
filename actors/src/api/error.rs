//! Errors of the Admin API client. Each one knows whether retrying can help.

use super::Endpoint;
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

    #[error("{endpoint}: gave up after {attempts} attempts in {} ms: {last}", elapsed.as_millis())]
    GaveUp {
        endpoint: Endpoint,
        attempts: u32,
        elapsed: Duration,
        last: Box<ApiError>,
    },

    #[error("invalid configuration: {0}")]
    Config(String),
}

/// What went wrong below HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    Timeout,
    Connect,
    /// The connection broke while the body was read (reset, closed early).
    Interrupted,
    Other,
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportKind::Timeout => "request timed out",
            TransportKind::Connect => "could not connect",
            TransportKind::Interrupted => "connection interrupted",
            TransportKind::Other => "transport error",
        })
    }
}

impl ApiError {
    /// 429, 5xx, timeouts, connection resets and truncated or malformed bodies are worth
    /// another attempt; 4xx answers and our own protocol checks are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::RateLimited { .. } | ApiError::Body { .. } => true,
            ApiError::Status { status, .. } => *status >= 500,
            ApiError::Transport { kind, .. } => *kind != TransportKind::Other,
            _ => false,
        }
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
}
