//! A deterministic simulation of the whole scheduler: a virtual clock, a modelled server (one
//! token bucket per endpoint, a fixed latency, 429s with or without `Retry-After`) and the
//! request shape of a crawl of a mock org, run as discrete events. It checks the figures the
//! bench reports (the ratio to T* and the 429s) in well under a second, whatever the machine.
//!
//! The org comes as a [`CrawlShape`], plain counts: the mock builds one from a generated org,
//! so the engine runs the simulation without depending on the mock.
//!
//! The crawl is the sync's own: the simulated pages reveal the facts the crawlers would, and
//! the fan-out (`crate::fanout`, the coordinator's rules) says which lists they unlock. Each
//! list is paged one request after another, its children revealed by the page that names
//! them, at most `max_in_flight` lists per crawler at once.

use crate::endpoint::Endpoint;
use crate::gcra::{Gcra, Pace};
use crate::throttle::{
    KnownLimits, Outcome, Poll, Priority, Scheduler, ThrottleConfig, Ticket, WaiterId,
};
use crawl::{List, crawl_of};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::time::Duration;

mod crawl;

pub use crawl::{CrawlShape, GroupShape, ProjectShape};

/// The modelled server.
#[derive(Clone, Copy, Debug)]
pub struct ServerModel {
    pub latency_s: f64,
    /// Per endpoint: requests per minute and burst.
    pub limit: Option<(f64, f64)>,
    pub retry_after: bool,
}

/// What a simulated crawl measured.
#[derive(Debug)]
pub struct SimReport {
    pub wall_s: f64,
    pub requests: u64,
    pub rate_limited: BTreeMap<Endpoint, u64>,
    pub minimum: BTreeMap<Endpoint, u64>,
    pub bound_s: f64,
    pub known: KnownLimits,
    /// Requests per minute each paced endpoint ended at.
    pub learned_rpm: BTreeMap<Endpoint, f64>,
}

impl SimReport {
    pub fn ratio(&self) -> f64 {
        self.wall_s / self.bound_s
    }
    pub fn total_429(&self) -> u64 {
        self.rate_limited.values().sum()
    }
    pub fn max_429(&self) -> u64 {
        self.rate_limited.values().copied().max().unwrap_or(0)
    }
}

enum Ev {
    /// A waiter looks again (its generation must still match).
    Wake(WaiterId, u64),
    /// A request's answer arrives.
    Answer(usize, Ticket, Option<f64>),
}

struct Request {
    list: List,
    page: usize,
    waiter: WaiterId,
    generation: u64,
}

struct Sim {
    core: Scheduler,
    now: f64,
    seq: u64,
    events: BinaryHeap<Reverse<(u64, u64)>>,
    payloads: HashMap<u64, Ev>,
    server: ServerModel,
    /// Checked when a request reaches the server, as the mock checks it.
    buckets: Vec<Gcra>,
    requests: Vec<Option<Request>>,
    by_waiter: HashMap<WaiterId, usize>,
    parked: Vec<VecDeque<usize>>,
    permits: Vec<bool>,
    slots: usize,
    slot_queue: VecDeque<usize>,
    /// Per crawler (endpoint): lists running, and lists waiting for a crawl slot.
    running: Vec<usize>,
    queued: Vec<VecDeque<List>>,
    max_in_flight: usize,
    default_pause: f64,
    sent: u64,
    rate_limited: BTreeMap<Endpoint, u64>,
    last_answer: f64,
}

const NS: f64 = 1e9;

impl Sim {
    fn schedule(&mut self, at: f64, ev: Ev) {
        self.seq += 1;
        // Never before `at`: a waiter woken early would be told to wait until `at` again.
        let key = (at.max(self.now) * NS).ceil() as u64;
        self.events.push(Reverse((key, self.seq)));
        self.payloads.insert(self.seq, ev);
    }

    /// The shell's `with_core`: prove when due, then wake whom the scheduler names.
    fn after_core(&mut self) {
        if let Some(proof) = self.core.proof_due(self.now) {
            let proved = proof.run();
            self.core.proved(proved);
        }
        let wake: Vec<Endpoint> = self.core.take_wake().collect();
        for e in wake {
            self.notify_one(e);
        }
    }

    fn notify_one(&mut self, e: Endpoint) {
        match self.parked[e as usize].pop_front() {
            Some(r) => {
                if let Some(req) = self.requests[r].as_mut() {
                    req.generation += 1;
                    let (w, g) = (req.waiter, req.generation);
                    self.schedule(self.now, Ev::Wake(w, g));
                }
            }
            None => self.permits[e as usize] = true,
        }
    }

    fn start_list(&mut self, list: List) {
        let e = list.endpoint as usize;
        if self.running[e] >= self.max_in_flight {
            self.queued[e].push_back(list);
            return;
        }
        self.running[e] += 1;
        self.request(list, 0);
    }

    fn request(&mut self, list: List, page: usize) {
        let waiter = self.core.enqueue(list.endpoint, Priority::Bulk);
        self.after_core();
        let r = self.requests.len();
        self.requests.push(Some(Request {
            list,
            page,
            waiter,
            generation: 0,
        }));
        self.by_waiter.insert(waiter, r);
        self.poll(r);
    }

    fn poll(&mut self, r: usize) {
        let Some(req) = self.requests[r].as_ref() else {
            return;
        };
        let (w, e) = (req.waiter, req.list.endpoint);
        let poll = self.core.poll(w, self.now);
        self.after_core();
        match poll {
            Poll::Go => {
                if self.slots > 0 {
                    self.slots -= 1;
                    self.send(r);
                } else {
                    self.slot_queue.push_back(r);
                }
            }
            Poll::At(t) => {
                self.park(r, e);
                let g = self.requests[r].as_ref().map_or(0, |q| q.generation);
                self.schedule(t, Ev::Wake(w, g));
            }
            Poll::Later => self.park(r, e),
        }
    }

    fn park(&mut self, r: usize, e: Endpoint) {
        if std::mem::take(&mut self.permits[e as usize]) {
            if let Some(req) = self.requests[r].as_mut() {
                req.generation += 1;
                let (w, g) = (req.waiter, req.generation);
                self.schedule(self.now, Ev::Wake(w, g));
            }
        } else {
            self.parked[e as usize].push_back(r);
        }
    }

    fn send(&mut self, r: usize) {
        let Some(req) = self.requests[r].as_ref() else {
            return;
        };
        let (w, e) = (req.waiter, req.list.endpoint);
        let ticket = self.core.sent(w, self.now);
        self.after_core();
        let Some(ticket) = ticket else {
            // Closed by a 429 meanwhile: the slot goes back, the request waits again.
            self.free_slot();
            self.poll(r);
            return;
        };
        self.sent += 1;
        let arrives = self.now + self.server.latency_s / 2.0;
        let retry_after = self
            .server
            .limit
            .and_then(|_| self.buckets[e as usize].take(arrives).err());
        // `Some(wait)` is a 429; the header is whole seconds, at least 1.
        let outcome = retry_after.map(|wait| wait.ceil().max(1.0));
        self.schedule(
            self.now + self.server.latency_s,
            Ev::Answer(r, ticket, outcome),
        );
    }

    fn free_slot(&mut self) {
        match self.slot_queue.pop_front() {
            Some(next) => self.send(next),
            None => self.slots += 1,
        }
    }

    fn answer(&mut self, r: usize, ticket: Ticket, limited: Option<f64>) {
        self.last_answer = self.now;
        let e = ticket.endpoint;
        match limited {
            Some(header) => {
                *self.rate_limited.entry(e).or_default() += 1;
                let pause_s = if self.server.retry_after {
                    header
                } else {
                    self.default_pause
                };
                self.core
                    .resolve(ticket, Outcome::Limited { pause_s }, self.now);
                self.after_core();
                self.free_slot();
                // The client retries through the throttle.
                let Some(req) = self.requests[r].take() else {
                    return;
                };
                self.request(req.list, req.page);
            }
            None => {
                self.core.resolve(ticket, Outcome::Passed, self.now);
                self.after_core();
                self.free_slot();
                let Some(mut req) = self.requests[r].take() else {
                    return;
                };
                let children = std::mem::take(&mut req.list.pages[req.page]);
                let last = req.page + 1 == req.list.pages.len();
                if last {
                    let e = req.list.endpoint as usize;
                    self.running[e] -= 1;
                    if let Some(next) = self.queued[e].pop_front() {
                        self.start_list(next);
                    }
                } else {
                    self.request(req.list, req.page + 1);
                }
                for c in children {
                    self.start_list(c);
                }
            }
        }
    }

    fn run(mut self, roots: Vec<List>) -> SimReport {
        for root in roots {
            self.start_list(root);
        }
        let mut steps = 0u64;
        while let Some(Reverse((key, seq))) = self.events.pop() {
            steps += 1;
            if steps > 5_000_000 {
                panic!(
                    "simulation does not converge at {} s: {} events queued",
                    self.now,
                    self.events.len()
                );
            }
            self.now = key as f64 / NS;
            match self.payloads.remove(&seq) {
                Some(Ev::Wake(w, g)) => {
                    if let Some(&r) = self.by_waiter.get(&w)
                        && self.requests[r]
                            .as_ref()
                            .is_some_and(|q| q.generation == g && q.waiter == w)
                    {
                        if let Some(p) = self.parked[self.requests[r]
                            .as_ref()
                            .map_or(0, |q| q.list.endpoint as usize)]
                        .iter()
                        .position(|x| *x == r)
                        {
                            let e = self.requests[r]
                                .as_ref()
                                .map_or(0, |q| q.list.endpoint as usize);
                            self.parked[e].remove(p);
                        }
                        self.poll(r);
                    }
                }
                Some(Ev::Answer(r, ticket, limited)) => self.answer(r, ticket, limited),
                None => {}
            }
        }
        let known = self.core.known_limits(self.now);
        let learned_rpm = Endpoint::ALL
            .iter()
            .filter_map(|e| Some((*e, self.core.learned_rpm(*e)?)))
            .collect();
        SimReport {
            wall_s: self.last_answer,
            requests: self.sent,
            rate_limited: self.rate_limited,
            minimum: BTreeMap::new(),
            bound_s: 0.0,
            known,
            learned_rpm,
        }
    }
}

/// Simulates a full crawl of `org` against `server`, starting from `known` limits, with
/// 64 requests in flight at most.
pub fn simulate(org: &CrawlShape, server: ServerModel, known: KnownLimits) -> SimReport {
    simulate_with(org, server, known, 64)
}

/// [`simulate`] with `max_in_flight` requests in flight at most.
pub fn simulate_with(
    org: &CrawlShape,
    server: ServerModel,
    known: KnownLimits,
    max_in_flight: usize,
) -> SimReport {
    let config = ThrottleConfig {
        max_in_flight,
        known,
        ..ThrottleConfig::default()
    };
    let sim = Sim {
        core: Scheduler::new(&config),
        now: 0.0,
        seq: 0,
        events: BinaryHeap::new(),
        payloads: HashMap::new(),
        server,
        buckets: Endpoint::ALL
            .iter()
            .map(|_| {
                let (rpm, burst) = server.limit.unwrap_or((60.0, 1.0));
                let pace = Pace {
                    per_sec: rpm / 60.0,
                    burst: burst as u32,
                };
                Gcra::new(pace, 0.0, true)
            })
            .collect(),
        requests: Vec::new(),
        by_waiter: HashMap::new(),
        parked: Endpoint::ALL.iter().map(|_| VecDeque::new()).collect(),
        permits: vec![false; Endpoint::ALL.len()],
        slots: max_in_flight,
        slot_queue: VecDeque::new(),
        running: vec![0; Endpoint::ALL.len()],
        queued: Endpoint::ALL.iter().map(|_| VecDeque::new()).collect(),
        max_in_flight,
        default_pause: Duration::from_secs(1).as_secs_f64(),
        sent: 0,
        rate_limited: BTreeMap::new(),
        last_answer: 0.0,
    };
    let mut report = sim.run(crawl_of(org));
    let minimum = org.minimum.clone();
    let bound_s = match server.limit {
        Some((rpm, burst)) => minimum
            .values()
            .map(|&n| (n as f64 - burst).max(0.0) / (rpm / 60.0))
            .fold(0.0, f64::max),
        None => {
            let total: u64 = minimum.values().sum();
            (org.longest_chain as f64 * server.latency_s)
                .max(total as f64 * server.latency_s / max_in_flight as f64)
        }
    };
    report.minimum = minimum;
    report.bound_s = bound_s;
    report
}
