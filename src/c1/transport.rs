//! The gRPC channel to ConductorOne: HTTP/2 over rustls over TCP, directly or through an HTTP
//! CONNECT tunnel, built from hyper-util's pooled client rather than tonic's `transport`
//! (which would bring tower's balancing and buffering layers for one fixed host).
//!
//! TLS cannot be skipped: the connector is `https_only`, the origin is always `https://`, and
//! no option anywhere turns it off, not even for loopback (the SDK's `RequireTransportSecurity`).
//!
//! One connection is kept and reused by every RPC (HTTP/2 multiplexes them), where the SDK
//! dials a new connection per RPC and closes it afterwards: ConductorOne sees the same requests
//! either way, and a task loop that polls every few seconds is spared a TCP and TLS handshake
//! each time. A broken connection is replaced on the next call.

use super::api_host::ApiHost;
use super::error::C1Error;
use super::proxy::ProxyRoute;
use super::token::error_chain;
use super::wire::{DIAL_TIMEOUT, Rpc};
use http::Uri;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::net::TcpStream;
use tonic::body::Body;
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// A request that got no HTTP/2 response: the connection, tunnel or handshake failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct TransportFailure(String);

/// A cheap handle on the pooled connection; clone one per call.
#[derive(Clone)]
pub(crate) struct Channel {
    client: Client<Timed<HttpsConnector<Dialer>>, Body>,
    origin: Uri,
    authority: String,
    user_agent: http::HeaderValue,
}

impl Channel {
    pub fn new(
        host: &ApiHost,
        tls: rustls::ClientConfig,
        proxy: Option<&ProxyRoute>,
        user_agent: &str,
    ) -> Result<Channel, C1Error> {
        let authority = host.authority();
        let origin: Uri = format!("https://{authority}").parse().map_err(|_| {
            C1Error::Config(format!("API host {authority:?} is not a valid authority"))
        })?;
        let mut tcp = HttpConnector::new();
        // The connector sees `https://` URIs; TLS is layered on top by hyper-rustls.
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(DIAL_TIMEOUT));
        let dialer = match proxy {
            None => Dialer::Direct(tcp),
            Some(route) => {
                let tunnel = Tunnel::new(route.uri.clone(), tcp);
                Dialer::Tunnel(match &route.authorization {
                    Some(auth) => tunnel.with_auth(auth.clone()),
                    None => tunnel,
                })
            }
        };
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http2()
            .wrap_connector(dialer);
        let client = Client::builder(TokioExecutor::new())
            .http2_only(true)
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .build(Timed(https));
        let user_agent = http::HeaderValue::from_str(user_agent)
            .map_err(|_| C1Error::Config("the client name is not a valid User-Agent".into()))?;
        Ok(Channel {
            client,
            origin,
            authority,
            user_agent,
        })
    }

    /// A tonic client over this channel.
    pub fn grpc(&self) -> tonic::client::Grpc<Channel> {
        tonic::client::Grpc::with_origin(self.clone(), self.origin.clone())
    }

    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// `status` as this crate's error: a transport failure if the request never got a
    /// response, else ConductorOne's status.
    pub fn error(&self, rpc: Rpc, status: tonic::Status) -> C1Error {
        let mut source: Option<&(dyn std::error::Error + 'static)> =
            std::error::Error::source(&status);
        while let Some(cause) = source {
            // No response at all, or the connection broke while the response was read.
            let message = match (
                cause.downcast_ref::<TransportFailure>(),
                cause.downcast_ref::<hyper::Error>(),
            ) {
                (Some(failure), _) => Some(failure.0.clone()),
                (None, Some(broken)) => Some(error_chain(broken)),
                (None, None) => None,
            };
            if let Some(message) = message {
                return C1Error::Transport {
                    rpc,
                    host: self.authority.clone(),
                    message,
                };
            }
            source = cause.source();
        }
        C1Error::Status {
            rpc,
            code: status.code(),
            message: status.message().to_owned(),
        }
    }
}

impl Service<http::Request<Body>> for Channel {
    type Response = http::Response<Incoming>;
    type Error = TransportFailure;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, TransportFailure>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), TransportFailure>> {
        // The pooled client is always ready; connections are made inside `call`.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // tonic strips `user-agent` from metadata; the channel sets it, as grpc-go's does.
        request
            .headers_mut()
            .insert(http::header::USER_AGENT, self.user_agent.clone());
        let response = self.client.request(request);
        Box::pin(async move {
            response
                .await
                .map_err(|e| TransportFailure(error_chain(&e)))
        })
    }
}

/// TCP to ConductorOne itself, or to the proxy and through a CONNECT tunnel.
#[derive(Clone)]
enum Dialer {
    Direct(HttpConnector),
    Tunnel(Tunnel<HttpConnector>),
}

impl Service<Uri> for Dialer {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = BoxFuture<TokioIo<TcpStream>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match self {
            Dialer::Direct(c) => c.poll_ready(cx).map_err(Into::into),
            Dialer::Tunnel(c) => c.poll_ready(cx).map_err(Into::into),
        }
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        match self {
            Dialer::Direct(c) => {
                let connecting = c.call(dst);
                Box::pin(async move { connecting.await.map_err(Into::into) })
            }
            Dialer::Tunnel(c) => {
                let connecting = c.call(dst);
                Box::pin(async move { connecting.await.map_err(Into::into) })
            }
        }
    }
}

/// Bounds the whole connect (TCP, tunnel, TLS handshake) by [`DIAL_TIMEOUT`], as the SDK's
/// blocking 30-second dial does.
#[derive(Clone)]
struct Timed<C>(C);

impl<C> Service<Uri> for Timed<C>
where
    C: Service<Uri, Error = BoxError>,
    C::Future: Send + 'static,
    C::Response: Send + 'static,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = BoxFuture<C::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let connecting = self.0.call(dst);
        Box::pin(async move {
            match tokio::time::timeout(DIAL_TIMEOUT, connecting).await {
                Ok(result) => result,
                Err(_) => Err(format!("connecting took longer than {DIAL_TIMEOUT:?}").into()),
            }
        })
    }
}
