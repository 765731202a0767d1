//! The requests and responses of `c1.connectorapi.baton.v1.BatonService`, from baton-sdk
//! `proto/c1/connectorapi/baton/v1/baton.proto`. Validation rules of the .proto (PGV) are noted
//! where the fake enforces them; the values live in [`crate::c1::wire`].

use super::{Any, ConnectorMetadata, Duration, RpcStatus, Task};

/// `baton.proto` `c1.connectorapi.baton.v1.BatonServiceHelloRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatonServiceHelloRequest {
    /// 1..256 characters.
    #[prost(string, tag = "1")]
    pub host_id: String,
    /// Empty at startup; the HelloTask's id when answering one.
    #[prost(string, tag = "2")]
    pub task_id: String,
    #[prost(message, optional, tag = "3")]
    pub build_info: Option<hello_request::BuildInfo>,
    #[prost(message, optional, tag = "4")]
    pub os_info: Option<hello_request::OsInfo>,
    /// Required.
    #[prost(message, optional, tag = "5")]
    pub connector_metadata: Option<ConnectorMetadata>,
    /// At most 16.
    #[prost(message, repeated, tag = "6")]
    pub annotations: Vec<Any>,
}

/// The nested messages of `c1.connectorapi.baton.v1.BatonServiceHelloRequest`.
pub mod hello_request {
    /// `BatonServiceHelloRequest.BuildInfo` (each field at most 256 characters).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct BuildInfo {
        #[prost(string, tag = "1")]
        pub lang_version: String,
        #[prost(string, tag = "2")]
        pub package: String,
        #[prost(string, tag = "3")]
        pub package_version: String,
    }

    /// `BatonServiceHelloRequest.OSInfo` (each field at most 256 characters).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct OsInfo {
        #[prost(string, tag = "1")]
        pub hostname: String,
        #[prost(string, tag = "2")]
        pub os: String,
        #[prost(string, tag = "3")]
        pub platform: String,
        #[prost(string, tag = "4")]
        pub platform_version: String,
        #[prost(string, tag = "5")]
        pub platform_family: String,
        #[prost(string, tag = "6")]
        pub kernel_version: String,
        #[prost(string, tag = "7")]
        pub kernel_arch: String,
        #[prost(string, tag = "8")]
        pub virtualization_system: String,
    }
}

/// `baton.proto` `c1.connectorapi.baton.v1.BatonServiceHelloResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatonServiceHelloResponse {
    #[prost(message, repeated, tag = "1")]
    pub annotations: Vec<Any>,
}

/// `baton.proto` `c1.connectorapi.baton.v1.BatonServiceGetTaskRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatonServiceGetTaskRequest {
    #[prost(string, tag = "1")]
    pub host_id: String,
}

/// `baton.proto` `c1.connectorapi.baton.v1.BatonServiceGetTaskResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatonServiceGetTaskResponse {
    /// Absent, or a `none` task, when there is nothing to do.
    #[prost(message, optional, tag = "1")]
    pub task: Option<Task>,
    #[prost(message, optional, tag = "2")]
    pub next_poll: Option<Duration>,
    #[prost(message, optional, tag = "3")]
    pub next_heartbeat: Option<Duration>,
    #[prost(message, repeated, tag = "4")]
    pub annotations: Vec<Any>,
}

/// `baton.proto` `c1.connectorapi.baton.v1.BatonServiceGetTasksRequest` (the batch path).
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatonServiceGetTasksRequest {
    #[prost(string, tag = "1")]
    pub host_id: String,
    /// 1..100.
    #[prost(uint32, tag = "2")]
    pub page_size: u32,
    /// Tasks the connector already holds (queued or running), so they are not sent again.
    #[prost(string, repeated, tag = "3")]
    pub known_task_ids: Vec<String>,
    #[prost(message, repeated, tag = "4")]
    pub annotations: Vec<Any>,
}

/// `baton.proto` `c1.connectorapi.baton.v1.BatonServiceGetTasksResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatonServiceGetTasksResponse {
    /// At most 100.
    #[prost(message, repeated, tag = "1")]
    pub tasks: Vec<Task>,
    #[prost(message, optional, tag = "2")]
    pub next_poll: Option<Duration>,
    #[prost(message, optional, tag = "3")]
    pub next_heartbeat: Option<Duration>,
    #[prost(message, repeated, tag = "4")]
    pub annotations: Vec<Any>,
}

/// `baton.proto` `c1.connectorapi.baton.v1.BatonServiceHeartbeatRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatonServiceHeartbeatRequest {
    #[prost(string, tag = "1")]
    pub host_id: String,
    #[prost(string, tag = "2")]
    pub task_id: String,
    #[prost(message, repeated, tag = "3")]
    pub annotations: Vec<Any>,
    /// The batch form (never sent by the SDK).
    #[prost(string, repeated, tag = "4")]
    pub task_ids: Vec<String>,
}

/// `baton.proto` `c1.connectorapi.baton.v1.BatonServiceHeartbeatResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatonServiceHeartbeatResponse {
    #[prost(message, optional, tag = "1")]
    pub next_heartbeat: Option<Duration>,
    /// ConductorOne wants the work on this task stopped.
    #[prost(bool, tag = "2")]
    pub cancelled: bool,
    #[prost(message, repeated, tag = "3")]
    pub annotations: Vec<Any>,
    #[prost(string, repeated, tag = "4")]
    pub cancelled_task_ids: Vec<String>,
}

/// `baton.proto` `c1.connectorapi.baton.v1.BatonServiceUploadAssetRequest`: one message of
/// the client stream (metadata, then data chunks, then eof).
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatonServiceUploadAssetRequest {
    /// Required.
    #[prost(oneof = "upload_request::Msg", tags = "100, 101, 102")]
    pub msg: Option<upload_request::Msg>,
}

/// The nested messages of `c1.connectorapi.baton.v1.BatonServiceUploadAssetRequest`.
pub mod upload_request {
    use super::Any;

    /// The `msg` oneof.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Msg {
        #[prost(message, tag = "100")]
        Metadata(UploadMetadata),
        #[prost(message, tag = "101")]
        Data(UploadData),
        #[prost(message, tag = "102")]
        Eof(UploadEof),
    }

    /// `BatonServiceUploadAssetRequest.UploadMetadata` (field 3 is unused in the .proto).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct UploadMetadata {
        #[prost(string, tag = "1")]
        pub host_id: String,
        #[prost(string, tag = "2")]
        pub task_id: String,
        #[prost(message, repeated, tag = "4")]
        pub annotations: Vec<Any>,
    }

    /// `BatonServiceUploadAssetRequest.UploadData`: 1 byte to 1 MiB.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct UploadData {
        #[prost(bytes = "vec", tag = "1")]
        pub data: Vec<u8>,
    }

    /// `BatonServiceUploadAssetRequest.UploadEOF`: the SHA-256 of everything sent.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct UploadEof {
        #[prost(bytes = "vec", tag = "1")]
        pub sha256_checksum: Vec<u8>,
        #[prost(message, repeated, tag = "2")]
        pub annotations: Vec<Any>,
    }
}

/// `baton.proto` `c1.connectorapi.baton.v1.BatonServiceUploadAssetResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatonServiceUploadAssetResponse {
    #[prost(message, repeated, tag = "1")]
    pub annotations: Vec<Any>,
}

/// `baton.proto` `c1.connectorapi.baton.v1.BatonServiceFinishTaskRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatonServiceFinishTaskRequest {
    #[prost(string, tag = "1")]
    pub host_id: String,
    #[prost(string, tag = "2")]
    pub task_id: String,
    /// Unset on success; the failure in gRPC's terms otherwise.
    #[prost(message, optional, tag = "3")]
    pub status: Option<RpcStatus>,
    /// Required.
    #[prost(oneof = "finish_request::FinalState", tags = "100, 101")]
    pub final_state: Option<finish_request::FinalState>,
}

/// The nested messages of `c1.connectorapi.baton.v1.BatonServiceFinishTaskRequest`.
pub mod finish_request {
    use super::Any;

    /// The `final_state` oneof.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum FinalState {
        #[prost(message, tag = "100")]
        Error(Error),
        #[prost(message, tag = "101")]
        Success(Success),
    }

    /// `BatonServiceFinishTaskRequest.Error`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Error {
        /// ConductorOne must not schedule the task again.
        #[prost(bool, tag = "1")]
        pub non_retryable: bool,
        #[prost(message, repeated, tag = "2")]
        pub annotations: Vec<Any>,
        #[prost(message, optional, tag = "3")]
        pub response: Option<Any>,
    }

    /// `BatonServiceFinishTaskRequest.Success`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Success {
        #[prost(message, repeated, tag = "1")]
        pub annotations: Vec<Any>,
        #[prost(message, optional, tag = "2")]
        pub response: Option<Any>,
    }
}

/// `baton.proto` `c1.connectorapi.baton.v1.BatonServiceFinishTaskResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatonServiceFinishTaskResponse {
    #[prost(message, repeated, tag = "1")]
    pub annotations: Vec<Any>,
}

/// `baton.proto` `c1.connectorapi.baton.v1.StartDebuggingRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StartDebuggingRequest {}

/// `baton.proto` `c1.connectorapi.baton.v1.StartDebuggingResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct StartDebuggingResponse {
    #[prost(bool, tag = "1")]
    pub status: bool,
}
