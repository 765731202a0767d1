//! Atomic file writes: a temp file beside the target, fsync, rename. On any failure the
//! target is untouched and no temp file is left behind.

use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes `path` through `fill`; the file appears complete or not at all.
pub fn write_atomically<F>(path: &Path, fill: F) -> std::io::Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Dropping the NamedTempFile on any error below deletes it.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
        fill(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
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
}
