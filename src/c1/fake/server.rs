//! The fake's listener: TLS on every connection (HTTP/2 or HTTP/1.1 by ALPN), connections cut
//! on demand, and each request routed by path and content type to the control API, the token
//! endpoint or BatonService.

use super::http::{CONTROL_PREFIX, json};
use super::state::Availability;
use super::{Shared, baton, control, token};
use crate::c1::wire::TOKEN_PATH;
use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tonic::body::Body;

/// A client that opens a connection and says nothing is dropped after this long.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let tcp = tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(error) => {
                    tracing::warn!(error = %error, "fake ConductorOne: accept failed");
                    continue;
                }
            },
        };
        if shared.state.lock().availability == Availability::Refusing {
            drop(tcp);
            continue;
        }
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        let mut cut = shared.cut.subscribe();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(error)) => {
                    tracing::debug!(error = %error, "fake ConductorOne: TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(route(shared, request).await) }
            });
            let builder = auto::Builder::new(TokioExecutor::new());
            let connection = builder.serve_connection(TokioIo::new(tls), service);
            // Dropping the connection closes the socket: how the fake "goes down" mid-stream.
            tokio::select! {
                _ = connection => {}
                _ = cut.changed() => {}
                _ = stop.changed() => {}
            }
        });
    }
}

async fn route(shared: Arc<Shared>, request: Request<Incoming>) -> Response<Body> {
    let path = request.uri().path();
    if path.starts_with(CONTROL_PREFIX) {
        return control::handle(&shared, request).await;
    }
    if path == TOKEN_PATH {
        return token::handle(&shared, request).await;
    }
    let is_grpc = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/grpc"));
    if is_grpc {
        return baton::handle(shared, request).await;
    }
    json(
        StatusCode::NOT_FOUND,
        &serde_json::json!({"error": "not found"}),
    )
}
