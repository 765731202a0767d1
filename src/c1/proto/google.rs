//! The two well-known messages the service protocol needs beyond those of the `.c1z`:
//! `google.protobuf.Duration` and `google.rpc.Status` (googleapis `google/rpc/status.proto`,
//! vendored by baton-sdk under `vendor/google.golang.org/genproto/googleapis/rpc/status`).

use super::Any;

/// `google/protobuf/duration.proto` `google.protobuf.Duration`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Duration {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Duration {
    /// A non-negative duration (saturating at `i64::MAX` seconds).
    pub fn from_std(d: std::time::Duration) -> Self {
        Self {
            seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            nanos: d.subsec_nanos() as i32,
        }
    }

    /// The duration in nanoseconds, sign included (Go's `AsDuration` without its saturation).
    pub fn signed_nanos(&self) -> i128 {
        i128::from(self.seconds) * 1_000_000_000 + i128::from(self.nanos)
    }
}

/// `google/rpc/status.proto` `google.rpc.Status`: how a task failed, in gRPC's terms.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcStatus {
    /// A `google.rpc.Code` (`tonic::Code` as `i32`).
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<Any>,
}
