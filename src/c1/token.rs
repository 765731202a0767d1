//! Access tokens for ConductorOne: a client-credentials exchange with a signed assertion
//! (`POST https://<api host>/auth/v1/token`), cached until 10 s before it expires, as the SDK's
//! `oauth2.ReuseTokenSource` over `c1TokenSource` does. One exchange at a time: callers that
//! find the cache stale wait for the one refresh in progress.

use super::credentials::{ClientId, ClientSecret, Secret, client_assertion};
use super::error::C1Error;
use super::wire::{ASSERTION_TYPE, FORM_CONTENT_TYPE, GRANT_TYPE, TOKEN_REFRESH_MARGIN};
use serde::Deserialize;
use std::time::{Duration, SystemTime};
use tokio::sync::Mutex;

/// The token endpoint's answer. No `Debug`: it holds the token.
#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    token_type: String,
    /// Seconds; 0 (or absent) makes a token that is stale at once, as in Go.
    #[serde(default)]
    expires_in: i64,
}

/// A token and when it stops being used.
#[derive(Clone, Debug)]
struct CachedToken {
    /// The whole `authorization` value: `<type> <token>`.
    authorization: Secret,
    expires_at: SystemTime,
}

impl CachedToken {
    fn is_fresh(&self, now: SystemTime) -> bool {
        now + TOKEN_REFRESH_MARGIN <= self.expires_at
    }
}

pub(crate) struct TokenSource {
    http: reqwest::Client,
    url: String,
    client: ClientId,
    secret: ClientSecret,
    cached: Mutex<Option<CachedToken>>,
}

impl TokenSource {
    pub fn new(http: reqwest::Client, url: String, client: ClientId, secret: ClientSecret) -> Self {
        Self {
            http,
            url,
            client,
            secret,
            cached: Mutex::new(None),
        }
    }

    /// The `authorization` metadata value for a call made at `now`.
    pub async fn authorization(&self, now: SystemTime) -> Result<Secret, C1Error> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| t.is_fresh(now)) {
            return Ok(token.authorization.clone());
        }
        let token = self.exchange(now).await?;
        let authorization = token.authorization.clone();
        *cached = Some(token);
        Ok(authorization)
    }

    /// Forgets the cached token (ConductorOne said UNAUTHENTICATED: it no longer takes it).
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    async fn exchange(&self, now: SystemTime) -> Result<CachedToken, C1Error> {
        let assertion = client_assertion(&self.client, &self.secret, now);
        let form = [
            ("client_id", self.client.as_str()),
            ("grant_type", GRANT_TYPE),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion.expose()),
        ];
        let unavailable = |message: String| C1Error::TokenUnavailable {
            url: self.url.clone(),
            message,
        };
        let response = self
            .http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, FORM_CONTENT_TYPE)
            .body(form_urlencode(&form))
            .send()
            .await
            // reqwest's errors name the URL, never the body.
            .map_err(|e| unavailable(error_chain(&e)))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            tracing::warn!(
                status = status.as_u16(),
                "ConductorOne did not issue a token"
            );
            // The SDK calls every non-200 UNAUTHENTICATED, so a token endpoint that is briefly
            // down (5xx) or busy (429) at startup ends the process. Only a refusal of the
            // credentials is final here; the rest is retried like any outage.
            if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                return Err(unavailable(format!("HTTP {status}")));
            }
            return Err(C1Error::TokenRefused(format!(
                "failed to get token: HTTP {status}"
            )));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| unavailable(error_chain(&e)))?;
        let token: TokenResponse = serde_json::from_slice(&body)
            .map_err(|_| unavailable("the token response is not the expected JSON".into()))?;
        if token.access_token.is_empty() {
            return Err(C1Error::TokenRefused(
                "failed to get token: empty access token".into(),
            ));
        }
        let lifetime = Duration::from_secs(u64::try_from(token.expires_in).unwrap_or(0));
        tracing::debug!(
            expires_in = token.expires_in,
            "ConductorOne issued an access token"
        );
        Ok(CachedToken {
            authorization: Secret::new(format!(
                "{} {}",
                token_type(&token.token_type),
                token.access_token
            )),
            expires_at: now + lifetime,
        })
    }
}

/// oauth2's `Token.Type()`: empty or any case of bearer/mac/basic is normalised.
fn token_type(raw: &str) -> &str {
    if raw.is_empty() || raw.eq_ignore_ascii_case("bearer") {
        "Bearer"
    } else if raw.eq_ignore_ascii_case("mac") {
        "MAC"
    } else if raw.eq_ignore_ascii_case("basic") {
        "Basic"
    } else {
        raw
    }
}

/// `application/x-www-form-urlencoded`, as Go's `url.Values.Encode` writes it.
fn form_urlencode(pairs: &[(&str, &str)]) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    // Go's `QueryEscape`: unreserved characters stay, a space is `+`, the rest is `%XX`.
    let escape = |s: &str| {
        percent_encoding::utf8_percent_encode(s, UNRESERVED)
            .to_string()
            .replace("%20", "+")
    };
    let mut sorted = pairs.to_vec();
    sorted.sort_by_key(|(k, _)| *k);
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// An error and its causes, `: `-separated (reqwest's own text is only the outermost).
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_replaced_ten_seconds_before_it_expires() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let token = CachedToken {
            authorization: Secret::new("Bearer t"),
            expires_at: now + Duration::from_secs(60),
        };
        assert!(token.is_fresh(now));
        assert!(token.is_fresh(now + Duration::from_secs(50)));
        assert!(!token.is_fresh(now + Duration::from_secs(51)));
        let instant = CachedToken {
            expires_at: now,
            ..token
        };
        assert!(!instant.is_fresh(now));
    }

    #[test]
    fn token_types_are_normalised_as_oauth2_does() {
        assert_eq!(token_type(""), "Bearer");
        assert_eq!(token_type("bearer"), "Bearer");
        assert_eq!(token_type("MAC"), "MAC");
        assert_eq!(token_type("DPoP"), "DPoP");
    }

    #[test]
    fn the_form_is_sorted_and_escaped_like_go() {
        assert_eq!(
            form_urlencode(&[
                ("grant_type", "client_credentials"),
                ("client_id", "a@b:1/c d")
            ]),
            "client_id=a%40b%3A1%2Fc+d&grant_type=client_credentials"
        );
    }
}
