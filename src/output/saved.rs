//! A saved sync read back: the JSON a sync wrote, or the newest finished syncs of a `.c1z`,
//! as the review commands and the service (serving `--out` at start) read them.

use crate::console;
use crate::exit::CliError;
use crate::output::c1z::read as c1z;
use openai_access_actors::review::Snapshot;
use std::path::Path;

/// Whether `path` starts as a `.c1z` does.
pub fn is_c1z(path: &Path) -> bool {
    let mut magic = [0u8; 3];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && &magic == b"C1Z"
}

pub fn warn_unreadable(path: &Path, unreadable: usize) {
    if unreadable > 0 {
        console::warn(&format!(
            "{}: {unreadable} rows could not be read and are left out of this answer",
            path.display()
        ));
    }
}

/// A saved sync: the JSON a sync wrote (streamed), or the newest finished sync in a .c1z.
pub fn load_file(path: &std::path::Path) -> Result<Snapshot, CliError> {
    match read_file(path, 1)?.pop() {
        Some(s) => Ok(s),
        None => Err(CliError::usage(format!(
            "{}: no sync in it",
            path.display()
        ))),
    }
}

/// Up to `count` syncs from a file, newest first: a JSON output holds one; a .c1z holds the
/// last few full syncs.
pub fn read_file(path: &Path, count: usize) -> Result<Vec<Snapshot>, CliError> {
    let bad = |e: &dyn std::fmt::Display| CliError::usage(format!("{}: {e}", path.display()));
    if is_c1z(path) {
        let syncs = c1z::read_syncs(path, count).map_err(|e| bad(&e))?;
        warn_unreadable(path, syncs.iter().map(|s| s.unreadable).sum());
        return Ok(syncs.into_iter().map(|s| s.snapshot).collect());
    }
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    Ok(vec![Snapshot::from_json(file).map_err(|e| bad(&e))?])
}
