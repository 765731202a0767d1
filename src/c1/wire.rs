//! The facts of ConductorOne's service-mode protocol that both ends of this crate share: the
//! service and method paths, the token endpoint, the size limits, the clamps the SDK applies to
//! the intervals ConductorOne asks for, and the shape of a task id. The client and the fake
//! derive everything from here, so the two cannot drift apart.
//!
//! Sources (baton-sdk v0.25.0): `proto/c1/connectorapi/baton/v1/baton.proto` (paths, PGV rules),
//! `pkg/tasks/c1api/service_client.go` (chunk size, upload attempts), `pkg/tasks/c1api/manager.go`
//! (clamps, FinishTask timeout), `pkg/ugrpc/c1_credential_provider.go` (token endpoint, assertion).

use super::proto::Duration as ProtoDuration;
use std::time::Duration;

macro_rules! service {
    () => {
        "c1.connectorapi.baton.v1.BatonService"
    };
}

/// The gRPC service every connector talks to.
pub const SERVICE: &str = service!();

/// The RPCs of `BatonService`, in the order of the .proto.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Rpc {
    Hello,
    GetTask,
    GetTasks,
    Heartbeat,
    FinishTask,
    UploadAsset,
    StartDebugging,
}

impl Rpc {
    pub const ALL: [Rpc; 7] = [
        Rpc::Hello,
        Rpc::GetTask,
        Rpc::GetTasks,
        Rpc::Heartbeat,
        Rpc::FinishTask,
        Rpc::UploadAsset,
        Rpc::StartDebugging,
    ];

    /// The method name, as in the .proto.
    pub const fn name(self) -> &'static str {
        match self {
            Rpc::Hello => "Hello",
            Rpc::GetTask => "GetTask",
            Rpc::GetTasks => "GetTasks",
            Rpc::Heartbeat => "Heartbeat",
            Rpc::FinishTask => "FinishTask",
            Rpc::UploadAsset => "UploadAsset",
            Rpc::StartDebugging => "StartDebugging",
        }
    }

    /// The HTTP/2 path of the method: `/<package>.<Service>/<Method>`.
    pub const fn path(self) -> &'static str {
        match self {
            Rpc::Hello => concat!("/", service!(), "/Hello"),
            Rpc::GetTask => concat!("/", service!(), "/GetTask"),
            Rpc::GetTasks => concat!("/", service!(), "/GetTasks"),
            Rpc::Heartbeat => concat!("/", service!(), "/Heartbeat"),
            Rpc::FinishTask => concat!("/", service!(), "/FinishTask"),
            Rpc::UploadAsset => concat!("/", service!(), "/UploadAsset"),
            Rpc::StartDebugging => concat!("/", service!(), "/StartDebugging"),
        }
    }

    pub fn from_path(path: &str) -> Option<Rpc> {
        Rpc::ALL.into_iter().find(|rpc| rpc.path() == path)
    }
}

impl std::fmt::Display for Rpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

// ---- authentication (c1_credential_provider.go) ------------------------------------------------

/// The OAuth token endpoint, on the same host as the gRPC service.
pub const TOKEN_PATH: &str = "/auth/v1/token";
pub const GRANT_TYPE: &str = "client_credentials";
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";
/// The gRPC metadata key carrying `<type> <access token>`.
pub const AUTHORIZATION: &str = "authorization";
/// The JWS algorithm of the client assertion (Ed25519).
pub const ASSERTION_ALG: &str = "EdDSA";
/// The assertion is valid from 2 minutes before it is made until 2 minutes after.
pub const ASSERTION_SKEW: Duration = Duration::from_secs(120);
/// Random bytes in the assertion's `nonce` header (hex-encoded: twice as many characters).
pub const NONCE_BYTES: usize = 16;
/// A cached token is replaced this long before it expires (oauth2's `expiryDelta`).
pub const TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(10);
/// The port of the API host when `BATON_C1_API_HOST` (or the client id) names none.
pub const DEFAULT_PORT: u16 = 443;

// ---- limits (baton.proto's validation rules) ----------------------------------------------------

/// Task ids are KSUIDs: exactly this many ASCII letters and digits.
pub const TASK_ID_LEN: usize = 27;
/// `host_id` length bounds.
pub const HOST_ID_MAX: usize = 256;
/// `connector_metadata.display_name` length bounds (bytes).
pub const DISPLAY_NAME_MAX: usize = 1024;
/// The most annotations a Hello, Heartbeat, upload or FinishTask may carry.
pub const MAX_ANNOTATIONS: usize = 16;
/// The most task ids a GetTasks page or a batch heartbeat may name.
pub const MAX_TASKS_PER_CALL: usize = 100;
/// The largest `UploadData.data` the server accepts.
pub const MAX_UPLOAD_CHUNK: usize = 1024 * 1024;
/// The chunk size the SDK sends (half the maximum).
pub const UPLOAD_CHUNK: usize = 512 * 1024;
/// `UploadEOF.sha256_checksum` length.
pub const SHA256_LEN: usize = 32;

// ---- client behaviour (service_client.go, manager.go) -------------------------------------------

/// Attempts of one upload, each re-reading the file.
pub const UPLOAD_ATTEMPTS: usize = 3;
/// The pause before retry `n` (1-based) of an upload: 0 s, then 1 s.
pub fn upload_retry_delay(retry: usize) -> Duration {
    Duration::from_secs(retry.saturating_sub(1) as u64)
}
/// FinishTask runs on its own 30-second deadline.
pub const FINISH_TIMEOUT: Duration = Duration::from_secs(30);
/// Connecting (TCP, proxy tunnel and TLS handshake) gives up after this long.
pub const DIAL_TIMEOUT: Duration = Duration::from_secs(30);

/// The startup Hello's pause after `failures` retryable failures: 1 s, doubling, at most
/// 5 min (manager.go `Bootstrap`). The caller gives up on a non-retryable error instead.
pub fn hello_backoff(failures: u32) -> Duration {
    const MAX: Duration = Duration::from_secs(5 * 60);
    match failures {
        0 => Duration::ZERO,
        n => Duration::from_secs(1u64 << (n - 1).min(16)).min(MAX),
    }
}

/// The task loop's pause after `errors` failed polls in a row: errors² seconds, at most 60 s
/// (runner.go `backoff`).
pub fn poll_error_backoff(errors: u32) -> Duration {
    Duration::from_secs(u64::from(errors).saturating_pow(2).min(60))
}

const MAX_POLL: Duration = Duration::from_secs(5 * 60);
const MIN_HEARTBEAT: Duration = Duration::from_secs(1);
const MAX_HEARTBEAT: Duration = Duration::from_secs(5 * 60);
const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(30);

/// How long to wait before polling again (`getNextPoll`): `next_poll` clamped to [0, 5 min];
/// absent or negative means poll again at once.
pub fn next_poll(asked: Option<&ProtoDuration>) -> Duration {
    match asked.map(ProtoDuration::signed_nanos).unwrap_or(0) {
        n if n <= 0 => Duration::ZERO,
        n => nanos(n).min(MAX_POLL),
    }
}

/// How long until the next heartbeat (`getHeartbeatInterval`): absent or zero means 30 s,
/// anything else is clamped to [1 s, 5 min] (a negative interval becomes 1 s, as in Go).
pub fn heartbeat_interval(asked: Option<&ProtoDuration>) -> Duration {
    match asked.map(ProtoDuration::signed_nanos).unwrap_or(0) {
        0 => DEFAULT_HEARTBEAT,
        n if n < 0 => MIN_HEARTBEAT,
        n => nanos(n).clamp(MIN_HEARTBEAT, MAX_HEARTBEAT),
    }
}

fn nanos(n: i128) -> Duration {
    let n = u128::try_from(n).unwrap_or(0);
    let secs = u64::try_from(n / 1_000_000_000).unwrap_or(u64::MAX);
    Duration::new(secs, (n % 1_000_000_000) as u32)
}

/// Whether `id` has the shape of a task id (`^[a-zA-Z0-9]{27}$`).
pub fn is_task_id(id: &str) -> bool {
    id.len() == TASK_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(seconds: i64, nanos: i32) -> ProtoDuration {
        ProtoDuration { seconds, nanos }
    }

    #[test]
    fn paths_name_the_service_and_round_trip() {
        assert_eq!(
            Rpc::UploadAsset.path(),
            "/c1.connectorapi.baton.v1.BatonService/UploadAsset"
        );
        for rpc in Rpc::ALL {
            assert_eq!(Rpc::from_path(rpc.path()), Some(rpc));
            assert!(rpc.path().ends_with(rpc.name()));
        }
        assert_eq!(
            Rpc::from_path("/c1.connectorapi.baton.v1.BatonService/Nope"),
            None
        );
    }

    #[test]
    fn next_poll_is_clamped_to_zero_and_five_minutes() {
        assert_eq!(next_poll(None), Duration::ZERO);
        assert_eq!(next_poll(Some(&d(-3, 0))), Duration::ZERO);
        assert_eq!(
            next_poll(Some(&d(0, 250_000_000))),
            Duration::from_millis(250)
        );
        assert_eq!(next_poll(Some(&d(3600, 0))), Duration::from_secs(300));
    }

    #[test]
    fn heartbeat_defaults_to_thirty_seconds_and_is_clamped() {
        assert_eq!(heartbeat_interval(None), Duration::from_secs(30));
        assert_eq!(heartbeat_interval(Some(&d(0, 0))), Duration::from_secs(30));
        assert_eq!(heartbeat_interval(Some(&d(0, 1))), Duration::from_secs(1));
        assert_eq!(heartbeat_interval(Some(&d(-1, 0))), Duration::from_secs(1));
        assert_eq!(heartbeat_interval(Some(&d(7, 0))), Duration::from_secs(7));
        assert_eq!(
            heartbeat_interval(Some(&d(301, 0))),
            Duration::from_secs(300)
        );
    }

    #[test]
    fn backoffs_grow_to_their_caps() {
        let hello: Vec<u64> = (0..12).map(|n| hello_backoff(n).as_secs()).collect();
        assert_eq!(hello, [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(hello_backoff(u32::MAX), Duration::from_secs(300));
        let polls: Vec<u64> = [0, 1, 2, 7, 8, 1000]
            .map(|n| poll_error_backoff(n).as_secs())
            .to_vec();
        assert_eq!(polls, [0, 1, 4, 49, 60, 60]);
    }

    #[test]
    fn upload_retries_wait_zero_then_one_second() {
        assert_eq!(upload_retry_delay(1), Duration::ZERO);
        assert_eq!(upload_retry_delay(2), Duration::from_secs(1));
    }

    #[test]
    fn task_ids_are_27_alphanumerics() {
        assert!(is_task_id("0ujtsYcgvSTl8PAuAdqWYSMnLOv"));
        assert!(!is_task_id("0ujtsYcgvSTl8PAuAdqWYSMnLO"));
        assert!(!is_task_id("0ujtsYcgvSTl8PAuAdqWYSMnLO-"));
        assert!(!is_task_id("warmup"));
        assert!(!is_task_id(""));
    }
}
