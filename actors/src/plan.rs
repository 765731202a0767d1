//! The request plan: once the top-level lists are read, how many requests each endpoint still
//! needs and, at the rate known for it, how long that takes. Under the real API's limits a
//! full sync can take hours; this says so before it starts, and `--max-duration` refuses a sync
//! whose plan is longer.
//!
//! Pure: the counts and rates come in, the plan goes out.

use crate::endpoint::Endpoint;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Where an endpoint's rate comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateSource {
    /// The user's own budget (`--rpm`).
    Configured,
    /// Learned: from 429s met so far, or from an earlier sync (`--state`, `--limits-file`).
    Known,
}

/// A rate to plan with: requests per second, the burst a full bucket allows at once, and its
/// source.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PlanRate {
    pub per_sec: f64,
    pub burst: f64,
    pub source: RateSource,
    /// The fastest rate the evidence allows: a configured budget itself (requests never go
    /// faster), a learned limit the top of the range its 429s leave open. Times at this rate
    /// are a bound a plan can defend.
    pub max_per_sec: f64,
    /// Known before this sync planned (an earlier sync's state or limits file): a time at
    /// `per_sec` is then an estimate. A rate from this sync's first 429s, or a configured cap
    /// below a server limit nobody has seen, is too little evidence for one.
    pub proven: bool,
}

/// One endpoint's part of the plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlannedEndpoint {
    /// Requests still to make: one per list not yet read (lists of more than one page make
    /// it more, so this is a floor).
    pub requests: u64,
    /// Requests per minute it is planned at; `None` when no limit is known (only latency
    /// bounds it).
    pub rpm: Option<f64>,
    pub source: Option<RateSource>,
    /// How long its requests take at that rate, after the burst.
    #[serde(serialize_with = "seconds")]
    pub time: Option<Duration>,
    /// The fastest rate the evidence allows, in requests per minute.
    pub max_rpm: Option<f64>,
    /// How long they take at least: at that rate.
    #[serde(serialize_with = "seconds")]
    pub at_least: Option<Duration>,
    /// Whether `time` rests on a limit known before this sync (see [`PlanRate::proven`]).
    pub proven: bool,
}

/// The plan of a sync.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SyncPlan {
    /// Keyed by template (`GET /organization/users/{user_id}/roles`), as the summary's
    /// request counts are.
    #[serde(serialize_with = "by_template")]
    pub endpoints: BTreeMap<Endpoint, PlannedEndpoint>,
    /// The longest endpoint's time: endpoints run side by side, each at its own limit.
    #[serde(serialize_with = "seconds")]
    pub estimate: Option<Duration>,
    /// The endpoint that time comes from.
    #[serde(serialize_with = "template")]
    pub bottleneck: Option<Endpoint>,
    /// Whether `estimate` is one: every endpoint with requests to go has a limit known before
    /// this sync. Otherwise only `at_least` is defended, and the rest depends on limits not
    /// yet known.
    pub proven: bool,
    /// The longest endpoint's time at the fastest rates the evidence allows (endpoints with no
    /// known limit count as instant): the sync cannot be shorter.
    #[serde(serialize_with = "seconds")]
    pub at_least: Option<Duration>,
    /// The endpoint `at_least` comes from.
    #[serde(serialize_with = "template")]
    pub at_least_on: Option<Endpoint>,
}

fn by_template<S: serde::Serializer>(
    m: &BTreeMap<Endpoint, PlannedEndpoint>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(m.iter().map(|(e, p)| (e.template(), p)))
}

pub(crate) fn template<S: serde::Serializer>(
    e: &Option<Endpoint>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match e {
        Some(e) => s.serialize_some(e.template()),
        None => s.serialize_none(),
    }
}

pub(crate) fn seconds<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&(d.as_secs_f64().round() as u64)),
        None => s.serialize_none(),
    }
}

impl SyncPlan {
    /// The plan for `remaining` requests per endpoint at the rates `rate` knows.
    pub fn new(
        remaining: &BTreeMap<Endpoint, u64>,
        rate: impl Fn(Endpoint) -> Option<PlanRate>,
    ) -> Self {
        let endpoints: BTreeMap<Endpoint, PlannedEndpoint> = remaining
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(e, &n)| {
                let r = rate(*e);
                let at = |per_sec: f64, burst: f64| {
                    let after_burst = (n as f64 - burst).max(0.0);
                    Duration::from_secs_f64(after_burst / per_sec.max(1e-6))
                };
                (
                    *e,
                    PlannedEndpoint {
                        requests: n,
                        rpm: r.map(|r| r.per_sec * 60.0),
                        source: r.map(|r| r.source),
                        time: r.map(|r| at(r.per_sec, r.burst)),
                        max_rpm: r.map(|r| r.max_per_sec.max(r.per_sec) * 60.0),
                        at_least: r.map(|r| at(r.max_per_sec.max(r.per_sec), r.burst)),
                        proven: r.is_some_and(|r| r.proven),
                    },
                )
            })
            .collect();
        let longest = |f: fn(&PlannedEndpoint) -> Option<Duration>| {
            endpoints
                .iter()
                .filter_map(|(e, p)| Some((*e, f(p)?, p.requests)))
                .max_by_key(|(_, t, n)| (*t, *n))
        };
        let bottleneck = longest(|p| p.time);
        let floor = longest(|p| p.at_least);
        Self {
            estimate: bottleneck.map(|(_, t, _)| t),
            bottleneck: bottleneck.map(|(e, _, _)| e),
            proven: endpoints.values().all(|p| p.proven),
            at_least: floor.map(|(_, t, _)| t),
            at_least_on: floor.map(|(e, _, _)| e),
            endpoints,
        }
    }

    /// The time `--max-duration` can hold the sync to before it runs: the estimate when it is
    /// one, else the time the sync cannot beat.
    pub fn defended(&self) -> Option<Duration> {
        if self.proven {
            self.estimate
        } else {
            self.at_least
        }
    }

    /// How much evidence the plan has, for the progress ETA: an estimate when proven.
    pub fn is_estimate(&self) -> bool {
        self.proven && self.estimate.is_some()
    }

    pub fn requests(&self) -> u64 {
        self.endpoints.values().map(|p| p.requests).sum()
    }

    /// One line a person reads: `4,447 requests; about 3 h 20 min at 10/min on GET /…` when
    /// every limit was known before the sync; else only what the evidence defends, `at least
    /// …`, and that the rest depends on limits not yet known.
    pub fn describe(&self) -> String {
        let n = self.requests();
        let on = |e: Option<Endpoint>| e.and_then(|e| Some((e, self.endpoints.get(&e)?)));
        if self.proven
            && let (Some(t), Some((e, p))) = (self.estimate, on(self.bottleneck))
        {
            return format!(
                "{n} requests to go; about {} at {:.1} requests/min on {}, the busiest endpoint",
                crate::human::duration(t),
                p.rpm.unwrap_or(0.0),
                e.template()
            );
        }
        match (self.at_least, on(self.at_least_on)) {
            (Some(t), Some((e, p))) => format!(
                "{n} requests to go; at least {} at {:.1} requests/min on {}, the busiest \
                 endpoint; the rest depends on rate limits not known before this sync",
                crate::human::duration(t),
                p.max_rpm.unwrap_or(0.0),
                e.template()
            ),
            _ => {
                format!("{n} requests to go; no rate limit is known yet, so only latency bounds it")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_endpoint_at_its_rate_is_the_estimate() {
        let remaining = BTreeMap::from([
            (Endpoint::ListUserRoles, 2_000),
            (Endpoint::ListProjectUsers, 190),
            (Endpoint::ListGroupUsers, 0),
        ]);
        let ten_a_minute = |_| {
            Some(PlanRate {
                per_sec: 10.0 / 60.0,
                burst: 5.0,
                source: RateSource::Known,
                max_per_sec: 10.0 / 60.0,
                proven: true,
            })
        };
        let plan = SyncPlan::new(&remaining, ten_a_minute);
        assert_eq!(plan.bottleneck, Some(Endpoint::ListUserRoles));
        assert_eq!(plan.estimate, Some(Duration::from_secs(11_970)));
        assert_eq!(plan.requests(), 2_190);
        assert!(!plan.endpoints.contains_key(&Endpoint::ListGroupUsers));
        assert!(
            plan.describe().contains("3 h 19 min"),
            "{}",
            plan.describe()
        );
        assert_eq!(plan.defended(), plan.estimate);
        let unknown = SyncPlan::new(&remaining, |_| None);
        assert_eq!(unknown.estimate, None);
        assert_eq!(unknown.defended(), None);
        assert!(unknown.describe().contains("no rate limit is known"));
    }

    /// A cold sync's limits come from its own first 429s (here the user roles' range is 10 to
    /// 40 a minute) and some endpoints have none yet: the time is said as a floor, at the
    /// fastest rate the 429s allow, and never as "about".
    #[test]
    fn limits_learned_in_this_sync_give_only_a_lower_bound() {
        let remaining = BTreeMap::from([
            (Endpoint::ListUserRoles, 2_000),
            (Endpoint::ListProjectUsers, 5_000),
        ]);
        let learned = |e| {
            (e == Endpoint::ListUserRoles).then_some(PlanRate {
                per_sec: 10.0 / 60.0,
                burst: 0.0,
                source: RateSource::Known,
                max_per_sec: 40.0 / 60.0,
                proven: false,
            })
        };
        let plan = SyncPlan::new(&remaining, learned);
        assert!(!plan.proven);
        assert_eq!(plan.estimate, Some(Duration::from_secs(12_000)));
        assert_eq!(plan.at_least, Some(Duration::from_secs(3_000)));
        assert_eq!(plan.defended(), Some(Duration::from_secs(3_000)));
        assert!(!plan.is_estimate());
        let said = plan.describe();
        assert!(!said.contains("about"), "{said}");
        assert!(
            said.contains(
                "at least 50 min at 40.0 requests/min on GET /organization/users/{user_id}/roles"
            ),
            "{said}"
        );
        assert!(
            said.contains("the rest depends on rate limits not known before this sync"),
            "{said}"
        );

        // A configured budget is a cap: the time at it is a floor too.
        let capped = |_| {
            Some(PlanRate {
                per_sec: 60.0 / 60.0,
                burst: 0.0,
                source: RateSource::Configured,
                max_per_sec: 60.0 / 60.0,
                proven: false,
            })
        };
        let plan = SyncPlan::new(&remaining, capped);
        assert_eq!(plan.defended(), Some(Duration::from_secs(5_000)));
        assert!(
            plan.describe()
                .contains("at least 1 h 23 min at 60.0 requests/min")
        );
    }
}
