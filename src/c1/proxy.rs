//! Whether to reach ConductorOne through an HTTPS proxy, decided once for the API host and used
//! by both the token request and the gRPC connection (an HTTP CONNECT tunnel), as Go's
//! `http.ProxyFromEnvironment` decides for the SDK's token client and grpc-go's dialer.
//!
//! Followed from Go: `HTTPS_PROXY`/`https_proxy` and `NO_PROXY`/`no_proxy` (first non-empty),
//! a proxy without a scheme is `http://`, user:password in the proxy URL becomes
//! `Proxy-Authorization: Basic`, and `localhost` and loopback addresses never go through a
//! proxy. Not followed: `NO_PROXY` entries are matched with hyper-util's curl-style rules
//! (`example.com` and `.example.com` both match the domain and its subdomains, no per-port
//! entries), and only `http://` proxies are supported (Go also speaks to `https://` and
//! SOCKS5 proxies): another scheme is a configuration error rather than a silent bypass.

use super::api_host::ApiHost;
use super::credentials::Secret;
use super::error::C1Error;
use http::HeaderValue;
use hyper_util::client::proxy::matcher::Matcher;
use std::net::IpAddr;

/// The proxy variables, as explicit values.
#[derive(Clone, Debug, Default)]
pub struct ProxySettings {
    /// `HTTPS_PROXY`: may carry a password, hence a [`Secret`].
    pub https_proxy: Option<Secret>,
    /// `NO_PROXY`: comma-separated hosts, domains, IPs and CIDRs, or `*`.
    pub no_proxy: Option<String>,
}

impl ProxySettings {
    pub fn from_env() -> Self {
        Self {
            https_proxy: first_env(&["HTTPS_PROXY", "https_proxy"]).map(Secret::new),
            no_proxy: first_env(&["NO_PROXY", "no_proxy"]),
        }
    }

    /// The proxy to reach the API host through, if any.
    pub(crate) fn route(&self, api: &ApiHost) -> Result<Option<ProxyRoute>, C1Error> {
        let Some(proxy) = self.https_proxy.as_ref().filter(|p| !p.expose().is_empty()) else {
            return Ok(None);
        };
        if is_loopback(&api.host) {
            return Ok(None);
        }
        let url = if proxy.expose().contains("://") {
            proxy.expose().to_owned()
        } else {
            format!("http://{}", proxy.expose())
        };
        if !url.to_ascii_lowercase().starts_with("http://") {
            return Err(C1Error::Config(
                "HTTPS_PROXY: only http:// proxies are supported".into(),
            ));
        }
        let authority = api.authority();
        let target: http::Uri = format!("https://{authority}/").parse().map_err(|_| {
            C1Error::Config(format!(
                "API host {authority:?} is not a valid URI authority"
            ))
        })?;
        // The matcher drops a proxy URL it cannot parse: say so rather than go direct.
        if Matcher::builder()
            .https(url.clone())
            .build()
            .intercept(&target)
            .is_none()
        {
            return Err(C1Error::Config(
                "HTTPS_PROXY is not a valid proxy URL".into(),
            ));
        }
        let matcher = Matcher::builder()
            .https(url.clone())
            .no(self.no_proxy.clone().unwrap_or_default())
            .build();
        let Some(intercept) = matcher.intercept(&target) else {
            return Ok(None);
        };
        Ok(Some(ProxyRoute {
            uri: intercept.uri().clone(),
            authorization: intercept.basic_auth().cloned(),
            url: Secret::new(url),
        }))
    }
}

/// A proxy to tunnel through. `Debug` shows where, never the credentials.
#[derive(Clone)]
pub(crate) struct ProxyRoute {
    /// `http://proxy:port/`, without credentials.
    pub uri: http::Uri,
    /// `Basic …` for `Proxy-Authorization`, from the URL's user:password.
    pub authorization: Option<HeaderValue>,
    /// The whole URL (credentials included) for reqwest, which parses them itself.
    pub url: Secret,
}

impl std::fmt::Debug for ProxyRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyRoute")
            .field("uri", &self.uri)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "redacted"),
            )
            .finish()
    }
}

fn first_env(names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|v| !v.is_empty())
}

/// Go's `httpproxy` never proxies these.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(host: &str) -> ApiHost {
        ApiHost {
            host: host.to_owned(),
            port: 443,
        }
    }

    fn settings(proxy: &str, no: Option<&str>) -> ProxySettings {
        ProxySettings {
            https_proxy: Some(Secret::new(proxy)),
            no_proxy: no.map(str::to_owned),
        }
    }

    #[test]
    fn loopback_and_no_proxy_hosts_go_direct() {
        let s = settings(
            "http://proxy.corp:3128",
            Some("internal.example, 10.0.0.0/8"),
        );
        for host in [
            "localhost",
            "127.0.0.1",
            "::1",
            "a.internal.example",
            "internal.example",
            "10.1.2.3",
        ] {
            assert!(s.route(&api(host)).expect("valid").is_none(), "{host}");
        }
        let route = s
            .route(&api("tenant.conductor.one"))
            .expect("valid")
            .expect("proxied");
        assert_eq!(route.uri.host(), Some("proxy.corp"));
        assert_eq!(route.uri.port_u16(), Some(3128));
        assert!(route.authorization.is_none());
        assert!(
            settings("http://p:1", Some("*"))
                .route(&api("x.example"))
                .expect("valid")
                .is_none()
        );
        assert!(
            ProxySettings::default()
                .route(&api("x.example"))
                .expect("valid")
                .is_none()
        );
    }

    #[test]
    fn credentials_become_basic_auth_and_stay_out_of_debug() {
        let route = settings("user:s3cret@proxy.corp:3128", None)
            .route(&api("tenant.conductor.one"))
            .expect("valid")
            .expect("proxied");
        assert_eq!(route.uri.scheme_str(), Some("http"));
        assert_eq!(
            route.authorization.as_ref().and_then(|h| h.to_str().ok()),
            Some("Basic dXNlcjpzM2NyZXQ=")
        );
        let shown = format!("{route:?} {:?}", settings("user:s3cret@p:1", None));
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn other_proxy_schemes_are_refused() {
        for proxy in ["socks5://p:1080", "https://p:443"] {
            assert!(matches!(
                settings(proxy, None).route(&api("x.example")),
                Err(C1Error::Config(_))
            ));
        }
    }
}
