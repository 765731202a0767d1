//! The plain-HTTP side of the fake (control API, token endpoint): responses and bodies.

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use tonic::body::Body;

/// Paths of the control API start with this.
pub(crate) const CONTROL_PREFIX: &str = "/__fake/";
/// The largest JSON or form body the fake reads.
const MAX_BODY: usize = 1024 * 1024;

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    bytes(status, "application/json", body)
}

/// A response of `content_type`.
pub(crate) fn bytes(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Body::new(Full::new(Bytes::from(body))));
    *response.status_mut() = status;
    if let Ok(value) = http::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, value);
    }
    response
}

/// The whole request body, up to [`MAX_BODY`].
pub(crate) async fn read_body(request: Request<Incoming>) -> Result<Bytes, Response<Body>> {
    match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(_) => Err(json(
            StatusCode::PAYLOAD_TOO_LARGE,
            &serde_json::json!({"error": "body unreadable or over 1 MiB"}),
        )),
    }
}
