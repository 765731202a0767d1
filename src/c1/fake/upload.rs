//! UploadAsset on the fake: metadata first (host and task id), then data chunks of 1 byte to
//! 1 MiB, then an end-of-file whose SHA-256 must be 32 bytes and that of the concatenated data,
//! and nothing after it. Each upload that passes is kept per task, a second one included (the
//! SDK uploads debug logs for the same task after the `.c1z`).

use super::rpc::{Handle, admit, handed_out, outcome};
use super::state::UploadRecord;
use super::{Shared, validate};
use crate::c1::proto::{
    BatonServiceUploadAssetRequest, BatonServiceUploadAssetResponse, upload_request::Msg,
};
use crate::c1::wire::Rpc;
use http::{Request, Response};
use hyper::body::Incoming;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::SystemTime;
use tonic::body::Body;
use tonic::{Status, Streaming};

/// The most one upload may hold in the fake's memory.
const MAX_UPLOAD: usize = 1 << 30;

pub(crate) async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Response<Body> {
    let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::<
        BatonServiceUploadAssetResponse,
        BatonServiceUploadAssetRequest,
    >::default());
    let service = Handle(
        move |request: tonic::Request<Streaming<BatonServiceUploadAssetRequest>>| {
            let shared = shared.clone();
            async move { upload(&shared, request).await.map(tonic::Response::new) }
        },
    );
    grpc.client_streaming(service, request).await
}

/// What a stream carried, as far as it was read.
#[derive(Default)]
struct Received {
    task_id: Option<String>,
    host_id: Option<String>,
    data: Vec<u8>,
    chunks: usize,
    claimed: Vec<u8>,
}

impl Received {
    fn summary(&self) -> Value {
        json!({
            "host_id": self.host_id,
            "bytes": self.data.len(),
            "chunks": self.chunks,
            "sha256": super::state::hex(&self.claimed),
        })
    }
}

async fn upload(
    shared: &Shared,
    request: tonic::Request<Streaming<BatonServiceUploadAssetRequest>>,
) -> Result<BatonServiceUploadAssetResponse, Status> {
    let now = SystemTime::now();
    let admitted = admit(&shared.state.lock(), request.metadata(), now);
    if let Err(status) = admitted {
        let result = Err(status);
        shared.state.lock().record(
            now,
            Rpc::UploadAsset.name(),
            None,
            outcome(&result),
            json!({}),
        );
        return result;
    }
    let mut received = Received::default();
    let read = receive(request.into_inner(), &mut received).await;
    let mut state = shared.state.lock();
    let result = read.and_then(|()| {
        let task_id = received.task_id.clone().unwrap_or_default();
        handed_out(&state, &task_id)?;
        let sha256: [u8; 32] = Sha256::digest(&received.data).into();
        if received.claimed != sha256 {
            return Err(Status::invalid_argument(
                "sha256_checksum does not match the data received",
            ));
        }
        if state.failing_uploads > 0 {
            state.failing_uploads -= 1;
            return Err(Status::unavailable("upload failed (fail_next_uploads)"));
        }
        state
            .uploads
            .entry(task_id)
            .or_default()
            .push(UploadRecord {
                data: std::mem::take(&mut received.data),
                sha256,
            });
        Ok(BatonServiceUploadAssetResponse::default())
    });
    let summary = received.summary();
    state.record(
        now,
        Rpc::UploadAsset.name(),
        received.task_id,
        outcome(&result),
        summary,
    );
    result
}

/// Reads the stream into `received`, checking the order and the rules on the way.
async fn receive(
    mut stream: Streaming<BatonServiceUploadAssetRequest>,
    received: &mut Received,
) -> Result<(), Status> {
    let mut metadata_seen = false;
    while let Some(message) = stream.message().await? {
        let Some(msg) = message.msg else {
            return Err(Status::invalid_argument("msg is required"));
        };
        match msg {
            Msg::Metadata(metadata) => {
                if metadata_seen {
                    return Err(Status::invalid_argument("metadata was already sent"));
                }
                metadata_seen = true;
                received.task_id = Some(metadata.task_id.clone());
                received.host_id = Some(metadata.host_id.clone());
                validate::host_id(&metadata.host_id)?;
                validate::task_id("metadata.task_id", &metadata.task_id)?;
                validate::annotations("metadata.annotations", &metadata.annotations)?;
            }
            _ if !metadata_seen => {
                return Err(Status::invalid_argument(
                    "the first message must be metadata",
                ));
            }
            Msg::Data(data) => {
                validate::chunk(&data.data)?;
                if received.data.len() + data.data.len() > MAX_UPLOAD {
                    return Err(Status::resource_exhausted("the fake keeps at most 1 GiB"));
                }
                received.data.extend_from_slice(&data.data);
                received.chunks += 1;
            }
            Msg::Eof(eof) => {
                received.claimed = eof.sha256_checksum.clone();
                validate::checksum(&eof.sha256_checksum)?;
                validate::annotations("eof.annotations", &eof.annotations)?;
                if stream.message().await?.is_some() {
                    return Err(Status::invalid_argument("messages after eof"));
                }
                return Ok(());
            }
        }
    }
    Err(Status::invalid_argument("the stream ended before eof"))
}
