//! Bearer-token authentication for `/api/`: the token is compared in constant time and never
//! logged; a request without it, or with another, gets 401 before any handler runs.

use super::AppState;
use super::error::Failure;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use subtle::ConstantTimeEq;

/// The service's API token. `Debug` never shows it.
#[derive(Clone)]
pub struct Token(Vec<u8>);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The fewest characters a token may have: guessable tokens are no lock (16 random characters
/// from `openssl rand -hex 8` are 64 bits).
pub const MIN_TOKEN_LEN: usize = 16;

impl Token {
    /// A token from a file or a variable: surrounding whitespace (a trailing newline) is not
    /// part of it; an empty one, a short one, or one with a control character, is refused.
    pub fn new(raw: &str) -> Result<Self, String> {
        let t = raw.trim();
        if t.is_empty() {
            return Err("is empty".to_owned());
        }
        if t.chars().any(char::is_control) {
            return Err("holds a control character (two lines?)".to_owned());
        }
        if t.chars().count() < MIN_TOKEN_LEN {
            return Err(format!(
                "is shorter than {MIN_TOKEN_LEN} characters, which can be guessed (make one with: openssl rand -hex 32)"
            ));
        }
        Ok(Self(t.as_bytes().to_vec()))
    }

    fn admits(&self, header: Option<&[u8]>) -> bool {
        let Some(given) = header.and_then(|h| h.strip_prefix(b"Bearer ")) else {
            return false;
        };
        bool::from(given.ct_eq(&self.0))
    }
}

pub async fn require_token(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(Failure::internal("the service's state is missing").into());
    };
    if state.access == crate::service::ApiAccess::Closed {
        return Err(Failure::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "api_closed",
            "this service has no API token and listens beyond this machine: its /api/ routes are off; give it one (--api-token-file, BATON_API_TOKEN_FILE)",
        )
        .into());
    }
    match state.token.clone() {
        Some(token) => {
            let header = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .map(|v| v.as_bytes());
            if !token.admits(header) {
                return Err(Failure::unauthorized().into());
            }
        }
        // No token means loopback only (see `service::run`); what is left to guard against
        // is a web page in the user's own browser: it reaches 127.0.0.1 through a name it
        // rebinds (DNS rebinding), or posts to it from its origin. Neither gets in.
        None => {
            let header = |name| {
                req.headers()
                    .get(name)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            };
            if let Some(why) = foreign_caller(
                header(actix_web::http::header::HOST).as_deref(),
                header(actix_web::http::header::ORIGIN).as_deref(),
            ) {
                return Err(Failure::new(
                    actix_web::http::StatusCode::FORBIDDEN,
                    "forbidden",
                    format!(
                        "{why}: without an API token this service answers only local clients that name it by a loopback address"
                    ),
                )
                .into());
            }
        }
    }
    next.call(req).await
}

/// Why a request to a token-less (loopback) service comes from somewhere else, if it does: a
/// `Host` that is not a loopback address or `localhost` (a rebound name), or an `Origin` (a
/// web page's request) that is not one either.
fn foreign_caller(host: Option<&str>, origin: Option<&str>) -> Option<String> {
    fn loopback(authority: &str) -> bool {
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(v6),
            None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
        };
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
    match host {
        Some(h) if loopback(h) => {}
        Some(h) => return Some(format!("Host {h:?} is not this machine's loopback address")),
        None => return Some("the request names no Host".to_owned()),
    }
    match origin {
        None => None,
        Some(o) => {
            let authority = o
                .strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"))
                .unwrap_or("");
            (!loopback(authority)).then(|| format!("Origin {o:?} is another site"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_and_origins_reach_a_token_less_service() {
        for (host, origin) in [
            (Some("127.0.0.1:8080"), None),
            (Some("localhost:8080"), None),
            (Some("LOCALHOST"), None),
            (Some("[::1]:8080"), Some("http://[::1]:8080")),
            (Some("127.0.0.1:8080"), Some("http://localhost:8080")),
        ] {
            assert_eq!(foreign_caller(host, origin), None, "{host:?} {origin:?}");
        }
        for (host, origin) in [
            (Some("rebind.attacker.example:8080"), None),
            (Some("127.0.0.1.attacker.example"), None),
            (Some("127.0.0.1:8080"), Some("http://attacker.example")),
            (Some("127.0.0.1:8080"), Some("null")),
            (None, None),
        ] {
            assert!(
                foreign_caller(host, origin).is_some(),
                "{host:?} {origin:?}"
            );
        }
    }

    #[test]
    fn only_the_exact_bearer_token_is_admitted() {
        let t = Token::new("s3cret-s3cret-s3cret\n").expect("token");
        assert!(t.admits(Some(b"Bearer s3cret-s3cret-s3cret")));
        for bad in [
            &b"Bearer s3cret-s3cret-s3cre"[..],
            b"Bearer s3cret-s3cret-s3cret2",
            b"bearer s3cret-s3cret-s3cret",
            b"s3cret-s3cret-s3cret",
            b"Basic czNjcmV0",
            b"",
        ] {
            assert!(!t.admits(Some(bad)), "{}", String::from_utf8_lossy(bad));
        }
        assert!(!t.admits(None));
        assert!(Token::new(" \n").is_err());
        assert!(Token::new("a\nb").is_err());
        assert!(Token::new("x").is_err(), "a 1-character token");
        assert!(Token::new("0123456789abcde").is_err());
        assert!(Token::new("0123456789abcdef").is_ok());
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
    }
}
