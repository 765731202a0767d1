//! The shared throttle (DESIGN §3): a global in-flight cap, and per endpoint template a pause
//! gate that a 429 closes, a governor limiter, and a rate learned from the server's 429s.
//!
//! The Admin API limits each endpoint separately and sends no rate-limit headers, so the rate
//! is learned. Every request's send time and outcome goes into a token-bucket `model`; all
//! endpoints are first assumed to share one policy (so one endpoint's 429s teach the others),
//! and each falls back to its own evidence if that is contradicted. Until an endpoint is
//! paced, it follows the `frontier`: the schedule other endpoints' passes prove safe, with
//! one endpoint at a time exploring beyond it in slow start. `learn` turns what the model
//! proves into a pace: a ramp while the rate is only bracketed, and once it is pinned down, a
//! pace just under it with the bucket the evidence guarantees, so a long run stops provoking
//! 429s.
//!
//! Provisioning goes first: a [`Priority::Interactive`] request may take a reserved in-flight
//! slot when the shared ones are all busy, and while one waits for an endpoint's rate, bulk
//! requests to that endpoint hold back so the next token is its.

mod frontier;
mod known;
mod learn;
mod model;
mod pacer;

pub use known::{KnownLimits, LimitRange};

use crate::endpoint::Endpoint;
use dashmap::DashMap;
use frontier::{Admit, Frontier, Load};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use learn::{Learner, Pace};
use model::{Knowledge, Log, Outcome, Region};
use pacer::Pacer;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How the throttle starts.
#[derive(Clone, Debug)]
pub struct ThrottleConfig {
    /// Requests in flight at once, over all endpoints.
    pub max_in_flight: usize,
    /// A client-side budget per endpoint (requests per minute), if the user knows it.
    pub rpm: Option<u32>,
    /// Burst allowed by the client-side budget.
    pub burst: u32,
    /// Wait after a 429 that names no `Retry-After`.
    pub default_pause: Duration,
    /// Limits an earlier sync learned: endpoints start paced under them instead of blind.
    pub known: KnownLimits,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 64,
            rpm: None,
            burst: 1,
            default_pause: Duration::from_secs(1),
            known: KnownLimits::default(),
        }
    }
}

/// Who is asking: bulk sync traffic, or a provisioning request a person is waiting on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Priority {
    #[default]
    Bulk,
    Interactive,
}

/// In-flight slots kept free of bulk traffic for interactive requests.
const RESERVED_SLOTS: usize = 2;

/// Cheap to clone; shared by every crawler and the provisioner.
#[derive(Clone)]
pub struct Throttle {
    inner: Arc<Inner>,
}

struct Inner {
    config: ThrottleConfig,
    in_flight: Arc<Semaphore>,
    /// Only interactive requests use these, when `in_flight` has no free slot.
    reserved: Arc<Semaphore>,
    endpoints: DashMap<Endpoint, Arc<EndpointGate>>,
    model: Arc<Mutex<Model>>,
    /// Until an endpoint is paced, the schedule it may follow without meeting a limit blind.
    frontier: Arc<Mutex<Frontier>>,
    /// Anything is known about a limit (a 429 was seen, or a prior given). Until then every
    /// endpoint is in slow start and asking the model would only cost a lock per request.
    limits_met: std::sync::atomic::AtomicBool,
    epoch: Instant,
}

/// Every endpoint's log and what they prove. Proving reads every log, so it is redone at most
/// every [`REFRESH_S`] (sooner after a new 429), not per request.
struct Model {
    logs: Vec<Log>,
    shared: Knowledge,
    /// Per endpoint, what its own log proves (read when the shared hypothesis fails).
    own: Vec<Knowledge>,
    hint: Option<Region>,
    /// What an earlier sync learned, shared and per endpoint.
    prior_shared: Option<Region>,
    prior_own: Vec<Option<Region>>,
    computed_at: f64,
    /// Outcomes arrived since `computed_at`; a 429 among them.
    fresh: bool,
    fresh_limit: bool,
    any_limit: bool,
    /// A proof is running (outside the lock).
    proving: bool,
    /// The endpoint exploring a wide region, and when it last asked for its pace.
    prober: Option<(Endpoint, f64)>,
}

/// A prober that has not asked for its pace this long has gone idle: another may take over.
const PROBER_IDLE_S: f64 = 0.5;

const REFRESH_S: f64 = 0.1;
const REFRESH_AFTER_429_S: f64 = 0.01;

impl Model {
    fn new(known: &KnownLimits) -> Self {
        Self {
            logs: Endpoint::ALL.iter().map(|_| Log::default()).collect(),
            shared: Knowledge::Unbounded,
            own: Endpoint::ALL.iter().map(|_| Knowledge::Unbounded).collect(),
            hint: None,
            prior_shared: known.shared.and_then(LimitRange::region),
            prior_own: Endpoint::ALL
                .iter()
                .map(|e| known.endpoints.get(e.template()).and_then(|r| r.region()))
                .collect(),
            computed_at: f64::NEG_INFINITY,
            fresh: false,
            fresh_limit: false,
            any_limit: false,
            proving: false,
            prober: None,
        }
    }

    fn resolve(&mut self, endpoint: Endpoint, ticket: u64, outcome: Outcome, at: f64) {
        if let Some(log) = self.logs.get_mut(endpoint as usize)
            && log.resolve(ticket, outcome, at)
        {
            self.fresh = true;
            if outcome == Outcome::Limited {
                self.fresh_limit = true;
                self.any_limit = true;
            }
        }
    }

    /// A proof to run outside the lock, when one is due and none is running.
    fn proof(&mut self, now: f64) -> Option<Proof> {
        let due = if self.fresh_limit {
            REFRESH_AFTER_429_S
        } else {
            REFRESH_S
        };
        if self.proving || !self.any_limit || !self.fresh || now - self.computed_at < due {
            return None;
        }
        self.proving = true;
        self.computed_at = now;
        self.fresh = false;
        self.fresh_limit = false;
        Some(Proof {
            logs: self.logs.iter().map(Log::snapshot).collect(),
            hint: self.hint,
            at_s: now,
        })
    }

    fn proved(&mut self, proved: Proved) {
        self.proving = false;
        self.shared = proved.shared;
        if let Knowledge::Bounded(region) = proved.shared {
            self.hint = Some(region);
        }
        for ((log, own), proved) in self.logs.iter_mut().zip(&mut self.own).zip(proved.own) {
            *own = proved;
            if *own == Knowledge::Contradiction {
                // Its bucket was not full when the log began (someone else's traffic): start
                // the evidence over.
                log.forget();
                *own = Knowledge::Unbounded;
            }
        }
    }

    /// Whether `endpoint` may explore a wide region now; it becomes the prober if none is
    /// active, or if it has far more work than the prober.
    fn may_probe(
        &mut self,
        endpoint: Endpoint,
        now: f64,
        work: impl Fn(Endpoint) -> usize,
    ) -> bool {
        match self.prober {
            // The endpoint with the most work learns the most from a probe (and is the one the
            // sync's length depends on).
            Some((e, seen))
                if e != endpoint
                    && now - seen < PROBER_IDLE_S
                    && !frontier::far_busier(work(endpoint), work(e)) =>
            {
                false
            }
            _ => {
                self.prober = Some((endpoint, now));
                true
            }
        }
    }

    /// What is known about `endpoint`'s limit.
    fn knowledge(&self, endpoint: Endpoint) -> Knowledge {
        let i = endpoint as usize;
        let evidence = match self.shared {
            Knowledge::Contradiction => self.own.get(i).copied().unwrap_or(Knowledge::Unbounded),
            shared => shared,
        };
        let prior = self
            .prior_own
            .get(i)
            .copied()
            .flatten()
            .or(self.prior_shared);
        known::combine(evidence, prior)
    }

    /// What this sync proved, merged with what it started from, to start the next one.
    fn known(&mut self, now: f64) -> KnownLimits {
        self.computed_at = f64::NEG_INFINITY;
        if let Some(proof) = self.proof(now) {
            self.proved(proof.run());
        }
        match self.shared {
            // Each endpoint with evidence of its own (or a limit of its own from before).
            Knowledge::Contradiction => KnownLimits {
                shared: None,
                endpoints: Endpoint::ALL
                    .iter()
                    .enumerate()
                    .filter_map(|(i, e)| {
                        let own = self.own.get(i).copied().unwrap_or(Knowledge::Unbounded);
                        let prior = self.prior_own.get(i).copied().flatten();
                        match known::combine(own, prior) {
                            Knowledge::Bounded(r) => Some((e.template().to_owned(), r.into())),
                            _ => None,
                        }
                    })
                    .collect(),
            },
            shared => KnownLimits {
                shared: match known::combine(shared, self.prior_shared) {
                    Knowledge::Bounded(r) => Some(r.into()),
                    _ => None,
                },
                endpoints: Endpoint::ALL
                    .iter()
                    .zip(&self.prior_own)
                    .filter_map(|(e, r)| Some((e.template().to_owned(), (*r)?.into())))
                    .collect(),
            },
        }
    }
}

/// Snapshots of the logs, proved without holding the model's lock.
struct Proof {
    logs: Vec<Log>,
    hint: Option<Region>,
    at_s: f64,
}

struct Proved {
    shared: Knowledge,
    /// Per endpoint, when the shared hypothesis failed (else empty).
    own: Vec<Knowledge>,
}

impl Proof {
    fn run(self) -> Proved {
        let logs: Vec<&Log> = self.logs.iter().collect();
        // Knowledge only narrows: what dropped evidence proved lives on in the last region,
        // taken as a prior just like an earlier sync's.
        let shared = known::combine(model::knowledge(&logs, self.hint), self.hint);
        tracing::debug!(at_s = self.at_s, knowledge = ?shared, "Limit model proved.");
        let own = if shared == Knowledge::Contradiction {
            logs.iter().map(|l| model::knowledge(&[l], None)).collect()
        } else {
            Vec::new()
        };
        Proved { shared, own }
    }
}

struct EndpointGate {
    paused_until_ms: AtomicU64,
    /// How long this endpoint's latest 429 made it wait.
    last_pause_ms: AtomicU64,
    /// The user's own budget (`--rpm`), fixed for the whole sync.
    budget: Option<DefaultDirectRateLimiter>,
    /// The learned pace; it changes often, so it is not a governor quota (see `pacer`).
    pacer: Mutex<Option<Pacer>>,
    learner: Mutex<Learner>,
    rate_limited: AtomicU64,
    /// Interactive requests waiting for this endpoint's rate; bulk requests defer to them.
    interactive_waiting: AtomicUsize,
    /// All requests waiting in `acquire` (where the work is, for the frontier).
    waiting: AtomicUsize,
    /// Requests in flight beyond the frontier.
    exploring: AtomicUsize,
    /// Requests in flight to this endpoint.
    in_flight: AtomicUsize,
}

/// Held while a request is in flight; dropping it frees the slot (and, if the request ended
/// without an answer the throttle heard of, records that its outcome is unknown).
pub struct Permit {
    _slot: Option<OwnedSemaphorePermit>,
    gate: Arc<EndpointGate>,
    model: Arc<Mutex<Model>>,
    epoch: Instant,
    endpoint: Endpoint,
    /// The order the request was let through in, per endpoint.
    ticket: u64,
    /// Its index in the frontier's schedule (unpaced endpoints), and whether it went beyond.
    frontier: Option<(u32, bool)>,
    /// The client reported a pass or a 429 (else dropping it records an unknown outcome).
    resolved: bool,
}

/// What the throttle learned about one endpoint.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EndpointRate {
    pub endpoint: Endpoint,
    pub learned_rpm: Option<f64>,
    pub rate_limited: u64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Throttle {
    pub fn new(config: ThrottleConfig) -> Self {
        let in_flight = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
        let model = Arc::new(Mutex::new(Model::new(&config.known)));
        let limits_met = std::sync::atomic::AtomicBool::new(!config.known.is_empty());
        let max_in_flight = config.max_in_flight.max(1);
        Self {
            inner: Arc::new(Inner {
                config,
                in_flight,
                reserved: Arc::new(Semaphore::new(RESERVED_SLOTS)),
                endpoints: DashMap::new(),
                model,
                frontier: Arc::new(Mutex::new(Frontier::new(max_in_flight))),
                limits_met,
                epoch: Instant::now(),
            }),
        }
    }

    fn gate(&self, endpoint: Endpoint) -> Arc<EndpointGate> {
        if let Some(g) = self.inner.endpoints.get(&endpoint) {
            return g.clone();
        }
        let cfg = &self.inner.config;
        let budget = cfg.rpm.map(|rpm| {
            limiter_for(Pace {
                per_sec: rpm as f64 / 60.0,
                burst: cfg.burst.max(1),
            })
        });
        self.inner
            .endpoints
            .entry(endpoint)
            .or_insert_with(|| {
                Arc::new(EndpointGate {
                    paused_until_ms: AtomicU64::new(0),
                    last_pause_ms: AtomicU64::new(cfg.default_pause.as_millis() as u64),
                    budget,
                    pacer: Mutex::new(None),
                    learner: Mutex::new(Learner::default()),
                    rate_limited: AtomicU64::new(0),
                    interactive_waiting: AtomicUsize::new(0),
                    waiting: AtomicUsize::new(0),
                    exploring: AtomicUsize::new(0),
                    in_flight: AtomicUsize::new(0),
                })
            })
            .clone()
    }

    fn now_ms(&self) -> u64 {
        self.inner.epoch.elapsed().as_millis() as u64
    }

    fn now_s(&self) -> f64 {
        self.inner.epoch.elapsed().as_secs_f64()
    }

    /// Asks the learner for `endpoint`'s pace now and installs it if it changed.
    fn repace(&self, endpoint: Endpoint, gate: &EndpointGate) {
        if !self.inner.limits_met.load(Ordering::Acquire) {
            return;
        }
        let now = self.now_s();
        let proof = lock(&self.inner.model).proof(now);
        if let Some(proof) = proof {
            let proved = proof.run();
            lock(&self.inner.model).proved(proved);
        }
        let (knowledge, first, may_probe) = {
            let mut model = lock(&self.inner.model);
            let first = model
                .logs
                .get(endpoint as usize)
                .is_some_and(Log::is_untouched);
            let knowledge = model.knowledge(endpoint);
            let may_probe = Learner::wants_to_probe(knowledge)
                && model.may_probe(endpoint, now, |e| self.load(e).work);
            (knowledge, first, may_probe)
        };
        let pause_s = gate.last_pause_ms.load(Ordering::Acquire) as f64 / 1000.0;
        let Some(pace) = lock(&gate.learner).decide(now, knowledge, pause_s, may_probe) else {
            return;
        };
        // The user's own budget stays a ceiling.
        let cfg = &self.inner.config;
        let pace = Pace {
            per_sec: pace
                .per_sec
                .min(cfg.rpm.map_or(f64::INFINITY, |r| r as f64 / 60.0))
                .max(0.01),
            // At hundreds of requests per second, timer granularity would lose a slot each time
            // a waiter wakes late: allow 10 ms worth at once.
            burst: pace.burst.max((pace.per_sec * 0.01).floor() as u32),
        };
        let mut pacer = lock(&gate.pacer);
        let current = pacer.as_ref().map(Pacer::pace);
        let same = current.is_some_and(|c| {
            c.burst == pace.burst && (c.per_sec / pace.per_sec - 1.0).abs() < 0.01
        });
        if same {
            return;
        }
        tracing::debug!(
            endpoint = endpoint.template(),
            rpm = pace.per_sec * 60.0,
            burst = pace.burst,
            "Pacing endpoint."
        );
        match pacer.as_mut() {
            Some(p) => p.set(pace, now),
            // The server's bucket may be low right now: start with one request's worth, and
            // let the rest of the burst build up only while we send slower than the pace.
            // (Before an endpoint's first request its bucket is full.)
            None => *pacer = Some(Pacer::new(pace, now, first)),
        }
        drop(pacer);
        // Paced now: the pace, not the frontier, bounds this endpoint.
        lock(&self.inner.frontier).release(endpoint);
    }

    /// Requests waiting for `endpoint`, or in flight to it, and in flight beyond the frontier.
    fn load(&self, endpoint: Endpoint) -> Load {
        let gate = self.inner.endpoints.get(&endpoint);
        let count = |f: fn(&EndpointGate) -> &AtomicUsize| {
            gate.as_ref().map_or(0, |g| f(g).load(Ordering::Acquire))
        };
        let in_flight = count(|g| &g.in_flight);
        Load {
            work: count(|g| &g.waiting) + in_flight,
            in_flight,
            exploring: count(|g| &g.exploring),
        }
    }

    /// Whether an unpaced endpoint may send now (see `frontier`): `Some((index, explored))`.
    fn admit(&self, endpoint: Endpoint, gate: &EndpointGate) -> Option<(u32, bool)> {
        let mut frontier = lock(&self.inner.frontier);
        match frontier.admit(endpoint, self.now_s(), |e| self.load(e)) {
            Admit::Wait => None,
            Admit::Within(i) => Some((i, false)),
            Admit::Explore(i) => {
                gate.exploring.fetch_add(1, Ordering::AcqRel);
                Some((i, true))
            }
        }
    }

    /// Waits until `endpoint` may send: open gate, pace or frontier, the user's budget.
    /// `Some((index, explored))` when admitted by the frontier, `None` when paced.
    async fn admitted(
        &self,
        endpoint: Endpoint,
        gate: &EndpointGate,
        priority: Priority,
    ) -> Option<(u32, bool)> {
        let frontier = loop {
            if priority == Priority::Bulk && gate.interactive_waiting.load(Ordering::Acquire) > 0 {
                tokio::time::sleep(Duration::from_millis(5) + jitter()).await;
                continue;
            }
            let now = self.now_ms();
            let until = gate.paused_until_ms.load(Ordering::Acquire);
            if until > now {
                tokio::time::sleep(Duration::from_millis(until - now)).await;
                continue;
            }
            // Poll the pace instead of awaiting a slot: a pace learned meanwhile (faster or
            // slower) must apply to requests already waiting.
            self.repace(endpoint, gate);
            let paced = lock(&gate.pacer).as_mut().map(|p| p.take(self.now_s()));
            match paced {
                Some(Err(wait_s)) => {
                    tokio::time::sleep(Duration::from_secs_f64(wait_s.min(0.025)) + jitter()).await;
                }
                // Paced: the pace is the whole answer.
                Some(Ok(())) => break None,
                None => match self.admit(endpoint, gate) {
                    Some(admitted) => break Some(admitted),
                    None => tokio::time::sleep(Duration::from_millis(1) + jitter()).await,
                },
            }
        };
        // Admitted: the user's own budget can only delay the request now, not turn it away
        // (a token taken and then refused by the frontier would be lost).
        while let Some(Err(not_until)) = gate.budget.as_ref().map(|budget| {
            if priority == Priority::Bulk && gate.interactive_waiting.load(Ordering::Acquire) > 0 {
                // Let the interactive request take the next token.
                return Err(None);
            }
            budget.check().map_err(Some)
        }) {
            let wait = not_until.map_or(Duration::from_millis(5), |n| {
                let now = governor::clock::Clock::now(&governor::clock::DefaultClock::default());
                n.wait_time_from(now).min(Duration::from_millis(25))
            });
            tokio::time::sleep(wait + jitter()).await;
        }
        frontier
    }

    /// A global in-flight slot (a reserved one too, for an interactive request).
    async fn slot(&self, priority: Priority) -> Option<OwnedSemaphorePermit> {
        // The semaphores are never closed, so this is always `Some`.
        match priority {
            Priority::Bulk => self.inner.in_flight.clone().acquire_owned().await.ok(),
            Priority::Interactive => match self.inner.in_flight.clone().try_acquire_owned() {
                Ok(slot) => Some(slot),
                Err(_) => tokio::select! {
                    s = self.inner.in_flight.clone().acquire_owned() => s.ok(),
                    s = self.inner.reserved.clone().acquire_owned() => s.ok(),
                },
            },
        }
    }

    /// Waits until `endpoint` may be called: its pause gate is open, its rate allows one more
    /// request, and a global in-flight slot is free.
    pub async fn acquire(&self, endpoint: Endpoint) -> Permit {
        self.acquire_with(endpoint, Priority::Bulk).await
    }

    /// [`Throttle::acquire`] at a priority. Interactive requests obey the same pause gate and
    /// rate (the server's limit is the server's), but bulk requests to the same endpoint let
    /// them take the next token, and they may use a reserved in-flight slot.
    pub async fn acquire_with(&self, endpoint: Endpoint, priority: Priority) -> Permit {
        let gate = self.gate(endpoint);
        // Counted as waiting until it goes (for the frontier, and for bulk requests to defer).
        let (frontier, slot) = {
            let _waiting = Counted::new(&gate.waiting);
            let _interactive = (priority == Priority::Interactive)
                .then(|| Counted::new(&gate.interactive_waiting));
            loop {
                let frontier = self.admitted(endpoint, &gate, priority).await;
                let slot = self.slot(priority).await;
                if gate.paused_until_ms.load(Ordering::Acquire) <= self.now_ms() {
                    break (frontier, slot);
                }
                // A 429 closed the gate while this waited for a slot: it would meet the same
                // empty bucket. Void the admission and ask again once the pause is over.
                if let Some((_, true)) = frontier {
                    gate.exploring.fetch_sub(1, Ordering::AcqRel);
                }
            }
        };
        let now = self.now_s();
        let ticket = lock(&self.inner.model)
            .logs
            .get_mut(endpoint as usize)
            .map_or(0, |log| log.send(now));
        if let Some((index, _)) = frontier {
            lock(&self.inner.frontier).sent(endpoint, index, now);
        }
        gate.in_flight.fetch_add(1, Ordering::AcqRel);
        Permit {
            _slot: slot,
            gate,
            model: self.inner.model.clone(),
            epoch: self.inner.epoch,
            endpoint,
            ticket,
            frontier,
            resolved: false,
        }
    }

    /// The request behind `permit` passed.
    pub fn on_success(&self, permit: &mut Permit) {
        if let Some((index, explored)) = permit.frontier {
            lock(&self.inner.frontier).passed(permit.endpoint, index, explored);
        }
        let now = self.now_s();
        lock(&self.inner.model).resolve(permit.endpoint, permit.ticket, Outcome::Passed, now);
        permit.resolved = true;
    }

    /// The request behind `permit` got a 429: close the endpoint's gate for the server's
    /// `Retry-After` (or the default pause) and record it as evidence.
    pub fn on_rate_limited(&self, permit: &mut Permit, retry_after: Option<Duration>) {
        let (gate, endpoint) = (&permit.gate, permit.endpoint);
        let now = self.now_ms();
        gate.rate_limited.fetch_add(1, Ordering::AcqRel);
        self.inner.limits_met.store(true, Ordering::Release);
        let pause = retry_after.unwrap_or(self.inner.config.default_pause);
        let pause_ms = pause.as_millis() as u64;
        gate.last_pause_ms.store(pause_ms, Ordering::Release);
        {
            let mut model = lock(&self.inner.model);
            model.resolve(
                endpoint,
                permit.ticket,
                Outcome::Limited,
                now as f64 / 1000.0,
            );
            // Its probe met the limit: the next one may come from another endpoint.
            if model.prober.is_some_and(|(e, _)| e == endpoint) {
                model.prober = None;
            }
        }
        lock(&self.inner.frontier).limited(endpoint, now as f64 / 1000.0);
        lock(&gate.learner).rate_limited((now + pause_ms) as f64 / 1000.0);
        gate.paused_until_ms
            .fetch_max(now + pause_ms, Ordering::AcqRel);
        permit.resolved = true;
    }

    /// The limits learned so far (merged with those it started from), to start the next sync.
    pub fn known_limits(&self) -> KnownLimits {
        let now = self.now_s();
        lock(&self.inner.model).known(now)
    }

    /// What was learned so far, for the summary.
    pub fn rates(&self) -> Vec<EndpointRate> {
        let mut v: Vec<_> = self
            .inner
            .endpoints
            .iter()
            .map(|e| EndpointRate {
                endpoint: *e.key(),
                learned_rpm: lock(&e.learner).pace().map(|r| r * 60.0),
                rate_limited: e.rate_limited.load(Ordering::Acquire),
            })
            .collect();
        v.sort_by_key(|r| r.endpoint);
        v
    }

    /// How long a 429 that names no `Retry-After` pauses its endpoint.
    pub fn default_pause(&self) -> Duration {
        self.inner.config.default_pause
    }

    pub fn max_in_flight(&self) -> usize {
        self.inner.config.max_in_flight
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.gate.in_flight.fetch_sub(1, Ordering::AcqRel);
        if let Some((_, true)) = self.frontier {
            self.gate.exploring.fetch_sub(1, Ordering::AcqRel);
        }
        if !self.resolved {
            let now = self.epoch.elapsed().as_secs_f64();
            lock(&self.model).resolve(self.endpoint, self.ticket, Outcome::Unknown, now);
        }
    }
}

/// Counts a request as waiting (in `counter`) until dropped.
struct Counted<'a>(&'a AtomicUsize);

impl<'a> Counted<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::AcqRel);
        Self(counter)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Up to a millisecond, so waiters polling one limiter do not wake in lockstep.
fn jitter() -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    Duration::from_micros(u64::from(nanos % 1000))
}

fn limiter_for(pace: Pace) -> DefaultDirectRateLimiter {
    let period = Duration::from_secs_f64(1.0 / pace.per_sec.max(0.001));
    let burst = NonZeroU32::new(pace.burst.max(1)).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst);
    RateLimiter::direct(quota)
}

#[cfg(test)]
mod tests {
    use super::frontier::INITIAL_WINDOW;
    use super::*;

    #[tokio::test]
    async fn a_429_closes_the_gate_for_retry_after() {
        let t = Throttle::new(ThrottleConfig::default());
        let mut first = t.acquire(Endpoint::ListGroups).await;
        t.on_rate_limited(&mut first, Some(Duration::from_millis(150)));
        drop(first);
        let started = Instant::now();
        let _p = t.acquire(Endpoint::ListGroups).await;
        assert!(started.elapsed() >= Duration::from_millis(140));
        // Other endpoints are not paused.
        let started = Instant::now();
        let _q = t.acquire(Endpoint::ListUsers).await;
        assert!(started.elapsed() < Duration::from_millis(100));
    }

    #[tokio::test]
    async fn a_request_waiting_for_a_slot_when_a_429_closes_the_gate_waits_out_the_pause() {
        let t = Throttle::new(ThrottleConfig {
            max_in_flight: 1,
            ..ThrottleConfig::default()
        });
        let e = Endpoint::ListProjectUsers;
        let mut first = t.acquire(e).await;
        let second = tokio::spawn({
            let t = t.clone();
            async move {
                drop(t.acquire(e).await);
                Instant::now()
            }
        });
        // It is admitted, and waits for the only slot.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        let limited_at = Instant::now();
        t.on_rate_limited(&mut first, Some(Duration::from_millis(150)));
        drop(first);
        let sent_at = second.await.expect("the second request's task");
        assert!(
            sent_at - limited_at >= Duration::from_millis(140),
            "went out {:?} after the 429",
            sent_at - limited_at
        );
    }

    #[tokio::test]
    async fn interactive_requests_use_a_reserved_slot_when_bulk_fills_the_cap() {
        let t = Throttle::new(ThrottleConfig {
            max_in_flight: 1,
            ..ThrottleConfig::default()
        });
        let _bulk = t.acquire(Endpoint::ListUsers).await;
        // The only shared slot is taken: bulk waits, interactive goes through at once.
        let blocked = tokio::time::timeout(
            Duration::from_millis(50),
            t.acquire(Endpoint::ListProjectUsers),
        )
        .await;
        assert!(blocked.is_err(), "bulk must wait for the shared slot");
        let fast = tokio::time::timeout(
            Duration::from_millis(50),
            t.acquire_with(Endpoint::AddProjectUser, Priority::Interactive),
        )
        .await;
        assert!(fast.is_ok(), "interactive takes a reserved slot");
    }

    #[tokio::test]
    async fn bulk_requests_defer_to_a_waiting_interactive_one() {
        let t = Throttle::new(ThrottleConfig {
            rpm: Some(600),
            ..ThrottleConfig::default()
        });
        // Spend the burst; the next token comes in ~100 ms.
        drop(t.acquire(Endpoint::ListProjectUsers).await);
        let order = Arc::new(Mutex::new(Vec::new()));
        let bulk = {
            let (t, order) = (t.clone(), order.clone());
            tokio::spawn(async move {
                drop(t.acquire(Endpoint::ListProjectUsers).await);
                order.lock().map(|mut o| o.push("bulk")).ok();
            })
        };
        tokio::task::yield_now().await;
        drop(
            t.acquire_with(Endpoint::ListProjectUsers, Priority::Interactive)
                .await,
        );
        order.lock().map(|mut o| o.push("interactive")).ok();
        bulk.await.ok();
        let order = order.lock().map(|o| o.clone()).unwrap_or_default();
        assert_eq!(order, ["interactive", "bulk"]);
    }

    #[tokio::test]
    async fn slow_start_grows_per_success_until_the_first_429() {
        let t = Throttle::new(ThrottleConfig::default());
        let e = Endpoint::ListUsers;
        let window = |t: &Throttle| lock(&t.inner.frontier).window();
        assert_eq!(window(&t), INITIAL_WINDOW);
        // The first request is inside any frontier; each pass of one sent beyond it, with
        // others in flight, widens the window.
        let mut three = Vec::new();
        for _ in 0..3 {
            three.push(t.acquire(e).await);
        }
        for p in &mut three {
            t.on_success(p);
        }
        assert_eq!(window(&t), INITIAL_WINDOW + 2);
        // Two in flight: one gets a 429, then the other's pass arrives.
        let (mut limited, mut late) = (t.acquire(e).await, t.acquire(e).await);
        t.on_rate_limited(&mut limited, Some(Duration::from_millis(1)));
        t.on_success(&mut late);
        assert_eq!(
            window(&t),
            INITIAL_WINDOW,
            "a 429 starts the slow start over, and passes after it do not widen it"
        );
    }

    #[tokio::test]
    async fn an_endpoint_follows_what_another_proved_while_that_one_explores() {
        let t = Throttle::new(ThrottleConfig::default());
        let (a, b) = (
            Endpoint::ListProjectUsers,
            Endpoint::ListProjectServiceAccounts,
        );
        // A: one request inside the frontier, then a full window beyond it.
        let mut sent = Vec::new();
        for _ in 0..=INITIAL_WINDOW {
            sent.push(t.acquire(a).await);
        }
        // A wants more: it stays the explorer.
        let more = tokio::spawn({
            let t = t.clone();
            async move { drop(t.acquire(a).await) }
        });
        tokio::task::yield_now().await;
        let _first = t.acquire(b).await;
        let blocked = tokio::time::timeout(Duration::from_millis(30), t.acquire(b)).await;
        assert!(
            blocked.is_err(),
            "B may not go beyond what is proven while A explores"
        );
        for p in &mut sent {
            t.on_success(p);
        }
        // A's passes prove a full bucket takes five at once; followed two behind, B may send
        // two more.
        for _ in 0..2 {
            tokio::time::timeout(Duration::from_millis(30), t.acquire(b))
                .await
                .expect("proven by A");
        }
        more.await.ok();
    }
}
