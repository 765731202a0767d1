//! Writers for a finished sync: JSON (documented in README), .c1z, and the stderr summary.

pub mod atomic;
pub mod json;
pub mod summary;

use crate::exit::CliError;
use openai_access_actors::coordinator::SyncOutcome;
use std::path::Path;

/// .c1z output (issue 6) is not built yet: say so instead of writing something half right.
pub fn write_c1z_output(
    _outcome: &SyncOutcome,
    path: &Path,
    _append: bool,
) -> Result<(), CliError> {
    Err(CliError::usage(format!(
        "cannot write {}: .c1z output is not available in this build yet; use a .json path",
        path.display()
    )))
}
