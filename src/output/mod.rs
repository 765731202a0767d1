//! Writers for a finished sync: JSON (documented in README), .c1z, and the stderr summary.

pub mod access_table;
pub mod c1z;
pub mod json;
pub mod limits;
pub mod report;
pub mod review_text;
pub mod summary;
pub mod target;
pub mod xlsx;

use crate::exit::CliError;
use openai_access_actors::SyncOutcome;
use std::path::Path;
use std::time::SystemTime;

/// Writes the sync as a v1 .c1z (Baton's format), atomically; `append` keeps the file's
/// earlier full syncs (the last two stay, so `baton diff` works).
pub fn write_c1z_output(
    outcome: &SyncOutcome,
    path: &Path,
    append: bool,
    sync_type: c1z::SyncType,
) -> Result<c1z::C1zReport, CliError> {
    let ended_at = SystemTime::now();
    let started_at = ended_at.checked_sub(outcome.duration).unwrap_or(ended_at);
    let opts = c1z::C1zOptions {
        append,
        sync_type,
        started_at,
        ended_at,
        ..c1z::C1zOptions::default()
    };
    c1z::write_c1z(&outcome.graph, path, &opts)
        .map_err(|e| CliError::fatal(format!("cannot write {}: {e}", path.display())))
}
