//! Limits learned by an earlier sync, carried into the next one.
//!
//! A cold sync cannot know the server's limits: every endpoint starts blind, and the requests
//! in flight when the first 429s arrive meet empty buckets. Starting from what the last sync
//! proved, each endpoint is paced under its limit from its first request. The prior yields to
//! evidence: it is intersected with what this sync proves, and dropped if they disagree (the
//! limits changed).

use super::model::{Knowledge, Region};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A rate range and the smallest bucket, in the units people read: requests per minute.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LimitRange {
    pub rpm_min: f64,
    pub rpm_max: f64,
    pub burst_min: f64,
}

/// What a sync learned: one limit shared by every endpoint, or (when they differ) one per
/// endpoint template.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KnownLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared: Option<LimitRange>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub endpoints: BTreeMap<String, LimitRange>,
}

impl KnownLimits {
    pub fn is_empty(&self) -> bool {
        self.shared.is_none() && self.endpoints.is_empty()
    }
}

impl LimitRange {
    /// `None` for nonsense (a hand-edited file): not positive, or min above max.
    pub(super) fn region(self) -> Option<Region> {
        let ok = self.rpm_min > 0.0
            && self.rpm_min <= self.rpm_max
            && self.burst_min >= 1.0
            && [self.rpm_min, self.rpm_max, self.burst_min]
                .iter()
                .all(|v| v.is_finite());
        ok.then(|| Region {
            r_min: self.rpm_min / 60.0,
            r_max: self.rpm_max / 60.0,
            b_min: self.burst_min,
        })
    }
}

impl From<Region> for LimitRange {
    fn from(r: Region) -> Self {
        Self {
            rpm_min: r.r_min * 60.0,
            rpm_max: r.r_max * 60.0,
            burst_min: r.b_min,
        }
    }
}

/// What the evidence proves, with a prior (an earlier sync's limits, or this sync's last
/// region) where the evidence says nothing or agrees with it.
pub(super) fn combine(evidence: Knowledge, prior: Option<Region>) -> Knowledge {
    let Some(prior) = prior else {
        return evidence;
    };
    match evidence {
        Knowledge::Unbounded => Knowledge::Bounded(prior),
        Knowledge::Bounded(e) => Knowledge::Bounded(e.intersect(prior).unwrap_or(e)),
        Knowledge::Contradiction => Knowledge::Contradiction,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(r_min: f64, r_max: f64, b_min: f64) -> Region {
        Region {
            r_min,
            r_max,
            b_min,
        }
    }

    #[test]
    fn the_prior_stands_in_for_missing_evidence_and_narrows_agreeing_evidence() {
        let prior = region(49.0, 51.0, 19.0);
        assert_eq!(
            combine(Knowledge::Unbounded, Some(prior)),
            Knowledge::Bounded(prior)
        );
        assert_eq!(
            combine(Knowledge::Bounded(region(40.0, 60.0, 5.0)), Some(prior)),
            Knowledge::Bounded(region(49.0, 51.0, 19.0))
        );
    }

    #[test]
    fn evidence_that_disagrees_with_the_prior_wins() {
        // The limit was lowered since the last sync.
        let now = region(20.0, 25.0, 10.0);
        assert_eq!(
            combine(Knowledge::Bounded(now), Some(region(49.0, 51.0, 19.0))),
            Knowledge::Bounded(now)
        );
        assert_eq!(combine(Knowledge::Unbounded, None), Knowledge::Unbounded);
    }

    #[test]
    fn ranges_read_from_a_file_are_checked_and_round_trip() {
        let r = LimitRange {
            rpm_min: 2940.0,
            rpm_max: 3060.0,
            burst_min: 19.0,
        };
        let back = LimitRange::from(r.region().expect("valid"));
        assert!((back.rpm_min - r.rpm_min).abs() < 1e-9 && back.burst_min == r.burst_min);
        for bad in [
            LimitRange { rpm_min: 0.0, ..r },
            LimitRange {
                rpm_min: 4000.0,
                ..r
            },
            LimitRange {
                burst_min: f64::NAN,
                ..r
            },
        ] {
            assert_eq!(bad.region(), None, "{bad:?}");
        }
    }
}
