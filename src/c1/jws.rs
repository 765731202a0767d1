//! Compact JWS with Ed25519 (`alg: EdDSA`, RFC 8037): the one format of the client assertion,
//! made by the client and checked by the fake. Three base64url (no padding) parts: protected
//! header, payload, signature over `header.payload`. No JWT crate: the SDK's header carries a
//! `nonce` that common ones do not set, and nothing else is needed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::Serialize;

/// Why a compact JWS was not accepted. Messages never quote the token.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwsError {
    #[error("not a compact JWS: {0}")]
    Malformed(&'static str),
    #[error("unsupported JWS algorithm {0:?} (EdDSA required)")]
    Algorithm(String),
    #[error("the JWS signature does not verify")]
    Signature,
}

/// A compact JWS of `header` and `payload` signed with `key`.
pub fn sign(header: &impl Serialize, payload: &impl Serialize, key: &SigningKey) -> String {
    // Serializing plain structs of strings and integers cannot fail.
    let header = serde_json::to_vec(header).unwrap_or_default();
    let payload = serde_json::to_vec(payload).unwrap_or_default();
    let mut out = URL_SAFE_NO_PAD.encode(header);
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(payload));
    let signature = key.sign(out.as_bytes());
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(signature.to_bytes()));
    out
}

/// A compact JWS taken apart, its signature not yet checked.
pub struct Parsed {
    pub header: serde_json::Map<String, serde_json::Value>,
    pub payload: serde_json::Map<String, serde_json::Value>,
    signing_input: String,
    signature: Signature,
}

impl Parsed {
    pub fn parse(compact: &str) -> Result<Parsed, JwsError> {
        let mut parts = compact.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwsError::Malformed("expected three '.'-separated parts"));
        };
        let header = json_object(h, "header is not base64url", "header is not a JSON object")?;
        let payload = json_object(
            p,
            "payload is not base64url",
            "payload is not a JSON object",
        )?;
        let signature = URL_SAFE_NO_PAD
            .decode(s)
            .ok()
            .and_then(|bytes| Signature::from_slice(&bytes).ok())
            .ok_or(JwsError::Malformed("signature is not 64 base64url bytes"))?;
        Ok(Parsed {
            header,
            payload,
            signing_input: format!("{h}.{p}"),
            signature,
        })
    }

    /// Checks `alg` is EdDSA and the signature is `key`'s (strictly: no malleable signatures).
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), JwsError> {
        match self.header.get("alg").and_then(|v| v.as_str()) {
            Some(super::wire::ASSERTION_ALG) => {}
            Some(other) => return Err(JwsError::Algorithm(other.chars().take(32).collect())),
            None => return Err(JwsError::Algorithm(String::new())),
        }
        key.verify_strict(self.signing_input.as_bytes(), &self.signature)
            .map_err(|_| JwsError::Signature)
    }
}

fn json_object(
    part: &str,
    not_base64: &'static str,
    not_object: &'static str,
) -> Result<serde_json::Map<String, serde_json::Value>, JwsError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwsError::Malformed(not_base64))?;
    serde_json::from_slice(&bytes).map_err(|_| JwsError::Malformed(not_object))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn signs_and_verifies_with_the_same_key_only() {
        let jws = sign(&json!({"alg": "EdDSA"}), &json!({"iss": "me"}), &key(1));
        let parsed = Parsed::parse(&jws).expect("parses");
        assert_eq!(parsed.payload["iss"], "me");
        assert_eq!(parsed.verify(&key(1).verifying_key()), Ok(()));
        assert_eq!(
            parsed.verify(&key(2).verifying_key()),
            Err(JwsError::Signature)
        );
    }

    #[test]
    fn a_changed_payload_or_algorithm_is_refused() {
        let jws = sign(&json!({"alg": "EdDSA"}), &json!({"iss": "me"}), &key(1));
        let mut parts: Vec<String> = jws.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(br#"{"iss":"you"}"#);
        let forged = Parsed::parse(&parts.join(".")).expect("parses");
        assert_eq!(
            forged.verify(&key(1).verifying_key()),
            Err(JwsError::Signature)
        );

        let none = sign(&json!({"alg": "none"}), &json!({}), &key(1));
        assert_eq!(
            Parsed::parse(&none)
                .expect("parses")
                .verify(&key(1).verifying_key()),
            Err(JwsError::Algorithm("none".into()))
        );
        assert!(matches!(Parsed::parse("a.b"), Err(JwsError::Malformed(_))));
        assert!(matches!(
            Parsed::parse("a.b.c.d"),
            Err(JwsError::Malformed(_))
        ));
    }
}
