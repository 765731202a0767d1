//! The server's limit as a token bucket of rate `r` (requests per second) and size `b`, and
//! what the outcomes of our requests prove about the pair.
//!
//! With the bucket full when an endpoint's log starts, its level just before a request at `t`
//! is `min over u ≤ t of (b + r·(t − u) − passed in [u, t))`. So a request that passed proves
//! `b ≥ passed in [u, t] − r·(t − u)` for every earlier `u`, and a 429 proves
//! `b < passed in [u, t) + 1 − r·(t − u)` for some `u`. For a given `r` that is an interval of
//! `b`; the rates for which it is not empty are the feasible region. Each 429 cuts it along a
//! different line (windows of different lengths), so a few of them, from endpoints that met
//! the limit at different paces, pin the rate down; passes alone only ever raise its floor.

/// What became of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pending,
    Passed,
    Limited,
    /// A 5xx, a dropped connection: whether it took a token is unknown, so it counts for nothing.
    Unknown,
}

/// Send times are client-side; the server sees each a little later and with some jitter.
/// Windows are widened (for passes) and narrowed (for 429s) by this much, in seconds.
const SLACK_S: f64 = 0.004;
/// Kept per endpoint; older requests are dropped half at a time (long windows constrain least).
const MAX_EVENTS: usize = 1 << 16;

/// One endpoint's requests, in the order they were let through.
#[derive(Debug, Default)]
pub struct Log {
    sent: Vec<f64>,
    outcome: Vec<Outcome>,
    /// Tickets handed out before `sent[0]` (after truncation).
    offset: u64,
    /// `outcome[..resolved]` has no `Pending`: the part the model reads.
    resolved: usize,
    limited: u64,
}

impl Log {
    /// Records a request sent at `at` seconds and returns its ticket.
    pub fn send(&mut self, at: f64) -> u64 {
        if self.sent.len() >= MAX_EVENTS && self.resolved > MAX_EVENTS / 2 {
            let cut = MAX_EVENTS / 2;
            self.sent.drain(..cut);
            self.outcome.drain(..cut);
            self.offset += cut as u64;
            self.resolved -= cut;
            self.limited = self.outcome[..self.resolved]
                .iter()
                .filter(|o| **o == Outcome::Limited)
                .count() as u64;
        }
        self.sent.push(at);
        self.outcome.push(Outcome::Pending);
        self.offset + self.sent.len() as u64 - 1
    }

    /// Records what became of request `ticket`; false if that was known already.
    pub fn resolve(&mut self, ticket: u64, outcome: Outcome) -> bool {
        let Some(i) = ticket.checked_sub(self.offset).map(|i| i as usize) else {
            return false;
        };
        let Some(slot) = self.outcome.get_mut(i) else {
            return false;
        };
        if *slot != Outcome::Pending {
            return false;
        }
        *slot = outcome;
        while let Some(o) = self.outcome.get(self.resolved)
            && *o != Outcome::Pending
        {
            self.limited += u64::from(*o == Outcome::Limited);
            self.resolved += 1;
        }
        true
    }

    /// Drops the evidence (keeping ticket numbers): used when it proves nothing consistent.
    pub fn forget(&mut self) {
        self.offset += self.sent.len() as u64;
        self.sent.clear();
        self.outcome.clear();
        self.resolved = 0;
        self.limited = 0;
    }

    /// 429s in the part the model reads.
    pub fn limited(&self) -> u64 {
        self.limited
    }

    /// The bounds on `b` this log proves at rate `r`: `lo ≤ b < hi`.
    fn bounds(&self, r: f64) -> (f64, f64) {
        let (sent, outcome) = (&self.sent[..self.resolved], &self.outcome[..self.resolved]);
        let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut passed = 0.0;
        // min over window starts (passes) of `passed before it − r·t`.
        let mut start = f64::INFINITY;
        // Requests sent within the slack of each other may reach the server in either order:
        // a 429 counts the passes sent up to `SLACK_S` after it as possibly before it.
        let (mut ahead, mut passed_ahead) = (0, 0.0);
        for (t, o) in sent.iter().zip(outcome) {
            match o {
                Outcome::Passed => {
                    start = start.min(passed - r * t);
                    passed += 1.0;
                    lo = lo.max(passed - r * t - start - r * SLACK_S);
                }
                Outcome::Limited if start.is_finite() => {
                    while let Some(next) = sent.get(ahead)
                        && *next <= t + SLACK_S
                    {
                        passed_ahead += f64::from(u8::from(outcome[ahead] == Outcome::Passed));
                        ahead += 1;
                    }
                    let maybe_before = passed_ahead.max(passed);
                    hi = hi.min(maybe_before - r * t - start + 1.0 + r * SLACK_S);
                }
                _ => {}
            }
        }
        (lo, hi)
    }
}

/// Rates (requests per second) the evidence allows, and the smallest bucket it allows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Region {
    pub r_min: f64,
    pub r_max: f64,
    /// The smallest bucket size consistent with the evidence (at `r_max`).
    pub b_min: f64,
}

impl Region {
    /// How far apart the ends are, as a ratio.
    pub fn width(&self) -> f64 {
        self.r_max / self.r_min.max(f64::MIN_POSITIVE)
    }
}

/// What a set of logs says about one shared limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Knowledge {
    /// No 429 yet: no upper bound.
    Unbounded,
    Bounded(Region),
    /// No single token bucket explains the logs together.
    Contradiction,
}

const R_FLOOR: f64 = 1e-3;
const R_CEIL: f64 = 1e5;

/// How much room the logs leave for `b` at rate `r` (feasible when positive).
fn gap(logs: &[&Log], r: f64) -> f64 {
    let (mut lo, mut hi) = (1.0_f64, f64::INFINITY);
    for log in logs {
        let (l, h) = log.bounds(r);
        lo = lo.max(l);
        hi = hi.min(h);
    }
    hi - lo
}

/// The feasible region of `logs` taken as one limit. `hint` (the previous region) narrows
/// the search; if nothing is feasible near it, the whole range is searched.
pub fn knowledge(logs: &[&Log], hint: Option<Region>) -> Knowledge {
    if logs.iter().all(|l| l.limited() == 0) {
        return Knowledge::Unbounded;
    }
    let ranges = hint
        .map(|h| {
            (
                (h.r_min / 2.0).max(R_FLOOR),
                (h.r_max * 2.0).min(R_CEIL),
                1.02,
            )
        })
        .into_iter()
        .chain(std::iter::once((R_FLOOR, R_CEIL, 1.06)));
    for (from, to, step) in ranges {
        if let Some((r_min, r_max)) = search(logs, from, to, step) {
            let b_min = logs
                .iter()
                .map(|l| l.bounds(r_max).0)
                .fold(1.0_f64, f64::max);
            return Knowledge::Bounded(Region {
                r_min,
                r_max,
                b_min,
            });
        }
    }
    Knowledge::Contradiction
}

/// The feasible rates between `from` and `to`. Two 429s seen at different paces leave a band
/// far narrower than any grid, so this finds the rate with the most room first (a grid, then
/// a ternary search around its best point), then bisects outwards to the region's ends.
fn search(logs: &[&Log], from: f64, to: f64, step: f64) -> Option<(f64, f64)> {
    let (mut best, mut best_gap) = (from, f64::NEG_INFINITY);
    let mut r = from;
    while r <= to {
        let g = gap(logs, r);
        if g > best_gap {
            (best, best_gap) = (r, g);
        }
        r *= step;
    }
    let (mut a, mut b) = ((best / step).max(from).ln(), (best * step).min(to).ln());
    for _ in 0..40 {
        let (m1, m2) = (a + (b - a) / 3.0, b - (b - a) / 3.0);
        if gap(logs, m1.exp()) < gap(logs, m2.exp()) {
            a = m1;
        } else {
            b = m2;
        }
    }
    let centre = ((a + b) / 2.0).exp();
    let best = if gap(logs, centre) > best_gap {
        centre
    } else {
        best
    };
    if gap(logs, best) <= 0.0 {
        return None;
    }
    let edge = |mut ok: f64, bad: f64| {
        if gap(logs, bad) > 0.0 {
            return bad;
        }
        let mut bad = bad;
        for _ in 0..30 {
            let mid = (ok * bad).sqrt();
            if gap(logs, mid) > 0.0 {
                ok = mid;
            } else {
                bad = mid;
            }
        }
        ok
    };
    Some((edge(best, from), edge(best, to)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A token bucket server, as the mock keeps it (GCRA).
    pub struct Bucket {
        rate: f64,
        size: f64,
        level: f64,
        at: f64,
    }

    impl Bucket {
        pub fn new(rate: f64, size: f64) -> Self {
            Self {
                rate,
                size,
                level: size,
                at: 0.0,
            }
        }

        pub fn take(&mut self, t: f64) -> bool {
            self.level = (self.level + (t - self.at) * self.rate).min(self.size);
            self.at = t;
            if self.level >= 1.0 {
                self.level -= 1.0;
                true
            } else {
                false
            }
        }
    }

    /// Sends at `pace` from `start` for `secs` (or until the first 429 when `stop`).
    fn run(log: &mut Log, bucket: &mut Bucket, start: f64, pace: f64, secs: f64, stop: bool) {
        let n = (secs * pace) as usize;
        for i in 0..n {
            let t = start + i as f64 / pace;
            let ticket = log.send(t);
            let ok = bucket.take(t);
            log.resolve(
                ticket,
                if ok {
                    Outcome::Passed
                } else {
                    Outcome::Limited
                },
            );
            if stop && !ok {
                return;
            }
        }
    }

    fn bounded(k: Knowledge) -> Region {
        match k {
            Knowledge::Bounded(r) => r,
            other => panic!("expected a region, got {other:?}"),
        }
    }

    #[test]
    fn passes_alone_prove_no_upper_bound() {
        let mut log = Log::default();
        run(&mut log, &mut Bucket::new(50.0, 20.0), 0.0, 40.0, 2.0, true);
        assert_eq!(knowledge(&[&log], None), Knowledge::Unbounded);
    }

    #[test]
    fn one_429_bounds_the_rate_from_above_only() {
        let mut log = Log::default();
        run(&mut log, &mut Bucket::new(50.0, 20.0), 0.0, 80.0, 3.0, true);
        let region = bounded(knowledge(&[&log], None));
        assert!(region.r_min < 5.0, "{region:?}");
        // Above 80/s only if the server saw two requests 4 ms closer than they were sent.
        assert!(
            (50.0..=1.0 / (1.0 / 80.0 - SLACK_S)).contains(&region.r_max),
            "{region:?}"
        );
    }

    #[test]
    fn two_endpoints_sharing_a_limit_pin_it_down() {
        // One endpoint met the limit at a fast pace, the other at a slow one.
        let (mut a, mut b) = (Log::default(), Log::default());
        run(&mut a, &mut Bucket::new(50.0, 20.0), 0.0, 200.0, 1.0, true);
        run(&mut b, &mut Bucket::new(50.0, 20.0), 0.3, 60.0, 5.0, true);
        let region = bounded(knowledge(&[&a, &b], None));
        assert!(region.r_min > 46.0 && region.r_max < 54.0, "{region:?}");
        assert!((18.0..=21.0).contains(&region.b_min), "{region:?}");
    }

    #[test]
    fn a_long_pass_run_after_a_429_raises_the_floor() {
        let mut log = Log::default();
        let mut bucket = Bucket::new(50.0, 20.0);
        run(&mut log, &mut bucket, 0.0, 80.0, 3.0, true);
        // The pause refills the bucket; then 10 s at 45/s pass.
        run(&mut log, &mut bucket, 2.0, 45.0, 10.0, false);
        let region = bounded(knowledge(&[&log], None));
        assert!(region.r_min > 40.0 && region.r_min < 45.0, "{region:?}");
    }

    #[test]
    fn different_limits_contradict_the_shared_hypothesis() {
        let (mut a, mut b) = (Log::default(), Log::default());
        run(&mut a, &mut Bucket::new(50.0, 20.0), 0.0, 200.0, 1.0, true);
        run(&mut a, &mut Bucket::new(50.0, 20.0), 2.0, 48.0, 3.0, false);
        run(&mut b, &mut Bucket::new(5.0, 2.0), 0.0, 20.0, 5.0, true);
        assert_eq!(knowledge(&[&a, &b], None), Knowledge::Contradiction);
        assert!(matches!(knowledge(&[&b], None), Knowledge::Bounded(_)));
    }

    #[test]
    fn pending_requests_are_not_read_until_everything_before_them_resolved() {
        let mut log = Log::default();
        let first = log.send(0.0);
        let second = log.send(0.01);
        log.resolve(second, Outcome::Limited);
        assert_eq!(knowledge(&[&log], None), Knowledge::Unbounded);
        log.resolve(first, Outcome::Passed);
        assert!(matches!(knowledge(&[&log], None), Knowledge::Bounded(_)));
        assert_eq!(log.limited(), 1);
    }
}
