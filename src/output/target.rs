//! Where a sync's output goes, checked before the first request: a sync of a big org takes
//! hours, and finding out at the end that the directory is missing or the target is a FIFO
//! would throw all of it away.

use super::c1z::MAGIC_V1;
use crate::exit::CliError;
use crate::output::OutputFormat;
use openai_access_actors::atomic;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The default output, as Baton connectors name it.
pub const DEFAULT_OUT: &str = "sync.c1z";

/// A checked output target.
#[derive(Clone, Debug)]
pub struct Target {
    /// `None`: standard output (`--out -`, JSON).
    pub path: Option<PathBuf>,
    pub format: OutputFormat,
    pub append: bool,
    pub allow_partial: bool,
    /// Appending because a state keeps the file, not because `--append` asked: a file that
    /// proves damaged is set aside rather than failing the sync.
    pub kept_by_state: bool,
    /// The Baton readers a .c1z is written for (`--c1z-newer-sdk`).
    pub c1z_readers: crate::output::c1z::Readers,
}

fn usage(msg: String) -> CliError {
    CliError::usage(msg)
}

/// The format `path` names by its extension, if it names one this tool writes.
fn format_of(path: &Path) -> Option<OutputFormat> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("c1z") => Some(OutputFormat::C1z),
        Some(e) if e.eq_ignore_ascii_case("json") => Some(OutputFormat::Json),
        _ => None,
    }
}

impl Target {
    /// Checks `out` (or the default) as a user would want it checked before a long sync: the
    /// format is known, the directory exists and takes a new file, an existing target is a
    /// regular file (a rename over a device node or FIFO would replace it), and a file to
    /// append to is a .c1z.
    pub fn check(
        out: Option<&Path>,
        asked: Option<OutputFormat>,
        append: bool,
        allow_partial: bool,
    ) -> Result<Self, CliError> {
        let out = out.unwrap_or(Path::new(DEFAULT_OUT));
        if out == Path::new("-") {
            if asked == Some(OutputFormat::C1z) || append {
                return Err(usage(
                    "--out - writes JSON to standard output; a .c1z (and --append) needs a file"
                        .to_owned(),
                ));
            }
            return Ok(Self {
                path: None,
                format: OutputFormat::Json,
                append: false,
                allow_partial,
                kept_by_state: false,
                c1z_readers: Default::default(),
            });
        }
        if let (Some(asked), Some(named)) = (asked, format_of(out))
            && asked != named
        {
            return Err(usage(format!(
                "--format {} does not match {}: a reader would take it for the other format; name the file after its format",
                asked.as_str(),
                out.display()
            )));
        }
        let format = asked.or_else(|| format_of(out)).ok_or_else(|| {
            usage(format!(
                "cannot tell which format to write to {}: name it .json or .c1z, or pass --format json|c1z",
                out.display()
            ))
        })?;
        if append && format != OutputFormat::C1z {
            return Err(usage(
                "--append only applies to .c1z output (--out FILE.c1z)".to_owned(),
            ));
        }
        let path = writable_file(out)?;
        if append && path.exists() {
            check_c1z(&path, true)?;
        }
        let target = Self {
            path: Some(path),
            format,
            append,
            allow_partial,
            kept_by_state: false,
            c1z_readers: Default::default(),
        };
        if let Some(p) = target.partial_path() {
            resolve(&p)?;
        }
        Ok(target)
    }

    /// Syncs kept in a state append to a .c1z already there, so that each one (incremental
    /// or full) is a sync run Baton can diff against the one before (`baton diff`); the file
    /// keeps the last two. A file that is not a readable .c1z is set aside (renamed
    /// `NAME.damaged-UNIXTIME.c1z`, said in the log) and a new one started: appending to it
    /// would fail every sync, and replacing it would lose what it held.
    pub fn append_to_existing_c1z(&mut self) {
        let Some(path) = self.path.clone() else {
            return;
        };
        if self.format != OutputFormat::C1z || !path.exists() {
            return;
        }
        // Its header and declared size only: reading it whole would cost every incremental
        // sync of a big org as much as the append itself (which reads it anyway, and sets a
        // file aside that fails then; see `output::write_sync_appending`).
        match check_c1z(&path, false) {
            Ok(()) => {
                self.append = true;
                self.kept_by_state = true;
            }
            Err(why) => set_aside(&path, &why.to_string()),
        }
    }

    /// Where a partial sync is written when it may not replace the target: beside it, with
    /// `.partial` before the extension (`org.json` → `org.partial.json`).
    pub fn partial_path(&self) -> Option<PathBuf> {
        let path = self.path.as_ref()?;
        let stem = path.file_stem()?.to_string_lossy();
        let name = match path.extension() {
            Some(ext) => format!("{stem}.partial.{}", ext.to_string_lossy()),
            None => format!("{stem}.partial"),
        };
        Some(path.with_file_name(name))
    }
}

/// Where a file given on the command line can be written atomically: `path`, refused before
/// any work when its directory is missing or takes no new file, or when it exists and is not
/// a regular file (a symbolic link included).
pub fn writable_file(path: &Path) -> Result<PathBuf, CliError> {
    let path = resolve(path)?;
    check_dir(&path)?;
    Ok(path)
}

/// `path`; refused when it exists and is not a regular file. A symbolic link is refused too:
/// the output would replace the file it points to, which in a shared directory someone else
/// may have planted (`/tmp/org.json` → your own file).
fn resolve(path: &Path) -> Result<PathBuf, CliError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(path.to_owned()),
        Err(e) => return Err(usage(format!("cannot inspect {}: {e}", path.display()))),
    };
    if meta.file_type().is_symlink() {
        return Err(usage(format!(
            "{} is a symbolic link: the output would replace the file it points to; give that file's own path (readlink -f {})",
            path.display(),
            path.display()
        )));
    }
    match meta {
        m if m.is_file() => Ok(path.to_owned()),
        _ => Err(usage(format!(
            "{} is not a regular file (a directory, device or FIFO): the output is written to a temp file and renamed over its target, which would replace it; to write to a pipe use --out -",
            path.display()
        ))),
    }
}

/// The target's directory exists and a new file can be created in it.
fn check_dir(path: &Path) -> Result<(), CliError> {
    let dir = atomic::parent_dir(path);
    if !dir.is_dir() {
        return Err(usage(format!(
            "the directory of {} does not exist ({}); create it first",
            path.display(),
            dir.display()
        )));
    }
    tempfile::tempfile_in(dir).map(drop).map_err(|e| {
        usage(format!(
            "cannot create files in {} (for {}): {e}",
            dir.display(),
            path.display()
        ))
    })
}

/// A .c1z to append to is checked before the sync: its header, its frame's declared size,
/// and, when `whole`, its database (the frame decodes to the size it declared, and is a
/// SQLite file), so a damaged file fails now rather than after hours of crawling.
fn check_c1z(path: &Path, whole: bool) -> Result<(), CliError> {
    let mut head = [0u8; 5];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head));
    let check = if whole {
        super::c1z::check_readable
    } else {
        super::c1z::check_declared
    };
    match read {
        Ok(()) if head == *MAGIC_V1 => check(path).map_err(|e| {
            usage(format!(
                "--append: {} cannot be appended to: {e}; move it away or write elsewhere",
                path.display()
            ))
        }),
        _ => Err(usage(format!(
            "--append: {} is not a v1 .c1z file; refusing to replace it",
            path.display()
        ))),
    }
}

/// Renames a damaged output out of the way (`org.c1z` → `org.damaged-1733400000.c1z`).
pub fn set_aside(path: &Path, why: &str) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let aside = path.with_file_name(format!(
        "{stem}.damaged-{}{ext}",
        openai_access_actors::state::unix_now()
    ));
    match std::fs::rename(path, &aside) {
        Ok(()) => tracing::warn!(
            path = %path.display(),
            moved_to = %aside.display(),
            reason = %why,
            "The output cannot be appended to; it was set aside and a new one is started."
        ),
        Err(e) => tracing::warn!(
            path = %path.display(),
            error = %e,
            reason = %why,
            "The output cannot be appended to, nor set aside; it will be replaced."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(out: &Path) -> Result<Target, CliError> {
        Target::check(Some(out), None, false, false)
    }

    #[test]
    fn the_partial_output_goes_beside_the_target() {
        let t = Target {
            path: Some(PathBuf::from("/data/org.json")),
            format: OutputFormat::Json,
            append: false,
            allow_partial: false,
            kept_by_state: false,
            c1z_readers: Default::default(),
        };
        assert_eq!(
            t.partial_path(),
            Some(PathBuf::from("/data/org.partial.json"))
        );
    }

    #[test]
    fn unknown_extensions_missing_directories_and_non_files_are_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let err = |p: &Path| check(p).expect_err("refused").to_string();
        assert!(err(&dir.path().join("access.csv")).contains("name it .json or .c1z"));
        assert!(err(&dir.path().join("missing/x.json")).contains("does not exist"));
        std::fs::create_dir(dir.path().join("d.json")).expect("mkdir");
        assert!(err(&dir.path().join("d.json")).contains("not a regular file"));
        assert!(check(&dir.path().join("ok.json")).is_ok());
        assert!(check(Path::new("-")).is_ok_and(|t| t.path.is_none()));
        assert!(
            Target::check(Some(Path::new("-")), Some(OutputFormat::C1z), false, false).is_err()
        );
        std::fs::write(dir.path().join("not.c1z"), b"{}").expect("write");
        let e = Target::check(Some(&dir.path().join("not.c1z")), None, true, false)
            .expect_err("refused")
            .to_string();
        assert!(e.contains("not a v1 .c1z"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_or_device_is_refused() {
        let e = Target::check(
            Some(Path::new("/dev/null")),
            Some(OutputFormat::Json),
            false,
            false,
        )
        .expect_err("refused")
        .to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }
}
