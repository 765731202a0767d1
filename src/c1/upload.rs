//! UploadAsset: a file (the synced `.c1z`) sent as a client stream of metadata, 512 KiB chunks
//! and an end-of-file message with the SHA-256 of everything sent (baton-sdk
//! `pkg/tasks/c1api/service_client.go` `Upload`). Up to three attempts, each reading the file
//! afresh, after pauses of 0 s and 1 s.
//!
//! The SDK reads the file twice per attempt (once to hash it, once to send it); this hashes
//! the chunks as it sends them, so the checksum is that of exactly the bytes sent even if the
//! file changes meanwhile. A blocking thread reads the file and hands chunks over a channel of
//! two, so at most ~1.5 MiB is in memory whatever the file's size.

use super::client::C1Client;
use super::error::C1Error;
use super::proto::{
    BatonServiceUploadAssetRequest, BatonServiceUploadAssetResponse, upload_request,
};
use super::wire::{self, Rpc, UPLOAD_ATTEMPTS, UPLOAD_CHUNK};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

/// A finished upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uploaded {
    pub bytes: u64,
    pub sha256: [u8; 32],
    /// 1 when the first attempt succeeded.
    pub attempts: usize,
}

/// What the reading thread ends with: the bytes read and their hash, or why it stopped.
enum ReadOutcome {
    Complete {
        bytes: u64,
        sha256: [u8; 32],
    },
    /// The stream stopped taking chunks (the RPC ended early); the RPC's error says why.
    Abandoned,
    Failed(std::io::Error),
}

impl C1Client {
    /// Uploads `path` for `task_id`.
    pub async fn upload(&self, task_id: &str, path: &Path) -> Result<Uploaded, C1Error> {
        let mut last_error = None;
        for attempt in 1..=UPLOAD_ATTEMPTS {
            if attempt > 1 {
                tokio::time::sleep(wire::upload_retry_delay(attempt - 1)).await;
            }
            match self.upload_once(task_id, path).await {
                Ok((bytes, sha256)) => {
                    tracing::info!(task_id, bytes, attempt, "uploaded asset");
                    return Ok(Uploaded {
                        bytes,
                        sha256,
                        attempts: attempt,
                    });
                }
                Err(error) => {
                    tracing::warn!(task_id, attempt, error = %error, "failed to upload asset");
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| C1Error::Config("no upload attempt was made".into())))
    }

    /// Sends exactly `messages` as one UploadAsset stream: no chunking, checksum or retry.
    /// For tests and diagnostics of what ConductorOne accepts.
    pub async fn upload_messages(
        &self,
        messages: Vec<BatonServiceUploadAssetRequest>,
    ) -> Result<(), C1Error> {
        let request = self.authorized(futures::stream::iter(messages)).await?;
        let mut grpc = self.inner.channel.grpc();
        let result = grpc
            .client_streaming(
                request,
                http::uri::PathAndQuery::from_static(Rpc::UploadAsset.path()),
                tonic_prost::ProstCodec::<
                    BatonServiceUploadAssetRequest,
                    BatonServiceUploadAssetResponse,
                >::default(),
            )
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(status) => Err(self.failed(Rpc::UploadAsset, status).await),
        }
    }

    async fn upload_once(&self, task_id: &str, path: &Path) -> Result<(u64, [u8; 32]), C1Error> {
        let file_error = |source| C1Error::File {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::open(path).map_err(file_error)?;
        let (tx, mut rx) = mpsc::channel::<BatonServiceUploadAssetRequest>(2);
        let metadata = message(upload_request::Msg::Metadata(
            upload_request::UploadMetadata {
                host_id: self.inner.host_id.clone(),
                task_id: task_id.to_owned(),
                annotations: Vec::new(),
            },
        ));
        let owned_path: PathBuf = path.to_owned();
        let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
        let request = self.authorized(stream).await?;
        let reader = tokio::task::spawn_blocking(move || send_file(file, metadata, &tx));
        let mut grpc = self.inner.channel.grpc();
        let result = grpc
            .client_streaming(
                request,
                http::uri::PathAndQuery::from_static(Rpc::UploadAsset.path()),
                tonic_prost::ProstCodec::<
                    BatonServiceUploadAssetRequest,
                    BatonServiceUploadAssetResponse,
                >::default(),
            )
            .await;
        let read = reader.await.map_err(|e| C1Error::File {
            path: owned_path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        match (read, result) {
            // A file that could not be read explains the failure better than the server does.
            (ReadOutcome::Failed(source), _) => Err(C1Error::File {
                path: owned_path,
                source,
            }),
            (_, Err(status)) => Err(self.failed(Rpc::UploadAsset, status).await),
            (ReadOutcome::Complete { bytes, sha256 }, Ok(_)) => Ok((bytes, sha256)),
            (ReadOutcome::Abandoned, Ok(_)) => Err(C1Error::Status {
                rpc: Rpc::UploadAsset,
                code: tonic::Code::Internal,
                message: "the server answered before the whole file was sent".into(),
            }),
        }
    }
}

fn message(msg: upload_request::Msg) -> BatonServiceUploadAssetRequest {
    BatonServiceUploadAssetRequest { msg: Some(msg) }
}

/// Sends metadata, the file in [`UPLOAD_CHUNK`]s, and the end-of-file with their SHA-256.
fn send_file(
    mut file: std::fs::File,
    metadata: BatonServiceUploadAssetRequest,
    tx: &mpsc::Sender<BatonServiceUploadAssetRequest>,
) -> ReadOutcome {
    if tx.blocking_send(metadata).is_err() {
        return ReadOutcome::Abandoned;
    }
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    loop {
        let mut chunk = Vec::with_capacity(UPLOAD_CHUNK);
        match (&mut file)
            .take(UPLOAD_CHUNK as u64)
            .read_to_end(&mut chunk)
        {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&chunk);
                bytes += n as u64;
                let data = upload_request::Msg::Data(upload_request::UploadData { data: chunk });
                if tx.blocking_send(message(data)).is_err() {
                    return ReadOutcome::Abandoned;
                }
            }
            Err(e) => return ReadOutcome::Failed(e),
        }
    }
    let sha256: [u8; 32] = hasher.finalize().into();
    let eof = upload_request::Msg::Eof(upload_request::UploadEof {
        sha256_checksum: sha256.to_vec(),
        annotations: Vec::new(),
    });
    if tx.blocking_send(message(eof)).is_err() {
        return ReadOutcome::Abandoned;
    }
    ReadOutcome::Complete { bytes, sha256 }
}
