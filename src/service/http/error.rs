//! The one shape every HTTP error has: `{"error": {"status", "code", "message"}}`, where
//! `code` is stable (for programs) and `message` says what to do (for people).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use openai_access_actors::provisioner::{Guard, ProvisionError};
use openai_access_actors::review::ReviewError;
use serde_json::json;

#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl Failure {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn no_graph() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_graph_yet",
            "no complete grant graph yet: the first sync is still running (see /readyz)",
        )
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send the service's API token as `Authorization: Bearer TOKEN`",
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for Failure {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            r.insert_header(("WWW-Authenticate", "Bearer"));
        }
        r.json(json!({"error": {
            "status": self.status.as_u16(),
            "code": self.code,
            "message": self.message,
        }}))
    }
}

impl From<ReviewError> for Failure {
    fn from(e: ReviewError) -> Self {
        match e {
            ReviewError::NotFound { .. } => Self::not_found(e.to_string()),
            ReviewError::Ambiguous { .. } => {
                Self::new(StatusCode::CONFLICT, "ambiguous", e.to_string())
            }
            ReviewError::NotASync(_) => Self::internal(e.to_string()),
        }
    }
}

impl From<ProvisionError> for Failure {
    fn from(e: ProvisionError) -> Self {
        let (status, code) = match &e {
            ProvisionError::Refused(_) => (StatusCode::CONFLICT, "refused"),
            ProvisionError::InvalidId { .. } => (StatusCode::BAD_REQUEST, "invalid_id"),
            ProvisionError::NotFound { .. } | ProvisionError::NotFoundNear { .. } => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            ProvisionError::Api { .. } => (StatusCode::BAD_GATEWAY, "api_error"),
            ProvisionError::Stopped => (StatusCode::SERVICE_UNAVAILABLE, "stopping"),
        };
        let mut message = e.to_string();
        match e.overridable() {
            Some(Guard::SelfLockout) => message.push_str(" (send \"allow_self_lockout\": true)"),
            Some(Guard::Scim) => message.push_str(" (send \"allow_scim_override\": true)"),
            None => {}
        }
        Self::new(status, code, message)
    }
}

/// Body errors (malformed JSON, too large, wrong content type) in the same shape.
pub fn json_body_error(e: actix_web::error::JsonPayloadError) -> Failure {
    use actix_web::error::JsonPayloadError as J;
    match &e {
        J::Overflow { limit } | J::OverflowKnownLength { limit, .. } => Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than {limit} bytes"),
        ),
        J::ContentType => Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type",
            "send the body as JSON (Content-Type: application/json)",
        ),
        J::Deserialize(d) => {
            Failure::bad_request(format!("the body is not what this route takes: {d}"))
        }
        _ => Failure::bad_request(format!("cannot read the body: {e}")),
    }
}
