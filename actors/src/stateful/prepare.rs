//! Deciding what a sync with a state reads: resume, incremental, full (saying why), or
//! nothing at all; and storing what it learned once it completed.

use crate::SyncOutcome;
use crate::api::AdminClient;
use crate::ids::OrgId;
use crate::incremental::{self, AuditCursor, Dirty, Fallback};
use crate::state::{
    BASE_UNREADABLE, ListKey, ListRecord, Logins, StateDir, StateError, StateMeta, SyncKind,
    unix_now,
};
use crate::sync::{Persistence, Purpose, SyncRun};
use crate::throttle::KnownLimits;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// The default age at which group member lists are read again.
pub const GROUP_RESCAN: Duration = Duration::from_secs(6 * 3600);

/// How a sync with a state chooses its kind.
#[derive(Clone, Debug)]
pub struct StateOptions {
    /// Always a full sync (it refreshes the state).
    pub full: bool,
    /// Group member lists read longer ago than this are read again (the audit log does not
    /// record membership changes). `None`: never by the sync; the service's background
    /// passes read them, so that no incremental sync waits for hundreds of them.
    pub group_rescan: Option<Duration>,
    /// How long the audit log is assumed to keep entries: a cursor older than this cannot be
    /// trusted, so the sync is full.
    pub audit_retention: Duration,
    /// Mutations this process made since the last sync (a service's provisioning): what they
    /// touched is read again even if the audit log does not show them yet.
    pub touched: Vec<crate::api::Call>,
    /// The caller has no graph of the last sync at hand (no output to keep, none served):
    /// even with nothing changed, the sync assembles one from the stored lists.
    pub need_graph: bool,
}

impl Default for StateOptions {
    fn default() -> Self {
        Self {
            full: false,
            group_rescan: Some(GROUP_RESCAN),
            audit_retention: Duration::from_secs(30 * 86_400),
            touched: Vec::new(),
            need_graph: true,
        }
    }
}

/// Why the state cannot be used for this sync.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    State(#[from] StateError),
    #[error("it holds the state of {had}, not of {want}; use another directory")]
    OtherServer { had: String, want: String },
    #[error("it holds the state of organization {had}, not {want}")]
    OtherOrg { had: OrgId, want: OrgId },
    /// The audit log could not be read for a transient reason: syncing now would fail too.
    #[error("{0}; the state is kept for the next attempt")]
    ServerFailing(Fallback),
}

/// A sync under way, as the state records it: resumed from this after a crash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunHeader {
    pub server: String,
    pub kind: SyncKind,
    /// When the sync started (Unix seconds).
    pub started_at: i64,
    /// For an incremental sync: the stored lists it reads again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dirty: Vec<ListKey>,
    /// Where the next incremental sync reads the audit log from, once this one completes (kept
    /// here so a resumed sync stores the cursor its first attempt computed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<serde_json::Value>,
}

/// A sync about to run against a state.
pub struct Prepared {
    /// Handed to the sync (`Option::take`); `None` when nothing is to be read.
    pub persistence: Option<Persistence>,
    pub kind: SyncKind,
    /// Nothing changed since the last complete sync: nothing to read, the graph and output as
    /// they were (see [`Prepared::unchanged`]).
    unchanged: bool,
    /// Lists an interrupted sync had read, resumed (with when it started).
    pub resumed: usize,
    pub resumed_from: i64,
    /// Why the sync is full although the state could have made it incremental.
    pub fallback: Option<Fallback>,
    /// Audit entries acted on, and pages read to find them.
    pub events: usize,
    pub audit_pages: usize,
    /// Entries of types this build does not know, by type: counted, their lists left to the
    /// reconciliation (when they name nothing the state holds).
    pub unknown_events: BTreeMap<String, usize>,
    pub dirty: Dirty,
    /// The limits the last sync learned.
    pub limits: KnownLimits,
    /// When each group's member list taken from the state was read (group id → Unix
    /// seconds); groups read by this sync are not in it.
    pub group_members_read_at: BTreeMap<String, i64>,
    /// Sign-ins seen in the audit log so far, this sync's included.
    pub logins: Logins,
    /// The audit cursor to store when the sync completes.
    cursor: Option<AuditCursor>,
    started_at: i64,
    /// The run its lists are stored under.
    run_id: Option<u64>,
}

impl Prepared {
    /// Nothing changed since the last complete sync (no event touched what the state holds, no
    /// list is due, no stored list changed since, and the caller has the graph): there is
    /// nothing to run, and [`Prepared::commit_unchanged`] stores only the new cursor.
    pub fn unchanged(&self) -> bool {
        self.unchanged
    }

    /// Starts the sync through `client`, storing each list as it completes.
    pub fn start(
        &mut self,
        client: &AdminClient,
        org: Option<OrgId>,
        max_duration: Option<Duration>,
    ) -> SyncRun {
        SyncRun::start_for(
            Purpose::Graph,
            client,
            org,
            max_duration,
            self.persistence.take(),
        )
    }

    fn meta(&self, server: &str, org: Option<OrgId>, lists: usize) -> StateMeta {
        StateMeta {
            server: server.to_owned(),
            org_id: org,
            synced_at: unix_now(),
            kind: self.kind,
            lists,
            limits: self.limits.clone(),
            audit: self
                .cursor
                .as_ref()
                .and_then(|c| serde_json::to_value(c).ok()),
            logins: self.logins.clone(),
        }
    }

    /// The sync completed: the last complete sync, the audit cursor, the limits and sign-ins
    /// are stored, the lists no longer part of the org removed, the run ended; one
    /// transaction.
    pub fn commit(
        &self,
        dir: &StateDir,
        run: u64,
        server: &str,
        outcome: &SyncOutcome,
    ) -> Result<(), StateError> {
        let mut meta = self.meta(
            server,
            outcome.graph.org_id.parse().ok(),
            outcome.visited.len(),
        );
        meta.limits = outcome.limits.clone();
        let now = unix_now();
        dir.transaction(|t| {
            t.write_meta(&meta)?;
            t.remove(BASE_UNREADABLE)?;
            // Lists read before this sync began that it did not go through: no longer part
            // of the org (one read since, by another sync, is kept).
            t.keep_only_since(&outcome.visited, self.started_at)?;
            t.end_run(run, now)
        })
    }

    /// Nothing changed: only the cursor, sign-ins and the time of the last sync move on.
    pub fn commit_unchanged(
        &self,
        dir: &StateDir,
        server: &str,
        limits: &KnownLimits,
    ) -> Result<(), StateError> {
        let Some(old) = dir.meta()? else {
            return Ok(());
        };
        let mut meta = self.meta(server, old.org_id, old.lists);
        meta.limits = limits.clone();
        dir.transaction(|t| t.write_meta(&meta))
    }

    /// The run this sync stores its lists under (`None` when nothing is to be read).
    pub fn run_id(&self) -> Option<u64> {
        self.run_id
    }
}

/// Opens the state in `dir` for a sync of `server` (`org` when known) and decides its kind:
/// an interrupted sync is resumed; else, with a complete sync in the state and an audit log to
/// read, an incremental sync (or none, when nothing changed); else a full one, saying why.
/// `api` reads the audit log (and objects named by it, read alone).
pub async fn prepare(
    dir: &StateDir,
    server: &str,
    org: Option<&OrgId>,
    api: &AdminClient,
    opts: &StateOptions,
) -> Result<Prepared, Refused> {
    let now = unix_now();
    let meta = dir.meta()?;
    if let Some(m) = &meta {
        if m.server != server {
            return Err(Refused::OtherServer {
                had: m.server.clone(),
                want: server.to_owned(),
            });
        }
        if let (Some(want), Some(had)) = (org, &m.org_id)
            && want != had
        {
            return Err(Refused::OtherOrg {
                had: had.clone(),
                want: want.clone(),
            });
        }
    }
    let limits = meta.as_ref().map(|m| m.limits.clone()).unwrap_or_default();
    let mut logins = meta.as_ref().map(|m| m.logins.clone()).unwrap_or_default();
    let mut prepared = Prepared {
        persistence: None,
        kind: SyncKind::Full,
        unchanged: false,
        resumed: 0,
        resumed_from: now,
        fallback: None,
        events: 0,
        audit_pages: 0,
        unknown_events: BTreeMap::new(),
        dirty: Dirty::default(),
        limits,
        group_members_read_at: BTreeMap::new(),
        logins: Logins::default(),
        cursor: None,
        started_at: now,
        run_id: None,
    };
    // An interrupted sync of this server: resumed as it was (unless a full one is asked).
    if !opts.full
        && let Some((run, header, journaled)) = dir.open_run::<RunHeader>()?
        && header.server == server
    {
        let base = match header.kind {
            SyncKind::Incremental => dir.lists().ok(),
            SyncKind::Full => Some(Vec::new()),
        };
        if let Some(base) = base {
            let dirty = Dirty {
                lists: header
                    .dirty
                    .iter()
                    .map(|k| (k.clone(), "read again by the interrupted sync".to_owned()))
                    .collect(),
                ..Dirty::default()
            };
            // The entries the interrupted sync read are behind its cursor now, unseen here.
            logins.broken();
            prepared.group_members_read_at = members_read_at(&base, &dirty);
            prepared.kind = header.kind;
            prepared.resumed = journaled.len();
            prepared.resumed_from = header.started_at;
            prepared.started_at = header.started_at;
            prepared.cursor = header
                .audit
                .clone()
                .and_then(|v| serde_json::from_value(v).ok());
            prepared.run_id = Some(run);
            prepared.persistence = Some(Persistence {
                replay: incremental::replay(journaled, base, &dirty),
                state: dir.clone(),
                run,
            });
            prepared.dirty = dirty;
            prepared.logins = logins;
            return Ok(prepared);
        }
    }
    let last = meta
        .as_ref()
        .and_then(|m| m.audit.clone())
        .and_then(|v| serde_json::from_value::<AuditCursor>(v).ok());
    let stored = dir.ages()?;
    let unreadable: Option<String> = dir.get(BASE_UNREADABLE).ok().flatten();
    let attempt = match (&last, opts.full) {
        (_, true) => Err(Fallback::Asked),
        _ if unreadable.is_some() => Err(Fallback::UnreadableState(unreadable.unwrap_or_default())),
        (None, _) => Err(Fallback::NoState),
        _ if stored.lists == 0 || meta.is_none() => Err(Fallback::NoState),
        (Some(cursor), false) => {
            let changed_since = stored
                .newest_change
                .zip(meta.as_ref().map(|m| m.synced_at))
                .is_some_and(|(changed, synced)| changed > synced);
            incremental_from(dir, api, cursor, opts, now, changed_since).await
        }
    };
    if let Err(f @ Fallback::ServerFailing(_)) = attempt {
        return Err(Refused::ServerFailing(f));
    }
    match attempt {
        Ok(Incremental {
            read,
            base,
            dirty,
            patched,
            unknown,
        }) => {
            if let Some(from) = last.as_ref().map(|c| c.from) {
                logins.saw(&read.events, from);
            }
            prepared.kind = SyncKind::Incremental;
            prepared.events = read.events.len();
            prepared.audit_pages = read.pages;
            prepared.cursor = read.next;
            prepared.logins = logins;
            prepared.unknown_events = unknown;
            let Some(base) = base else {
                prepared.unchanged = true;
                return Ok(prepared);
            };
            prepared.group_members_read_at = members_read_at(&base, &dirty);
            let run = begin(dir, server, &prepared, &dirty, now)?;
            // Objects read alone changed their lists' records: those are stored now.
            for key in &patched {
                if let Some(r) = base.iter().find(|r| &r.key == key) {
                    dir.put_list(run, r, now)?;
                }
            }
            prepared.run_id = Some(run);
            prepared.persistence = Some(Persistence {
                replay: incremental::replay(Vec::new(), base, &dirty),
                state: dir.clone(),
                run,
            });
            prepared.dirty = dirty;
            Ok(prepared)
        }
        Err(why) => {
            // A full sync asked for (a reconciliation) still reads the log from where the
            // last sync ended, for the sign-ins it holds; otherwise it reads the newest page
            // only, to set the next sync's cursor, and sign-ins seen before it can no longer
            // be joined up with those after.
            let watched = match (&why, &last) {
                (Fallback::Asked, Some(c)) => incremental::read(api, Some(c), now)
                    .await
                    .ok()
                    .map(|r| (r, c.from)),
                _ => None,
            };
            let read = match watched {
                Some((r, from)) => {
                    logins.saw(&r.events, from);
                    Ok(r)
                }
                None => {
                    logins.broken();
                    incremental::read(api, None, now).await
                }
            };
            match read {
                Ok(r) => (prepared.cursor, prepared.audit_pages) = (r.next, r.pages),
                Err(e) => {
                    tracing::warn!(reason = %e, "The next sync cannot be incremental either.");
                    prepared.audit_pages = 1;
                }
            }
            prepared.kind = SyncKind::Full;
            prepared.fallback = Some(why);
            prepared.logins = logins;
            dir.transaction(|t| t.claim(server, org))?;
            let run = begin(dir, server, &prepared, &Dirty::default(), now)?;
            prepared.run_id = Some(run);
            prepared.persistence = Some(Persistence {
                replay: crate::state::Replay::default(),
                state: dir.clone(),
                run,
            });
            Ok(prepared)
        }
    }
}

/// Records the run the sync stores its lists under.
fn begin(
    dir: &StateDir,
    server: &str,
    p: &Prepared,
    dirty: &Dirty,
    now: i64,
) -> Result<u64, StateError> {
    let header = RunHeader {
        server: server.to_owned(),
        kind: p.kind,
        started_at: now,
        // A resumed sync reads the patched lists whole: the state may not hold the patch.
        dirty: dirty
            .lists
            .keys()
            .cloned()
            .chain(dirty.items.keys().map(|i| i.list()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
        audit: p.cursor.as_ref().and_then(|c| serde_json::to_value(c).ok()),
    };
    dir.begin_run(&header, now)
}

/// What an incremental sync found in the log: `base` (every stored list) when there is
/// something to read or a graph to assemble, else `None` (nothing changed).
struct Incremental {
    read: incremental::Read,
    base: Option<Vec<ListRecord>>,
    dirty: Dirty,
    /// Lists whose records were patched by objects read alone.
    patched: Vec<ListKey>,
    unknown: BTreeMap<String, usize>,
}

async fn incremental_from(
    dir: &StateDir,
    api: &AdminClient,
    cursor: &AuditCursor,
    opts: &StateOptions,
    now: i64,
    changed_since: bool,
) -> Result<Incremental, Fallback> {
    incremental::check_age(cursor, now, opts.audit_retention)?;
    let read = incremental::read(api, Some(cursor), now).await?;
    // The light path: no entry and no change made here, so only group rescans can be due,
    // and those are found from the stored lists' times, without decoding them.
    if read.events.is_empty() && opts.touched.is_empty() {
        let times = dir
            .list_times()
            .map_err(|e| Fallback::UnreadableState(e.to_string()))?;
        let due = incremental::rescans_due(&times, now, opts.group_rescan);
        if due.is_empty() && !changed_since && !opts.need_graph {
            return Ok(Incremental {
                read,
                base: None,
                dirty: Dirty::default(),
                patched: Vec::new(),
                unknown: BTreeMap::new(),
            });
        }
    }
    let mut base = dir
        .lists()
        .map_err(|e| Fallback::UnreadableState(e.to_string()))?;
    let mut dirty =
        incremental::plan_with(&base, &read.events, &opts.touched, now, opts.group_rescan)?;
    let unknown = dirty.unknown.clone();
    for (kind, n) in &unknown {
        tracing::warn!(event_type = %kind, entries = n, "Audit-log entries whose scope is not known name nothing the state holds: nothing is read for them now; the background reconciliation reads what they may have changed.");
    }
    incremental::patch::apply(api, &mut base, &mut dirty).await;
    let patched: Vec<ListKey> = dirty
        .items
        .keys()
        .map(|i| i.list())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let nothing = dirty.lists.is_empty() && patched.is_empty();
    Ok(Incremental {
        read,
        base: (!nothing || changed_since || opts.need_graph).then_some(base),
        dirty,
        patched,
        unknown,
    })
}

/// When the group member lists the sync replays (those of `base` not `dirty`) were read.
fn members_read_at(base: &[ListRecord], dirty: &Dirty) -> BTreeMap<String, i64> {
    base.iter()
        .filter(|r| !dirty.lists.contains_key(&r.key))
        .filter_map(|r| {
            crate::state::group_of_members_list(&r.key).map(|g| (g.to_owned(), r.read_at))
        })
        .collect()
}
