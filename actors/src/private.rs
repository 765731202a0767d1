//! Files only their owner can reach, for the state directory, which holds the org's access
//! data: no symbolic link is followed (a link planted there would send a write to another file
//! and a read to another's data), nothing is created readable by others, and a directory that
//! others can write to is repaired before it is used (or refused when it cannot be).
//!
//! Files are replaced by renaming a new file over them ([`crate::atomic::write_atomically`]),
//! which replaces a link itself rather than what it points to; the journal, which grows by
//! appending, is opened with `O_NOFOLLOW`.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// What opening a directory found and did, for the caller to say.
#[derive(Debug, PartialEq, Eq)]
pub enum DirCheck {
    /// Created now, `0700`.
    Created,
    /// There, and only its owner can write to it.
    Fine,
    /// Others could write to it (the mode it had); now `0700`.
    Repaired(u32),
}

/// Opens `dir` for private files: created `0700` when missing; when others (its group, or
/// everyone) can write to it, its mode is set to `0700`, or, when that is not allowed (it is
/// someone else's), an error says so.
pub fn open_dir(dir: &Path) -> io::Result<DirCheck> {
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(dir)?;
            return Ok(DirCheck::Created);
        }
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        return Err(io::Error::other("it is not a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o022 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "others can write to it (mode {mode:o}) and its mode cannot be changed ({e}): use a directory of your own"
                    ),
                )
            })?;
            return Ok(DirCheck::Repaired(mode));
        }
    }
    Ok(DirCheck::Fine)
}

fn no_follow(o: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(o, libc::O_NOFOLLOW);
    o
}

/// Opens `path` for reading; a symbolic link is an error (`ELOOP`), not followed.
pub fn open_read(path: &Path) -> io::Result<File> {
    no_follow(OpenOptions::new().read(true)).open(path)
}

/// The whole of `path`, read without following a link.
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut open_read(path)?, &mut bytes)?;
    Ok(bytes)
}

/// Opens an existing `path` to append to it, without following a link, and makes sure only
/// its owner can read it (a file left by an older version, or copied in, may not be).
pub fn open_append(path: &Path) -> io::Result<File> {
    let file = no_follow(OpenOptions::new().append(true)).open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if file.metadata()?.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(file)
}

/// Makes sure `path` is a regular file only its owner can reach: created `0600` if missing
/// (never through a link), else checked not to be a link and made `0600`.
pub fn create_if_missing(path: &Path) -> io::Result<()> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    match no_follow(&mut o).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let file = no_follow(OpenOptions::new().read(true)).open(path)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if file.metadata()?.permissions().mode() & 0o077 != 0 {
                    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
                }
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("meta").permissions().mode() & 0o777
    }

    #[test]
    fn links_are_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").expect("write");
        let link = dir.path().join("journal.jsonl");
        std::os::unix::fs::symlink(&victim, &link).expect("symlink");
        assert!(open_read(&link).is_err());
        assert!(read(&link).is_err());
        assert!(open_append(&link).is_err());
        assert_eq!(std::fs::read(&victim).expect("read"), b"precious");
    }

    #[test]
    fn a_directory_others_can_write_to_is_repaired() {
        let parent = tempfile::tempdir().expect("tempdir");
        let dir = parent.path().join("state");
        assert_eq!(open_dir(&dir).expect("create"), DirCheck::Created);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(open_dir(&dir).expect("open"), DirCheck::Fine);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        assert_eq!(open_dir(&dir).expect("open"), DirCheck::Repaired(0o777));
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("f");
        std::fs::write(&file, b"x").expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        drop(open_append(&file).expect("append"));
        assert_eq!(mode(&file), 0o600);
        assert!(open_dir(&file).is_err(), "a file is not a directory");
    }
}
