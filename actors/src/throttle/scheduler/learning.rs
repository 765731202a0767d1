//! What the scheduler learns and tells: the evidence's proofs, each endpoint's pace as the
//! evidence allows it, and the rates the plan and the state read back. The admission of
//! requests (`mod.rs`) asks for a new pace after every answer.

use super::{SLOW_PACE, Scheduler};
use crate::endpoint::Endpoint;
use crate::gcra::Gcra as Pacer;
use crate::plan::{PlanRate, RateSource};
use crate::throttle::evidence::{Proof, Proved};
use crate::throttle::known::KnownLimits;
use crate::throttle::learn::{Learner, Pace};
use crate::throttle::model::Knowledge;

impl Scheduler {
    /// A proof of the evidence to run outside the lock, when one is due.
    pub(crate) fn proof_due(&mut self, now: f64) -> Option<Proof> {
        if !self.limits_met {
            return None;
        }
        self.evidence.proof(now)
    }

    pub(crate) fn proved(&mut self, proved: Proved) {
        self.evidence.proved(proved);
        self.wake = u128::MAX;
    }

    /// Asks the learner for `e`'s pace now and installs it if it changed.
    pub(super) fn repace(&mut self, e: Endpoint, now: f64) {
        if !self.limits_met {
            return;
        }
        let knowledge = self.evidence.knowledge(e);
        let eps = &self.eps;
        let may_probe =
            Learner::wants_to_probe(knowledge) && self.election.claim(e, |x| Self::load(eps, x));
        let first = self.evidence.untouched(e);
        let ep = &mut self.eps[e as usize];
        let Some(pace) = ep.learner.decide(now, knowledge, ep.last_pause, may_probe) else {
            return;
        };
        if !may_probe && knowledge != Knowledge::Unbounded {
            // Paced under what is known: the pace, not the frontier, bounds it, and it meets
            // no unknown limit.
            self.election.release(e);
        }
        let pace = Pace {
            per_sec: pace
                .per_sec
                .min(self.rpm.map_or(f64::INFINITY, |r| f64::from(r) / 60.0))
                .max(0.01),
            // At hundreds of requests per second, timer granularity would lose a slot each time
            // a waiter wakes late: allow 10 ms worth at once.
            burst: pace.burst.max((pace.per_sec * 0.01).floor() as u32),
        };
        let ep = &mut self.eps[e as usize];
        let same = ep.pacer.as_ref().map(Pacer::pace).is_some_and(|c| {
            c.burst == pace.burst && (c.per_sec / pace.per_sec - 1.0).abs() < 0.01
        });
        if same {
            return;
        }
        tracing::debug!(
            endpoint = e.template(),
            rpm = pace.per_sec * 60.0,
            burst = pace.burst,
            "Pacing endpoint."
        );
        match ep.pacer.as_mut() {
            Some(p) => p.set(pace, now),
            // The server's bucket may be low right now: start with one request's worth, and
            // let the rest of the burst build up only while we send slower than the pace.
            // (Before an endpoint's first request its bucket is full.)
            None => {
                let mut pacer = Pacer::new(pace, now, first);
                if let (true, Knowledge::Bounded(region)) = (first, knowledge)
                    && pace.per_sec <= SLOW_PACE
                {
                    // Before its first request an endpoint's bucket is full, and the evidence
                    // proved how large it is at least. At a slow pace each of its tokens is
                    // worth seconds and timing jitter is nothing against the interval, so it
                    // is spent at once; at a fast pace the tokens left in the bucket are the
                    // slack that absorbs jitter and the model's error.
                    // (`b_min` comes out of a search a hair under the integer it proves.)
                    pacer = pacer.with_full_bucket((region.b_min + 1e-3).floor() as u32);
                }
                ep.pacer = Some(pacer);
            }
        }
    }

    /// The limits learned so far (merged with those it started from).
    pub(crate) fn known_limits(&mut self, now: f64) -> KnownLimits {
        self.evidence.known(now)
    }

    /// Requests per minute each endpoint is paced at, if paced.
    pub(crate) fn learned_rpm(&self, e: Endpoint) -> Option<f64> {
        self.eps[e as usize].learner.pace().map(|r| r * 60.0)
    }

    /// The rate to plan `e`'s remaining requests at: the user's budget or what the evidence
    /// proves (the pace if paced, else the slowest rate it allows), whichever is slower. A
    /// bucket already drawn on is planned as empty.
    pub(crate) fn plan_rate(&self, e: Endpoint) -> Option<PlanRate> {
        // A configured budget is a cap: requests never go faster, the server may be slower.
        let configured = self.rpm.map(|rpm| PlanRate {
            per_sec: f64::from(rpm) / 60.0,
            burst: f64::from(self.burst),
            source: RateSource::Configured,
            max_per_sec: f64::from(rpm) / 60.0,
            proven: false,
        });
        let known = match self.evidence.knowledge(e) {
            Knowledge::Bounded(r) => Some(PlanRate {
                per_sec: self.eps[e as usize].learner.pace().unwrap_or(r.r_min),
                burst: r.b_min.floor(),
                source: RateSource::Known,
                max_per_sec: r.r_max.max(r.r_min),
                proven: self.evidence.carried(e),
            }),
            _ => None,
        };
        let slower = match (configured, known) {
            (Some(c), Some(k)) => Some(PlanRate {
                // The fastest either allows, and proven when the server's limit is.
                max_per_sec: c.max_per_sec.min(k.max_per_sec),
                proven: k.proven,
                ..if k.per_sec < c.per_sec { k } else { c }
            }),
            (c, k) => c.or(k),
        };
        slower.map(|mut r| {
            if !self.evidence.untouched(e) {
                r.burst = 0.0;
            }
            r
        })
    }
}
