//! The connector's ConductorOne credentials and the client assertion made from them.
//!
//! * Client id `<client name>@<token host>/<rest>` (baton-sdk `pkg/ugrpc/c1_credential_provider.go`
//!   `parseClientID`: split at the first `@`, then at the first `/`).
//! * Client secret `<a>:<b>:v1:<base64url, no padding, of a private Ed25519 OKP JWK>`
//!   (`pkg/crypto/client_secret.go` `ParseClientSecret`; the first two fields are not checked).
//! * The assertion: a compact JWS, header `{"alg":"EdDSA","kid"?,"nonce":<32 hex>}`, claims
//!   `iss` = `sub` = the client id, `aud` = the token host without its port, `exp` = now + 2 min,
//!   `nbf` = now − 2 min, `iat` = now (`c1TokenSource.Token`).
//!
//! Secrets (the client secret, the private key, assertions, access tokens) live in types whose
//! `Debug` prints no part of them, and no error message quotes them.

use super::jws;
use super::wire::{ASSERTION_ALG, ASSERTION_SKEW, NONCE_BYTES};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Why a client id or secret was refused. No variant carries any part of the secret.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialsError {
    #[error("invalid client id: expected <name>@<host>/<path>")]
    ClientId,
    #[error("invalid client secret: {0}")]
    Secret(&'static str),
}

/// A string that must not be shown: `Debug` prints `Secret(redacted)`, and there is no
/// `Display`. [`Secret::expose`] is the one way to the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// A parsed client id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientId {
    full: String,
    name_len: usize,
    host_end: usize,
}

impl ClientId {
    pub fn parse(input: &str) -> Result<ClientId, CredentialsError> {
        let (name, rest) = input.split_once('@').ok_or(CredentialsError::ClientId)?;
        let (host, _) = rest.split_once('/').ok_or(CredentialsError::ClientId)?;
        Ok(ClientId {
            full: input.to_owned(),
            name_len: name.len(),
            host_end: name.len() + 1 + host.len(),
        })
    }

    /// The whole id, as sent in the token request and as the assertion's `iss` and `sub`.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The part before `@` (the SDK puts it in its User-Agent).
    pub fn name(&self) -> &str {
        &self.full[..self.name_len]
    }

    /// The part between `@` and `/`: where tokens come from unless `BATON_C1_API_HOST` says
    /// otherwise. May carry a port.
    pub fn token_host(&self) -> &str {
        &self.full[self.name_len + 1..self.host_end]
    }

    /// The assertion's audience: the token host without a port (never the API host override).
    pub fn audience(&self) -> &str {
        split_host_port(self.token_host()).map_or(self.token_host(), |(host, _)| host)
    }
}

/// Go's `net.SplitHostPort`: `host:port` or `[v6]:port`; `None` when there is no port part
/// (or too many colons), in which case the caller keeps the whole string.
pub(crate) fn split_host_port(hostport: &str) -> Option<(&str, &str)> {
    if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        return Some((host, port));
    }
    let (host, port) = hostport.rsplit_once(':')?;
    if host.contains(':') {
        return None;
    }
    Some((host, port))
}

/// The private Ed25519 key of a client secret. `Debug` shows the public half only.
#[derive(Clone)]
pub struct ClientSecret {
    key: SigningKey,
    kid: Option<String>,
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecret")
            .field("kid", &self.kid)
            .field(
                "public_key",
                &URL_SAFE_NO_PAD.encode(self.key.verifying_key().as_bytes()),
            )
            .field("private_key", &"redacted")
            .finish()
    }
}

/// The JWK inside a client secret. No `Debug`: it holds the private key.
#[derive(Serialize, Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kid: Option<String>,
}

impl ClientSecret {
    /// Parses `<a>:<b>:v1:<base64url JWK>`; refuses public keys and keys other than Ed25519.
    pub fn parse(input: &str) -> Result<ClientSecret, CredentialsError> {
        let fields: Vec<&str> = input.splitn(4, ':').collect();
        let [_, _, version, encoded] = fields[..] else {
            return Err(CredentialsError::Secret(
                "expected four ':'-separated fields",
            ));
        };
        if version != "v1" {
            return Err(CredentialsError::Secret(
                "unsupported version (v1 expected)",
            ));
        }
        let json = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| CredentialsError::Secret("the key is not unpadded base64url"))?;
        // serde's messages may quote the input: only a fixed text leaves this function.
        let jwk: Jwk = serde_json::from_slice(&json)
            .map_err(|_| CredentialsError::Secret("the key is not a JSON Web Key"))?;
        if jwk.kty != "OKP" || jwk.crv.as_deref() != Some("Ed25519") {
            return Err(CredentialsError::Secret(
                "not an Ed25519 key (kty OKP, crv Ed25519)",
            ));
        }
        let Some(d) = jwk.d.as_deref() else {
            return Err(CredentialsError::Secret(
                "a public key: the private key (d) is missing",
            ));
        };
        let x = jwk
            .x
            .as_deref()
            .ok_or(CredentialsError::Secret("the public key (x) is missing"))?;
        let d: [u8; 32] =
            decode_32(d).ok_or(CredentialsError::Secret("d is not 32 base64url bytes"))?;
        let x: [u8; 32] =
            decode_32(x).ok_or(CredentialsError::Secret("x is not 32 base64url bytes"))?;
        let key = SigningKey::from_bytes(&d);
        // go-jose would sign with a mismatched x and every signature would fail at the token
        // endpoint; saying so here is kinder.
        if key.verifying_key().as_bytes() != &x {
            return Err(CredentialsError::Secret("x is not the public key of d"));
        }
        Ok(ClientSecret { key, kid: jwk.kid })
    }

    /// A new random key (the fake ConductorOne makes one per client).
    pub fn generate() -> ClientSecret {
        ClientSecret::from_key(SigningKey::from_bytes(&rand::random::<[u8; 32]>()))
    }

    pub fn from_key(key: SigningKey) -> ClientSecret {
        ClientSecret { key, kid: None }
    }

    /// The same key with a `kid`, which then goes into every assertion's header.
    pub fn with_kid(mut self, kid: impl Into<String>) -> ClientSecret {
        self.kid = Some(kid.into());
        self
    }

    /// This key as a client secret string: `<prefix>:v1:<base64url JWK>`, where `prefix` is
    /// the two unchecked fields (e.g. `secret-token:conductorone.com`).
    pub fn encode(&self, prefix: &str) -> Secret {
        let jwk = Jwk {
            kty: "OKP".into(),
            crv: Some("Ed25519".into()),
            x: Some(URL_SAFE_NO_PAD.encode(self.key.verifying_key().as_bytes())),
            d: Some(URL_SAFE_NO_PAD.encode(self.key.as_bytes())),
            kid: self.kid.clone(),
        };
        let json = serde_json::to_vec(&jwk).unwrap_or_default();
        Secret(format!("{prefix}:v1:{}", URL_SAFE_NO_PAD.encode(json)))
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
}

fn decode_32(b64: &str) -> Option<[u8; 32]> {
    URL_SAFE_NO_PAD.decode(b64).ok()?.try_into().ok()
}

/// The protected header of an assertion (keys in go-jose's order: sorted).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct AssertionHeader {
    pub alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    pub nonce: String,
}

/// The claims of an assertion, in the order go-jose writes them. `aud` is a single string.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct AssertionClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
}

impl AssertionClaims {
    /// The claims the SDK makes for `client` at `now`.
    pub fn for_client(client: &ClientId, now: SystemTime) -> AssertionClaims {
        let now = unix_seconds(now);
        let skew = ASSERTION_SKEW.as_secs() as i64;
        AssertionClaims {
            iss: client.as_str().to_owned(),
            sub: client.as_str().to_owned(),
            aud: client.audience().to_owned(),
            exp: now + skew,
            nbf: now - skew,
            iat: now,
        }
    }
}

/// The client assertion for `client` at `now`, with a fresh random nonce.
pub fn client_assertion(client: &ClientId, secret: &ClientSecret, now: SystemTime) -> Secret {
    sign_assertion(
        &AssertionClaims::for_client(client, now),
        secret,
        rand::random::<[u8; NONCE_BYTES]>(),
    )
}

/// An assertion of arbitrary `claims` (tests use it to make wrong ones).
pub fn sign_assertion(
    claims: &AssertionClaims,
    secret: &ClientSecret,
    nonce: [u8; NONCE_BYTES],
) -> Secret {
    let header = AssertionHeader {
        alg: ASSERTION_ALG.to_owned(),
        kid: secret.kid.clone(),
        nonce: nonce.iter().map(|b| format!("{b:02x}")).collect(),
    };
    Secret(jws::sign(&header, claims, &secret.key))
}

/// Seconds since the Unix epoch (negative before it), as JWT numeric dates are.
pub fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const AT: u64 = 1_800_000_000;

    fn at() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(AT)
    }

    fn jwk_secret(json: &str) -> String {
        format!("fixture:fixture:v1:{}", URL_SAFE_NO_PAD.encode(json))
    }

    #[test]
    fn client_ids_split_at_the_first_at_and_slash() {
        let id = ClientId::parse("name@tenant.conductor.one/pcc/x@y").expect("valid");
        assert_eq!(id.name(), "name");
        assert_eq!(id.token_host(), "tenant.conductor.one");
        assert_eq!(id.audience(), "tenant.conductor.one");
        let id = ClientId::parse("rollback@127.0.0.1:8443/test").expect("valid");
        assert_eq!(id.token_host(), "127.0.0.1:8443");
        assert_eq!(id.audience(), "127.0.0.1");
        let id = ClientId::parse("n@[::1]:9/t").expect("valid");
        assert_eq!(id.audience(), "::1");
        assert_eq!(
            ClientId::parse("n@[::1]/t").expect("valid").audience(),
            "[::1]"
        );
        for bad in ["no-at-sign/x", "name@host-without-slash", ""] {
            assert_eq!(
                ClientId::parse(bad),
                Err(CredentialsError::ClientId),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_generated_secret_round_trips_like_the_sdk_fixture() {
        // The SDK's own test vector is a JWK made on the spot (client_secret_test.go); so is this.
        let secret = ClientSecret::generate().with_kid("k1");
        let encoded = secret.encode("fixture:fixture");
        assert!(encoded.expose().starts_with("fixture:fixture:v1:"));
        let back = ClientSecret::parse(encoded.expose()).expect("parses");
        assert_eq!(back.verifying_key(), secret.verifying_key());
        assert_eq!(back.kid(), Some("k1"));
    }

    #[test]
    fn malformed_secrets_are_refused_without_quoting_them() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let x = URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
        let d = URL_SAFE_NO_PAD.encode(key.as_bytes());
        let other_x =
            URL_SAFE_NO_PAD.encode(SigningKey::from_bytes(&[8; 32]).verifying_key().as_bytes());
        let cases = [
            ("a:b:v1".to_owned(), "four"),
            // The shapes of client_secret_test.go's bad secrets: "v1" in the wrong field,
            // five fields, and a JWK whose kty is not OKP.
            ("v1:1234567890:1234567890:1234567890".to_owned(), "version"),
            (
                "v1:1234567890:1234567890:1234567890:1234567890".to_owned(),
                "version",
            ),
            (
                jwk_secret(&format!(
                    r#"{{"kty":"2OKP","crv":"Ed25519","x":"{x}","d":"{d}"}}"#
                )),
                "Ed25519",
            ),
            (
                format!("a:b:v2:{}", URL_SAFE_NO_PAD.encode("{}")),
                "version",
            ),
            ("a:b:v1:not base64!".to_owned(), "base64url"),
            (
                format!("a:b:v1:{}=", URL_SAFE_NO_PAD.encode("{}")),
                "base64url",
            ),
            (
                jwk_secret(&format!(
                    r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","d":"{d}""#
                )),
                "JSON Web Key",
            ),
            (
                jwk_secret(&format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}"}}"#)),
                "public key",
            ),
            (
                jwk_secret(&format!(
                    r#"{{"kty":"OKP","crv":"X25519","x":"{x}","d":"{d}"}}"#
                )),
                "Ed25519",
            ),
            (
                jwk_secret(r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}"#),
                "Ed25519",
            ),
            (
                jwk_secret(&format!(
                    r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","d":"AAAA"}}"#
                )),
                "32",
            ),
            (
                jwk_secret(&format!(
                    r#"{{"kty":"OKP","crv":"Ed25519","x":"{other_x}","d":"{d}"}}"#
                )),
                "public key of d",
            ),
        ];
        for (input, why) in cases {
            let err = ClientSecret::parse(&input).expect_err(why);
            let text = err.to_string();
            assert!(text.contains(why), "{text} should mention {why}");
            assert!(!text.contains(&d), "{text} quotes the key");
            assert!(!format!("{err:?}").contains(&d));
        }
        let good = jwk_secret(&format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","d":"{d}"}}"#
        ));
        assert!(ClientSecret::parse(&good).is_ok());
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let secret = ClientSecret::generate();
        let encoded = secret.encode("a:b");
        let d = URL_SAFE_NO_PAD.encode(secret.key.as_bytes());
        for shown in [format!("{secret:?}"), format!("{encoded:?}")] {
            assert!(!shown.contains(&d), "{shown}");
            assert!(!shown.contains(encoded.expose()), "{shown}");
        }
        assert_eq!(format!("{encoded:?}"), "Secret(redacted)");
    }

    #[test]
    fn the_assertion_has_the_sdk_header_and_claims() {
        let client = ClientId::parse("me@127.0.0.1:8443/test").expect("valid");
        let secret = ClientSecret::generate();
        let jws = client_assertion(&client, &secret, at());
        let parsed = jws::Parsed::parse(jws.expose()).expect("parses");
        parsed.verify(&secret.verifying_key()).expect("verifies");

        let header: Vec<&String> = parsed.header.keys().collect();
        assert_eq!(
            header,
            ["alg", "nonce"],
            "no kid without one in the JWK, no typ"
        );
        assert_eq!(parsed.header["alg"], "EdDSA");
        let nonce = parsed.header["nonce"].as_str().expect("string");
        assert_eq!(nonce.len(), 32);
        assert!(
            nonce
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );

        let claims = serde_json::Value::Object(parsed.payload.clone());
        assert_eq!(
            claims,
            serde_json::json!({
                "iss": "me@127.0.0.1:8443/test",
                "sub": "me@127.0.0.1:8443/test",
                "aud": "127.0.0.1",
                "exp": AT as i64 + 120,
                "nbf": AT as i64 - 120,
                "iat": AT as i64,
            })
        );

        let with_kid = secret.with_kid("kid-1");
        let parsed = jws::Parsed::parse(client_assertion(&client, &with_kid, at()).expose())
            .expect("parses");
        assert_eq!(parsed.header["kid"], "kid-1");
        // Two assertions never share a nonce.
        let again = jws::Parsed::parse(client_assertion(&client, &with_kid, at()).expose())
            .expect("parses");
        assert_ne!(parsed.header["nonce"], again.header["nonce"]);
    }
}
