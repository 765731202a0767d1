//! `POST /auth/v1/token`: what ConductorOne checks before it issues a token (protocol notes
//! §7.2): the form's grant and assertion types, the client id, the assertion's EdDSA signature
//! by the client's key, `iss` = `sub` = the client id, `aud` = the client id's host without its
//! port, `nbf` ≤ now < `exp`, and a nonce not seen before. Anything else is 401.

use super::Shared;
use super::http::{json, read_body};
use super::state::{Availability, TokenMode, hex};
use crate::c1::credentials::unix_seconds;
use crate::c1::jws::Parsed;
use crate::c1::wire::{ASSERTION_TYPE, FORM_CONTENT_TYPE, GRANT_TYPE};
use ed25519_dalek::VerifyingKey;
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::SystemTime;
use tonic::body::Body;

/// Who the fake expects.
pub(crate) struct Expected<'a> {
    pub client_id: &'a str,
    pub audience: &'a str,
    pub key: &'a VerifyingKey,
}

pub(crate) async fn handle(shared: &Shared, request: Request<Incoming>) -> Response<Body> {
    let now = SystemTime::now();
    let refuse = |status: StatusCode, reason: &str, summary: Value| {
        shared.state.lock().record(
            now,
            "token",
            None,
            format!("{}: {reason}", status.as_u16()),
            summary,
        );
        json(
            status,
            &json!({"error": "invalid_client", "error_description": reason}),
        )
    };
    if request.method() != Method::POST {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, "POST only", json!({}));
    }
    let form_content = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(FORM_CONTENT_TYPE));
    let body = match read_body(request).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let form = parse_form(&body);
    let summary = json!({
        "client_id": form.get("client_id"),
        "grant_type": form.get("grant_type"),
    });
    if !form_content {
        return refuse(StatusCode::UNAUTHORIZED, "not a form", summary);
    }

    let mut state = shared.state.lock();
    if state.availability == Availability::Unavailable {
        drop(state);
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "unavailable", summary);
    }
    let expected = Expected {
        client_id: &shared.client_id,
        audience: &shared.audience,
        key: &shared.client_key,
    };
    let verdict = check(&form, &expected, now, &mut state.nonces);
    let mode = state.token_mode;
    drop(state);
    match (verdict, mode) {
        (Err(reason), _) => refuse(StatusCode::UNAUTHORIZED, &reason, summary),
        (Ok(()), TokenMode::Reject) => {
            refuse(StatusCode::UNAUTHORIZED, "rejected (token mode)", summary)
        }
        (Ok(()), TokenMode::Fail) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "failing (token mode)",
            summary,
        ),
        (Ok(()), TokenMode::Issue) => {
            let token = hex(&rand::random::<[u8; 32]>());
            let mut state = shared.state.lock();
            state.tokens.insert(token.clone(), now + shared.token_ttl);
            state.record(now, "token", None, "OK".into(), summary);
            drop(state);
            json(
                StatusCode::OK,
                &json!({
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": shared.token_ttl.as_secs(),
                }),
            )
        }
    }
}

/// Whether the token request is acceptable at `now`; the reason (never quoting the assertion)
/// if not. A valid assertion's nonce is remembered in `seen`.
pub(crate) fn check(
    form: &HashMap<String, String>,
    expected: &Expected<'_>,
    now: SystemTime,
    seen: &mut HashSet<String>,
) -> Result<(), String> {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("grant_type") != GRANT_TYPE {
        return Err("grant_type must be client_credentials".into());
    }
    if field("client_assertion_type") != ASSERTION_TYPE {
        return Err("client_assertion_type must be jwt-bearer".into());
    }
    if field("client_id") != expected.client_id {
        return Err("unknown client_id".into());
    }
    let parsed = Parsed::parse(field("client_assertion")).map_err(|e| e.to_string())?;
    parsed.verify(expected.key).map_err(|e| e.to_string())?;
    let claim = |name: &str| parsed.payload.get(name);
    if claim("iss").and_then(Value::as_str) != Some(expected.client_id) {
        return Err("iss is not the client id".into());
    }
    if claim("sub").and_then(Value::as_str) != Some(expected.client_id) {
        return Err("sub is not the client id".into());
    }
    let audience_ok = match claim("aud") {
        Some(Value::String(aud)) => aud == expected.audience,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(expected.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(format!("aud must be {:?}", expected.audience));
    }
    let now = unix_seconds(now);
    match claim("exp").and_then(Value::as_i64) {
        Some(exp) if now < exp => {}
        Some(_) => return Err("the assertion has expired".into()),
        None => return Err("exp is missing".into()),
    }
    match claim("nbf").and_then(Value::as_i64) {
        Some(nbf) if nbf <= now => {}
        Some(_) => return Err("the assertion is not valid yet".into()),
        None => return Err("nbf is missing".into()),
    }
    let nonce = parsed
        .header
        .get("nonce")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or("the header has no nonce")?;
    if !seen.insert(nonce.to_owned()) {
        return Err("the assertion was used before (nonce replayed)".into());
    }
    Ok(())
}

/// `application/x-www-form-urlencoded` → fields (the first of repeated names wins, as Go's
/// `FormValue`).
pub(crate) fn parse_form(body: &[u8]) -> HashMap<String, String> {
    let decode = |part: &[u8]| {
        let spaced: Vec<u8> = part
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_encoding::percent_decode(&spaced)
            .decode_utf8_lossy()
            .into_owned()
    };
    let mut form = HashMap::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        form.entry(decode(name)).or_insert_with(|| decode(value));
    }
    form
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c1::credentials::{
        AssertionClaims, ClientId, ClientSecret, client_assertion, sign_assertion,
    };
    use std::time::{Duration, UNIX_EPOCH};

    const CLIENT: &str = "fake@127.0.0.1:9/test";

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    fn form(assertion: &str) -> HashMap<String, String> {
        [
            ("client_id", CLIENT),
            ("grant_type", GRANT_TYPE),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn verdict(
        secret: &ClientSecret,
        form: &HashMap<String, String>,
        at: SystemTime,
    ) -> Result<(), String> {
        let key = secret.verifying_key();
        let expected = Expected {
            client_id: CLIENT,
            audience: "127.0.0.1",
            key: &key,
        };
        check(form, &expected, at, &mut HashSet::new())
    }

    #[test]
    fn the_sdk_assertion_is_accepted_once() {
        let secret = ClientSecret::generate();
        let client = ClientId::parse(CLIENT).expect("valid");
        let assertion = client_assertion(&client, &secret, now());
        let key = secret.verifying_key();
        let expected = Expected {
            client_id: CLIENT,
            audience: "127.0.0.1",
            key: &key,
        };
        let mut seen = HashSet::new();
        let form = form(assertion.expose());
        assert_eq!(check(&form, &expected, now(), &mut seen), Ok(()));
        let replay = check(&form, &expected, now(), &mut seen).expect_err("replay");
        assert!(replay.contains("nonce"), "{replay}");
    }

    #[test]
    fn wrong_claims_keys_and_times_are_refused() {
        let secret = ClientSecret::generate();
        let client = ClientId::parse(CLIENT).expect("valid");
        let good = AssertionClaims::for_client(&client, now());
        let cases: [(AssertionClaims, &str); 4] = [
            (
                AssertionClaims {
                    aud: "evil.example".into(),
                    ..good.clone()
                },
                "aud",
            ),
            (
                AssertionClaims {
                    iss: "other@127.0.0.1:9/test".into(),
                    ..good.clone()
                },
                "iss",
            ),
            (
                AssertionClaims::for_client(&client, now() - Duration::from_secs(600)),
                "expired",
            ),
            (
                AssertionClaims::for_client(&client, now() + Duration::from_secs(600)),
                "not valid yet",
            ),
        ];
        for (claims, why) in cases {
            let assertion = sign_assertion(&claims, &secret, [1; 16]);
            let error = verdict(&secret, &form(assertion.expose()), now()).expect_err(why);
            assert!(error.contains(why), "{error} should say {why}");
            assert!(!error.contains(assertion.expose()));
        }
        let by_another_key = sign_assertion(&good, &ClientSecret::generate(), [2; 16]);
        assert!(verdict(&secret, &form(by_another_key.expose()), now()).is_err());
        let mut wrong_grant = form(sign_assertion(&good, &secret, [3; 16]).expose());
        wrong_grant.insert("grant_type".into(), "password".into());
        assert!(verdict(&secret, &wrong_grant, now()).is_err());
    }

    #[test]
    fn forms_decode_like_go() {
        let form = parse_form(b"a=1+2&b=%40x&a=ignored&c");
        assert_eq!(form["a"], "1 2");
        assert_eq!(form["b"], "@x");
        assert_eq!(form["c"], "");
    }
}
