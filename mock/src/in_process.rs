//! The mock without a socket: a `Transport` the client calls directly. On a paused tokio clock
//! (see `block_on_simulated`) a whole sync against it runs in virtual time: hours of a rate
//! limit of ten requests a minute in seconds, deterministically.

use super::config::MockConfig;
use super::pipeline::{MockRequest, Shared, answer};
use super::presets::generate;
use super::reply::ReplyBody;
use super::store::Store;
use hyper::header::{HeaderValue, RETRY_AFTER};
use openai_access_actors::api::TransportKind;
use openai_access_actors::api::{InProcess, Transport, WireRequest, WireResponse};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

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
}

/// Its controls (stats, changes, limits, outages) are the shared state's.
impl std::ops::Deref for InProcessMock {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
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
                    content_type: req.body.is_some().then(|| "application/json".to_owned()),
                    body: Some(req.body.unwrap_or_default().into()),
                },
            )
            .await;
            let mut headers = hyper::header::HeaderMap::new();
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
