//! The state directory's files: reading them back, appending to the journal, and replacing the
//! last complete sync atomically.

use super::{ListKey, ListRecord};
use crate::atomic::write_atomically;
use crate::ids::OrgId;
use crate::private;
use crate::throttle::KnownLimits;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// Bump on an incompatible change: a state of another version is not read.
pub const VERSION: u32 = 1;

const META: &str = "state.json";
const LISTS: &str = "lists.jsonl";
const JOURNAL: &str = "journal.jsonl";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncKind {
    /// Every list read (or replayed from the journal of the same interrupted full sync).
    Full,
    /// Only what may have changed read; the rest replayed from the last complete sync.
    Incremental,
}

impl SyncKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncKind::Full => "full",
            SyncKind::Incremental => "incremental",
        }
    }
}

/// `state.json`: whose state this is and what the last complete sync was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StateMeta {
    pub version: u32,
    /// The base URL synced (`mock` for the embedded mock).
    pub server: String,
    pub org_id: Option<OrgId>,
    /// When the last complete sync ended (Unix seconds).
    pub synced_at: i64,
    pub kind: SyncKind,
    /// Lists in `lists.jsonl`.
    pub lists: usize,
    /// What the throttle learned, to start the next sync paced.
    #[serde(default)]
    pub limits: KnownLimits,
    /// Where the next incremental sync reads the audit log from (its own format).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<serde_json::Value>,
    /// Sign-ins seen in the audit log, and since when it was watched.
    #[serde(default)]
    pub logins: crate::incremental::logins::Logins,
}

/// The journal's first line: which sync it belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalHeader {
    pub journal: u32,
    pub server: String,
    pub kind: SyncKind,
    /// When the sync started (Unix seconds).
    pub started_at: i64,
    /// For an incremental sync: the lists of the base it reads again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dirty: Vec<ListKey>,
    /// Where the next incremental sync reads the audit log from, once this one completes (kept
    /// here so a resumed sync commits the cursor its first attempt computed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<serde_json::Value>,
}

/// What the directory holds.
#[derive(Debug, Default)]
pub struct Loaded {
    pub meta: Option<StateMeta>,
    /// The last complete sync's lists (read only when `meta` is there).
    pub base: Vec<ListRecord>,
    /// Why the last complete sync's lists could not be read, when they could not (a damaged
    /// file): the next sync reads everything instead.
    pub base_unreadable: Option<String>,
    /// A sync under way when the last run stopped, and the lists it completed.
    pub journal: Option<(JournalHeader, Vec<ListRecord>)>,
}

/// Why the state could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("state file {path} is unreadable ({detail})")]
    Corrupt { path: PathBuf, detail: String },
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A state directory.
#[derive(Clone, Debug)]
pub struct StateDir {
    dir: PathBuf,
}

/// Appends list records to the journal of a sync under way.
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Appends `record` as one line, written through at once (no buffer a crash could lose).
    pub fn append(&mut self, record: &ListRecord) -> Result<(), StateError> {
        let mut line = serde_json::to_vec(record).map_err(|e| StateError::Corrupt {
            path: self.path.clone(),
            detail: e.to_string(),
        })?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(io(&self.path))
    }
}

impl StateDir {
    /// Opens `dir`, creating it (readable by its owner only: it holds the org's access data);
    /// a directory others can write to is made private first (see [`crate::private`]).
    pub fn open(dir: &Path) -> Result<Self, StateError> {
        if let private::DirCheck::Repaired(mode) = private::open_dir(dir).map_err(io(dir))? {
            tracing::warn!(
                path = %dir.display(),
                mode = format!("{mode:o}"),
                "The state directory could be written to by others (it holds the organization's access data); its mode is now 700."
            );
        }
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Reads what the directory holds. A journal of another version is ignored (it only saves
    /// time); a torn last line (a crash mid-write) is dropped.
    pub fn load(&self) -> Result<Loaded, StateError> {
        let meta = self.meta()?;
        let (base, base_unreadable) = match &meta {
            Some(_) => match read_records(&self.file(LISTS)) {
                Ok(records) => (records.unwrap_or_default(), None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            },
            None => (Vec::new(), None),
        };
        let journal = match read_journal(&self.file(JOURNAL))? {
            Some((h, records)) if h.journal == VERSION => Some((h, records)),
            _ => None,
        };
        Ok(Loaded {
            meta,
            base,
            base_unreadable,
            journal,
        })
    }

    /// `state.json` alone (whose state, the last complete sync, the limits), if it is of this
    /// version.
    pub fn meta(&self) -> Result<Option<StateMeta>, StateError> {
        let meta_path = self.file(META);
        Ok(match private::read(&meta_path) {
            Ok(bytes) => Some(serde_json::from_slice::<StateMeta>(&bytes).map_err(|e| {
                StateError::Corrupt {
                    path: meta_path.clone(),
                    detail: e.to_string(),
                }
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) if planted_link(&e) => {
                return Err(StateError::Corrupt {
                    path: meta_path,
                    detail: "it is a symbolic link, which no sync writes".to_owned(),
                });
            }
            Err(e) => return Err(io(&meta_path)(e)),
        }
        .filter(|m| m.version == VERSION))
    }

    /// Starts (or, with the same header, continues) the journal of a sync under way.
    pub fn begin(&self, header: &JournalHeader) -> Result<Journal, StateError> {
        let path = self.file(JOURNAL);
        if let Some((old, _, good_len)) = read_journal_raw(&path)?
            && &old == header
        {
            let file = private::open_append(&path).map_err(io(&path))?;
            // Drop a torn last line before appending after it.
            file.set_len(good_len).map_err(io(&path))?;
            return Ok(Journal { file, path });
        }
        let mut line = serde_json::to_vec(header).map_err(|e| StateError::Corrupt {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        line.push(b'\n');
        // A new file renamed over whatever is there (a link included), then appended to.
        write_atomically(&path, |w| w.write_all(&line)).map_err(io(&path))?;
        let file = private::open_append(&path).map_err(io(&path))?;
        Ok(Journal { file, path })
    }

    /// The sync under way completed: its journal becomes the last complete sync's lists, and
    /// `meta` the state; each file is replaced atomically, and the journal removed last.
    pub fn commit(&self, meta: &StateMeta) -> Result<(), StateError> {
        let journal = self.file(JOURNAL);
        let lists = self.file(LISTS);
        let reader = private::open_read(&journal).map_err(io(&journal))?;
        write_atomically(&lists, |w| {
            // The records, without the header line.
            for line in BufReader::new(&reader).lines().skip(1) {
                let line = line?;
                if line.ends_with('}') {
                    w.write_all(line.as_bytes())?;
                    w.write_all(b"\n")?;
                }
            }
            Ok(())
        })
        .map_err(io(&lists))?;
        let meta_path = self.file(META);
        write_atomically(&meta_path, |w| {
            serde_json::to_writer_pretty(&mut *w, meta).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })
        .map_err(io(&meta_path))?;
        std::fs::remove_file(&journal).map_err(io(&journal))
    }

    /// Replaces `state.json` alone (e.g. newly learned limits after a partial sync).
    pub fn write_meta(&self, meta: &StateMeta) -> Result<(), StateError> {
        let meta_path = self.file(META);
        write_atomically(&meta_path, |w| {
            serde_json::to_writer_pretty(&mut *w, meta).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })
        .map_err(io(&meta_path))
    }
}

/// Whole records from `reader` up to its end or a torn line (a write a crash cut short), and
/// the bytes they span. An unreadable whole line is an error when `strict`; otherwise it ends
/// what can be trusted.
fn records_from(
    reader: &mut impl BufRead,
    path: &Path,
    strict: bool,
) -> Result<(Vec<ListRecord>, u64), StateError> {
    let mut records = Vec::new();
    let mut good = 0u64;
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(io(path))?;
        if n == 0 || !line.ends_with('\n') {
            break;
        }
        match serde_json::from_str::<ListRecord>(&line) {
            Ok(r) => records.push(r),
            Err(e) if strict => {
                return Err(StateError::Corrupt {
                    path: path.to_owned(),
                    detail: e.to_string(),
                });
            }
            Err(_) => break,
        }
        good += n as u64;
    }
    Ok((records, good))
}

fn open_if_there(path: &Path) -> Result<Option<BufReader<File>>, StateError> {
    match private::open_read(path) {
        Ok(f) => Ok(Some(BufReader::new(f))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) if planted_link(&e) => {
            tracing::warn!(
                path = %path.display(),
                "A state file is a symbolic link, which no sync writes; it is not read, and is replaced by the next write."
            );
            Ok(None)
        }
        Err(e) => Err(io(path)(e)),
    }
}

/// The error of opening a symbolic link without following it (`ELOOP`).
fn planted_link(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// The records of the last complete sync (`lists.jsonl`).
fn read_records(path: &Path) -> Result<Option<Vec<ListRecord>>, StateError> {
    let Some(mut reader) = open_if_there(path)? else {
        return Ok(None);
    };
    Ok(Some(records_from(&mut reader, path, true)?.0))
}

/// The journal's header, its records, and the length of its trusted part.
fn read_journal_raw(
    path: &Path,
) -> Result<Option<(JournalHeader, Vec<ListRecord>, u64)>, StateError> {
    let Some(mut reader) = open_if_there(path)? else {
        return Ok(None);
    };
    let mut first = String::new();
    let n = reader.read_line(&mut first).map_err(io(path))?;
    let Ok(header) = serde_json::from_str::<JournalHeader>(&first) else {
        return Ok(None);
    };
    if !first.ends_with('\n') {
        return Ok(None);
    }
    let (records, good) = records_from(&mut reader, path, false)?;
    Ok(Some((header, records, n as u64 + good)))
}

fn read_journal(path: &Path) -> Result<Option<(JournalHeader, Vec<ListRecord>)>, StateError> {
    Ok(read_journal_raw(path)?.map(|(h, r, _)| (h, r)))
}
