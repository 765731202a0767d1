//! The throttle's decisions: pure, synchronous, behind the throttle's one lock. Time is a
//! parameter (seconds since the throttle's epoch) everywhere, so a simulation drives it with a
//! virtual clock exactly as the async shell drives it with a real one.
//!
//! | call        | when                                   | answers                            |
//! |-------------|----------------------------------------|------------------------------------|
//! | `enqueue`   | a request wants to go                  | its `WaiterId`                     |
//! | `poll`      | the waiter wakes (first, or woken)     | `Go`, `At(time)` or `Later`        |
//! | `sent`      | a `Go` waiter got a global slot        | its `Ticket` (or `None`: wait more)|
//! | `resolve`   | the answer came (pass, 429, unknown)   | —                                  |
//! | `cancel`    | a waiter gave up before it was sent    | —                                  |
//! | `take_wake` | after any call above                   | which endpoints' waiters to wake   |
//!
//! Per endpoint, in order: a bulk request defers to a waiting interactive one; a 429's pause
//! holds everyone; a paced endpoint follows its learned pace; an unpaced one follows the
//! frontier (and goes beyond it only while it holds the election); the user's own budget
//! (`--rpm`/`--burst`, a governor limiter) is checked last, so a token is taken only by a
//! request that goes. Of the waiters that must wait for a time, only one per endpoint sleeps
//! on it (the *timed* waiter); the others wait to be woken, so a resolve wakes a handful of
//! waiters, not every one.

mod learning;

use super::ThrottleConfig;
use super::election::{Election, Load};
use super::evidence::Evidence;
use super::frontier::Frontier;
use super::learn::Learner;
use super::model::Outcome as LogOutcome;
use crate::endpoint::Endpoint;
use crate::gcra::Gcra as Pacer;
use governor::clock::{Clock, FakeRelativeClock};
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use rustc_hash::FxHashMap;
use std::num::NonZeroU32;
use std::time::Duration;

/// Who is asking, lowest first: a background reconciliation, sync traffic, or a provisioning
/// request a person is waiting on. On each endpoint a request waits while one of a higher
/// priority waits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Priority {
    Background,
    #[default]
    Bulk,
    Interactive,
}

impl Priority {
    const COUNT: usize = 3;

    fn index(self) -> usize {
        self as usize
    }
}

/// One waiting request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct WaiterId(u64);

/// What a waiter may do now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Poll {
    /// Admitted: take a global slot, then call `sent`.
    Go,
    /// Poll again at this time (or when woken, whichever is first).
    At(f64),
    /// Poll again when woken.
    Later,
}

/// A request that was sent, to resolve with its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ticket {
    pub endpoint: Endpoint,
    log: u64,
    /// Its index in the frontier's schedule (unpaced endpoints), and whether it went beyond.
    frontier: Option<(u32, bool)>,
}

/// What became of a sent request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Outcome {
    Passed,
    /// A 429; the endpoint pauses this long.
    Limited {
        pause_s: f64,
    },
    /// A 5xx, a dropped connection, a cancelled request: whether it took a token is unknown.
    Unknown,
}

/// A pace this slow (requests per second) or slower spends a proven full bucket at once.
const SLOW_PACE: f64 = 1.0;

type Budget = RateLimiter<
    NotKeyed,
    InMemoryState,
    FakeRelativeClock,
    governor::middleware::NoOpMiddleware<governor::nanos::Nanos>,
>;

#[derive(Clone, Copy, Debug)]
struct Waiter {
    endpoint: Endpoint,
    priority: Priority,
    /// Admitted (`Go`) and waiting for a global slot: its frontier admission.
    admitted: Option<Option<(u32, bool)>>,
}

struct Ep {
    waiting: usize,
    /// Of `waiting`, how many of each priority.
    waiting_by: [usize; Priority::COUNT],
    /// Admitted, waiting for a global slot.
    admitted: usize,
    in_flight: usize,
    /// In flight (or admitted) beyond the frontier.
    exploring: usize,
    /// The waiter sleeping until a time on this endpoint's behalf.
    timed: Option<WaiterId>,
    paused_until: f64,
    /// How long this endpoint's latest 429 made it wait.
    last_pause: f64,
    /// The user's own budget (`--rpm`/`--burst`), fixed for the whole run.
    budget: Option<Budget>,
    /// The learned pace; it changes often, so it is not a governor quota (see `pacer`).
    pacer: Option<Pacer>,
    learner: Learner,
}

pub(crate) struct Scheduler {
    rpm: Option<u32>,
    burst: u32,
    eps: Vec<Ep>,
    evidence: Evidence,
    frontier: Frontier,
    election: Election,
    /// Anything is known about a limit (a 429 was seen, or a prior given). Until then every
    /// endpoint follows the frontier, and asking the evidence would be wasted work.
    limits_met: bool,
    waiters: FxHashMap<WaiterId, Waiter>,
    next_waiter: u64,
    budget_clock: FakeRelativeClock,
    budget_at: f64,
    /// Endpoints whose waiters should look again (bit per endpoint).
    wake: u128,
}

impl Scheduler {
    pub(crate) fn new(config: &ThrottleConfig) -> Self {
        let budget_clock = FakeRelativeClock::default();
        let eps = Endpoint::ALL
            .iter()
            .map(|_| Ep {
                waiting: 0,
                waiting_by: [0; Priority::COUNT],
                admitted: 0,
                in_flight: 0,
                exploring: 0,
                timed: None,
                paused_until: f64::NEG_INFINITY,
                last_pause: config.default_pause.as_secs_f64(),
                budget: config.rpm.map(|rpm| {
                    RateLimiter::direct_with_clock(
                        budget_quota(rpm, config.burst),
                        budget_clock.clone(),
                    )
                }),
                pacer: None,
                learner: Learner::default(),
            })
            .collect();
        Self {
            rpm: config.rpm,
            burst: config.burst,
            eps,
            evidence: Evidence::new(&config.known),
            frontier: Frontier::new(config.max_in_flight.max(1)),
            election: Election::default(),
            limits_met: !config.known.is_empty(),
            waiters: FxHashMap::default(),
            next_waiter: 0,
            budget_clock,
            budget_at: 0.0,
            wake: 0,
        }
    }

    fn ep(&mut self, e: Endpoint) -> &mut Ep {
        &mut self.eps[e as usize]
    }

    fn load(eps: &[Ep], e: Endpoint) -> Load {
        let ep = &eps[e as usize];
        Load {
            work: ep.waiting + ep.admitted + ep.in_flight,
            waiting: ep.waiting,
            in_flight: ep.in_flight + ep.admitted,
            exploring: ep.exploring,
        }
    }

    /// A request to `endpoint` wants to go.
    pub(crate) fn enqueue(&mut self, endpoint: Endpoint, priority: Priority) -> WaiterId {
        let id = WaiterId(self.next_waiter);
        self.next_waiter += 1;
        self.waiters.insert(
            id,
            Waiter {
                endpoint,
                priority,
                admitted: None,
            },
        );
        let ep = self.ep(endpoint);
        ep.waiting += 1;
        ep.waiting_by[priority.index()] += 1;
        id
    }

    /// May waiter `w` go at `now`?
    pub(crate) fn poll(&mut self, w: WaiterId, now: f64) -> Poll {
        let Some(waiter) = self.waiters.get(&w).copied() else {
            return Poll::Later;
        };
        if waiter.admitted.is_some() {
            return Poll::Go;
        }
        let e = waiter.endpoint;
        let ep = &self.eps[e as usize];
        if ep.waiting_by[waiter.priority.index() + 1..]
            .iter()
            .any(|n| *n > 0)
        {
            return self.later(e, w);
        }
        // One waiter sleeps on the endpoint's time; one of a higher priority may take that over.
        if let Some(t) = ep.timed
            && t != w
            && self
                .waiters
                .get(&t)
                .is_none_or(|o| o.priority >= waiter.priority)
        {
            return Poll::Later;
        }
        if ep.paused_until > now {
            let until = ep.paused_until;
            return self.at(e, w, until);
        }
        self.repace(e, now);
        let admission = match self.eps[e as usize].pacer.as_ref() {
            Some(p) => match p.ready(now) {
                Ok(()) => None,
                Err(wait) => return self.at(e, w, now + wait),
            },
            None => match self.frontier_admission(e, now) {
                Ok(explored) => Some(explored),
                Err(poll) => {
                    return match poll {
                        Poll::At(t) => self.at(e, w, t),
                        _ => self.later(e, w),
                    };
                }
            },
        };
        if let Err(wait) = self.check_budget(e, now) {
            return self.at(e, w, now + wait);
        }
        // Everything agrees: commit.
        let frontier = match admission {
            None => {
                if let Some(p) = self.ep(e).pacer.as_mut() {
                    // `ready` said yes under the same lock.
                    let _ = p.take(now);
                }
                None
            }
            Some(explored) => Some((self.frontier.register(e, now), explored)),
        };
        let ep = &mut self.eps[e as usize];
        ep.waiting -= 1;
        ep.waiting_by[waiter.priority.index()] -= 1;
        ep.admitted += 1;
        if frontier.is_some_and(|(_, explored)| explored) {
            ep.exploring += 1;
        }
        if ep.timed == Some(w) {
            ep.timed = None;
        }
        // The next waiter may go too, or take over the time (bulk ones deferred to an
        // interactive one that just went).
        self.wake |= bit(e);
        if ep.waiting == 0 && self.election.holder() == Some(e) {
            // It wants nothing more beyond: the office is free for whoever waits.
            self.wake = u128::MAX;
        }
        if let Some(x) = self.waiters.get_mut(&w) {
            x.admitted = Some(frontier);
        }
        Poll::Go
    }

    fn at(&mut self, e: Endpoint, w: WaiterId, t: f64) -> Poll {
        self.ep(e).timed = Some(w);
        Poll::At(t)
    }

    fn later(&mut self, e: Endpoint, w: WaiterId) -> Poll {
        let ep = self.ep(e);
        if ep.timed == Some(w) {
            ep.timed = None;
        }
        Poll::Later
    }

    /// An unpaced endpoint: inside the frontier, alone in flight, or beyond it while holding
    /// the election (`Ok(explored)`); else when to look again.
    fn frontier_admission(&mut self, e: Endpoint, now: f64) -> Result<bool, Poll> {
        if self.frontier.within(e, now) {
            return Ok(false);
        }
        let mine = Self::load(&self.eps, e);
        if mine.in_flight == 0 && self.election.holder() != Some(e) {
            // Alone in flight, a request meets the limit at most once.
            return Ok(false);
        }
        if self.frontier.quiet(now) {
            return Err(Poll::At(self.frontier.quiet_until()));
        }
        let eps = &self.eps;
        if !self.election.claim(e, |x| Self::load(eps, x)) {
            return Err(Poll::Later);
        }
        if mine.exploring < self.frontier.window() {
            Ok(true)
        } else {
            Err(Poll::Later)
        }
    }

    /// The user's budget, if any: a token, or how long until one.
    fn check_budget(&mut self, e: Endpoint, now: f64) -> Result<(), f64> {
        if self.eps[e as usize].budget.is_none() {
            return Ok(());
        }
        if now > self.budget_at {
            self.budget_clock
                .advance(Duration::from_secs_f64(now - self.budget_at));
            self.budget_at = now;
        }
        let clock_now = self.budget_clock.now();
        match self.eps[e as usize].budget.as_ref().map(|b| b.check()) {
            Some(Err(not_until)) => Err(not_until.wait_time_from(clock_now).as_secs_f64()),
            _ => Ok(()),
        }
    }

    /// Waiter `w` (admitted) got a global slot at `now`: it is sent, unless a 429 closed its
    /// endpoint meanwhile (it would meet the same empty bucket): then it waits again.
    pub(crate) fn sent(&mut self, w: WaiterId, now: f64) -> Option<Ticket> {
        let waiter = self.waiters.get(&w).copied()?;
        let frontier = waiter.admitted?;
        let e = waiter.endpoint;
        let ep = self.ep(e);
        ep.admitted -= 1;
        if ep.paused_until > now {
            ep.waiting += 1;
            ep.waiting_by[waiter.priority.index()] += 1;
            if frontier.is_some_and(|(_, explored)| explored) {
                ep.exploring -= 1;
            }
            if let Some(x) = self.waiters.get_mut(&w) {
                x.admitted = None;
            }
            return None;
        }
        ep.in_flight += 1;
        self.waiters.remove(&w);
        let log = self.evidence.send(e, now);
        if let Some((index, _)) = frontier {
            self.frontier.sent(e, index, now);
        }
        Some(Ticket {
            endpoint: e,
            log,
            frontier,
        })
    }

    /// A request to `e` that goes now or not at all, and only where the throttle's own rules
    /// would let one more request go without raising the endpoint's risk of a 429 (a hedge):
    /// no pause holds `e`; paced, its pace has a token now that no waiter is waiting for;
    /// unpaced, it is inside the frontier (what passes proved safe) or `e` holds the election
    /// and its slow-start window has room (the hedge takes a place in the window a regular
    /// request would otherwise take, so `e` sends no faster than without it). It never claims
    /// the election, and the user's `--rpm` budget is checked as for any request.
    pub(crate) fn spare(&mut self, e: Endpoint, now: f64) -> Option<Ticket> {
        let ep = &self.eps[e as usize];
        if ep.paused_until > now || ep.waiting_by[Priority::Interactive.index()] > 0 {
            return None;
        }
        let room = match ep.pacer.as_ref() {
            Some(p) => ep.waiting == 0 && p.ready(now).is_ok(),
            None => {
                self.frontier.within(e, now)
                    || (self.election.holder() == Some(e)
                        && !self.frontier.quiet(now)
                        && ep.exploring < self.frontier.window())
            }
        };
        if !room {
            return None;
        }
        let id = self.enqueue(e, Priority::Bulk);
        match self.poll(id, now) {
            Poll::Go => self.sent(id, now).or_else(|| {
                self.cancel(id);
                None
            }),
            _ => {
                self.cancel(id);
                None
            }
        }
    }

    /// Waiter `w` gave up (its request was dropped) before it was sent.
    pub(crate) fn cancel(&mut self, w: WaiterId) {
        let Some(waiter) = self.waiters.remove(&w) else {
            return;
        };
        let e = waiter.endpoint;
        let ep = self.ep(e);
        match waiter.admitted {
            Some(frontier) => {
                ep.admitted -= 1;
                if frontier.is_some_and(|(_, explored)| explored) {
                    ep.exploring -= 1;
                }
            }
            None => {
                ep.waiting -= 1;
                ep.waiting_by[waiter.priority.index()] -= 1;
            }
        }
        if ep.timed == Some(w) {
            ep.timed = None;
        }
        self.wake = u128::MAX;
    }

    /// The request behind `t` got its answer at `now`.
    pub(crate) fn resolve(&mut self, t: Ticket, outcome: Outcome, now: f64) {
        let e = t.endpoint;
        let explored = t.frontier.is_some_and(|(_, x)| x);
        let ep = self.ep(e);
        ep.in_flight -= 1;
        if explored {
            ep.exploring -= 1;
        }
        match outcome {
            Outcome::Passed => {
                if let Some((index, explored)) = t.frontier {
                    self.frontier.passed(e, index, explored);
                }
                self.evidence.resolve(e, t.log, LogOutcome::Passed, now);
            }
            Outcome::Limited { pause_s } => {
                self.limits_met = true;
                let ep = self.ep(e);
                ep.last_pause = pause_s;
                ep.learner.rate_limited(now + pause_s);
                ep.paused_until = ep.paused_until.max(now + pause_s);
                if let Some(p) = ep.pacer.as_mut() {
                    p.forget_credit();
                }
                self.evidence.resolve(e, t.log, LogOutcome::Limited, now);
                // It met the limit: the next one to meet an unknown limit may be another.
                self.election.release(e);
                self.frontier.limited(now);
            }
            Outcome::Unknown => self.evidence.resolve(e, t.log, LogOutcome::Unknown, now),
        }
        // What this proves, and the slot it freed, may let any endpoint's waiters go.
        self.wake = u128::MAX;
    }

    /// Which endpoints' waiters should look again, since the last call.
    pub(crate) fn take_wake(&mut self) -> impl Iterator<Item = Endpoint> + '_ {
        let wake = std::mem::take(&mut self.wake);
        Endpoint::ALL.iter().copied().filter(move |e| {
            wake & bit(*e) != 0 && {
                let ep = &self.eps[*e as usize];
                ep.waiting > 0
            }
        })
    }

    /// Requests waiting or in flight, per endpoint (for tests and progress).
    #[cfg(test)]
    pub(crate) fn work(&self, e: Endpoint) -> usize {
        Self::load(&self.eps, e).work
    }

    #[cfg(test)]
    pub(crate) fn window(&self) -> usize {
        self.frontier.window()
    }
}

const _: () = assert!(Endpoint::ALL.len() <= 128, "the wake set is a u128");

fn bit(e: Endpoint) -> u128 {
    1u128 << (e as usize)
}

fn budget_quota(rpm: u32, burst: u32) -> Quota {
    let period = Duration::from_secs_f64(60.0 / f64::from(rpm.max(1)));
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN))
}
