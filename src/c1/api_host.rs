//! Where the ConductorOne client connects, checked: the token endpoint and the gRPC service
//! share it.

use super::credentials::{ClientId, split_host_port};
use super::error::C1Error;
use super::wire::DEFAULT_PORT;

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
