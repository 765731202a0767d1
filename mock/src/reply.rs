//! What the mock answers, before it is HTTP: a status, a JSON body, and the ways a faulty
//! server breaks a body. The HTTP layer (`server`) and the in-process transport both write it.

use super::error::ApiError;
use bytes::Bytes;
use hyper::StatusCode;

/// One answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub status: StatusCode,
    /// `Retry-After` in whole seconds, on a 429.
    pub retry_after: Option<u64>,
    pub body: ReplyBody,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ReplyBody {
    Json(Bytes),
    /// The connection closes after these bytes, though `Content-Length` announced `len`.
    Dropped {
        head: Bytes,
        len: usize,
    },
}

impl Reply {
    pub fn ok(body: Bytes) -> Self {
        Self {
            status: StatusCode::OK,
            retry_after: None,
            body: ReplyBody::Json(body),
        }
    }

    pub fn error(e: &ApiError) -> Self {
        Self {
            status: e.status,
            retry_after: None,
            body: ReplyBody::Json(e.body()),
        }
    }
}
