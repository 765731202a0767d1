//! Fault injection: deciding which GET gets which fault, and shaping the broken answers.

use super::config::{FaultKind, Faults};
use super::rng::SharedRng;
use axum::body::Body;
use bytes::Bytes;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

/// The fault for the next GET, if any (a deterministic draw from the shared generator).
pub fn draw(cfg: &Faults, rng: &SharedRng) -> Option<FaultKind> {
    if cfg.rate <= 0.0 || rng.unit() >= cfg.rate {
        return None;
    }
    let kinds = if cfg.kinds.is_empty() {
        FaultKind::ALL
    } else {
        &cfg.kinds[..]
    };
    Some(kinds[(rng.next_u64() % kinds.len() as u64) as usize])
}

pub fn status(kind: FaultKind) -> Option<StatusCode> {
    match kind {
        FaultKind::Status500 => Some(StatusCode::INTERNAL_SERVER_ERROR),
        FaultKind::Status502 => Some(StatusCode::BAD_GATEWAY),
        FaultKind::Status503 => Some(StatusCode::SERVICE_UNAVAILABLE),
        _ => None,
    }
}

/// A 200 whose JSON is cut in half; `Content-Length` is the cut length, so the transport is
/// fine and only the parser notices.
pub fn truncated(body: Bytes) -> Response<Body> {
    let cut = body.slice(..body.len() / 2);
    json_200(Body::from(cut))
}

pub fn malformed() -> Response<Body> {
    json_200(Body::from(
        &b"{\"object\":\"list\",\"data\":[{\"id\":,,]}<html>"[..],
    ))
}

/// Announces the full length, sends a few bytes, then fails the stream so hyper closes the
/// connection mid-body.
pub fn dropped(body: Bytes) -> Response<Body> {
    let len = body.len();
    let head = body.slice(..len.min(16) / 2);
    let stream = futures::stream::iter([
        Ok(head),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "mock: dropped",
        )),
    ]);
    let mut r = json_200(Body::from_stream(stream));
    r.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(len));
    r
}

fn json_200(body: Body) -> Response<Body> {
    let mut r = Response::new(body);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}
