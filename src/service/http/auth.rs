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

impl Token {
    /// A token from a file or a variable: surrounding whitespace (a trailing newline) is not
    /// part of it; an empty one, or one with a control character, is refused.
    pub fn new(raw: &str) -> Result<Self, &'static str> {
        let t = raw.trim();
        if t.is_empty() {
            return Err("is empty");
        }
        if t.chars().any(char::is_control) {
            return Err("holds a control character (two lines?)");
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
    let token = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| s.token.clone());
    if let Some(token) = token {
        let header = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        if !token.admits(header) {
            return Err(Failure::unauthorized().into());
        }
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_is_admitted() {
        let t = Token::new("s3cret\n").expect("token");
        assert!(t.admits(Some(b"Bearer s3cret")));
        for bad in [
            &b"Bearer s3cre"[..],
            b"Bearer s3cret2",
            b"bearer s3cret",
            b"s3cret",
            b"Basic czNjcmV0",
            b"",
        ] {
            assert!(!t.admits(Some(bad)), "{}", String::from_utf8_lossy(bad));
        }
        assert!(!t.admits(None));
        assert!(Token::new(" \n").is_err());
        assert!(Token::new("a\nb").is_err());
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
    }
}
