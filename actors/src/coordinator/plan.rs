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

impl SyncCoordinator {
    /// A list ended (read, failed or, not `read`, replayed): counts for the plan, which is made
    /// once the top-level lists have all ended.
    pub(super) fn ended(&mut self, list: Endpoint, read: bool, ctx: &mut Context<Self>) {
        if read {
            *self.ended.entry(list).or_default() += 1;
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
        if let (Some(max), None) = (self.max_duration, plan.estimate)
            && plan.requests() > 0
        {
            self.warnings.push(format!(
                "The sync could not be checked against the {} allowed: no rate limit was known when the top-level lists were read (a sync that starts from learned limits knows them).",
                crate::human::duration(max)
            ));
        }
        if let (Some(max), Some(est)) = (self.max_duration, plan.estimate)
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

    /// How long the lists not yet ended should take: at the known rates, the busiest
    /// endpoint's time; with no limit known, the pace so far.
    pub(super) fn eta(&self, left: u64) -> (Option<Duration>, Option<Endpoint>) {
        let plan = self.plan_now();
        if plan.estimate.is_some() {
            return (plan.estimate, plan.bottleneck);
        }
        let done: u64 = self.ended.values().sum();
        let elapsed = self.started.elapsed();
        let eta = (done > 0).then(|| elapsed.mul_f64(left as f64 / done as f64));
        (eta, None)
    }
}
