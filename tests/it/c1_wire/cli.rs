//! `openai-access mock c1` as a person or a script runs it.

use super::*;
use openai_access::c1::Finish;
use openai_access::c1::proto::DeleteResourceResponse;
use std::io::{BufRead, BufReader};
use std::time::Duration;

#[test]
fn mock_c1_serves_until_interrupted_and_writes_ready_credentials() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tasks = dir.path().join("tasks.json");
    std::fs::write(&tasks, r#"[{"type":"sync_full"},{"type":"event_feed"}]"#).expect("write");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_openai-access"))
        .args(["mock", "c1", "--next-poll-ms", "300", "--dir"])
        .arg(dir.path())
        .arg("--tasks")
        .arg(&tasks)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("host line");
    let host = line.trim().to_owned();
    assert!(host.starts_with("127.0.0.1:"), "{host}");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("client-secret"))
            .expect("secret file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).expect(name);
    let config = C1Config {
        api_host: Some(host.clone()),
        extra_ca_file: Some(dir.path().join("ca.pem")),
        ..C1Config::new(
            read("client-id"),
            Secret::new(read("client-secret")),
            "cli-test",
        )
    };
    assert_eq!(read("client-id"), format!("fake@{host}/test"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let ca = read("ca.pem");
    let polled = runtime.block_on(async {
        let client = C1Client::new(config).expect("client");
        client.hello(None, metadata()).await.expect("hello");
        let first = client.get_task().await.expect("get task");
        let second = client.get_task().await.expect("get task");
        drive_through_the_control_api(&client, &host, &ca, dir.path()).await;
        (first, second)
    });
    assert_eq!(polled.0.task.map(|t| t.type_name()), Some("sync_full"));
    assert_eq!(polled.1.task.map(|t| t.type_name()), Some("event_feed"));
    assert_eq!(polled.0.next_poll, Duration::from_millis(300));

    // Ctrl-C stops it cleanly.
    let sent = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("kill -s INT {}", child.id()))
        .status()
        .expect("sh");
    assert!(sent.success());
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{:?}", output.status);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("export BATON_C1_API_HOST="), "{stderr}");
    assert!(
        !stderr.contains(&read("client-secret")),
        "the secret is never printed"
    );
}

/// What a test in another process does: queue a task over the control API (HTTP/1.1), let the
/// client work it, and read the outcome and the upload back.
async fn drive_through_the_control_api(
    client: &C1Client,
    host: &str,
    ca: &str,
    dir: &std::path::Path,
) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).expect("CA"))
        .no_proxy()
        .build()
        .expect("http client");
    let control = |path: &str| format!("https://{host}/__fake/{path}");
    let pushed: serde_json::Value = http
        .post(control("tasks"))
        .body(r#"[{"type":"delete_resource","resource_type":"user","resource":"user-abc"},{"type":"sync_full"}]"#)
        .send()
        .await
        .expect("push")
        .json()
        .await
        .expect("ids");
    let (deleted, cancelled) = (
        pushed["ids"][0].as_str().expect("id"),
        pushed["ids"][1].as_str().expect("id"),
    );
    let cancel: serde_json::Value = http
        .post(control(&format!("tasks/{cancelled}/cancel")))
        .send()
        .await
        .expect("cancel")
        .json()
        .await
        .expect("json");
    assert_eq!(cancel["cancelled"], true);

    let task = client
        .get_task()
        .await
        .expect("get task")
        .task
        .expect("the deletion");
    assert_eq!(task.id, deleted);
    let file = dir.join("asset.bin");
    std::fs::write(&file, b"uploaded through the fake").expect("write");
    client.upload(deleted, &file).await.expect("upload");
    client
        .finish_task(
            deleted,
            Finish::success(&DeleteResourceResponse::default(), Vec::new()),
        )
        .await
        .expect("finish");
    assert_eq!(
        client.get_task().await.expect("get task").task,
        None,
        "the cancelled sync stays queued out"
    );

    let get = |path: String| {
        let request = http.get(control(&path));
        async move {
            request
                .send()
                .await
                .expect("GET")
                .error_for_status()
                .expect("200")
        }
    };
    let finished: serde_json::Value = get("finished".into()).await.json().await.expect("json");
    assert_eq!(finished[0]["task_id"], deleted);
    assert_eq!(finished[0]["outcome"], "success");
    assert_eq!(
        finished[0]["response_type"],
        "c1.connector.v2.DeleteResourceResponse"
    );
    let uploads: serde_json::Value = get(format!("uploads/{deleted}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(uploads[0]["bytes"], 25);
    let bytes = get(format!("uploads/{deleted}/0"))
        .await
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&bytes[..], b"uploaded through the fake");
    let transcript: serde_json::Value = get("transcript".into()).await.json().await.expect("json");
    let rpcs: Vec<&str> = transcript
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["rpc"].as_str())
        .collect();
    assert_eq!(
        rpcs,
        [
            "token",
            "Hello",
            "GetTask",
            "GetTask",
            "GetTask",
            "UploadAsset",
            "FinishTask",
            "GetTask"
        ]
    );
}
