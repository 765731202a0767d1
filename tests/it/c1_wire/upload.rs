//! UploadAsset: a file in chunks with its checksum, retried; the fake's rules for a stream.

use super::*;
use openai_access::c1::proto::BatonServiceUploadAssetRequest;
use openai_access::c1::proto::upload_request::{Msg, UploadData, UploadEof, UploadMetadata};
use sha2::{Digest, Sha256};

#[tokio::test]
async fn a_multi_chunk_upload_is_reassembled_with_its_checksum() {
    let fake = fake().await;
    let client = client(&fake);
    let id = fake.push(script(json!({"type": "sync_full"})));
    assert_eq!(take(&client).await, id);

    // 1.5 MiB + 123 bytes: three full 512 KiB chunks and a short one.
    let data: Vec<u8> = (0..3 * 512 * 1024 + 123)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sync.c1z");
    std::fs::write(&path, &data).expect("write");
    let sha: [u8; 32] = Sha256::digest(&data).into();

    let uploaded = client.upload(&id, &path).await.expect("upload");
    assert_eq!(uploaded.bytes, data.len() as u64);
    assert_eq!(uploaded.sha256, sha);
    assert_eq!(uploaded.attempts, 1);
    let uploads = fake.uploads(&id);
    assert_eq!(uploads.len(), 1);
    assert!(uploads[0].data == data, "the bytes arrive unchanged");
    assert_eq!(uploads[0].sha256, sha);
    let entry = fake
        .transcript()
        .into_iter()
        .find(|e| e.rpc == "UploadAsset")
        .expect("recorded");
    assert_eq!(entry.summary["chunks"], 4);
    assert_eq!(entry.task_id.as_deref(), Some(id.as_str()));

    // A second upload for the same task (the SDK's debug log) is kept too; an empty file is
    // metadata and eof only.
    let empty = dir.path().join("debug.log");
    std::fs::write(&empty, b"").expect("write");
    client.upload(&id, &empty).await.expect("second upload");
    let uploads = fake.uploads(&id);
    assert_eq!(uploads.len(), 2);
    assert!(uploads[1].data.is_empty());
}

#[tokio::test]
async fn an_upload_that_fails_is_sent_again() {
    let fake = fake().await;
    let client = client(&fake);
    let id = fake.push(script(json!({"type": "sync_full"})));
    take(&client).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sync.c1z");
    std::fs::write(&path, b"c1z bytes").expect("write");

    // The first retry follows at once (the SDK's 0 s pause).
    fake.fail_next_uploads(1);
    let uploaded = client.upload(&id, &path).await.expect("upload");
    assert_eq!(uploaded.attempts, 2);
    assert_eq!(fake.uploads(&id).len(), 1);

    let missing = client
        .upload(&id, &dir.path().join("missing"))
        .await
        .expect_err("missing file");
    assert!(matches!(missing, C1Error::File { .. }), "{missing:?}");
}

fn upload(msg: Msg) -> BatonServiceUploadAssetRequest {
    BatonServiceUploadAssetRequest { msg: Some(msg) }
}

#[tokio::test]
async fn the_fake_refuses_broken_upload_streams() {
    let fake = fake().await;
    let client = client(&fake);
    let id = fake.push(script(json!({"type": "sync_full"})));
    take(&client).await;
    let metadata = upload(Msg::Metadata(UploadMetadata {
        host_id: "h".into(),
        task_id: id.clone(),
        annotations: Vec::new(),
    }));
    let data = |bytes: Vec<u8>| upload(Msg::Data(UploadData { data: bytes }));
    let eof = |sha: Vec<u8>| {
        upload(Msg::Eof(UploadEof {
            sha256_checksum: sha,
            annotations: Vec::new(),
        }))
    };
    let good_sha = Sha256::digest(b"abc").to_vec();
    let mut corrupted = good_sha.clone();
    corrupted[0] ^= 1;

    let cases: Vec<(Vec<BatonServiceUploadAssetRequest>, &str)> = vec![
        (
            vec![metadata.clone(), data(b"abc".to_vec()), eof(corrupted)],
            "does not match",
        ),
        (
            vec![
                metadata.clone(),
                data(b"abc".to_vec()),
                eof(good_sha[..31].to_vec()),
            ],
            "32 bytes",
        ),
        (
            vec![data(b"abc".to_vec()), eof(good_sha.clone())],
            "first message",
        ),
        (
            vec![
                metadata.clone(),
                data(vec![0; 1024 * 1024 + 1]),
                eof(good_sha.clone()),
            ],
            "data must be",
        ),
        (vec![metadata.clone(), data(b"abc".to_vec())], "before eof"),
        (
            vec![metadata.clone(), metadata.clone(), eof(good_sha.clone())],
            "already sent",
        ),
    ];
    for (messages, says) in cases {
        let error = client.upload_messages(messages).await.expect_err(says);
        assert_eq!(status_code(&error), Code::InvalidArgument, "{says}");
        assert!(
            error.to_string().contains(says),
            "{error} should say {says}"
        );
    }
    assert!(fake.uploads(&id).is_empty());
    client
        .upload_messages(vec![metadata, data(b"abc".to_vec()), eof(good_sha)])
        .await
        .expect("a correct stream");
    assert_eq!(fake.uploads(&id).len(), 1);
}
