//! A raw HTTP/1.1 client for 127.0.0.1 only: every byte of a request is the test's to choose
//! (a `text/plain` body, a lower-case `bearer`, no `Authorization` at all), one connection per
//! request (`Connection: close`), the answer read to the end.

use serde_json::Value;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long an answer may take: the mock answers in microseconds; this only bounds a hang.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The `Authorization` header a request carries.
#[derive(Clone, Debug)]
pub enum Auth {
    /// `Bearer <the mock's key>`.
    Key,
    /// `bearer <the mock's key>`: the scheme is case-insensitive (RFC 9110 §11.1).
    Lower,
    /// No `Authorization` header.
    Absent,
    /// This exact value.
    Raw(String),
}

/// A request body.
#[derive(Clone, Debug)]
pub enum Body {
    None,
    Json(Value),
    /// Bytes sent with this `Content-Type`.
    Raw(&'static str, Vec<u8>),
}

/// An answer (status 0: the request could not be made or read; `text` says why).
#[derive(Clone, Debug)]
pub struct Resp {
    pub status: u16,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.text).ok()
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `404 {"error":…}`, the body cut short.
    pub fn brief(&self) -> String {
        let mut t: String = self.text.chars().take(240).collect();
        if t.len() < self.text.len() {
            t.push('…');
        }
        format!("{} {}", self.status, t)
    }
}

/// One request to `addr`: `target` is the path after `/v1` (with its query, if any).
pub fn send(addr: SocketAddr, method: &str, target: &str, auth: &Auth, body: &Body) -> Resp {
    assert!(addr.ip().is_loopback(), "only 127.0.0.1 is ever a target");
    match exchange(addr, method, target, auth, body) {
        Ok(r) => r,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Resp {
            status: 0,
            text: format!(
                "no answer within {} s (the server hangs)",
                TIMEOUT.as_secs()
            ),
        },
        Err(e) => Resp {
            status: 0,
            text: format!("no answer: {e}"),
        },
    }
}

fn exchange(
    addr: SocketAddr,
    method: &str,
    target: &str,
    auth: &Auth,
    body: &Body,
) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_write_timeout(Some(TIMEOUT))?;
    let mut head =
        format!("{method} /v1{target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    match auth {
        Auth::Key => head.push_str(&format!(
            "Authorization: Bearer {}\r\n",
            crate::support::KEY
        )),
        Auth::Lower => head.push_str(&format!(
            "Authorization: bearer {}\r\n",
            crate::support::KEY
        )),
        Auth::Absent => {}
        Auth::Raw(v) => head.push_str(&format!("Authorization: {v}\r\n")),
    }
    let bytes: Vec<u8> = match body {
        Body::None => Vec::new(),
        Body::Json(v) => {
            head.push_str("Content-Type: application/json\r\n");
            serde_json::to_vec(v).map_err(std::io::Error::other)?
        }
        Body::Raw(ctype, b) => {
            head.push_str(&format!("Content-Type: {ctype}\r\n"));
            b.clone()
        }
    };
    if method != "GET" || !bytes.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", bytes.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(&bytes)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    parse(&raw).ok_or_else(|| {
        std::io::Error::other(format!(
            "unreadable response: {:?}",
            String::from_utf8_lossy(&raw[..raw.len().min(200)])
        ))
    })
}

/// Status line, headers, then the body (`Content-Length`, chunked, or up to the close).
fn parse(raw: &[u8]) -> Option<Resp> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let mut chunked = false;
    let mut len = None;
    for l in lines {
        let (k, v) = l.split_once(':')?;
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        if k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked") {
            chunked = true;
        }
        if k == "content-length" {
            len = v.parse::<usize>().ok();
        }
    }
    let body = if chunked {
        dechunk(rest)?
    } else {
        match len {
            Some(n) => rest.get(..n)?.to_vec(),
            None => rest.to_vec(),
        }
    };
    Some(Resp {
        status,
        text: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&b[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = &b[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

#[test]
fn parses_plain_and_chunked_answers() {
    let plain = parse(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").expect("plain");
    assert_eq!((plain.status, plain.text.as_str()), (200, "{}"));
    let chunked = parse(
        b"HTTP/1.1 404 X\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n1\r\n \r\n0\r\n\r\n",
    )
    .expect("chunked");
    assert_eq!((chunked.status, chunked.text.as_str()), (404, "{} "));
}
