//! TLS towards ConductorOne as the Go SDK sets it up (`credentials.NewTLS(&tls.Config{MinVersion:
//! TLS1.2})` and `uhttp.NewClient`): the system roots, TLS 1.2 or 1.3, the host as server name.
//! rustls with the ring provider, passed explicitly rather than through a process default.
//!
//! Roots: `rustls-native-certs` reads the system store, and on Linux it honours `SSL_CERT_FILE`
//! and `SSL_CERT_DIR` as Go does, with one difference: when either variable is set it reads
//! *only* the locations they name, whereas Go still adds its default directories
//! (`/etc/ssl/certs`, `/etc/pki/tls/certs`) when only `SSL_CERT_FILE` is set. A CA set through
//! `SSL_CERT_FILE` (how the SDK's tests inject theirs) is trusted either way. Certificates of an
//! extra PEM file ([`super::C1Config::extra_ca_file`]) are trusted on top.

use super::error::C1Error;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};
use std::path::Path;
use std::sync::Arc;

/// ALPN for gRPC: HTTP/2 only (hyper-rustls sets it on the client side itself).
pub(crate) const ALPN_H2: &[u8] = b"h2";
/// ALPN for the token request (reqwest speaks HTTP/1.1 here).
pub(crate) const ALPN_HTTP1: &[u8] = b"http/1.1";

/// The system roots plus those of `extra_ca`; an error when nothing at all can be trusted.
pub(crate) fn root_store(extra_ca: Option<&Path>) -> Result<Arc<RootCertStore>, C1Error> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for error in &native.errors {
        tracing::warn!(error = %error, "some system root certificates could not be loaded");
    }
    let (_, unparsable) = roots.add_parsable_certificates(native.certs);
    if unparsable > 0 {
        tracing::debug!(
            unparsable,
            "system root certificates rustls cannot use were skipped"
        );
    }
    if let Some(path) = extra_ca {
        for cert in read_pem_certificates(path)? {
            roots.add(cert).map_err(|e| {
                C1Error::Config(format!(
                    "CA file {}: unusable certificate: {e}",
                    path.display()
                ))
            })?;
        }
    }
    if roots.is_empty() {
        return Err(C1Error::Config(
            "no trusted root certificates: the system store is empty (check SSL_CERT_FILE / SSL_CERT_DIR)"
                .into(),
        ));
    }
    Ok(Arc::new(roots))
}

/// Every certificate of a PEM file; an error if it holds none.
pub(crate) fn read_pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, C1Error> {
    let bad = |why: String| C1Error::Config(format!("CA file {}: {why}", path.display()));
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no PEM certificate in it".into()));
    }
    Ok(certs)
}

/// The ring provider, for every TLS configuration of this module and of the fake.
pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration trusting `roots`, TLS 1.2+, offering `alpn` if given.
pub(crate) fn client_config(
    roots: Arc<RootCertStore>,
    alpn: Option<&[u8]>,
) -> Result<ClientConfig, C1Error> {
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| C1Error::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.into_iter().map(<[u8]>::to_vec).collect();
    Ok(config)
}
