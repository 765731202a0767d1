//! `--state DIR` on the command line: whose state it is, whether a sync resumes, and committing
//! a finished sync. The format itself is the engine's (`openai_access_actors::state`).

use crate::exit::CliError;
use openai_access_actors::ids::OrgId;
use openai_access_actors::state::Replay;
use openai_access_actors::state::{
    JournalHeader, ListRecord, StateDir, StateMeta, SyncKind, VERSION,
};
use openai_access_actors::{KnownLimits, Persistence, SyncOutcome};
use std::path::Path;

/// A state directory opened for one sync.
pub struct Opened {
    pub dir: StateDir,
    pub meta: Option<StateMeta>,
    /// Lists an interrupted sync had completed, replayed instead of read.
    pub resumed: usize,
    /// When the interrupted sync started (Unix seconds), if one is resumed.
    pub resumed_from: i64,
    pub kind: SyncKind,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Opens `path` for a sync of `server` (and `org`, when given): refuses a state that belongs
/// elsewhere, and resumes an interrupted sync of the same server.
pub fn open(
    path: &Path,
    server: &str,
    org: Option<&OrgId>,
) -> Result<(Opened, Persistence), CliError> {
    let dir = StateDir::open(path).map_err(|e| CliError::usage(e.to_string()))?;
    let loaded = dir
        .load()
        .map_err(|e| CliError::usage(format!("{e}; remove the directory to start afresh")))?;
    if let Some(m) = &loaded.meta {
        if m.server != server {
            return Err(CliError::usage(format!(
                "--state {} holds the state of {} , not of {server}; use another directory for this server",
                path.display(),
                m.server
            )));
        }
        if let (Some(want), Some(had)) = (org, &m.org_id)
            && want != had
        {
            return Err(CliError::usage(format!(
                "--state {} holds the state of organization {had}, not {want}",
                path.display()
            )));
        }
    }
    let kind = SyncKind::Full;
    let (journaled, header) = match loaded.journal {
        Some((h, records)) if h.server == server && h.kind == kind => (records, h),
        _ => (
            Vec::new(),
            JournalHeader {
                journal: VERSION,
                server: server.to_owned(),
                kind,
                started_at: now(),
                dirty: Vec::new(),
            },
        ),
    };
    let resumed = journaled.len();
    let resumed_from = header.started_at;
    let journal = dir
        .begin(&header)
        .map_err(|e| CliError::fatal(e.to_string()))?;
    Ok((
        Opened {
            dir,
            meta: loaded.meta,
            resumed,
            resumed_from,
            kind,
        },
        Persistence {
            replay: Replay::new(journaled, Vec::<ListRecord>::new(), []),
            journal,
        },
    ))
}

/// The limits the last sync stored, to start this one paced.
pub fn limits(meta: Option<&StateMeta>) -> KnownLimits {
    meta.map(|m| m.limits.clone()).unwrap_or_default()
}

/// The sync completed: its lists become the state.
pub fn commit(
    dir: &StateDir,
    server: &str,
    kind: SyncKind,
    outcome: &SyncOutcome,
) -> Result<(), CliError> {
    let meta = StateMeta {
        version: VERSION,
        server: server.to_owned(),
        org_id: outcome.graph.org_id.parse().ok(),
        synced_at: now(),
        kind,
        lists: outcome
            .progress
            .crawlers
            .values()
            .map(|c| c.crawls_done as usize)
            .sum(),
        limits: outcome.limits.clone(),
        audit: None,
    };
    dir.commit(&meta)
        .map_err(|e| CliError::fatal(format!("cannot store the state: {e}")))
}
