//! The fake's certificates, made at start: a CA (whose PEM the client under test trusts, through
//! `SSL_CERT_FILE` or `C1Config::extra_ca_file`) and a leaf it signs for `127.0.0.1`,
//! `localhost` and any extra names, served with ALPN `h2` and `http/1.1`.

use super::FakeError;
use crate::c1::tls;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;

pub(crate) struct Certificates {
    pub ca_pem: String,
    pub server: Arc<ServerConfig>,
}

pub(crate) fn make(extra_names: &[String]) -> Result<Certificates, FakeError> {
    let cert_error = |e: rcgen::Error| FakeError::Certificates(e.to_string());

    let ca_key = KeyPair::generate().map_err(cert_error)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(cert_error)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "openai-access fake ConductorOne CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(cert_error)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let mut names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    names.extend(extra_names.iter().cloned());
    let leaf_key = KeyPair::generate().map_err(cert_error)?;
    let mut leaf_params = CertificateParams::new(names).map_err(cert_error)?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "fake ConductorOne");
    let leaf = leaf_params
        .signed_by(&leaf_key, &issuer)
        .map_err(cert_error)?;

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let mut server = ServerConfig::builder_with_provider(tls::provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| FakeError::Certificates(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca_cert.der().clone()], key)
        .map_err(|e| FakeError::Certificates(e.to_string()))?;
    server.alpn_protocols = vec![tls::ALPN_H2.to_vec(), tls::ALPN_HTTP1.to_vec()];
    Ok(Certificates {
        ca_pem: ca_cert.pem(),
        server: Arc::new(server),
    })
}
