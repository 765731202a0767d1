//! What the ConductorOne client is built from: explicit values (tests and the CLI) or the
//! environment the SDK reads (`BATON_C1_API_HOST`, `BATON_HOST_ID`, the proxy variables).

use super::credentials::{ClientId, Secret, split_host_port};
use super::error::C1Error;
use super::proxy::ProxySettings;
use super::wire::DEFAULT_PORT;
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

/// Where the client connects: `host:port`, port 443 unless named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiHost {
    /// Without brackets (an IPv6 address is bare).
    pub host: String,
    pub port: u16,
}

impl ApiHost {
    /// The API host of `client`: `api_host` if given, else the client id's token host.
    pub fn resolve(api_host: Option<&str>, client: &ClientId) -> Result<ApiHost, C1Error> {
        ApiHost::parse(api_host.unwrap_or(client.token_host()))
    }

    pub fn parse(hostport: &str) -> Result<ApiHost, C1Error> {
        let bad = |why: &str| {
            C1Error::Config(format!(
                "API host {hostport:?} {why}: expected host[:port] (the connection is always TLS)"
            ))
        };
        if hostport.contains("://") {
            return Err(bad("is a URL"));
        }
        if hostport.is_empty() || hostport.contains(['/', '@', '?', '#', ' ']) {
            return Err(bad("is not a host name"));
        }
        let (host, port) = match split_host_port(hostport) {
            Some((host, port)) => (
                host,
                port.parse::<u16>().map_err(|_| bad("has a bad port"))?,
            ),
            None => (hostport, DEFAULT_PORT),
        };
        if host.is_empty() || host.starts_with('[') {
            return Err(bad("is not a host name"));
        }
        Ok(ApiHost {
            host: host.to_owned(),
            port,
        })
    }

    /// `host:port`, bracketing an IPv6 address: a URI authority.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
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

    #[test]
    fn api_hosts_default_to_443_and_refuse_urls() {
        let client = ClientId::parse("n@tenant.conductor.one/x").expect("valid");
        let host = ApiHost::resolve(None, &client).expect("valid");
        assert_eq!(host.authority(), "tenant.conductor.one:443");
        let host = ApiHost::resolve(Some("127.0.0.1:8443"), &client).expect("valid");
        assert_eq!((host.host.as_str(), host.port), ("127.0.0.1", 8443));
        assert_eq!(
            ApiHost::parse("[::1]:9").expect("valid").authority(),
            "[::1]:9"
        );
        for bad in [
            "http://127.0.0.1:80",
            "https://h",
            "h:port",
            "h:99999",
            "",
            "h/x",
            ":80",
        ] {
            assert!(
                matches!(ApiHost::parse(bad), Err(C1Error::Config(_))),
                "{bad}"
            );
        }
    }
}
