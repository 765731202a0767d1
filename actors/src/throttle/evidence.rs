//! The evidence: every endpoint's log of requests and outcomes, and what they prove about the
//! server's limits, under the hypothesis that every endpoint shares one policy (so one
//! endpoint's 429s teach the others), or, when that is contradicted, per endpoint.
//!
//! Proving reads every log, so it is redone at most every [`REFRESH_S`] (sooner after a new
//! 429), on a snapshot the caller proves outside its lock ([`Evidence::proof`], then
//! [`Evidence::proved`]). Pure: times are seconds passed in.

use super::known::{self, KnownLimits, LimitRange};
use super::model::{self, Knowledge, Log, Outcome, Region};
use crate::endpoint::Endpoint;

/// Every endpoint's log and what they prove. Proving reads every log, so it is redone at most
/// every [`REFRESH_S`] (sooner after a new 429), not per request.
pub(super) struct Evidence {
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
}

const REFRESH_S: f64 = 0.1;
const REFRESH_AFTER_429_S: f64 = 0.01;

impl Evidence {
    pub(super) fn new(known: &KnownLimits) -> Self {
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
        }
    }

    /// Records a request to `endpoint` sent at `at`; returns its ticket in that log.
    pub(super) fn send(&mut self, endpoint: Endpoint, at: f64) -> u64 {
        self.logs
            .get_mut(endpoint as usize)
            .map_or(0, |log| log.send(at))
    }

    /// No request to `endpoint` was ever sent (its bucket is full).
    pub(super) fn untouched(&self, endpoint: Endpoint) -> bool {
        self.logs
            .get(endpoint as usize)
            .is_some_and(Log::is_untouched)
    }

    pub(super) fn resolve(&mut self, endpoint: Endpoint, ticket: u64, outcome: Outcome, at: f64) {
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
    pub(super) fn proof(&mut self, now: f64) -> Option<Proof> {
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

    pub(super) fn proved(&mut self, proved: Proved) {
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

    /// What is known about `endpoint`'s limit.
    /// Whether `endpoint`'s limit was known before this sync (from an earlier sync's state or
    /// limits file): a plan at that rate rests on more than this sync's first 429s.
    pub(super) fn carried(&self, endpoint: Endpoint) -> bool {
        self.prior_own
            .get(endpoint as usize)
            .copied()
            .flatten()
            .or(self.prior_shared)
            .is_some()
    }

    pub(super) fn knowledge(&self, endpoint: Endpoint) -> Knowledge {
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
    pub(super) fn known(&mut self, now: f64) -> KnownLimits {
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

/// Snapshots of the logs, proved without holding the scheduler's lock.
pub(crate) struct Proof {
    logs: Vec<Log>,
    hint: Option<Region>,
    at_s: f64,
}

pub(crate) struct Proved {
    shared: Knowledge,
    /// Per endpoint, when the shared hypothesis failed (else empty).
    own: Vec<Knowledge>,
}

impl Proof {
    pub(crate) fn run(self) -> Proved {
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
