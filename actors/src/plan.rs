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
                let time = r.map(|r| {
                    let after_burst = (n as f64 - r.burst).max(0.0);
                    Duration::from_secs_f64(after_burst / r.per_sec.max(1e-6))
                });
                (
                    *e,
                    PlannedEndpoint {
                        requests: n,
                        rpm: r.map(|r| r.per_sec * 60.0),
                        source: r.map(|r| r.source),
                        time,
                    },
                )
            })
            .collect();
        let bottleneck = endpoints
            .iter()
            .filter_map(|(e, p)| Some((*e, p.time?, p.requests)))
            .max_by_key(|(_, t, n)| (*t, *n));
        Self {
            estimate: bottleneck.map(|(_, t, _)| t),
            bottleneck: bottleneck.map(|(e, _, _)| e),
            endpoints,
        }
    }

    pub fn requests(&self) -> u64 {
        self.endpoints.values().map(|p| p.requests).sum()
    }

    /// One line a person reads: `4,447 requests; about 3 h 20 min at 10/min on GET /…`.
    pub fn describe(&self) -> String {
        let n = self.requests();
        match (
            self.estimate,
            self.bottleneck
                .and_then(|e| Some((e, self.endpoints.get(&e)?))),
        ) {
            (Some(t), Some((e, p))) => format!(
                "{n} requests to go; about {} at {:.1} requests/min on {}, the busiest endpoint",
                crate::human::duration(t),
                p.rpm.unwrap_or(0.0),
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
        let unknown = SyncPlan::new(&remaining, |_| None);
        assert_eq!(unknown.estimate, None);
        assert!(unknown.describe().contains("no rate limit is known"));
    }
}
