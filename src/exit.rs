//! Exit codes (DESIGN §6) and the CLI's error type.

use std::process::ExitCode;

/// How the process ends; the numbers are the contract scripts rely on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done.
    Ok = 0,
    /// Done in part: some lists or requests failed, and the output says which.
    Partial = 1,
    /// Bad input: a flag, an id, a file; nothing was done.
    Usage = 2,
    /// The API, the network, authentication or the disk failed.
    Fatal = 3,
    /// Standard output's reader went away (`… | head`): quiet, with the status a Unix tool
    /// killed by SIGPIPE leaves (128 + 13). Nothing was committed after the failed write.
    PipeClosed = 141,
}

pub use Exit::{Fatal as FATAL, Ok as OK, Partial as PARTIAL, Usage as USAGE};
/// `diff`'s 1, as diff(1)'s: the two syncs differ.
pub const DIFFERENT: Exit = Exit::Partial;

/// An error at the CLI edge, with the exit code it ends the process with.
#[derive(Debug)]
pub struct CliError {
    pub code: Exit,
    pub error: anyhow::Error,
}

impl CliError {
    pub fn usage(msg: impl Into<String>) -> Self {
        Self {
            code: USAGE,
            error: anyhow::anyhow!(msg.into()),
        }
    }
    pub fn fatal(msg: impl Into<String>) -> Self {
        Self {
            code: FATAL,
            error: anyhow::anyhow!(msg.into()),
        }
    }
    pub fn io(
        context: impl Into<String>,
        e: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            code: FATAL,
            error: anyhow::Error::new(e).context(context.into()),
        }
    }
}

impl CliError {
    /// Whether this is a write to a pipe whose reader has gone: said by no message.
    pub fn is_broken_pipe(&self) -> bool {
        self.error.chain().any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        })
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

pub fn code(c: Exit) -> ExitCode {
    c.into()
}
