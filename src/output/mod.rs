//! Writers for a finished sync: JSON (documented in README), .c1z, and the stderr summary.

pub mod access_table;
pub mod c1z;
mod format;
pub mod json;
pub mod limits;
pub mod report;
pub mod review_text;
pub mod saved;
pub mod summary;
pub mod target;
pub mod xlsx;

pub use format::OutputFormat;

use crate::exit::CliError;
use openai_access_actors::SyncOutcome;
use std::path::Path;

/// Writes a finished sync to `path` as `format`, atomically: JSON replaces the file; a .c1z
/// records it as a sync of `sync_type`, `append`ed to the file's earlier syncs or alone. The
/// one writer of the CLI's `sync` and of the service.
pub fn write_sync(
    outcome: &SyncOutcome,
    run: &json::RunInfo,
    path: &Path,
    format: OutputFormat,
    append: bool,
    sync_type: c1z::SyncType,
    readers: c1z::Readers,
) -> Result<(), CliError> {
    match format {
        OutputFormat::Json => {
            openai_access_actors::atomic::write_atomically(path, |w| json::write(outcome, run, w))
                .map_err(|e| CliError::io(format!("cannot write {}", path.display()), e))
        }
        OutputFormat::C1z => {
            let report = write_c1z_output(outcome, path, append, sync_type, readers)?;
            // Debug: the CLI says `Wrote FILE.` itself, and the service names its output once.
            tracing::debug!(
                path = %path.display(),
                bytes = report.bytes_written,
                full_syncs_in_file = report.full_syncs_in_file,
                elapsed_ms = report.elapsed.as_millis() as u64,
                "Wrote .c1z."
            );
            Ok(())
        }
    }
}

/// Appends the sync to the `.c1z` a state or the service keeps at `path`: a file that turns
/// out damaged (it fails [`c1z::check_readable`]) when appended to is set aside
/// ([`target::set_aside`]) and a new one written, since it would fail every later sync; any
/// other failure (a full disk) leaves it where it is.
pub fn append_or_restart(
    outcome: &SyncOutcome,
    run: &json::RunInfo,
    path: &Path,
    sync_type: c1z::SyncType,
    readers: c1z::Readers,
) -> Result<(), CliError> {
    let c1z = OutputFormat::C1z;
    let Err(e) = write_sync(outcome, run, path, c1z, true, sync_type, readers) else {
        return Ok(());
    };
    let Err(damage) = c1z::check_readable(path) else {
        return Err(e);
    };
    target::set_aside(path, &damage.to_string());
    write_sync(outcome, run, path, c1z, false, sync_type, readers)
}

/// Writes the sync as a v1 .c1z (Baton's format), atomically; `append` keeps the file's
/// earlier full syncs (the last two stay, so `baton diff` works).
pub fn write_c1z_output(
    outcome: &SyncOutcome,
    path: &Path,
    append: bool,
    sync_type: c1z::SyncType,
    readers: c1z::Readers,
) -> Result<c1z::C1zReport, CliError> {
    let ended_at = openai_access_actors::clock::now();
    let started_at = ended_at.checked_sub(outcome.duration).unwrap_or(ended_at);
    let opts = c1z::C1zOptions {
        append,
        sync_type,
        started_at,
        ended_at,
        readers,
        ..c1z::C1zOptions::default()
    };
    c1z::write_c1z(&outcome.graph, path, &opts).map_err(|e| match e {
        c1z::C1zError::OtherOrganization { .. } => CliError::usage(e.to_string()),
        e => CliError::fatal(format!("cannot write {}: {e}", path.display())),
    })
}
