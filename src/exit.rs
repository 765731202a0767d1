//! Exit codes (DESIGN §6) and the CLI's error type.

use std::process::ExitCode;

pub const OK: u8 = 0;
pub const PARTIAL: u8 = 1;
pub const USAGE: u8 = 2;
pub const FATAL: u8 = 3;

/// An error at the CLI edge, with the exit code it ends the process with.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
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

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

pub fn code(c: u8) -> ExitCode {
    ExitCode::from(c)
}
