//! Fault injection: deciding which GET gets which fault, and shaping the broken answers.

use super::config::{FaultKind, Faults};
use super::reply::{Reply, ReplyBody};
use super::rng::SharedRng;
use bytes::Bytes;
use hyper::StatusCode;

/// The fault for the next GET, if any (a deterministic draw from the shared generator).
pub(crate) fn draw(cfg: &Faults, rng: &SharedRng) -> Option<FaultKind> {
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

pub(crate) fn status(kind: FaultKind) -> Option<StatusCode> {
    match kind {
        FaultKind::Status500 => Some(StatusCode::INTERNAL_SERVER_ERROR),
        FaultKind::Status502 => Some(StatusCode::BAD_GATEWAY),
        FaultKind::Status503 => Some(StatusCode::SERVICE_UNAVAILABLE),
        _ => None,
    }
}

/// A 200 whose JSON is cut in half; `Content-Length` is the cut length, so the transport is
/// fine and only the parser notices.
pub(crate) fn truncated(body: Bytes) -> Reply {
    Reply::ok(body.slice(..body.len() / 2))
}

pub(crate) fn malformed() -> Reply {
    Reply::ok(Bytes::from_static(
        b"{\"object\":\"list\",\"data\":[{\"id\":,,]}<html>",
    ))
}

/// Announces the full length, sends a few bytes, then the connection closes mid-body.
pub(crate) fn dropped(body: Bytes) -> Reply {
    let len = body.len();
    Reply {
        body: ReplyBody::Dropped {
            head: body.slice(..len.min(16) / 2),
            len,
        },
        ..Reply::ok(Bytes::new())
    }
}
