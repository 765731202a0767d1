//! The API's error envelope, as the mock answers it (REFERENCE §1: 401/403/404/409 are not in
//! the spec, so they reuse the one envelope it does define).

use bytes::Bytes;
use hyper::StatusCode;
use openai_access_actors::api::models::{ErrorBody, ErrorEnvelope};

/// An error answer: status plus the four envelope fields.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub param: Option<&'static str>,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            code: None,
            param: None,
            message: message.into(),
        }
    }

    pub fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub fn param(mut self, param: &'static str) -> Self {
        self.param = Some(param);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!("No such {what}: {id}"),
        )
        .code("not_found")
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "invalid_request_error", message).code("conflict")
    }

    pub fn archived(project: &str) -> Self {
        Self::bad_request(format!(
            "Project {project} is archived: an archived project is read-only, and its users and service accounts are no longer listed"
        ))
        .code("project_archived")
    }

    pub fn server(status: StatusCode) -> Self {
        Self::new(
            status,
            "server_error",
            "The server had an error while processing your request. Sorry about that!",
        )
    }

    pub fn body(&self) -> Bytes {
        let env = ErrorEnvelope {
            error: ErrorBody {
                message: self.message.clone(),
                kind: Some(self.kind.to_owned()),
                param: self.param.map(str::to_owned),
                code: self.code.map(str::to_owned),
            },
        };
        // Serialising plain strings cannot fail; an empty body is the harmless fallback.
        serde_json::to_vec(&env)
            .map(Bytes::from)
            .unwrap_or_default()
    }
}
