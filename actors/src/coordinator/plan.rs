//! The plan of a sync, once its top-level lists are read: the lists left per endpoint at the
//! rates known, refused when longer than allowed; and the ETA progress shows.

use super::SyncCoordinator;
use crate::api::Endpoint;
use crate::fanout::rules;
use crate::outcome::SyncError;
use crate::plan::SyncPlan;
use actix::prelude::*;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

impl SyncCoordinator {
    /// A list ended (read, failed or, not `read`, replayed): counts for the plan, which is made
    /// once the top-level lists have all ended.
    pub(super) fn ended(&mut self, list: Endpoint, read: bool, ctx: &mut Context<Self>) {
        if read {
            *self.ended.entry(list).or_default() += 1;
        }
        if let Some(recent) = self.recent.as_mut() {
            let now = Instant::now();
            recent.push_back((now, self.ended.values().sum()));
            while recent.len() > 2 && recent.front().is_some_and(|(t, _)| now - *t > PACE_WINDOW) {
                recent.pop_front();
            }
        }
        if !rules::is_root(list) {
            return;
        }
        self.roots_done += 1;
        if self.roots_done < rules::roots().count() {
            return;
        }
        let plan = self.plan_now();
        tracing::info!(
            requests = plan.requests(),
            estimate_s = plan.estimate.map(|d| d.as_secs()),
            bottleneck = plan.bottleneck.map(Endpoint::template),
            "Plan: {}.",
            plan.describe()
        );
        // Held to a bound it can defend: the estimate when every limit was known before the
        // sync, else the time it cannot beat. A sync that fits that bound runs, and stops at
        // the deadline if it does not finish (`SyncCoordinator::started`).
        if let (Some(max), None) = (self.max_duration, plan.defended())
            && plan.requests() > 0
        {
            self.warnings.push(format!(
                "The sync could not be checked against the {} allowed: no rate limit was known when the top-level lists were read (a sync that starts from learned limits knows them).",
                crate::human::duration(max)
            ));
        }
        if let (Some(max), Some(est)) = (self.max_duration, plan.defended())
            && est > max
        {
            self.fail(
                SyncError::TooLong {
                    max,
                    plan: Box::new(plan),
                },
                ctx,
            );
            return;
        }
        self.plan = Some(plan);
        self.recent = Some(std::collections::VecDeque::from([(
            Instant::now(),
            self.ended.values().sum(),
        )]));
        for req in self.deferred.take().unwrap_or_default() {
            self.crawl(req);
        }
    }

    /// The plan for the lists not yet ended, at the rates known now.
    pub(super) fn plan_now(&self) -> SyncPlan {
        let remaining: BTreeMap<Endpoint, u64> = self
            .planned
            .iter()
            .map(|(e, n)| {
                (
                    *e,
                    n.saturating_sub(self.ended.get(e).copied().unwrap_or(0)),
                )
            })
            .collect();
        let throttle = self.client.throttle();
        SyncPlan::new(&remaining, |e| throttle.plan_rate(e))
    }

    /// How long the lists not yet ended should take: at limits known before the sync, the
    /// busiest endpoint's time; else the pace observed over the last [`PACE_WINDOW`], once
    /// there is enough of it ([`eta_from`]).
    pub(super) fn eta(&self, left: u64) -> (Option<Duration>, Option<Endpoint>) {
        let plan = self.plan_now();
        if plan.is_estimate() {
            return (plan.estimate, plan.bottleneck);
        }
        let done: u64 = self.ended.values().sum();
        let since = self
            .recent
            .as_ref()
            .and_then(|r| r.front())
            .map(|(at, done_then)| PaceSince {
                elapsed: at.elapsed(),
                done: done.saturating_sub(*done_then),
            });
        // The endpoint that most likely decides it: the busiest at the rates seen so far.
        let busiest = plan.bottleneck.or(plan.at_least_on);
        (eta_from(since, left, plan.at_least), busiest)
    }
}

/// How far back the ETA's pace looks: long enough to smooth a page's jitter, short enough
/// that the bursts after the plan (and the 429s that end them) leave it within half a minute
/// (medium at 1,200/min: the pace since the plan said 2 min 27 s with 5 min to go).
pub(super) const PACE_WINDOW: Duration = Duration::from_secs(30);

/// Lists ended over the pace's window, and the time it spans.
#[derive(Clone, Copy, Debug)]
pub(super) struct PaceSince {
    pub elapsed: Duration,
    pub done: u64,
}

/// Lists a pace must cover, and the time it must span, before it predicts: the first lists
/// after the plan go out in bursts, faster than a limit lets the rest go (an ETA of 2 s at
/// 3 s of a 13 s sync), so no ETA is better than one that undershoots.
const MIN_LISTS: u64 = 20;
const MIN_SPAN: Duration = Duration::from_secs(5);

/// The ETA from the pace observed over the window, never below what the plan defends; `None`
/// until the pace rests on [`MIN_LISTS`] lists over [`MIN_SPAN`].
pub(super) fn eta_from(
    since: Option<PaceSince>,
    left: u64,
    floor: Option<Duration>,
) -> Option<Duration> {
    let p = since?;
    if p.done < MIN_LISTS || p.elapsed < MIN_SPAN {
        return None;
    }
    let observed = p.elapsed.mul_f64(left as f64 / p.done as f64);
    Some(floor.map_or(observed, |f| observed.max(f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pace(secs: u64, done: u64) -> Option<PaceSince> {
        Some(PaceSince {
            elapsed: Duration::from_secs(secs),
            done,
        })
    }

    #[test]
    fn no_eta_before_the_pace_has_evidence_then_the_observed_pace() {
        assert_eq!(eta_from(None, 100, None), None, "before the plan");
        assert_eq!(eta_from(pace(3, 60), 40, None), None, "3 s of bursts");
        assert_eq!(eta_from(pace(10, 5), 40, None), None, "5 lists");
        assert_eq!(
            eta_from(pace(10, 40), 80, None),
            Some(Duration::from_secs(20))
        );
        // Never below the floor the plan defends.
        assert_eq!(
            eta_from(pace(10, 40), 80, Some(Duration::from_secs(60))),
            Some(Duration::from_secs(60))
        );
    }
}
