//! `Refresher`: keeps the served graph fresh. One sync at a time, through the process's one
//! client (its throttle and what it learned live as long as the service), on the timetable
//! of [`Schedule`], or at once when asked (after a provisioning change).
//!
//! | receives   | from                    | does                                              | replies |
//! |------------|-------------------------|---------------------------------------------------|---------|
//! | `SyncNow`  | HTTP handlers           | runs a sync now, or right after the one running   | a receiver of that sync's record |
//! | `Shutdown` | the service, on SIGTERM | stops scheduling, stores the learned limits       | `()`    |
//!
//! It sends the engine `SyncRun::start_on` (the `SyncCoordinator`'s `StartSync`) and writes
//! each finished sync to the [`Shared`] state the HTTP workers read.

use super::schedule::{Clock, Schedule};
use super::served::{Served, Shared, SyncRecord};
use crate::output::c1z::SyncType;
use crate::output::json::RunInfo;
use crate::output::summary::StateSummary;
use crate::output::target::Target;
use actix::prelude::*;
use openai_access_actors::api::Call;
use openai_access_actors::ids::OrgId;
use openai_access_actors::review::{LoginsSeen, Snapshot, StateInfo, SyncInfo, diff};
use openai_access_actors::state::{StateDir, StateOptions, prepare_on};
use openai_access_actors::{AdminClient, SyncOutcome, SyncRun, atomic};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::oneshot;

/// The service's own bookkeeping in the state directory, beside the sync state.
const LEDGER: &str = "service.json";

/// What the service remembers across restarts.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
struct Ledger {
    next_sync_id: u64,
    /// When the last complete full sync ended (Unix seconds).
    last_full_at: Option<u64>,
}

/// What every sync needs, fixed for the process.
pub struct SyncSetup {
    pub client: AdminClient,
    /// The server as the state records it (`mock` for the embedded mock).
    pub server: String,
    pub org_id: Option<OrgId>,
    pub state: StateDir,
    pub opts: StateOptions,
    pub target: Option<Target>,
    pub shared: Arc<Shared>,
    /// Bytes of serialized answers each served graph may keep.
    pub answer_budget: usize,
}

/// Run a sync now (or right after the running one). The reply resolves when that sync ends.
#[derive(Message)]
#[rtype(result = "oneshot::Receiver<SyncRecord>")]
pub struct SyncNow {
    pub full: bool,
    pub why: String,
    /// Mutations just made here: the sync reads what they touched again.
    pub touched: Vec<Call>,
    /// Write that sync's graph here as a single-sync `.c1z` once it completes (a ConductorOne
    /// sync task uploads it).
    pub upload: Option<std::path::PathBuf>,
}

/// Stop scheduling and store what was learned.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Shutdown;

/// A sync ended (sent to itself).
struct Ended {
    record: SyncRecord,
    graph: Option<Served>,
    full_completed: bool,
}

pub struct Refresher {
    setup: Arc<SyncSetup>,
    schedule: Schedule,
    clock: Clock,
    ledger: Ledger,
    /// The id of the sync running now.
    running: Option<u64>,
    /// A sync asked for while another ran.
    asked: Option<bool>,
    /// Mutations made here that the next sync reads back.
    touched: Vec<Call>,
    /// `.c1z` files asked of the first sync with at least this id.
    uploads: Vec<(u64, std::path::PathBuf)>,
    /// Who waits for a sync with at least this id to end.
    waiters: Vec<(u64, oneshot::Sender<SyncRecord>)>,
    timer: Option<SpawnHandle>,
    stopped: bool,
}

impl Refresher {
    pub fn new(setup: SyncSetup, schedule: Schedule, first_id: u64) -> Self {
        let now = SystemTime::now();
        let ledger = read_ledger(&setup.state, now);
        Self {
            clock: Clock {
                last_end: None,
                last_full: ledger.last_full_at.map(unix).or_else(|| {
                    let meta = setup.state.meta().ok().flatten()?;
                    Some(unix(plausible_past(
                        u64::try_from(meta.synced_at).ok()?,
                        now,
                        "the state's last sync",
                    )))
                }),
                failures: 0,
            },
            ledger: Ledger {
                next_sync_id: ledger.next_sync_id.max(first_id),
                ..ledger
            },
            setup: Arc::new(setup),
            schedule,
            running: None,
            asked: None,
            touched: Vec::new(),
            uploads: Vec::new(),
            waiters: Vec::new(),
            timer: None,
            stopped: false,
        }
    }

    /// The id the next sync gets (a graph loaded at start takes one too).
    pub fn reserve_id(state: &StateDir) -> u64 {
        read_ledger(state, SystemTime::now()).next_sync_id
    }

    fn plan_next(&mut self, ctx: &mut Context<Self>) {
        if let Some(t) = self.timer.take() {
            ctx.cancel_future(t);
        }
        if self.stopped || self.running.is_some() {
            return;
        }
        if let Some(full) = self.asked.take() {
            return self.start(full, ctx);
        }
        let now = SystemTime::now();
        let next = self.schedule.next(&self.clock, now);
        let wait = next.at.duration_since(now).unwrap_or_default();
        self.timer = Some(ctx.run_later(wait, move |act, ctx| {
            act.timer = None;
            act.start(next.full, ctx);
        }));
    }

    fn start(&mut self, full: bool, ctx: &mut Context<Self>) {
        if self.running.is_some() || self.stopped {
            return;
        }
        let id = self.ledger.next_sync_id;
        self.ledger.next_sync_id = next_id(id);
        write_ledger(&self.setup.state, &self.ledger);
        self.running = Some(id);
        self.setup.shared.started();
        tracing::info!(sync_id = id, full, "Sync started.");
        let setup = self.setup.clone();
        let touched = std::mem::take(&mut self.touched);
        let (uploads, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.uploads)
            .into_iter()
            .partition(|(min, _)| *min <= id);
        self.uploads = later;
        let uploads = uploads.into_iter().map(|(_, path)| path).collect();
        ctx.spawn(
            run_one(setup, id, full, touched, uploads)
                .into_actor(self)
                .map(|ended, act, ctx| act.ended(ended, ctx)),
        );
    }

    fn ended(&mut self, e: Ended, ctx: &mut Context<Self>) {
        let now = SystemTime::now();
        self.running = None;
        self.clock.last_end = Some(now);
        if e.record.result == "ok" {
            self.clock.failures = 0;
        } else {
            self.clock.failures += 1;
        }
        if e.full_completed {
            self.clock.last_full = Some(now);
            self.ledger.last_full_at = Some(unix_secs(now));
            write_ledger(&self.setup.state, &self.ledger);
        }
        let r = &e.record;
        if r.result == "ok" {
            tracing::info!(sync_id = r.id, kind = %r.kind, duration_s = r.duration_s, requests = r.requests, changes = r.changes.unwrap_or(0), "Sync ended.");
        } else {
            tracing::warn!(sync_id = r.id, kind = %r.kind, result = r.result, error = r.error.as_deref().unwrap_or(""), "Sync did not complete; serving the last complete graph.");
        }
        let id = r.id;
        let record = e.record.clone();
        // The graph is served before anyone waiting hears the sync ended: an answer that says
        // "visible" must be true of the very next query.
        self.setup.shared.ended(e.record, e.graph);
        super::history::store(&self.setup.state, &self.setup.shared.history());
        let (done, waiting): (Vec<_>, Vec<_>) =
            self.waiters.drain(..).partition(|(min, _)| *min <= id);
        self.waiters = waiting;
        for (_, tx) in done {
            let _ = tx.send(record.clone());
        }
        self.plan_next(ctx);
    }
}

impl Actor for Refresher {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.plan_next(ctx);
    }
}

impl Handler<SyncNow> for Refresher {
    type Result = MessageResult<SyncNow>;

    fn handle(&mut self, msg: SyncNow, ctx: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        tracing::info!(why = %msg.why, full = msg.full, "Sync asked for.");
        self.touched.extend(msg.touched);
        // The first sync that starts from now on answers: the next one when one runs.
        let min = match self.running {
            Some(id) => next_id(id),
            None => self.ledger.next_sync_id,
        };
        if !self.stopped {
            if let Some(path) = msg.upload {
                self.uploads.push((min, path));
            }
            self.waiters.push((min, tx));
        }
        match self.running {
            Some(_) => self.asked = Some(self.asked.unwrap_or(false) || msg.full),
            None => self.start(msg.full, ctx),
        }
        MessageResult(rx)
    }
}

impl Handler<Shutdown> for Refresher {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Context<Self>) {
        self.stopped = true;
        // Requests waiting for a refresh answer now, without it.
        self.waiters.clear();
        if let Some(t) = self.timer.take() {
            ctx.cancel_future(t);
        }
        // What the throttle learned is worth keeping even if the running sync never commits.
        let s = &self.setup;
        if let Ok(Some(mut meta)) = s.state.meta()
            && meta.server == s.server
        {
            meta.limits = s.client.throttle().known_limits();
            if let Err(e) = s.state.write_meta(&meta) {
                tracing::warn!(error = %e, "Cannot store the learned limits.");
            }
        }
        write_ledger(&s.state, &self.ledger);
    }
}

/// One sync from start to end: prepared against the state (resumed, incremental or full),
/// run, written (output, then state), indexed for queries and compared with the graph served.
async fn run_one(
    setup: Arc<SyncSetup>,
    id: u64,
    full: bool,
    touched: Vec<Call>,
    uploads: Vec<std::path::PathBuf>,
) -> Ended {
    let started = SystemTime::now();
    let opts = StateOptions {
        full,
        touched,
        ..setup.opts.clone()
    };
    let mut record = SyncRecord {
        id,
        kind: if full { "full" } else { "incremental" }.to_owned(),
        result: "failed",
        started_at: rfc3339(started),
        ended_at: String::new(),
        duration_s: 0.0,
        requests: 0,
        error: None,
        changes: None,
        changed: None,
    };
    let failed = |mut record: SyncRecord, error: String| {
        let now = SystemTime::now();
        record.ended_at = rfc3339(now);
        record.duration_s = now
            .duration_since(started)
            .unwrap_or_default()
            .as_secs_f64();
        record.error = Some(error);
        Ended {
            record,
            graph: None,
            full_completed: false,
        }
    };
    let s = &setup;
    // Counts this sync's requests (the audit log's included) and the process's.
    let client = s.client.for_run();
    let mut prepared =
        match prepare_on(&s.state, &s.server, s.org_id.as_ref(), &client, &opts).await {
            Ok(p) => p,
            Err(e) => return failed(record, format!("the state cannot be used: {e}")),
        };
    record.kind = if prepared.resumed > 0 {
        "resumed".to_owned()
    } else {
        prepared.kind.as_str().to_owned()
    };
    let run = SyncRun::start_on(&client, s.org_id.clone(), None, prepared.persistence.take());
    let outcome = run.finish().await;
    record.requests = client.stats().total().requests;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return failed(record, e.to_string()),
    };
    if let Some(why) = outcome.unusable() {
        return failed(record, why.to_owned());
    }
    if outcome.is_partial() {
        let lists: Vec<String> = outcome.failures.iter().map(|f| f.path.clone()).collect();
        let mut e = failed(
            record,
            format!(
                "{} list(s) could not be read ({}); the state keeps what was read, and the next sync reads the rest",
                lists.len(),
                lists.join(", ")
            ),
        );
        e.record.result = "partial";
        return e;
    }
    let full_completed = prepared.kind == openai_access_actors::state::SyncKind::Full;
    let mut run_info = RunInfo::now(&s.server, &record.kind);
    run_info.state = Some(StateSummary::of(&prepared));
    // Writing and indexing a large graph takes seconds of CPU: not on the actors' thread.
    let setup2 = setup.clone();
    let finished = tokio::task::spawn_blocking(move || {
        let s = &setup2;
        if let Some(t) = &s.target {
            write_output(&outcome, &run_info, t)?;
        }
        prepared
            .commit(&s.state, &s.server, &outcome)
            .map_err(|e| format!("cannot store the state: {e}"))?;
        for path in &uploads {
            // A single sync of the complete graph, for ConductorOne; its task uploads it.
            if let Err(e) = crate::output::write_c1z_output(&outcome, path, false, SyncType::Full) {
                tracing::warn!(path = %path.display(), error = %e, "Cannot write the .c1z to upload.");
            }
        }
        let mut snap = Snapshot::of_graph(&outcome.graph);
        drop(outcome);
        snap.sync = Some(SyncInfo {
            synced_at: Some(run_info.synced_at.clone()),
            base_url: Some(run_info.base_url.clone()),
            kind: Some(run_info.kind.clone()),
            state: run_info.state.as_ref().map(|st| StateInfo {
                logins: Some(LoginsSeen {
                    watched_since: st.logins.watched_since.clone(),
                    last_login_at: st.logins.last_login_at.clone(),
                }),
            }),
        });
        let changes = s.shared.graph().map(|old| diff(&old.snapshot, &snap));
        Ok::<_, String>((snap, changes))
    })
    .await;
    let (snap, changes) = match finished {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return failed(record, e),
        Err(e) => return failed(record, format!("the sync's last step stopped: {e}")),
    };
    let now = SystemTime::now();
    record.result = "ok";
    record.ended_at = rfc3339(now);
    record.duration_s = now
        .duration_since(started)
        .unwrap_or_default()
        .as_secs_f64();
    record.changes = changes.as_ref().map(|c| c.count());
    record.changed = changes
        .and_then(|c| serde_json::value::to_raw_value(&c).ok())
        .map(Arc::from);
    Ended {
        record,
        graph: Some(Served::new(snap, id, now, setup.answer_budget)),
        full_completed,
    }
}

/// The snapshot after each complete sync: a .c1z gets the sync appended (the last two kept,
/// so `baton diff` works), a JSON file is replaced; atomically either way.
fn write_output(o: &SyncOutcome, run: &RunInfo, t: &Target) -> Result<(), String> {
    let Some(path) = &t.path else {
        return Ok(());
    };
    if t.format == crate::cli::OutputFormat::C1z && path.exists() {
        crate::output::append_or_restart(o, run, path, SyncType::Full)
    } else {
        crate::output::write_sync(o, run, path, t.format, false, SyncType::Full)
    }
    .map_err(|e| e.to_string())
}

/// The largest sync id: ids travel in JSON, whose readers keep integers exact up to 2^53, and
/// a service that syncs every second would take 285 million years to reach it.
pub const MAX_SYNC_ID: u64 = (1 << 53) - 1;

/// The id after `id` (never past [`MAX_SYNC_ID`]).
pub fn next_id(id: u64) -> u64 {
    id.saturating_add(1).min(MAX_SYNC_ID)
}

/// The ledger, with what no service can have written set right and said (it can only come
/// from someone editing the state): a sync id past [`MAX_SYNC_ID`] (ids would wrap and repeat)
/// and a last full sync in the future (the reconciliation would never run).
fn read_ledger(state: &StateDir, now: SystemTime) -> Ledger {
    let mut ledger: Ledger = openai_access_actors::private::read(&state.path().join(LEDGER))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if ledger.next_sync_id > MAX_SYNC_ID {
        tracing::warn!(
            next_sync_id = ledger.next_sync_id,
            "The service's ledger holds an impossible next sync id; ids start again after the history's."
        );
        ledger.next_sync_id = 0;
    }
    ledger.last_full_at = ledger
        .last_full_at
        .map(|t| plausible_past(t, now, "the ledger's last full sync"));
    ledger
}

/// `secs` (Unix) if it is not in the future (a minute of clock skew allowed); else 0, long
/// ago, so that what waits for it (the reconciliation) runs now; with a warning naming `what`.
fn plausible_past(secs: u64, now: SystemTime, what: &str) -> u64 {
    const SKEW: u64 = 60;
    if secs <= unix_secs(now).saturating_add(SKEW) {
        return secs;
    }
    tracing::warn!(
        at = secs,
        "{what} is in the future, which no sync can have written; it is taken as long ago, so the reconciliation runs now."
    );
    0
}

fn write_ledger(state: &StateDir, ledger: &Ledger) {
    let path = state.path().join(LEDGER);
    if let Err(e) = atomic::write_atomically(&path, |w| {
        serde_json::to_writer(&mut *w, ledger).map_err(std::io::Error::other)
    }) {
        tracing::warn!(error = %e, path = %path.display(), "Cannot store the service's ledger.");
    }
}

pub fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn unix(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}
