//! `--limits-file`: the rate limits one sync learned, read back by the next.
//!
//! Limits belong to a server, so the file names the base URL it was learned from and is
//! ignored for any other (the embedded mock is keyed as `mock`, since its port changes).
//! A file that cannot be read or parsed is ignored with a warning: it only ever saves time.

use crate::exit::CliError;
use openai_access_actors::KnownLimits;
use openai_access_actors::atomic;
use serde::{Deserialize, Serialize};
use std::path::Path;

const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct LimitsFile {
    version: u32,
    server: String,
    limits: KnownLimits,
}

/// The limits stored for `server`, if the file holds usable ones.
pub fn load(path: &Path, server: &str) -> KnownLimits {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return KnownLimits::default(),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "Cannot read the limits file; learning the limits afresh.");
            return KnownLimits::default();
        }
    };
    match serde_json::from_str::<LimitsFile>(&text) {
        Ok(f) if f.version == VERSION && f.server == server => f.limits,
        Ok(f) => {
            tracing::warn!(path = %path.display(), stored_for = %f.server, "The limits file is for another server (or version); learning the limits afresh.");
            KnownLimits::default()
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "The limits file is not valid; learning the limits afresh.");
            KnownLimits::default()
        }
    }
}

/// Replaces the file (atomically) with what this sync learned, when it learned anything.
/// The sync reports a failure as a warning: the file only ever saves time.
pub fn save(path: &Path, server: &str, limits: &KnownLimits) -> Result<(), CliError> {
    if limits.is_empty() {
        return Ok(());
    }
    let file = LimitsFile {
        version: VERSION,
        server: server.to_owned(),
        limits: limits.clone(),
    };
    atomic::write_atomically(path, |w| {
        serde_json::to_writer_pretty(&mut *w, &file).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    })
    .map_err(|e| CliError::io(format!("cannot write {}", path.display()), e))
}
