//! How fast one endpoint may be called, given what the [`model`](super::model) knows about the
//! server's limit. Pure: times are seconds passed in, so it is tested without clocks.
//!
//! - Nothing known (no 429 anywhere): not paced; the throttle's slow-start window applies.
//! - A narrow region: pace just under its floor, with the bucket the evidence guarantees, so a
//!   long run provokes no 429 at all.
//! - A wide region: ramp up smoothly from its floor (doubling every [`RAMP_DOUBLING_S`]), never
//!   above its ceiling. A slow ramp that meets the limit does so after a long window, which is
//!   the measurement that narrows the region; passes on the way raise the floor.

use super::model::{Knowledge, Region};

/// A region this narrow is the rate: stop probing.
const NARROW: f64 = 1.05;
/// Pace this far under the floor (timer slack, clock jitter).
const MARGIN: f64 = 0.985;
/// Timer slack and clock jitter, in seconds: what the margins above protect against. At a
/// slow pace it is nothing against the interval, so the margins shrink to it (at ten requests
/// a minute, 0.3% instead of 1.5% and 3%, a minute of a four-hour sync).
const JITTER_S: f64 = 0.01;
/// A probing pace stays this far under the ceiling (anything above it is proven too fast).
const CEILING: f64 = 0.97;
/// The slowest pace ever set (a floor that says nothing yet must not stall an endpoint).
const R_MIN: f64 = 0.01;
/// How fast a probing pace grows. Fast enough that a floor proven low (one endpoint's first
/// 429s say little about the rate) is left within a second or two.
const RAMP_DOUBLING_S: f64 = 0.25;
/// At least this many requests per doubling of a blind ramp (at its starting pace).
const RAMP_REQUESTS: f64 = 2.0;

pub(super) use crate::gcra::Pace;

#[derive(Debug, Default)]
pub(super) struct Learner {
    /// This endpoint got a 429 itself: it is paced from now on, whatever else happens.
    limited: bool,
    /// When the latest pause ends.
    resume_s: f64,
    /// The current probing ramp: when it starts and from which pace.
    ramp: Option<(f64, f64)>,
    pace: Option<Pace>,
}

impl Learner {
    /// A 429 on this endpoint; requests resume at `resume_s`. A ramp that met the limit starts
    /// over (from the floor the evidence now proves).
    pub(super) fn rate_limited(&mut self, resume_s: f64) {
        self.limited = true;
        self.resume_s = self.resume_s.max(resume_s);
        self.ramp = None;
    }

    /// The pace for `now`, or `None` while nothing is known (slow start). `pause_s` is how long
    /// a 429 makes this endpoint wait. Only an endpoint that `may_probe` explores a wide
    /// region (one probe informs every endpoint sharing the limit); the others hold its floor.
    pub(super) fn decide(
        &mut self,
        now: f64,
        knowledge: Knowledge,
        pause_s: f64,
        may_probe: bool,
    ) -> Option<Pace> {
        let pace = match knowledge {
            Knowledge::Bounded(region) if region.width() <= NARROW || !may_probe => {
                self.ramp = None;
                Pace {
                    per_sec: region.r_min.max(R_MIN) * margin(MARGIN, region.r_min),
                    // Half the proven bucket: requests reach the server with varying delays,
                    // so a full-size burst could land on a bucket that still holds earlier ones.
                    burst: ((region.b_min - 1.0) / 2.0).floor().max(1.0) as u32,
                }
            }
            Knowledge::Bounded(region) => self.probe(now, region, pause_s),
            // Own evidence is unusable (the bucket was not full when it began): back off from
            // the last pace and ramp again.
            Knowledge::Unbounded | Knowledge::Contradiction if self.limited => {
                let last = self.pace.map_or(1.0, |p| p.per_sec);
                let (start, from) = *self
                    .ramp
                    .get_or_insert((now.max(self.resume_s), last / 2.0));
                Pace {
                    per_sec: blind_ramp(now, start, from),
                    burst: 1,
                }
            }
            Knowledge::Unbounded | Knowledge::Contradiction => return None,
        };
        self.pace = Some(pace);
        Some(pace)
    }

    fn probe(&mut self, now: f64, region: Region, pause_s: f64) -> Pace {
        let floor = region.r_min * margin(MARGIN, region.r_min);
        let ceiling = region.r_max * margin(CEILING, region.r_max);
        // One bucket per pause is certainly sustainable once the pause has refilled it.
        let (start, from) = *self.ramp.get_or_insert((
            now.max(self.resume_s),
            floor.max(region.b_min / pause_s.max(0.05)).min(ceiling),
        ));
        let mut per_sec = ramp(now, start, from);
        if per_sec < floor && now >= start {
            // The floor rose past the ramp (other endpoints' evidence): ramp on from there,
            // not from where a floor that said little once put it.
            self.ramp = Some((now, floor));
            per_sec = floor;
        }
        Pace {
            per_sec: per_sec.max(floor).min(ceiling),
            // A second token lets a waiter that woke late catch up instead of losing its slot.
            burst: if region.b_min >= 3.0 { 2 } else { 1 },
        }
    }

    /// Whether this endpoint would probe the region (it is wide).
    pub(super) fn wants_to_probe(knowledge: Knowledge) -> bool {
        matches!(knowledge, Knowledge::Bounded(r) if r.width() > NARROW)
    }

    /// Requests per second paced at, if paced.
    pub(super) fn pace(&self) -> Option<f64> {
        self.pace.map(|p| p.per_sec)
    }
}

/// `factor` under a rate of `per_sec`, or only the jitter under it when that is less.
fn margin(factor: f64, per_sec: f64) -> f64 {
    factor.max(1.0 - JITTER_S * per_sec)
}

fn ramp(now: f64, start: f64, from: f64) -> f64 {
    from * 2f64.powf((now - start).max(0.0) / RAMP_DOUBLING_S)
}

/// A blind ramp (no ceiling: the evidence is unusable) from `from` since `start`: doubling no
/// faster than every [`RAMP_REQUESTS`] requests at the pace it starts from, nor every
/// [`RAMP_DOUBLING_S`]. Measured in seconds alone it would, at ten requests a minute, grow a
/// thousandfold before its first request was answered, and send a burst into an empty bucket.
fn blind_ramp(now: f64, start: f64, from: f64) -> f64 {
    let period = RAMP_DOUBLING_S.max(RAMP_REQUESTS / from.max(R_MIN));
    from * 2f64.powf((now - start).max(0.0) / period)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(r_min: f64, r_max: f64, b_min: f64) -> Knowledge {
        Knowledge::Bounded(Region {
            r_min,
            r_max,
            b_min,
        })
    }

    #[test]
    fn nothing_known_means_slow_start() {
        let mut l = Learner::default();
        assert_eq!(l.decide(0.0, Knowledge::Unbounded, 1.0, true), None);
        assert_eq!(l.pace(), None);
    }

    #[test]
    fn a_narrow_region_is_paced_under_its_floor_with_the_proven_bucket() {
        let mut l = Learner::default();
        let pace = l
            .decide(5.0, region(49.0, 51.0, 19.5), 1.0, true)
            .expect("paced");
        assert!((48.0..49.0).contains(&pace.per_sec), "{pace:?}");
        assert_eq!(pace.burst, 9);
    }

    #[test]
    fn a_wide_region_ramps_from_its_floor_after_the_pause_and_never_reaches_its_ceiling() {
        let mut l = Learner::default();
        l.rate_limited(2.0);
        let k = region(30.0, 100.0, 20.0);
        let at_resume = l.decide(1.0, k, 1.0, true).expect("paced").per_sec;
        assert!(
            (29.0..30.0).contains(&at_resume),
            "floor first: {at_resume}"
        );
        let later = l
            .decide(2.0 + RAMP_DOUBLING_S, k, 1.0, true)
            .expect("paced")
            .per_sec;
        assert!(
            (2.0 * at_resume - 1.0..2.0 * at_resume + 1.0).contains(&later),
            "{later}"
        );
        let much_later = l.decide(30.0, k, 1.0, true).expect("paced").per_sec;
        assert!((96.0..97.1).contains(&much_later), "{much_later}");
        // Another 429: the ramp starts over from the (new) floor.
        l.rate_limited(31.0);
        let again = l
            .decide(30.5, region(60.0, 70.0, 20.0), 1.0, true)
            .expect("paced");
        assert!((59.0..60.0).contains(&again.per_sec), "{again:?}");
    }

    #[test]
    fn a_ramp_overtaken_by_a_rising_floor_ramps_on_from_the_floor() {
        let mut l = Learner::default();
        l.rate_limited(1.0);
        l.decide(1.0, region(0.5, 100.0, 2.0), 1.0, true);
        // Others' evidence lifts the floor to 30/s (the ramp stands at 4/s); one doubling
        // later the ramp is twice the floor.
        l.decide(1.0 + RAMP_DOUBLING_S, region(30.0, 100.0, 20.0), 1.0, true);
        let later = l
            .decide(
                1.0 + 2.0 * RAMP_DOUBLING_S,
                region(30.0, 100.0, 20.0),
                1.0,
                true,
            )
            .expect("paced")
            .per_sec;
        assert!((58.0..60.0).contains(&later), "{later}");
    }

    #[test]
    fn an_endpoint_that_may_not_probe_holds_the_floor_of_a_wide_region() {
        let mut l = Learner::default();
        let k = region(30.0, 100.0, 20.0);
        let held = l.decide(10.0, k, 1.0, false).expect("paced");
        assert!((29.0..30.0).contains(&held.per_sec), "{held:?}");
        assert_eq!(held.burst, 9);
        // Allowed to probe later, its ramp starts then, from the floor.
        let probing = l.decide(20.0, k, 1.0, true).expect("paced").per_sec;
        assert!((29.0..30.0).contains(&probing), "{probing}");
        assert!(Learner::wants_to_probe(k));
        assert!(!Learner::wants_to_probe(region(49.0, 51.0, 20.0)));
    }

    #[test]
    fn a_wide_region_without_a_floor_starts_at_one_bucket_per_pause() {
        let mut l = Learner::default();
        l.rate_limited(1.0);
        let pace = l
            .decide(0.1, region(0.001, 900.0, 20.0), 1.0, true)
            .expect("paced");
        assert!((19.9..=20.1).contains(&pace.per_sec), "{pace:?}");
    }

    #[test]
    fn unusable_evidence_after_a_429_backs_off_from_the_last_pace() {
        let mut l = Learner::default();
        l.decide(0.0, region(49.0, 51.0, 20.0), 1.0, true);
        l.rate_limited(1.0);
        let pace = l
            .decide(1.0, Knowledge::Contradiction, 1.0, true)
            .expect("still paced");
        assert!((24.0..24.5).contains(&pace.per_sec), "{pace:?}");
    }
}
