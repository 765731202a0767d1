//! `.c1z` output: the grant graph as a v1 `.c1z` file (zstd-compressed SQLite, baton-model.md
//! §3), readable by every version of ConductorOne's `baton` CLI (`baton resources -f FILE.c1z`).
//!
//! The file is built in a scratch directory next to the target, compressed into a temp file
//! there, fsynced and renamed over the target, so a failed write leaves the target as it was.

pub(crate) mod convert;
mod envelope;
pub(crate) mod ksuid;
pub mod proto;
pub mod read;
mod rows;
mod schema;
mod work;

pub use envelope::{MAGIC_V1, MAX_BYTES_ENV, check_declared, check_readable};
pub use schema::TABLES as V1_TABLES;

use openai_access_actors::atomic;
use openai_access_actors::graph::GrantGraph;
use rusqlite::{Connection, OptionalExtension};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How many finished full syncs an appended file keeps (the SDK's default cleanup policy, so
/// `baton diff` has a previous sync to compare with).
pub const KEEP_FULL_SYNCS: usize = 2;

#[derive(Clone, Debug)]
pub struct C1zOptions {
    /// Add this sync to an existing `.c1z` at the path (keeping its last finished full syncs)
    /// instead of replacing it. Without an existing file this writes a new one.
    pub append: bool,
    /// When the sync started and ended (stored as local wall-clock text, as the SDK does).
    pub started_at: SystemTime,
    pub ended_at: SystemTime,
    /// zstd level; 3 is close to the SDK's "SpeedDefault".
    pub zstd_level: i32,
    /// How the sync run is recorded: a complete sync as `full`; one that could not read every
    /// list as `partial`, so readers and the cleanup keep taking the last full one as the truth.
    pub sync_type: SyncType,
    /// Which Baton readers the file is for: every `baton` CLI release (the default), or only
    /// newer SDKs, which resolve more annotations.
    pub readers: Readers,
    /// Test hook: fail after this many object rows, as an interrupted write would.
    #[doc(hidden)]
    pub fail_after_rows: Option<usize>,
}

impl Default for C1zOptions {
    fn default() -> Self {
        let now = openai_access_actors::clock::now();
        Self {
            append: false,
            started_at: now,
            ended_at: now,
            zstd_level: 3,
            sync_type: SyncType::Full,
            readers: Readers::default(),
            fail_after_rows: None,
        }
    }
}

/// The readers a `.c1z` is written for. A protobuf reader fails a whole listing on a
/// `google.protobuf.Any` whose type it does not know (Go's `anypb`: "unable to resolve"), and
/// the newest `baton` CLI release is built on baton-sdk v0.7.27, so by default a file holds only
/// what v0.7.27 reads; `NewerSdk` adds what later SDKs know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Readers {
    /// Every `baton` CLI release, down to baton-sdk v0.7.27: no `EntitlementExclusionGroup`
    /// annotation (the exclusive choices stay readable from the ids: our own reader derives
    /// them), and `v1_sync_runs` with v0.7.27's columns so its `export c1z` can clone the file.
    #[default]
    AnyBaton,
    /// baton-sdk releases after v0.7.27, such as ConductorOne's own upload: the exclusion
    /// annotations too, and `v1_sync_runs` with the newer SDKs' columns (`grants_backfilled =
    /// 1`, which spares them a scan of every grant).
    NewerSdk,
}

/// The SDK's sync types this writer records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncType {
    Full,
    Partial,
}

impl SyncType {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncType::Full => "full",
            SyncType::Partial => "partial",
        }
    }
}

/// Rows this sync wrote, per table.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TableRows {
    pub resource_types: usize,
    pub resources: usize,
    pub entitlements: usize,
    pub grants: usize,
    /// Of `grants`: those carrying a `GrantExpandable` in `expansion`.
    pub expandable_grants: usize,
    /// Of `grants`: those inherited through another entitlement (with `sources`).
    pub grants_with_sources: usize,
    pub sync_runs: usize,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct C1zReport {
    pub path: PathBuf,
    /// The KSUID of the sync run written.
    pub sync_id: String,
    pub rows: TableRows,
    /// Whether the sync was added to an existing file.
    pub appended: bool,
    /// Finished full syncs in the file now, and how many older ones were removed.
    pub full_syncs_in_file: usize,
    pub syncs_removed: usize,
    /// Size of the SQLite database and of the compressed file.
    pub db_bytes: u64,
    pub bytes_written: u64,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum C1zError {
    #[error("{context}: {source}")]
    Io {
        context: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{} is not a v1 .c1z file (found {found}); cannot append to it", path.display())]
    NotV1 { path: PathBuf, found: &'static str },
    #[error("{} has no file name", .0.display())]
    InvalidPath(PathBuf),
    #[error("{from} references a missing {what} {id}")]
    MissingReference {
        what: &'static str,
        id: String,
        from: String,
    },
    /// A file that is not what it claims (its size, its frame): refused before it costs
    /// memory or time.
    #[error("a damaged or hostile .c1z: {why}")]
    Damaged { why: String },
    /// Appending a sync of one organization to a file of another's: `baton diff` would then
    /// compare unrelated ids.
    #[error(
        "{} holds syncs of {file_org}, not of {sync_org}: a sync of another organization is not appended to it; write it to another file",
        path.display()
    )]
    OtherOrganization {
        path: PathBuf,
        file_org: String,
        sync_org: String,
    },
    #[error("simulated failure after {rows} rows")]
    SimulatedFailure { rows: usize },
    /// Reading a `.c1z` back (reviews).
    #[error("{context}: {source}")]
    Read {
        context: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the file holds no finished sync")]
    NoFinishedSync,
}

impl C1zError {
    fn io(context: &'static str, source: io::Error) -> Self {
        Self::Io { context, source }
    }
}

/// Writes `graph` as one finished full sync to the `.c1z` at `path`, atomically.
pub fn write_c1z(
    graph: &GrantGraph,
    path: &Path,
    opts: &C1zOptions,
) -> Result<C1zReport, C1zError> {
    let start = Instant::now();
    rows::check_references(graph)?;
    let name = path
        .file_name()
        .ok_or_else(|| C1zError::InvalidPath(path.to_owned()))?
        .to_string_lossy()
        .into_owned();
    let dir = atomic::parent_dir(path);
    let prefix = format!(".{name}.work-");
    work::remove_stale(dir, &prefix);
    // Same directory as the target: the final rename must not cross filesystems, and the
    // database can be far larger than a tmpfs /tmp. Private (it holds the whole graph, emails
    // included), removed on drop, success or not, and by the signal handler if interrupted.
    let work = work::create(dir, &prefix)?;
    let _work_scratch = atomic::Scratch::register(work.path());
    let db = work::private_file(&work.path().join("db"))?;
    let appended = opts.append
        && path
            .try_exists()
            .map_err(|e| C1zError::io("checking the existing .c1z", e))?;
    if appended {
        envelope::decompress(path, &db)?;
    }

    if appended {
        same_organization(&db, graph, path)?;
    }
    let sync_id = ksuid::new_at(opts.started_at);
    let fill_start = Instant::now();
    let filled = fill_database(&db, graph, &sync_id, opts, appended)?;
    let fill_ms = fill_start.elapsed().as_millis() as u64;
    let db_bytes = std::fs::metadata(&db)
        .map_err(|e| C1zError::io("reading the database size", e))?
        .len();

    let mut out = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| C1zError::io("creating the temp file", e))?;
    let out_scratch = atomic::Scratch::register(out.path());
    let compress_start = Instant::now();
    let bytes_written = envelope::compress(&db, out.as_file_mut(), opts.zstd_level)?;
    tracing::debug!(
        fill_ms,
        compress_ms = compress_start.elapsed().as_millis() as u64,
        db_bytes,
        bytes_written,
        "Wrote the .c1z."
    );
    out.persist(path)
        .map_err(|e| C1zError::io("renaming the temp file", e.error))?;
    drop(out_scratch);
    atomic::sync_dir(dir);
    drop(work);

    Ok(C1zReport {
        path: path.to_owned(),
        sync_id,
        rows: filled.rows,
        appended,
        full_syncs_in_file: filled.full_syncs,
        syncs_removed: filled.removed,
        db_bytes,
        bytes_written,
        elapsed: start.elapsed(),
    })
}

/// The organization of the file's newest finished sync must be the graph's.
fn same_organization(db: &Path, graph: &GrantGraph, path: &Path) -> Result<(), C1zError> {
    let ours = &graph.org_id;
    let conn = Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let theirs: Option<String> = conn
        .query_row(
            "SELECT substr(r.external_id, length('organization:') + 1) FROM v1_resources r JOIN v1_sync_runs s ON r.sync_id = s.sync_id \
             WHERE r.resource_type_id = 'organization' AND s.ended_at IS NOT NULL \
             ORDER BY s.ended_at DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match theirs {
        Some(theirs) if theirs != *ours => Err(C1zError::OtherOrganization {
            path: path.to_owned(),
            file_org: theirs,
            sync_org: ours.clone(),
        }),
        _ => Ok(()),
    }
}

struct Filled {
    rows: TableRows,
    full_syncs: usize,
    removed: usize,
}

/// What a one-writer bulk load into a scratch file wants: no fsyncs, one lock held throughout,
/// and the index sorts in memory on both cores (SQLite's sorter takes `threads` helpers for
/// CREATE INDEX). Measured on `large` (BENCHMARKS.md): a 64 KiB page size and a 64 MiB page
/// cache cost memory and gained nothing measurable, so both stay at SQLite's defaults.
const BULK_LOAD_PRAGMAS: &str = "PRAGMA synchronous = OFF; \
     PRAGMA locking_mode = EXCLUSIVE; PRAGMA temp_store = MEMORY; PRAGMA threads = 2;";

fn fill_database(
    db: &Path,
    graph: &GrantGraph,
    sync_id: &str,
    opts: &C1zOptions,
    appended: bool,
) -> Result<Filled, C1zError> {
    let mut conn = Connection::open(db)?;
    // A scratch copy: atomicity comes from the final rename, so no journal and no fsyncs while
    // filling it. OFF is a rollback-journal mode: the file header stays "legacy", never WAL,
    // and no -journal/-wal file is left to be lost by compressing only the main file (§3.6).
    let mode: String = conn.query_row("PRAGMA journal_mode = OFF", [], |r| r.get(0))?;
    debug_assert_eq!(mode, "off");
    conn.execute_batch(BULK_LOAD_PRAGMAS)?;
    // IF NOT EXISTS: an appended file from an older SDK gets the tables it lacks. A new file
    // gets its indexes after the rows: one sort per index instead of ~1M random B-tree inserts.
    let (tables, indexes): (Vec<&str>, Vec<&str>) = schema::DDL
        .iter()
        .partition(|d| d.starts_with("create table"));
    for ddl in &tables {
        let ddl = match opts.readers {
            Readers::AnyBaton if ddl.contains(" v1_sync_runs ") => schema::SYNC_RUNS_V0_7_27,
            _ => ddl,
        };
        conn.execute(ddl, [])?;
    }
    // An appended file may have been written for the other readers: its sync runs table is
    // brought to this one's columns, as the SDK's own migrations would.
    if appended {
        rows::fit_sync_runs(&conn, opts.readers)?;
    }
    let indexes_later = !appended;
    if !indexes_later {
        for ddl in &indexes {
            conn.execute(ddl, [])?;
        }
    }

    let discovered_at = sqlite_time(openai_access_actors::clock::now());
    let mut budget = rows::Budget::new(opts.fail_after_rows);
    let tx = conn.transaction()?;
    let mut rows = rows::insert_objects(
        &tx,
        graph,
        sync_id,
        &discovered_at,
        opts.readers,
        &mut budget,
    )?;
    rows::insert_sync_run(
        &tx,
        opts.readers,
        sync_id,
        opts.sync_type.as_str(),
        &sqlite_time(opts.started_at),
        &sqlite_time(opts.ended_at),
    )?;
    rows.sync_runs = 1;
    let index_start = Instant::now();
    if indexes_later {
        for ddl in &indexes {
            tx.execute(ddl, [])?;
        }
    }
    tracing::debug!(
        index_ms = index_start.elapsed().as_millis() as u64,
        "Indexed the .c1z database."
    );
    let removed = if appended {
        rows::keep_last_syncs(&tx, SyncType::Full.as_str(), KEEP_FULL_SYNCS)?
            + rows::keep_last_syncs(&tx, SyncType::Partial.as_str(), KEEP_FULL_SYNCS)?
    } else {
        0
    };
    let full_syncs: i64 = tx.query_row(
        "SELECT count(*) FROM v1_sync_runs WHERE sync_type = 'full' AND ended_at IS NOT NULL",
        [],
        |r| r.get(0),
    )?;
    tx.commit()?;
    if removed > 0 {
        // Give the deleted syncs' pages back, as the SDK's cleanup does.
        conn.execute_batch("VACUUM")?;
    }
    conn.close().map_err(|(_, e)| e)?;
    Ok(Filled {
        rows,
        full_syncs: usize::try_from(full_syncs).unwrap_or_default(),
        removed,
    })
}

/// The SDK's `discovered_at`/`started_at` text: local wall-clock time, no zone (§3.4).
fn sqlite_time(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(t)
        .format("%Y-%m-%d %H:%M:%S%.f")
        .to_string()
}
