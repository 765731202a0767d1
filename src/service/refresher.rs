//! `Refresher`: keeps the served graph fresh. Syncs one at a time through the process's one
//! client (its throttle and what it learned live as long as the service), on the timetable of
//! [`Schedule`] or at once when asked (after a provisioning change, for a ConductorOne sync
//! task); and beside them, never in their way, a background reconciliation that re-reads the
//! lists the state holds longest (see `stateful::reconcile`).
//!
//! | receives     | from                          | does                                              | replies |
//! |--------------|-------------------------------|---------------------------------------------------|---------|
//! | `SyncNow`    | HTTP handlers, the TaskRunner | runs a sync now, or right after the one running   | a receiver of that sync's record |
//! | `Shutdown`   | the service, on SIGTERM       | stops scheduling, stores the learned limits       | `()`    |
//!
//! It sends the engine `stateful::prepare` and `SyncRun`s (see `run.rs`), and writes each
//! finished sync to the [`Shared`] state the HTTP workers read.

use super::ledger::{self, Ledger, next_id};
use super::run::{Ended, SyncSetup, rfc3339, run_one};
use super::schedule::{Clock, Schedule};
use super::served::SyncRecord;
use actix::prelude::*;
use openai_access_actors::api::Call;
use openai_access_actors::state::unix_now;
use openai_access_actors::stateful::{Pass, Reconciled, reconcile};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::oneshot;

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
    pub upload: Option<PathBuf>,
}

/// Stop scheduling and store what was learned.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Shutdown;

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
    uploads: Vec<(u64, PathBuf)>,
    /// Who waits for a sync with at least this id to end.
    waiters: Vec<(u64, oneshot::Sender<SyncRecord>)>,
    timer: Option<SpawnHandle>,
    /// A reconciliation pass is under way; a group rescan pass is.
    reconciling: bool,
    rescanning: bool,
    stopped: bool,
}

impl Refresher {
    pub fn new(setup: SyncSetup, schedule: Schedule, first_id: u64) -> Self {
        let ledger = ledger::read(&setup.state);
        Self {
            clock: Clock::default(),
            ledger: Ledger {
                next_sync_id: ledger.next_sync_id.max(first_id),
            },
            setup: Arc::new(setup),
            schedule,
            running: None,
            asked: None,
            touched: Vec::new(),
            uploads: Vec::new(),
            waiters: Vec::new(),
            timer: None,
            reconciling: false,
            rescanning: false,
            stopped: false,
        }
    }

    /// The id the next sync gets (a graph loaded at start takes one too).
    pub fn reserve_id(state: &openai_access_actors::state::StateDir) -> u64 {
        ledger::read(state).next_sync_id
    }

    fn plan_next(&mut self, ctx: &mut Context<Self>) {
        if let Some(t) = self.timer.take() {
            ctx.cancel_future(t);
        }
        if self.stopped {
            return;
        }
        self.maybe_reconcile(ctx);
        if self.running.is_some() {
            return;
        }
        if let Some(full) = self.asked.take() {
            return self.start(full, ctx);
        }
        let now = openai_access_actors::clock::now();
        let at = self.schedule.next(&self.clock, now);
        let wait = at.duration_since(now).unwrap_or_default();
        self.timer = Some(ctx.run_later(wait, move |act, ctx| {
            act.timer = None;
            act.start(false, ctx);
        }));
    }

    fn start(&mut self, full: bool, ctx: &mut Context<Self>) {
        if self.running.is_some() || self.stopped {
            return;
        }
        let id = self.ledger.next_sync_id;
        self.ledger.next_sync_id = next_id(id);
        ledger::write(&self.setup.state, &self.ledger);
        self.running = Some(id);
        self.setup.shared.started();
        tracing::info!(sync_id = id, asked_full = full, "Sync started.");
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
        let now = openai_access_actors::clock::now();
        self.running = None;
        self.clock.last_end = Some(now);
        if e.record.result == crate::service::served::SyncResult::Ok {
            self.clock.failures = 0;
        } else {
            self.clock.failures += 1;
        }
        let r = &e.record;
        if r.result == crate::service::served::SyncResult::Ok {
            tracing::info!(sync_id = r.id, kind = %r.kind, duration_s = r.duration_s, requests = r.requests, changes = r.changes.unwrap_or(0), unchanged = e.unchanged, "Sync ended.");
        } else {
            tracing::warn!(sync_id = r.id, kind = %r.kind, result = r.result.as_str(), error = r.error.as_deref().unwrap_or(""), "Sync did not complete; serving the last complete graph.");
        }
        let id = r.id;
        let record = e.record.clone();
        super::history::store(&self.setup.state, &record);
        // The graph is served before anyone waiting hears the sync ended: an answer that says
        // "visible" must be true of the very next query.
        if e.unchanged {
            self.setup.shared.confirmed(e.record, now);
        } else {
            self.setup.shared.ended(e.record, e.graph);
        }
        self.note_ages();
        let (done, waiting): (Vec<_>, Vec<_>) =
            self.waiters.drain(..).partition(|(min, _)| *min <= id);
        self.waiters = waiting;
        for (_, tx) in done {
            let _ = tx.send(record.clone());
        }
        self.plan_next(ctx);
    }

    /// For `/metrics`: how old the least recently read list is.
    fn note_ages(&self) {
        match self.setup.state.ages() {
            Ok(a) => self.setup.shared.list_ages(&a),
            Err(e) => tracing::warn!(error = %e, "Cannot read the state's list ages."),
        }
    }

    /// Starts the background passes that are due, once the state holds a complete sync, at
    /// most one of each kind at a time, never while stopping: a reconciliation when the oldest
    /// stored list is older than the full-sync interval (or claims to be read in the future:
    /// only tampering writes that), a group rescan when the oldest group member list is older
    /// than the group rescan interval.
    fn maybe_reconcile(&mut self, ctx: &mut Context<Self>) {
        if self.stopped || (self.reconciling && self.rescanning) {
            return;
        }
        let state = &self.setup.state;
        let now = openai_access_actors::clock::now();
        let Ok(true) = state.has_complete_sync() else {
            return;
        };
        let Ok(ages) = state.ages() else { return };
        let time = |t: Option<i64>| t.map(|t| UNIX_EPOCH + Duration::from_secs(t.max(0) as u64));
        let (oldest, oldest_group) = (time(ages.oldest_read), time(ages.oldest_group_members_read));
        if !self.reconciling {
            let future = state.lists_read_after(unix_now() + 60).unwrap_or(0);
            if future > 0 {
                tracing::warn!(
                    lists = future,
                    "Stored lists claim to be read in the future, which no sync can have written; the reconciliation reads them again."
                );
            }
            if future > 0 || self.schedule.reconcile_due(oldest, now) {
                self.reconciling = true;
                let pass = Pass::Lists {
                    max_age: self.schedule.full_interval,
                };
                tracing::info!(
                    lists = ages.lists,
                    oldest_read_at = %oldest.map(rfc3339).unwrap_or_default(),
                    max_age_s = self.schedule.full_interval.as_secs(),
                    "Reconciliation started: the lists read longest ago are read again, in the background."
                );
                self.start_pass(pass, ctx);
            }
        }
        if !self.rescanning && self.schedule.rescan_due(oldest_group, now) {
            self.rescanning = true;
            let pass = Pass::GroupMembers {
                max_age: self.schedule.group_interval,
            };
            tracing::info!(
                oldest_read_at = %oldest_group.map(rfc3339).unwrap_or_default(),
                max_age_s = self.schedule.group_interval.as_secs(),
                "Group rescan started: group member lists (which the audit log does not record) are read again, in the background."
            );
            self.start_pass(pass, ctx);
        }
    }

    fn start_pass(&mut self, pass: Pass, ctx: &mut Context<Self>) {
        self.setup.shared.pass_started(pass);
        let (state, server, client) = (
            self.setup.state.clone(),
            self.setup.server.clone(),
            self.setup.client.clone(),
        );
        let started = openai_access_actors::clock::now();
        ctx.spawn(
            async move { reconcile(&state, &server, &client, pass).await }
                .into_actor(self)
                .map(move |r, act, ctx| act.reconciled(pass, r, started, ctx)),
        );
    }

    fn reconciled(
        &mut self,
        pass: Pass,
        r: Result<Reconciled, openai_access_actors::EngineError>,
        started: SystemTime,
        ctx: &mut Context<Self>,
    ) {
        match pass {
            Pass::Lists { .. } => self.reconciling = false,
            Pass::GroupMembers { .. } => self.rescanning = false,
        }
        self.note_ages();
        let took = openai_access_actors::clock::now()
            .duration_since(started)
            .unwrap_or_default();
        self.setup.shared.pass_ended(pass, r.as_ref().ok(), took);
        match &r {
            Ok(p) => {
                tracing::info!(
                    pass = pass.name(),
                    read = p.read,
                    changed = p.changed,
                    kept = p.kept,
                    removed = p.removed,
                    failed = p.failed,
                    duration_s = took.as_secs_f64(),
                    "Background pass ended."
                );
                // What it found changed reaches the answers with the next sync, now.
                if p.changed > 0 || p.removed > 0 {
                    self.asked = Some(self.asked.unwrap_or(false));
                }
            }
            Err(e) => {
                tracing::warn!(pass = pass.name(), error = %e, "Background pass stopped; it starts again later.")
            }
        }
        if self.stopped {
            return;
        }
        // A failed pass is not started again at once: the next sync's end checks again.
        if r.is_ok() {
            self.plan_next(ctx);
        }
    }
}

impl Actor for Refresher {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.note_ages();
        self.plan_next(ctx);
    }
}

impl Handler<SyncNow> for Refresher {
    type Result = MessageResult<SyncNow>;

    fn handle(&mut self, msg: SyncNow, ctx: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        tracing::info!(why = %msg.why, asked_full = msg.full, "Sync asked for.");
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
        if let Ok(Some(meta)) = s.state.meta()
            && meta.server == s.server
            && let Err(e) = s.state.write_limits(&s.client.throttle().known_limits())
        {
            tracing::warn!(error = %e, "Cannot store the learned limits.");
        }
        ledger::write(&s.state, &self.ledger);
    }
}
