//! The mock without a socket: a `Transport` the client calls directly. On a paused tokio clock
//! (see `block_on_simulated`) a whole sync against it runs in virtual time: hours of a rate
//! limit of ten requests a minute in seconds, deterministically.

use super::config::MockConfig;
use super::pipeline::{MockRequest, Shared, answer};
use super::presets::generate;
use super::reply::ReplyBody;
use super::state::Org;
use super::stats::MockStats;
use super::store::Store;
use crate::api::error::TransportKind;
use crate::api::{InProcess, Transport, WireRequest, WireResponse};
use hyper::header::{HeaderValue, RETRY_AFTER};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A mock org answering in-process.
pub struct InProcessMock {
    shared: Shared,
}

impl InProcessMock {
    pub fn start(cfg: MockConfig) -> Arc<Self> {
        let org = generate(cfg.preset, cfg.seed);
        Arc::new(Self {
            shared: Shared::new(cfg, Store::new(org)),
        })
    }

    /// What a `ClientConfig` needs to talk to it.
    pub fn transport(self: &Arc<Self>) -> InProcess {
        InProcess(self.clone())
    }

    pub fn stats(&self) -> MockStats {
        self.shared.counters.snapshot()
    }

    pub fn reset_stats(&self) {
        self.shared.counters.reset();
    }

    /// See [`Shared::rest`].
    pub fn rest(&self) {
        self.shared.rest();
    }

    pub fn org(&self) -> Org {
        self.shared.org()
    }

    /// See [`Shared::lift_limits`].
    pub fn lift_limits(&self, lifted: bool) {
        self.shared.lift_limits(lifted);
    }

    /// See [`Shared::outage`].
    pub fn outage(&self, lasting: Duration) {
        self.shared.outage(lasting);
    }

    /// See [`Shared::change`].
    pub fn change(&self, change: &super::Change) -> Result<(), String> {
        self.shared.change(change).map_err(|e| e.message)
    }

    /// See [`Shared::age_audit`].
    pub fn age_audit(&self, by: Duration, retention: Option<Duration>) {
        self.shared.age_audit(by, retention);
    }

    /// See [`Shared::audit_entries`].
    pub fn audit_entries(&self) -> Vec<super::AuditEntry> {
        self.shared.audit_entries()
    }
}

impl Transport for InProcessMock {
    fn send(
        &self,
        req: WireRequest,
    ) -> Pin<Box<dyn Future<Output = Result<WireResponse, TransportKind>> + Send + '_>> {
        Box::pin(async move {
            let reply = answer(
                &self.shared,
                MockRequest {
                    method: req.method.to_owned(),
                    path: format!("/v1{}", req.path),
                    query: (!req.query.is_empty()).then_some(req.query),
                    authorization: Some(req.authorization.into_bytes()),
                    body: Some(req.body.unwrap_or_default().into()),
                },
            )
            .await;
            let mut headers = reqwest::header::HeaderMap::new();
            if let Some(secs) = reply.retry_after {
                headers.insert(RETRY_AFTER, HeaderValue::from(secs));
            }
            Ok(WireResponse {
                status: reply.status.as_u16(),
                headers,
                body: match reply.body {
                    ReplyBody::Json(b) => Ok(b),
                    ReplyBody::Dropped { .. } => Err(TransportKind::Interrupted),
                },
            })
        })
    }
}
