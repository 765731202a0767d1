//! Outages and recovery, TLS and nothing else, and the HTTPS proxy tunnel.

use super::*;
use openai_access::c1::ProxySettings;
use openai_access::c1::fake::Availability;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn an_unavailable_or_unreachable_service_is_retryable_and_recovers() {
    let fake = fake().await;
    let client = client(&fake);
    client.get_task().await.expect("up");

    fake.set_availability(Availability::Unavailable);
    let error = client.get_task().await.expect_err("unavailable");
    assert_eq!(status_code(&error), Code::Unavailable);
    assert!(error.is_retryable());

    // Refusing cuts the open connection and closes new ones before TLS.
    fake.set_availability(Availability::Refusing);
    let error = client.get_task().await.expect_err("refusing");
    assert!(matches!(error, C1Error::Transport { .. }), "{error:?}");
    assert!(error.is_retryable());

    fake.set_availability(Availability::Up);
    client
        .get_task()
        .await
        .expect("up again, on a new connection");

    // Nothing listening at all: the token request fails first, retryably.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let nowhere = C1Client::new(C1Config {
        api_host: Some(closed.to_string()),
        ..fake.client_config()
    })
    .expect("client");
    let error = nowhere
        .hello(None, metadata())
        .await
        .expect_err("nothing there");
    assert!(
        matches!(error, C1Error::TokenUnavailable { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable(), "Hello backs off on a failed dial");
}

#[tokio::test]
async fn the_client_never_speaks_plaintext() {
    let fake = fake().await;
    // A URL (any scheme) is refused when the client is made.
    for host in ["http://127.0.0.1:80", "https://127.0.0.1:443"] {
        let refused = C1Client::new(C1Config {
            api_host: Some(host.into()),
            ..fake.client_config()
        });
        assert!(matches!(refused, Err(C1Error::Config(_))), "{host}");
    }

    // A plain TCP server sees a TLS ClientHello, never an HTTP request.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let first_bytes = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut head = [0u8; 3];
        socket.read_exact(&mut head).await.expect("read");
        head
    });
    let client = C1Client::new(C1Config {
        api_host: Some(addr.to_string()),
        ..fake.client_config()
    })
    .expect("client");
    let error = client
        .hello(None, metadata())
        .await
        .expect_err("no TLS there");
    let head = first_bytes.await.expect("server task");
    assert_eq!(head[0], 0x16, "a TLS handshake record");
    assert_eq!(head[1], 0x03, "TLS 1.x");
    assert!(
        matches!(error, C1Error::TokenUnavailable { .. }),
        "{error:?}"
    );
}

/// An HTTP CONNECT proxy that resolves `c1.test` to the fake and records each CONNECT head.
async fn connect_proxy(
    target: std::net::SocketAddr,
) -> (std::net::SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if inbound.read_exact(&mut byte).await.is_err() {
                        return;
                    }
                    head.push(byte[0]);
                }
                seen.lock()
                    .expect("heads")
                    .push(String::from_utf8_lossy(&head).into_owned());
                let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                if inbound
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_ok()
                {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (addr, heads)
}

#[tokio::test]
async fn token_and_grpc_go_through_an_https_proxy_tunnel() {
    let fake = fake_with(FakeOptions {
        extra_names: vec!["c1.test".into()],
        ..FakeOptions::default()
    })
    .await;
    let (proxy, heads) = connect_proxy(fake.addr()).await;
    let target = format!("c1.test:{}", fake.addr().port());
    let client = C1Client::new(C1Config {
        api_host: Some(target.clone()),
        proxy: ProxySettings {
            https_proxy: Some(Secret::new(format!("http://user:pw@{proxy}"))),
            no_proxy: Some("example.com".into()),
        },
        ..fake.client_config()
    })
    .expect("client");
    client
        .hello(None, metadata())
        .await
        .expect("hello through the proxy");
    assert_eq!(fake.hellos().len(), 1);

    let heads = heads.lock().expect("heads").clone();
    assert_eq!(
        heads.len(),
        2,
        "one tunnel for the token, one for gRPC: {heads:?}"
    );
    for head in &heads {
        assert!(
            head.starts_with(&format!("CONNECT {target} HTTP/1.1\r\n")),
            "{head}"
        );
        assert!(
            head.to_ascii_lowercase()
                .contains("proxy-authorization: basic dxnlcjpwdw=="),
            "{head}"
        );
    }
}
