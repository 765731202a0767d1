//! What the ConductorOne client is built from: explicit values (tests and the CLI) or the
//! environment the SDK reads (`BATON_C1_API_HOST`, `BATON_HOST_ID`, the proxy variables).

use super::credentials::Secret;
use super::proxy::ProxySettings;
use std::path::PathBuf;

/// Moves both the token endpoint and the gRPC service (host[:port]).
pub const ENV_API_HOST: &str = "BATON_C1_API_HOST";
/// The `host_id` sent with every request (else the hostname).
pub const ENV_HOST_ID: &str = "BATON_HOST_ID";
/// The SDK's variables for the credentials (read by the CLI, named here for its hints).
pub const ENV_CLIENT_ID: &str = "BATON_CLIENT_ID";
pub const ENV_CLIENT_SECRET: &str = "BATON_CLIENT_SECRET";
/// `host_id` when neither `BATON_HOST_ID` nor a hostname gives one.
pub const FALLBACK_HOST_ID: &str = "baton-sdk";

/// Everything `C1Client::new` needs. `Debug` shows no secret.
#[derive(Clone, Debug)]
pub struct C1Config {
    /// `<name>@<host>/<rest>`.
    pub client_id: String,
    /// `<a>:<b>:v1:<base64url JWK>`.
    pub client_secret: Secret,
    /// `host[:port]` of both the token endpoint and the service, instead of the client id's
    /// host. Never a URL: the connection is always TLS.
    pub api_host: Option<String>,
    /// Sent as `host_id` with every request.
    pub host_id: String,
    /// PEM certificates trusted besides the system roots (tests trust the fake's CA this way;
    /// `SSL_CERT_FILE` works too, as for the Go SDK).
    pub extra_ca_file: Option<PathBuf>,
    /// The HTTPS proxy and its exceptions, for the token request and the gRPC tunnel alike.
    pub proxy: ProxySettings,
}

impl C1Config {
    /// Explicit values only: no override of the API host, no proxy, no extra CA.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: Secret,
        host_id: impl Into<String>,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            api_host: None,
            host_id: host_id.into(),
            extra_ca_file: None,
            proxy: ProxySettings::default(),
        }
    }

    /// As the SDK configures itself: `BATON_C1_API_HOST`, `BATON_HOST_ID` (else the hostname,
    /// else `baton-sdk`) and `HTTPS_PROXY`/`NO_PROXY`.
    pub fn from_env(client_id: impl Into<String>, client_secret: Secret) -> Self {
        let host_id = resolve_host_id(std::env::var(ENV_HOST_ID).ok(), super::host::hostname());
        Self {
            // Empty counts as unset (Go would build `https:///auth/v1/token` from it).
            api_host: std::env::var(ENV_API_HOST).ok().filter(|h| !h.is_empty()),
            proxy: ProxySettings::from_env(),
            ..Self::new(client_id, client_secret, host_id)
        }
    }
}

/// `BATON_HOST_ID` wins when set (even empty), then the hostname; an empty result becomes
/// `baton-sdk` (service_client.go `getHostID`).
pub fn resolve_host_id(env: Option<String>, hostname: Option<String>) -> String {
    match env.or(hostname) {
        Some(id) if !id.is_empty() => id,
        _ => FALLBACK_HOST_ID.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_id_prefers_the_variable_then_the_hostname() {
        assert_eq!(resolve_host_id(Some("h1".into()), Some("box".into())), "h1");
        assert_eq!(resolve_host_id(None, Some("box".into())), "box");
        assert_eq!(
            resolve_host_id(Some(String::new()), Some("box".into())),
            "baton-sdk"
        );
        assert_eq!(resolve_host_id(None, None), "baton-sdk");
    }
}
