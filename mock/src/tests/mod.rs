//! Tests of the mock, by behaviour: generation and the tiny fixture, then HTTP round trips
//! against a server started on port 0, with the helpers those share.

#![allow(clippy::unwrap_used)]

mod faults;
mod generation;
mod paging;
mod refusals;
mod spec_rules;
mod tiny_fixture;
mod writes;

use crate::*;
use serde_json::Value;

const KEY: &str = MOCK_KEY;

fn start(cfg: MockConfig) -> (MockServer, reqwest::Client) {
    // reqwest is built without a provider; the first test to get here installs ring's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mock = MockServer::start(cfg).unwrap();
    (mock, reqwest::Client::new())
}

async fn call(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
    let mut req = c.request(method, url).bearer_auth(KEY);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = r.text().await.unwrap();
    (
        status,
        retry,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

async fn get(c: &reqwest::Client, url: String) -> (u16, Value) {
    let (s, _, v) = call(c, reqwest::Method::GET, url, None).await;
    (s, v)
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The tiny org served, a client, and the server's base URL: what most tests start from.
fn serve_tiny() -> (MockServer, reqwest::Client, String) {
    let (mock, c) = start(MockConfig::default());
    let base = mock.base_url();
    (mock, c, base)
}
