//! The HTTP side: one std thread with its own tokio runtime (never the caller's: actix cannot
//! share one), hyper's plain HTTP/1 connection builder with TCP_NODELAY (crates.md §4.1). It
//! turns sockets into `MockRequest`s for the `pipeline` and `Reply`s back into responses.
//!
//! One HTTP stack: hyper, with the routes derived from the `Endpoint` table (`routes`). A
//! framework router would be a second definition of every path, and a second web framework in
//! the build.

use super::config::MockConfig;
use super::pipeline::{MockRequest, Shared, answer};
use super::presets::generate;
use super::reply::{Reply, ReplyBody};
use super::store::Store;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

/// Request bodies are tiny JSON objects; anything larger is refused.
const MAX_BODY: usize = 1 << 20;

type Body = BoxBody<Bytes, std::io::Error>;

/// A running mock. Dropping it stops the server and joins its thread.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Generates the org, binds `127.0.0.1:port` and starts serving on a thread of its own.
    /// Returns once the socket accepts connections.
    pub fn start(cfg: MockConfig) -> std::io::Result<MockServer> {
        let org = generate(cfg.preset, cfg.seed);
        let listener = std::net::TcpListener::bind(("127.0.0.1", cfg.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(cfg, Store::new(org)));
        let (stop, stopped) = oneshot::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name("openai-mock".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("openai-mock-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    accept_loop(listener, serving, stopped).await;
                });
                // Open keep-alive connections would otherwise hold the runtime open.
                rt.shutdown_timeout(Duration::from_millis(200));
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(std::io::Error::other("mock server thread exited early")),
        }
        Ok(MockServer {
            addr,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT/v1`
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn shutdown(self) {
        drop(self);
    }
}

/// Its controls (stats, changes, limits, outages) are the shared state's.
impl std::ops::Deref for MockServer {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = shared.clone();
                    shared.open_connections.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::spawn(async move {
                        let counted = shared.clone();
                        let svc = service_fn(move |req| handle(shared.clone(), req));
                        // A client hanging up (or a Dropped fault) ends the connection; nothing to do.
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                        counted.open_connections.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    });
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
        }
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let mock_req = read_request(req).await;
    Ok(response(answer(&shared, mock_req).await))
}

/// What the pipeline needs of a request; the body is read only for writes (GETs carry none).
async fn read_request(req: Request<Incoming>) -> MockRequest {
    let (parts, body) = req.into_parts();
    let body = if parts.method == Method::GET {
        Some(Bytes::new())
    } else {
        Limited::new(body, MAX_BODY)
            .collect()
            .await
            .ok()
            .map(|b| b.to_bytes())
    };
    MockRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        authorization: parts
            .headers
            .get(AUTHORIZATION)
            .map(|v| v.as_bytes().to_vec()),
        content_type: parts
            .headers
            .get(hyper::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        body,
    }
}

fn response(reply: Reply) -> Response<Body> {
    let (body, len) = match reply.body {
        ReplyBody::Json(b) => (Full::new(b).map_err(|e| match e {}).boxed(), None),
        ReplyBody::Dropped { head, len } => {
            let frames = futures::stream::iter([
                Ok(Frame::data(head)),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "mock: dropped",
                )),
            ]);
            (StreamBody::new(frames).boxed(), Some(len))
        }
    };
    let mut r = Response::new(body);
    *r.status_mut() = reply.status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(len) = len {
        h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
    if let Some(secs) = reply.retry_after {
        h.insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}
