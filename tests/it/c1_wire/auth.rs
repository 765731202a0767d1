//! The token exchange and its refusals, bearer tokens on every RPC, and secrets and tokens
//! kept out of Debug output, errors and logs.

use super::*;
use openai_access::c1::ClientSecret;
use openai_access::c1::credentials::{ClientId, client_assertion};
use openai_access::c1::fake::TokenMode;
use openai_access::c1::proto;
use openai_access::c1::wire::Rpc;
use rustls::pki_types::pem::PemObject;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A client with the fake's host and CA but other credentials.
fn client_as(fake: &FakeC1, client_id: &str, secret: Secret) -> C1Client {
    C1Client::new(C1Config {
        client_id: client_id.into(),
        client_secret: secret,
        ..fake.client_config()
    })
    .expect("client")
}

fn token_outcomes(fake: &FakeC1) -> Vec<String> {
    fake.transcript()
        .into_iter()
        .filter(|e| e.rpc == "token")
        .map(|e| e.outcome)
        .collect()
}

#[tokio::test]
async fn refused_credentials_are_unauthenticated_and_final_for_hello() {
    let fake = fake().await;
    let other_key = ClientSecret::generate().encode("a:b");
    let error = client_as(&fake, fake.client_id(), other_key)
        .hello(None, metadata())
        .await
        .expect_err("another key");
    assert_eq!(error.code(), Code::Unauthenticated);
    assert!(!error.is_retryable(), "Hello gives up on UNAUTHENTICATED");
    assert!(matches!(error, C1Error::TokenRefused(_)));

    let stranger = format!("stranger@{}/test", fake.host());
    let error = client_as(&fake, &stranger, fake.client_secret().clone())
        .hello(None, metadata())
        .await
        .expect_err("another client id");
    assert_eq!(error.code(), Code::Unauthenticated);
    assert_eq!(
        token_outcomes(&fake),
        [
            "401: the JWS signature does not verify",
            "401: unknown client_id"
        ]
    );
    assert!(fake.hellos().is_empty());
    assert!(
        !fake.transcript().iter().any(|e| e.rpc == "Hello"),
        "no RPC is sent without a token"
    );

    // A token endpoint that refuses is final; one that fails (5xx) is an outage, retried
    // (the SDK would call both UNAUTHENTICATED).
    fake.set_token_mode(TokenMode::Reject);
    let error = client(&fake).get_task().await.expect_err("refused");
    assert_eq!(error.code(), Code::Unauthenticated);
    assert!(!error.is_retryable());
    fake.set_token_mode(TokenMode::Fail);
    let error = client(&fake).get_task().await.expect_err("failing");
    assert!(
        matches!(error, C1Error::TokenUnavailable { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    fake.set_token_mode(TokenMode::Issue);
    client(&fake).get_task().await.expect("issued again");
}

/// The token endpoint, asked directly.
async fn post_token(fake: &FakeC1, assertion: &str) -> (u16, serde_json::Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(fake.ca_pem().as_bytes()).expect("CA"))
        .no_proxy()
        .build()
        .expect("http client");
    let body = format!(
        "client_id={}&grant_type=client_credentials&client_assertion_type={}&client_assertion={assertion}",
        percent_encoding::utf8_percent_encode(fake.client_id(), percent_encoding::NON_ALPHANUMERIC),
        percent_encoding::utf8_percent_encode(
            openai_access::c1::wire::ASSERTION_TYPE,
            percent_encoding::NON_ALPHANUMERIC
        ),
    );
    let response = http
        .post(format!("{}/auth/v1/token", fake.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("token endpoint answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn the_token_endpoint_checks_signature_audience_and_time() {
    use openai_access::c1::credentials::{AssertionClaims, sign_assertion};
    let fake = fake().await;
    let secret = ClientSecret::parse(fake.client_secret().expose()).expect("secret");
    let client_id = ClientId::parse(fake.client_id()).expect("id");
    let now = std::time::SystemTime::now();

    let good = client_assertion(&client_id, &secret, now);
    let (status, body) = post_token(&fake, good.expose()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    // The same assertion twice is a replay.
    assert_eq!(post_token(&fake, good.expose()).await.0, 401);

    let mut tampered = client_assertion(&client_id, &secret, now)
        .expose()
        .to_owned();
    let last = tampered.pop().expect("non-empty");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let claims = AssertionClaims::for_client(&client_id, now);
    let wrong_aud = AssertionClaims {
        aud: fake.host(),
        ..claims.clone()
    };
    let cases = [
        (tampered, "signature"),
        (
            sign_assertion(&wrong_aud, &secret, [1; 16])
                .expose()
                .to_owned(),
            "aud",
        ),
        (
            client_assertion(&client_id, &secret, now - Duration::from_secs(600))
                .expose()
                .to_owned(),
            "expired",
        ),
    ];
    for (assertion, says) in cases {
        let (status, body) = post_token(&fake, &assertion).await;
        assert_eq!(status, 401, "{says}");
        let description = body["error_description"].as_str().unwrap_or_default();
        assert!(
            description.contains(says),
            "{description} should say {says}"
        );
    }
}

/// An RPC sent by hand, with `authorization` as given.
async fn call_with<Req, Resp>(
    fake: &FakeC1,
    rpc: Rpc,
    message: Req,
    authorization: Option<&str>,
) -> Result<Resp, tonic::Status>
where
    Req: prost::Message + Send + Sync + 'static,
    Resp: prost::Message + Default + Send + Sync + 'static,
{
    use hyper_util::client::legacy::{Client, connect::HttpConnector};
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(fake.ca_pem().as_bytes()) {
        roots.add(cert.expect("PEM")).expect("CA");
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http2()
        .wrap_connector(tcp);
    let http: Client<_, tonic::body::Body> = Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build(https);
    let mut grpc = tonic::client::Grpc::with_origin(http, fake.url().parse().expect("origin"));
    let mut request = tonic::Request::new(message);
    if let Some(value) = authorization {
        request
            .metadata_mut()
            .insert("authorization", value.parse().expect("ascii"));
    }
    grpc.unary(
        request,
        http::uri::PathAndQuery::from_static(rpc.path()),
        tonic_prost::ProstCodec::<Req, Resp>::default(),
    )
    .await
    .map(tonic::Response::into_inner)
}

async fn get_task_with(
    fake: &FakeC1,
    authorization: Option<&str>,
) -> Result<proto::BatonServiceGetTaskResponse, tonic::Status> {
    let request = proto::BatonServiceGetTaskRequest {
        host_id: "h".into(),
    };
    call_with(fake, Rpc::GetTask, request, authorization).await
}

#[tokio::test]
async fn rpcs_need_a_bearer_token_the_fake_issued() {
    let fake = fake().await;
    for authorization in [None, Some("Bearer not-a-token"), Some("Basic dXNlcjpwdw==")] {
        let status = get_task_with(&fake, authorization)
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::Unauthenticated, "{authorization:?}");
    }
    assert_eq!(
        fake.transcript()
            .iter()
            .filter(|e| e.rpc == "GetTask" && e.outcome.starts_with("Unauthenticated"))
            .count(),
        3
    );

    // A token from the endpoint, in the SDK's `Bearer <token>` form, is taken; StartDebugging
    // (which the SDK never calls) is not served.
    let secret = ClientSecret::parse(fake.client_secret().expose()).expect("secret");
    let client_id = ClientId::parse(fake.client_id()).expect("id");
    let assertion = client_assertion(&client_id, &secret, std::time::SystemTime::now());
    let (_, body) = post_token(&fake, assertion.expose()).await;
    let bearer = format!("Bearer {}", body["access_token"].as_str().expect("token"));
    get_task_with(&fake, Some(&bearer)).await.expect("taken");
    let debugging = call_with::<_, proto::StartDebuggingResponse>(
        &fake,
        Rpc::StartDebugging,
        proto::StartDebuggingRequest {},
        Some(&bearer),
    )
    .await
    .expect_err("not served");
    assert_eq!(debugging.code(), Code::Unimplemented);

    // A token ConductorOne stops taking: the call fails UNAUTHENTICATED, the client drops the
    // token, and the next call exchanges a new one.
    let client = client(&fake);
    client.get_task().await.expect("first call");
    fake.revoke_tokens();
    let error = client.get_task().await.expect_err("revoked");
    assert_eq!(status_code(&error), Code::Unauthenticated);
    client.get_task().await.expect("with a new token");
    assert_eq!(token_outcomes(&fake), ["OK", "OK", "OK"]);
}

/// Log lines of this crate, captured while a test runs on this thread.
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_or_token_shows_in_debug_errors_or_logs() {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("openai_access=trace"))
        .with_writer(move || Captured(sink.clone()))
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let fake = fake().await;
    let config = fake.client_config();
    let client = C1Client::new(config.clone()).expect("client");
    client.hello(None, metadata()).await.expect("hello");
    let id = fake.push(script(json!({"type": "sync_full"})));
    take(&client).await;
    client.heartbeat(&id).await.expect("heartbeat");
    let tokens = fake.issued_tokens();
    assert_eq!(tokens.len(), 1);
    fake.revoke_tokens();
    let revoked = client.get_task().await.expect_err("revoked");
    let refused = client_as(
        &fake,
        fake.client_id(),
        ClientSecret::generate().encode("a:b"),
    )
    .hello(None, metadata())
    .await
    .expect_err("wrong key");
    let bad_secret = C1Client::new(C1Config {
        client_secret: Secret::new(format!("{}x!", config.client_secret.expose())),
        ..config.clone()
    })
    .err()
    .expect("a bad secret");

    let secret = config.client_secret.expose().to_owned();
    let jwk_b64 = secret.rsplit(':').next().expect("jwk").to_owned();
    let shown = [
        format!("{config:?}"),
        format!("{:?}", ClientSecret::parse(&secret).expect("secret")),
        format!("{revoked} {revoked:?}"),
        format!("{refused} {refused:?}"),
        format!("{bad_secret} {bad_secret:?}"),
        serde_json::to_string(&fake.transcript()).expect("json"),
        String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned(),
    ];
    assert!(!shown[6].is_empty(), "the client logged something");
    for text in &shown {
        assert!(
            !text.contains(&jwk_b64),
            "the client secret shows in {text}"
        );
        for token in &tokens {
            assert!(!text.contains(token.expose()), "a token shows in {text}");
        }
    }
}
