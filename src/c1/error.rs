//! The one error type of the ConductorOne client, with the gRPC code each failure amounts to
//! and whether trying again can help (baton-sdk `pkg/tasks/c1api/manager.go`
//! `isRetryableHelloError`: everything is retried except six permanent codes; errors that are
//! not gRPC statuses, such as a failed dial, are retried too).

use super::credentials::CredentialsError;
use super::wire::Rpc;
use std::path::PathBuf;
use std::time::Duration;
use tonic::Code;

#[derive(Debug, thiserror::Error)]
pub enum C1Error {
    /// A setting that cannot work (an API host with a scheme, an unreadable CA file, …).
    #[error("ConductorOne client configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The token endpoint could not be reached, failed (5xx, 429) or answered nonsense
    /// (gRPC-go reports a credentials failure that is not a status as UNAVAILABLE).
    #[error("token request to {url} failed: {message}")]
    TokenUnavailable { url: String, message: String },
    /// The token endpoint refused the client (another 4xx, or no token): UNAUTHENTICATED, as
    /// the SDK's credential provider reports it.
    #[error("ConductorOne refused the client credentials: {0}")]
    TokenRefused(String),
    /// ConductorOne answered the RPC with a gRPC status.
    #[error("{rpc}: {} ({code:?}): {message}", code.description())]
    Status {
        rpc: Rpc,
        code: Code,
        message: String,
    },
    /// No gRPC answer at all: the connection, the proxy tunnel or the TLS handshake failed.
    #[error("{rpc}: cannot reach ConductorOne at {host}: {message}")]
    Transport {
        rpc: Rpc,
        host: String,
        message: String,
    },
    #[error("{rpc}: no answer within {after:?}")]
    Timeout { rpc: Rpc, after: Duration },
    /// The file to upload could not be read.
    #[error("reading {path} for upload: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Codes after which the SDK's startup Hello gives up instead of backing off.
const PERMANENT: [Code; 6] = [
    Code::Unauthenticated,
    Code::PermissionDenied,
    Code::InvalidArgument,
    Code::Unimplemented,
    Code::FailedPrecondition,
    Code::NotFound,
];

impl C1Error {
    /// The gRPC code this failure amounts to. Local failures that never reached ConductorOne
    /// get the code closest to their cause (a bad setting is INVALID_ARGUMENT, an unreadable
    /// file UNKNOWN).
    pub fn code(&self) -> Code {
        match self {
            C1Error::Config(_) | C1Error::Credentials(_) => Code::InvalidArgument,
            C1Error::TokenUnavailable { .. } | C1Error::Transport { .. } => Code::Unavailable,
            C1Error::TokenRefused(_) => Code::Unauthenticated,
            C1Error::Status { code, .. } => *code,
            C1Error::Timeout { .. } => Code::DeadlineExceeded,
            C1Error::File { .. } => Code::Unknown,
        }
    }

    /// Whether the same call may succeed later: the SDK's rule for Hello, which the runner's
    /// other backoffs follow too. Bad settings and credentials never heal by themselves.
    pub fn is_retryable(&self) -> bool {
        match self {
            C1Error::Config(_) | C1Error::Credentials(_) => false,
            C1Error::TokenUnavailable { .. }
            | C1Error::Transport { .. }
            | C1Error::Timeout { .. }
            | C1Error::File { .. } => true,
            C1Error::TokenRefused(_) | C1Error::Status { .. } => !PERMANENT.contains(&self.code()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: Code) -> C1Error {
        C1Error::Status {
            rpc: Rpc::Hello,
            code,
            message: "m".into(),
        }
    }

    #[test]
    fn hello_gives_up_on_the_six_permanent_codes_only() {
        for code in PERMANENT {
            assert!(!status(code).is_retryable(), "{code:?}");
        }
        for code in [
            Code::Unavailable,
            Code::Unknown,
            Code::Internal,
            Code::DeadlineExceeded,
            Code::ResourceExhausted,
            Code::Aborted,
        ] {
            assert!(status(code).is_retryable(), "{code:?}");
        }
        assert!(!C1Error::TokenRefused("HTTP 401".into()).is_retryable());
        assert!(
            C1Error::Transport {
                rpc: Rpc::Hello,
                host: "h:443".into(),
                message: "refused".into()
            }
            .is_retryable()
        );
        assert!(!C1Error::Config("x".into()).is_retryable());
    }
}
