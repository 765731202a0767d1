//! `SyncCoordinator`: starts a sync, sends each list the fan-out unlocks to its crawler, counts
//! outstanding crawls, and hands the finished graph to the caller.
//!
//! | receives        | from      | sends                                           | to         |
//! |-----------------|-----------|-------------------------------------------------|------------|
//! | `StartSync`     | caller    | `Crawl<OrgUsers>` first (it proves the key)     | crawlers   |
//! | `WorkFound`     | crawlers  | `Crawl<K>` per list the fan-out returns         | crawlers   |
//! | `CrawlFinished` | crawlers  | `SkipPending` when the plan refuses a list kind | crawlers   |
//! |                 |           | `TakeGraph` when nothing is outstanding         | collector  |
//! | `GetProgress`   | caller    | —                                               | —          |
//!
//! Completion is a count, never a timer: every `Crawl` sent adds one, every `CrawlFinished`
//! removes one. A crawler reports the work it found (`WorkFound`, awaited) before it reports
//! that it finished, so the count cannot reach zero while children are still unknown.
//!
//! What to crawl after what is the fan-out's (`crate::fanout`, pure): this actor feeds it the
//! work found and sends each list it returns to the crawler of that list (`Crawlers`), or
//! replays it from the state (`launch`).

use crate::api::{AdminClient, ApiError, Endpoint, TransportKind};
use crate::collector::{GrantCollector, TakeGraph};
use crate::crawlers::{Crawlers, Sinks};
use crate::fanout::{FanOut, ListRequest};
use crate::messages::{CrawlFinished, CrawlOutcome, WorkFound};
pub use crate::outcome::*;
use crate::plan::SyncPlan;
use crate::state::{Flush, ListRead, Replay, Replayed};
use actix::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

mod launch;
mod plan;

/// Start the sync; resolves when it has finished. Sent once by the caller.
#[derive(Message)]
#[rtype(result = "Result<SyncOutcome, SyncError>")]
pub(crate) struct StartSync;

/// How far the sync is. Sent by the caller (progress display).
#[derive(Message)]
#[rtype(result = "Progress")]
pub(crate) struct GetProgress;

pub(crate) struct SyncCoordinator {
    client: AdminClient,
    collector: Addr<GrantCollector>,
    /// Empty until the actor starts them.
    crawlers: Crawlers,
    fan: FanOut,
    /// Every list this sync went through (read or replayed), by path: what a complete
    /// sync's commit keeps.
    visited: HashSet<String>,
    started: Instant,
    outstanding: usize,
    key_accepted: bool,
    failures: Vec<ListFailure>,
    warnings: Vec<String>,
    progress: Progress,
    reply: Option<oneshot::Sender<Result<SyncOutcome, SyncError>>>,
    finishing: bool,
    /// Lists the state holds, replayed instead of read.
    replay: Replay,
    /// Lists to replay, with the list each was asked for as.
    pending: Vec<(Endpoint, Replayed)>,
    replayed: usize,
    resumed: usize,
    resumed_pages: u64,
    /// Where every list of this sync goes whole (the state journal), if anywhere, and how to
    /// know it has written them all.
    recorder: Option<(Recipient<ListRead>, Recipient<Flush>)>,
    /// Lists sent to crawlers, and lists ended, per endpoint (the plan's counts).
    planned: BTreeMap<Endpoint, u64>,
    ended: BTreeMap<Endpoint, u64>,
    roots_done: usize,
    plan: Option<SyncPlan>,
    /// With a bound on the sync's length: crawls beyond the top-level lists, held back until
    /// the plan is known to fit.
    max_duration: Option<Duration>,
    deferred: Option<Vec<ListRequest>>,
    /// Once the plan is made: when lists ended (with the count ended by then), over the last
    /// `plan::PACE_WINDOW`. The recent pace is the ETA's evidence when no limit was known
    /// before the sync: the pace since the start would count the first bursts.
    recent: Option<std::collections::VecDeque<(Instant, u64)>>,
}

impl SyncCoordinator {
    pub(crate) fn new(
        client: AdminClient,
        collector: Addr<GrantCollector>,
        replay: Replay,
        recorder: Option<(Recipient<ListRead>, Recipient<Flush>)>,
        max_duration: Option<Duration>,
    ) -> Self {
        Self {
            planned: BTreeMap::new(),
            ended: BTreeMap::new(),
            roots_done: 0,
            plan: None,
            max_duration,
            deferred: max_duration.map(|_| Vec::new()),
            recent: None,
            client,
            collector,
            replay,
            pending: Vec::new(),
            replayed: 0,
            resumed: 0,
            resumed_pages: 0,
            recorder,
            crawlers: Crawlers::default(),
            fan: FanOut::default(),
            visited: HashSet::new(),
            started: Instant::now(),
            outstanding: 0,
            key_accepted: false,
            failures: Vec::new(),
            warnings: Vec::new(),
            progress: Progress::default(),
            reply: None,
            finishing: false,
        }
    }

    fn record_failure(&mut self, msg: &CrawlFinished, error: &ApiError, ctx: &mut Context<Self>) {
        if error.is_unauthorized() {
            let message = api_message(error);
            self.fail(SyncError::Unauthorized(message), ctx);
            return;
        }
        // The first list could not reach the server at all: nothing else can. A body that
        // broke off mid-way came from a server that was reached: that list failed, not all.
        if !self.key_accepted
            && matches!(
                error.root(),
                ApiError::Transport {
                    kind: TransportKind::Connect | TransportKind::Timeout | TransportKind::Tls,
                    ..
                }
            )
        {
            self.fail(SyncError::Unreachable(error.to_string()), ctx);
            return;
        }
        let plan_refusal = msg.endpoint == Endpoint::ListGroupUsers && error.refused_by_plan();
        if plan_refusal {
            if self.fan.refused(msg.endpoint) {
                self.warnings.push(format!(
                    "Group members were not synced: the organization's plan does not allow listing them (a Business, Enterprise or higher plan is required). The API said: {}",
                    api_message(error)
                ));
                self.crawlers.skip_pending(msg.endpoint);
            }
            return;
        }
        self.failures.push(ListFailure {
            crawler: msg.crawler,
            endpoint: msg.endpoint,
            path: msg.path.clone(),
            status: error.status(),
            message: error.to_string(),
            permission_denied: error.is_forbidden(),
        });
    }

    fn fail(&mut self, error: SyncError, ctx: &mut Context<Self>) {
        self.finishing = true;
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(Err(error));
        }
        ctx.stop();
    }

    fn maybe_finish(&mut self, ctx: &mut Context<Self>) {
        if self.outstanding > 0 || self.finishing || self.reply.is_none() {
            return;
        }
        self.finishing = true;
        let collector = self.collector.clone();
        let client = self.client.clone();
        let failures = std::mem::take(&mut self.failures);
        let warnings = std::mem::take(&mut self.warnings);
        let mut progress = self.progress.clone();
        progress.replayed = self.replayed;
        progress.resumed = self.resumed;
        progress.resumed_pages = self.resumed_pages;
        let started = self.started;
        let plan = self.plan.take();
        let reply = self.reply.take();
        let flush = self.recorder.as_ref().map(|(_, f)| f.clone());
        let visited = std::mem::take(&mut self.visited);
        ctx.spawn(
            async move {
                // Every list stored before the sync is handed over: the state is whole.
                let recorded = match flush {
                    Some(f) => f.send(Flush).await.ok(),
                    None => None,
                };
                let outcome = match collector.send(TakeGraph).await {
                    Ok(c) => Ok(SyncOutcome {
                        graph: c.graph,
                        report: c.report,
                        failures,
                        warnings,
                        requests: client.stats().snapshot(),
                        rates: client.throttle().rates(),
                        plan,
                        limits: client.throttle().known_limits(),
                        progress,
                        duration: started.elapsed(),
                        merge_time: c.merge_time,
                        finish_time: c.finish_time,
                        facts_received: c.facts_received,
                        visited,
                        recorded,
                    }),
                    Err(_) => Err(SyncError::Stopped),
                };
                if let Some(reply) = reply {
                    let _ = reply.send(outcome);
                }
            }
            .into_actor(self),
        );
    }
}

/// The API's own message, without our endpoint prefix.
fn api_message(e: &ApiError) -> String {
    match e {
        ApiError::Status { message, .. } => message.clone(),
        ApiError::GaveUp { last, .. } => api_message(last),
        other => other.to_string(),
    }
}

impl Actor for SyncCoordinator {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let me = ctx.address();
        let sinks = Sinks {
            facts: self.collector.clone().recipient(),
            work: me.clone().recipient(),
            finished: me.recipient(),
            record: self.recorder.as_ref().map(|(r, _)| r.clone()),
        };
        self.crawlers = Crawlers::start(&self.client, &sinks);
    }
}

impl Handler<StartSync> for SyncCoordinator {
    type Result = ResponseFuture<Result<SyncOutcome, SyncError>>;

    fn handle(&mut self, _: StartSync, ctx: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.reply = Some(tx);
        self.started = Instant::now();
        // A plan that rests on too little evidence lets the sync run; the bound still holds:
        // it stops here, with what it read kept in the state (if any) for a resume.
        if let Some(max) = self.max_duration {
            ctx.run_later(max, move |act, ctx| {
                if act.finishing {
                    return;
                }
                act.finishing = true;
                // Every list read so far stored first, so the same command resumes from them.
                let flush = act.recorder.as_ref().map(|(_, f)| f.clone());
                ctx.spawn(
                    async move {
                        if let Some(f) = flush {
                            let _ = f.send(Flush).await;
                        }
                    }
                    .into_actor(act)
                    .map(move |(), act, ctx| act.fail(SyncError::Deadline { max }, ctx)),
                );
            });
        }
        for req in self.fan.start() {
            self.launch(req);
        }
        self.replay_pending(ctx);
        Box::pin(async move { rx.await.unwrap_or(Err(SyncError::Stopped)) })
    }
}

impl Handler<WorkFound> for SyncCoordinator {
    type Result = ();

    fn handle(&mut self, msg: WorkFound, ctx: &mut Context<Self>) {
        if self.finishing {
            return;
        }
        for w in msg.0 {
            self.dispatch(w);
        }
        self.replay_pending(ctx);
    }
}

impl Handler<CrawlFinished> for SyncCoordinator {
    type Result = ();

    fn handle(&mut self, msg: CrawlFinished, ctx: &mut Context<Self>) {
        if self.finishing {
            return;
        }
        self.outstanding = self.outstanding.saturating_sub(1);
        let p = self
            .progress
            .crawlers
            .entry(msg.crawler.to_owned())
            .or_default();
        p.crawls_done += 1;
        p.pages += msg.pages as u64;
        p.items += msg.items as u64;
        if let CrawlOutcome::Failed(e) = &msg.outcome {
            p.failed += 1;
            self.record_failure(&msg, e, ctx);
        }
        self.ended(msg.endpoint, true, ctx);
        self.maybe_finish(ctx);
    }
}

impl Handler<GetProgress> for SyncCoordinator {
    type Result = MessageResult<GetProgress>;

    fn handle(&mut self, _: GetProgress, _: &mut Context<Self>) -> Self::Result {
        let mut p = self.progress.clone();
        p.outstanding = self.outstanding;
        p.replayed = self.replayed;
        p.resumed = self.resumed;
        p.resumed_pages = self.resumed_pages;
        let replayed = self.replayed as u64;
        p.lists_known = self.planned.values().sum::<u64>() + replayed;
        p.lists_done = self.ended.values().sum::<u64>() + replayed;
        let total = self.client.stats().total();
        (p.requests, p.rate_limited) = (total.requests, total.rate_limited);
        if self.plan.is_some() {
            (p.eta, p.bottleneck) = self.eta(p.lists_known - p.lists_done);
        }
        MessageResult(p)
    }
}
