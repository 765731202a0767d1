//! The .c1z work directory beside the target: private, owned by one process, and swept by the
//! next run if a crash left it behind.

use super::C1zError;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Names the process that owns a work directory.
const OWNER: &str = "owner";

/// A work directory nobody's process claims is stale after this long (where the owner's
/// liveness cannot be checked).
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// A new work directory in `dir`, readable by its owner only, naming this process as owner.
pub fn create(dir: &Path, prefix: &str) -> Result<tempfile::TempDir, C1zError> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix);
    #[cfg(unix)]
    b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let work = b
        .tempdir_in(dir)
        .map_err(|e| C1zError::io("creating the work directory", e))?;
    std::fs::write(work.path().join(OWNER), std::process::id().to_string())
        .map_err(|e| C1zError::io("writing the work directory's owner", e))?;
    Ok(work)
}

/// An empty file at `path`, readable by its owner only (SQLite then opens it as it is).
pub fn private_file(path: &Path) -> Result<PathBuf, C1zError> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
        .map_err(|e| C1zError::io("creating the work database", e))?;
    Ok(path.to_owned())
}

/// Removes work directories in `dir` left by runs that no longer exist (a crash, `kill -9`).
/// Another run's live work directory is left alone.
pub fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(prefix) {
            continue;
        }
        let path = entry.path();
        if path.is_dir() && is_stale(&path) {
            match std::fs::remove_dir_all(&path) {
                Ok(()) => {
                    tracing::info!(path = %path.display(), "Removed a work directory a stopped run left behind.")
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "Cannot remove a stale work directory.")
                }
            }
        }
    }
}

fn is_stale(work: &Path) -> bool {
    let owner: Option<u32> = std::fs::read_to_string(work.join(OWNER))
        .ok()
        .and_then(|s| s.trim().parse().ok());
    match owner {
        Some(pid) if pid == std::process::id() => false,
        Some(pid) if Path::new("/proc/self").exists() => {
            !Path::new("/proc").join(pid.to_string()).exists()
        }
        _ => std::fs::metadata(work)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| openai_access_actors::clock::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_AFTER),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_runs_work_directory_is_removed_and_a_live_ones_kept() {
        let dir = tempfile::tempdir().expect("tmp");
        let prefix = ".x.c1z.work-";
        let mine = create(dir.path(), prefix).expect("create");
        let dead = dir.path().join(format!("{prefix}dead"));
        std::fs::create_dir(&dead).expect("mkdir");
        // A pid that cannot be running: above the kernel's pid_max.
        std::fs::write(dead.join(OWNER), "4294967295").expect("owner");
        std::fs::write(dead.join("db"), "secret rows").expect("db");
        let unrelated = dir.path().join("keep-me");
        std::fs::create_dir(&unrelated).expect("mkdir");
        remove_stale(dir.path(), prefix);
        assert!(!dead.exists() || !Path::new("/proc/self").exists());
        assert!(mine.path().exists(), "this run's own work directory stays");
        assert!(unrelated.exists());
    }

    #[cfg(unix)]
    #[test]
    fn the_work_directory_and_database_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let work = create(dir.path(), ".y.work-").expect("create");
        let db = private_file(&work.path().join("db")).expect("db");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(work.path()), 0o700);
        assert_eq!(mode(&db), 0o600);
    }
}
