//! The shared throttle (DESIGN §3): which request may go now, over every endpoint.
//!
//! The Admin API limits each endpoint separately and sends no rate-limit headers, so limits
//! are learned. The decisions are a pure, synchronous [`scheduler::Scheduler`] behind one lock;
//! this module is its thin async shell. A request:
//!
//! 1. `enqueue`s and `poll`s the scheduler: `Go`, or wait until a time, or until woken;
//! 2. takes a global in-flight slot (a [`Semaphore`]; interactive requests may use
//!    [`RESERVED_SLOTS`] more), and tells the scheduler it is `sent`;
//! 3. is `resolve`d with its outcome (pass, 429, unknown) through its [`Permit`].
//!
//! After each of these the scheduler says whose waiters might go now, and only those are woken
//! (one per endpoint; a waiter that goes wakes the next). Nothing polls on a timer. Time is
//! tokio's clock, so a paused runtime runs the throttle in virtual time.
//!
//! | file          | holds                                                             |
//! |---------------|-------------------------------------------------------------------|
//! | `scheduler`   | the decisions: pause gates, pace or frontier, the user's budget   |
//! | `evidence`    | every endpoint's log and what it proves about the limits          |
//! | `model`       | the token-bucket model of a limit and its feasible region         |
//! | `frontier`    | before any 429: what every endpoint's passes prove safe           |
//! | `election`    | the one endpoint at a time that meets an unknown limit            |
//! | `learn`       | a pace from what is known (ramp while bracketed, hold once pinned)|
//! | `known`       | limits carried from one sync to the next                          |
//!
//! Learned paces are kept as `crate::gcra::Gcra` (an adjustable GCRA).

mod election;
mod evidence;
mod frontier;
mod known;
mod learn;
mod model;
mod scheduler;

#[cfg(test)]
mod tests;

pub use known::{KnownLimits, LimitRange};
pub use scheduler::Priority;
/// For the simulation (`crate::sim`), which drives the scheduler in virtual time.
pub(crate) use scheduler::{Outcome, Poll, Scheduler, Ticket, WaiterId};

use crate::endpoint::Endpoint;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

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

/// In-flight slots kept free of bulk traffic for interactive requests.
const RESERVED_SLOTS: usize = 2;

/// Cheap to clone; shared by every crawler and the provisioner.
#[derive(Clone)]
pub struct Throttle {
    shared: Arc<Shared>,
}

struct Shared {
    config: ThrottleConfig,
    core: Mutex<Scheduler>,
    /// Per endpoint: its waiters wait here to be woken.
    wakers: Vec<Notify>,
    in_flight: Arc<Semaphore>,
    /// Only interactive requests use these, when `in_flight` has no free slot.
    reserved: Arc<Semaphore>,
    epoch: Instant,
}

/// What the throttle learned about one endpoint.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EndpointRate {
    pub endpoint: Endpoint,
    pub learned_rpm: Option<f64>,
}

/// Held while a request is in flight; dropping it frees the slot (and, if the request ended
/// without an answer the throttle heard of, records that its outcome is unknown).
pub struct Permit {
    shared: Arc<Shared>,
    ticket: Option<Ticket>,
    _slot: Option<OwnedSemaphorePermit>,
}

impl Shared {
    fn now(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64()
    }

    fn core(&self) -> MutexGuard<'_, Scheduler> {
        self.core
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` on the scheduler, then wakes the waiters it says may go now.
    fn with_core<T>(&self, f: impl FnOnce(&mut Scheduler, f64) -> T) -> T {
        let now = self.now();
        let mut core = self.core();
        // Proving reads every log: outside the lock, on a snapshot, at most every 100 ms.
        if let Some(proof) = core.proof_due(now) {
            drop(core);
            let proved = proof.run();
            core = self.core();
            core.proved(proved);
        }
        let out = f(&mut core, now);
        let wake: Vec<Endpoint> = core.take_wake().collect();
        drop(core);
        for e in wake {
            if let Some(n) = self.wakers.get(e as usize) {
                n.notify_one();
            }
        }
        out
    }

    fn resolve(&self, ticket: Ticket, outcome: Outcome) {
        self.with_core(|core, now| core.resolve(ticket, outcome, now));
    }
}

/// Takes a waiter out of the scheduler if its request is dropped before it was sent.
struct Waiting<'a> {
    shared: &'a Shared,
    id: Option<WaiterId>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            self.shared.with_core(|core, _| core.cancel(id));
        }
    }
}

impl Throttle {
    pub fn new(config: ThrottleConfig) -> Self {
        let max_in_flight = config.max_in_flight.max(1);
        Self {
            shared: Arc::new(Shared {
                core: Mutex::new(Scheduler::new(&config)),
                wakers: Endpoint::ALL.iter().map(|_| Notify::new()).collect(),
                in_flight: Arc::new(Semaphore::new(max_in_flight)),
                reserved: Arc::new(Semaphore::new(RESERVED_SLOTS)),
                epoch: Instant::now(),
                config,
            }),
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
        let shared = &self.shared;
        let id = shared.with_core(|core, _| core.enqueue(endpoint, priority));
        let mut waiting = Waiting {
            shared,
            id: Some(id),
        };
        let Some(waker) = shared.wakers.get(endpoint as usize) else {
            return self.unthrottled();
        };
        loop {
            let notified = waker.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match shared.with_core(|core, now| core.poll(id, now)) {
                Poll::Go => {
                    let slot = self.slot(priority).await;
                    if let Some(ticket) = shared.with_core(|core, now| core.sent(id, now)) {
                        waiting.id = None;
                        return Permit {
                            shared: shared.clone(),
                            ticket: Some(ticket),
                            _slot: slot,
                        };
                    }
                    // A 429 closed the endpoint while it waited for the slot: wait again.
                }
                Poll::At(t) => {
                    // A nanosecond late, never early: woken before `t`, a waiter would be told
                    // to wait until `t` again (and on a paused clock, forever).
                    let at = shared.epoch
                        + Duration::from_secs_f64(t.max(0.0))
                        + Duration::from_nanos(1);
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = &mut notified => {}
                    }
                }
                Poll::Later => notified.await,
            }
        }
    }

    /// A permit for a request that must not wait or take anyone's turn (a hedge): `slot` is a
    /// global in-flight slot the caller already holds (see [`Throttle::spare_slot`]); `None`
    /// unless `endpoint`'s budget has room now (see `Scheduler::spare`).
    pub fn try_spare(&self, endpoint: Endpoint, slot: OwnedSemaphorePermit) -> Option<Permit> {
        let ticket = self
            .shared
            .with_core(|core, now| core.spare(endpoint, now))?;
        Some(Permit {
            shared: self.shared.clone(),
            ticket: Some(ticket),
            _slot: Some(slot),
        })
    }

    /// Waits for a global in-flight slot, queued fairly behind every request already waiting
    /// for one (a hedge takes a slot only in its turn).
    pub async fn spare_slot(&self) -> Option<OwnedSemaphorePermit> {
        self.shared.in_flight.clone().acquire_owned().await.ok()
    }

    /// A permit that records nothing (an endpoint the throttle has no state for: cannot happen
    /// with a closed `Endpoint` enum, but a handler must not panic).
    fn unthrottled(&self) -> Permit {
        Permit {
            shared: self.shared.clone(),
            ticket: None,
            _slot: None,
        }
    }

    /// A global in-flight slot (a reserved one too, for an interactive request).
    async fn slot(&self, priority: Priority) -> Option<OwnedSemaphorePermit> {
        let s = &self.shared;
        // The semaphores are never closed, so this is always `Some`.
        match priority {
            Priority::Background | Priority::Bulk => s.in_flight.clone().acquire_owned().await.ok(),
            Priority::Interactive => match s.in_flight.clone().try_acquire_owned() {
                Ok(slot) => Some(slot),
                Err(_) => tokio::select! {
                    s = s.in_flight.clone().acquire_owned() => s.ok(),
                    s = s.reserved.clone().acquire_owned() => s.ok(),
                },
            },
        }
    }

    /// The request behind `permit` passed.
    pub fn on_success(&self, permit: &mut Permit) {
        if let Some(t) = permit.ticket.take() {
            self.shared.resolve(t, Outcome::Passed);
        }
    }

    /// The request behind `permit` got a 429: close the endpoint's gate for `pause` (the
    /// server's `Retry-After`, capped by the caller; else the default pause) and record it as
    /// evidence.
    pub fn on_rate_limited(&self, permit: &mut Permit, pause: Option<Duration>) {
        if let Some(t) = permit.ticket.take() {
            let pause_s = pause
                .unwrap_or(self.shared.config.default_pause)
                .as_secs_f64();
            self.shared.resolve(t, Outcome::Limited { pause_s });
        }
    }

    /// The limits learned so far (merged with those it started from), to start the next sync.
    pub fn known_limits(&self) -> KnownLimits {
        self.shared.with_core(|core, now| core.known_limits(now))
    }

    /// What was learned so far, for the summary.
    pub fn rates(&self) -> Vec<EndpointRate> {
        let core = self.shared.core();
        Endpoint::ALL
            .iter()
            .filter_map(|e| {
                core.learned_rpm(*e).map(|rpm| EndpointRate {
                    endpoint: *e,
                    learned_rpm: Some(rpm),
                })
            })
            .collect()
    }

    /// The rate to plan `e`'s remaining requests at, if any limit is known or configured.
    pub fn plan_rate(&self, e: Endpoint) -> Option<crate::plan::PlanRate> {
        self.shared.core().plan_rate(e)
    }

    /// How long a 429 that names no `Retry-After` pauses its endpoint.
    pub fn default_pause(&self) -> Duration {
        self.shared.config.default_pause
    }

    pub fn max_in_flight(&self) -> usize {
        self.shared.config.max_in_flight
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(t) = self.ticket.take() {
            self.shared.resolve(t, Outcome::Unknown);
        }
    }
}
