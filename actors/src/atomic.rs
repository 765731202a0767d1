//! Files that appear complete or not at all: written beside their target, fsynced, renamed
//! over it. While one is being written its scratch path is registered, so whoever stops the
//! process early (a signal handler at the edge) can remove what would otherwise be left behind.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Scratch files and directories being written now.
static IN_PROGRESS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn in_progress() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    IN_PROGRESS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A scratch path registered while it exists; unregistered on drop (the owner removes it).
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn register(path: &Path) -> Self {
        in_progress().push(path.to_owned());
        Self(path.to_owned())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let mut v = in_progress();
        if let Some(i) = v.iter().position(|p| *p == self.0) {
            v.swap_remove(i);
        }
    }
}

/// Removes every scratch path registered now: for a process about to exit without running
/// its destructors (on a signal). Returns what was removed.
pub fn abandon_in_progress() -> Vec<PathBuf> {
    let paths = std::mem::take(&mut *in_progress());
    remove(&paths);
    paths
}

fn remove(paths: &[PathBuf]) {
    for p in paths {
        let _ = std::fs::remove_dir_all(p).or_else(|_| std::fs::remove_file(p));
    }
}

/// The directory `path` lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Writes `path` through `fill`; the file appears complete or not at all (temp file beside it,
/// fsync, rename), readable by its owner only. On any failure the target is untouched and no
/// temp file is left behind.
pub fn write_atomically<F>(path: &Path, fill: F) -> std::io::Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Dropping the NamedTempFile on any error below deletes it (created 0600).
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(parent_dir(path))?;
    let _scratch = Scratch::register(tmp.path());
    {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
        fill(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(parent_dir(path));
    Ok(())
}

/// Makes a rename durable. Best effort: the file is already complete and in place, and not
/// every platform can open a directory for syncing.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_leaves_target_untouched_and_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out.json");
        std::fs::write(&target, "old").expect("seed");
        let r = write_atomically(&target, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("simulated failure"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "old");
        let entries: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(entries.len(), 1, "only the target remains");
        write_atomically(&target, |w| w.write_all(b"new")).expect("write");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "new");
    }

    #[test]
    fn a_write_in_progress_is_registered_and_can_be_abandoned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out.json");
        let seen = std::sync::Mutex::new(Vec::new());
        write_atomically(&target, |w| {
            // What a signal handler would find and remove now.
            seen.lock()
                .expect("lock")
                .extend(in_progress().iter().cloned());
            w.write_all(b"x")
        })
        .expect("write");
        let seen = seen.into_inner().expect("lock");
        assert!(
            seen.iter().any(|p| p.parent() == Some(dir.path())),
            "{seen:?}"
        );
        assert!(
            !in_progress().iter().any(|p| p.parent() == Some(dir.path())),
            "unregistered once written"
        );
        let scratch = dir.path().join("scratch-dir");
        std::fs::create_dir(&scratch).expect("mkdir");
        let held = Scratch::register(&scratch);
        // (Not `abandon_in_progress`: other tests in this process have scratch files too.)
        let registered: Vec<PathBuf> = in_progress()
            .iter()
            .filter(|p| **p == scratch)
            .cloned()
            .collect();
        remove(&registered);
        assert!(!scratch.exists());
        drop(held);
        assert!(!in_progress().contains(&scratch));
    }
}
