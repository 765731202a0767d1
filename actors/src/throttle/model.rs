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
pub(super) enum Outcome {
    Pending,
    Passed,
    Limited,
    /// A 5xx, a dropped connection: whether it took a token is unknown, so it counts for nothing.
    Unknown,
}

/// Send times are client-side: the server checks a request somewhere between its send time
/// and that plus the part of its round trip above the endpoint's fastest (queueing, a busy
/// client or server). Windows of passes are taken at their widest and windows ending in a
/// 429 at their narrowest over those intervals, plus this much for timer granularity.
const SLACK_S: f64 = 0.001;
/// Evidence older than this (behind an endpoint's newest request) is dropped: long windows
/// constrain least, and reading every request of a long sync on every refresh would cost more
/// than the pacing it improves. What old evidence proved survives in the region it narrowed
/// (the throttle intersects each new region with the last).
const RETAIN_S: f64 = 15.0;
/// ... but the last this many requests are always kept. A log read from a cut is read as if
/// the bucket were full there, which it rarely is; over 15 s of a fast endpoint that error is
/// nothing, but at ten requests a minute 15 s hold two requests, and a 429 after the cut
/// "proved" a rate of 8 per minute against a server allowing 10 (a sync 1.22x its bound).
const RETAIN_REQUESTS: usize = 256;

/// One endpoint's requests, in the order they were let through.
#[derive(Clone, Debug, Default)]
pub(super) struct Log {
    sent: Vec<f64>,
    /// Round trip of each resolved request (0 while pending).
    rtt: Vec<f64>,
    outcome: Vec<Outcome>,
    /// Tickets handed out before `sent[0]` (after truncation).
    offset: u64,
    /// `outcome[..resolved]` has no `Pending`: the part the model reads.
    resolved: usize,
    limited: u64,
    /// The fastest round trip seen: what every request takes at least.
    min_rtt: Option<f64>,
}

impl Log {
    /// Records a request sent at `at` seconds and returns its ticket.
    pub(super) fn send(&mut self, at: f64) -> u64 {
        // Dropped in chunks (when the oldest is twice too old) so the cost is amortised.
        if self.sent.first().is_some_and(|t| *t < at - 2.0 * RETAIN_S)
            && self.resolved > 2 * RETAIN_REQUESTS
        {
            let cut = self.sent[..self.resolved]
                .partition_point(|t| *t < at - RETAIN_S)
                .min(self.resolved - RETAIN_REQUESTS);
            self.sent.drain(..cut);
            self.rtt.drain(..cut);
            self.outcome.drain(..cut);
            self.offset += cut as u64;
            self.resolved -= cut;
            self.limited = self.outcome[..self.resolved]
                .iter()
                .filter(|o| **o == Outcome::Limited)
                .count() as u64;
        }
        self.sent.push(at);
        self.rtt.push(0.0);
        self.outcome.push(Outcome::Pending);
        self.offset + self.sent.len() as u64 - 1
    }

    /// Records what became of request `ticket`, answered at `at`; false if that was known
    /// already.
    pub(super) fn resolve(&mut self, ticket: u64, outcome: Outcome, at: f64) -> bool {
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
        if let (Some(rtt), Some(sent)) = (self.rtt.get_mut(i), self.sent.get(i)) {
            *rtt = (at - sent).max(0.0);
            if outcome != Outcome::Unknown {
                self.min_rtt = Some(self.min_rtt.map_or(*rtt, |m| m.min(*rtt)));
            }
        }
        while let Some(o) = self.outcome.get(self.resolved)
            && *o != Outcome::Pending
        {
            self.limited += u64::from(*o == Outcome::Limited);
            self.resolved += 1;
        }
        true
    }

    /// Drops the evidence (keeping ticket numbers): used when it proves nothing consistent.
    pub(super) fn forget(&mut self) {
        self.offset += self.sent.len() as u64;
        self.sent.clear();
        self.rtt.clear();
        self.outcome.clear();
        self.resolved = 0;
        self.limited = 0;
    }

    /// The part the model reads, for proving outside the lock.
    pub(super) fn snapshot(&self) -> Log {
        Log {
            sent: self.sent[..self.resolved].to_vec(),
            rtt: self.rtt[..self.resolved].to_vec(),
            outcome: self.outcome[..self.resolved].to_vec(),
            offset: self.offset,
            resolved: self.resolved,
            limited: self.limited,
            min_rtt: self.min_rtt,
        }
    }

    /// No request was ever sent.
    pub(super) fn is_untouched(&self) -> bool {
        self.offset == 0 && self.sent.is_empty()
    }

    /// 429s in the part the model reads.
    pub(super) fn limited(&self) -> u64 {
        self.limited
    }

    /// The bounds on `b` this log proves at rate `r`: `lo ≤ b < hi`.
    fn bounds(&self, r: f64) -> (f64, f64) {
        let n = self.resolved;
        let (sent, rtt, outcome) = (&self.sent[..n], &self.rtt[..n], &self.outcome[..n]);
        let min_rtt = self.min_rtt.unwrap_or(0.0);
        // The latest the server can have checked request `k`.
        let late = |k: usize| sent[k] + (rtt[k] - min_rtt).max(0.0) + SLACK_S;
        let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
        let mut passed = 0.0;
        // min over window starts (passes) of `passed before it − r·time`, with the start
        // taken as early (for passes) or as late (for 429s) as it can have been.
        let (mut start_early, mut start_late) = (f64::INFINITY, f64::INFINITY);
        // Requests can reach the server in another order than they were sent: a 429 counts
        // the passes sent before it was checked at the latest as possibly before it.
        let (mut ahead, mut passed_ahead) = (0, 0.0);
        for (k, (t, o)) in sent.iter().zip(outcome).enumerate() {
            match o {
                Outcome::Passed => {
                    start_early = start_early.min(passed - r * t);
                    start_late = start_late.min(passed - r * late(k));
                    passed += 1.0;
                    lo = lo.max(passed - r * late(k) - start_early);
                }
                Outcome::Limited if start_late.is_finite() => {
                    let latest = late(k);
                    while let Some(next) = sent.get(ahead)
                        && *next <= latest
                    {
                        passed_ahead += f64::from(u8::from(outcome[ahead] == Outcome::Passed));
                        ahead += 1;
                    }
                    let maybe_before = passed_ahead.max(passed);
                    hi = hi.min(maybe_before - r * t - start_late + 1.0);
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
    /// What both regions allow, if anything.
    pub fn intersect(self, other: Region) -> Option<Region> {
        let both = Region {
            r_min: self.r_min.max(other.r_min),
            r_max: self.r_max.min(other.r_max),
            b_min: self.b_min.max(other.b_min),
        };
        (both.r_min <= both.r_max).then_some(both)
    }

    /// How far apart the ends are, as a ratio.
    pub fn width(&self) -> f64 {
        self.r_max / self.r_min.max(f64::MIN_POSITIVE)
    }
}

/// What a set of logs says about one shared limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Knowledge {
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
pub(super) fn knowledge(logs: &[&Log], hint: Option<Region>) -> Knowledge {
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

/// The lowest feasible interval of rates between `from` and `to`. Two 429s seen at different
/// paces leave a band far narrower than any grid, so each local peak of the room left for `b`
/// on a geometric grid is refined (ternary search) until one is feasible; its interval is then
/// found by bisecting outwards. The lowest one is taken: timing uncertainty also admits very
/// high rates with tiny buckets (requests that may have arrived at once), and pacing from the
/// low end is the safe side; passes rule it out if it is wrong.
fn search(logs: &[&Log], from: f64, to: f64, step: f64) -> Option<(f64, f64)> {
    let grid: Vec<f64> = std::iter::successors(Some(from), |r| Some(r * step))
        .take_while(|r| *r <= to)
        .collect();
    let gaps: Vec<f64> = grid.iter().map(|r| gap(logs, *r)).collect();
    let at = |k: Option<usize>| k.and_then(|k| gaps.get(k)).copied();
    for k in 0..grid.len() {
        let peak = at(Some(k)).is_some_and(|g| {
            g > 0.0
                || (at(k.checked_sub(1)).is_none_or(|l| g >= l)
                    && at(Some(k + 1)).is_none_or(|h| g >= h))
        });
        if !peak {
            continue;
        }
        let below = k.checked_sub(1).map_or(from, |j| grid[j]);
        let above = grid.get(k + 1).copied().unwrap_or(to);
        let Some(best) = refine_peak(logs, grid[k], below, above) else {
            continue;
        };
        // The interval's ends: the nearest infeasible grid points, then bisection.
        let low_bad = (0..k).rev().find(|j| gaps[*j] <= 0.0).map(|j| grid[j]);
        let high_bad = (k + 1..grid.len())
            .find(|j| gaps[*j] <= 0.0)
            .map(|j| grid[j]);
        let r_min = low_bad.map_or(from, |bad| edge(logs, best, bad));
        let r_max = high_bad.map_or(to, |bad| edge(logs, best, bad));
        return Some((r_min, r_max));
    }
    None
}

/// A feasible rate near grid point `r` (between `below` and `above`), if there is one.
fn refine_peak(logs: &[&Log], r: f64, below: f64, above: f64) -> Option<f64> {
    if gap(logs, r) > 0.0 {
        return Some(r);
    }
    let (mut a, mut b) = (below.ln(), above.ln());
    for _ in 0..30 {
        let (m1, m2) = (a + (b - a) / 3.0, b - (b - a) / 3.0);
        if gap(logs, m1.exp()) < gap(logs, m2.exp()) {
            a = m1;
        } else {
            b = m2;
        }
    }
    let centre = ((a + b) / 2.0).exp();
    (gap(logs, centre) > 0.0).then_some(centre)
}

/// The boundary between feasible `ok` and infeasible `bad`, on the feasible side.
fn edge(logs: &[&Log], mut ok: f64, mut bad: f64) -> f64 {
    for _ in 0..20 {
        let mid = (ok * bad).sqrt();
        if gap(logs, mid) > 0.0 {
            ok = mid;
        } else {
            bad = mid;
        }
    }
    ok
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A token bucket server, as the mock keeps it.
    pub(crate) struct Bucket(crate::gcra::Gcra);

    impl Bucket {
        pub(crate) fn new(rate: f64, size: f64) -> Self {
            let pace = crate::gcra::Pace {
                per_sec: rate,
                burst: size as u32,
            };
            Self(crate::gcra::Gcra::new(pace, 0.0, true))
        }

        pub(crate) fn take(&mut self, t: f64) -> bool {
            self.0.take(t).is_ok()
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
                t + 0.02,
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
        // Above 80/s only within timer granularity.
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
    fn requests_the_server_saw_later_than_they_were_sent_prove_no_higher_rate() {
        // Twenty requests leave within 2 ms, but a queue spreads them over 400 ms at the
        // server: all pass a 50/s, burst-5 bucket. Then 80/s from 1 s meets the limit, and
        // after the pause 10 s at 45/s pass.
        let prove = |queued: bool| {
            let mut log = Log::default();
            let mut bucket = Bucket::new(50.0, 5.0);
            for k in 0..20 {
                let sent = k as f64 * 0.0001;
                let ticket = log.send(sent);
                let seen = 0.02 * k as f64;
                assert!(bucket.take(seen));
                // Their round trips show the queue (or, to compare, are taken as if not).
                let answered = if queued { seen + 0.02 } else { sent + 0.02 };
                log.resolve(ticket, Outcome::Passed, answered);
            }
            run(&mut log, &mut bucket, 1.0, 80.0, 3.0, true);
            run(&mut log, &mut bucket, 2.5, 45.0, 10.0, false);
            knowledge(&[&log], None)
        };
        let region = bounded(prove(true));
        assert!(region.r_min > 40.0 && region.r_min <= 50.0, "{region:?}");
        // Send times alone make the burst look impossible for the server's true limit.
        let naive = prove(false);
        assert!(
            !matches!(naive, Knowledge::Bounded(r) if r.r_min <= 50.0 && r.r_max >= 50.0),
            "{naive:?}"
        );
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
        log.resolve(second, Outcome::Limited, 0.03);
        assert_eq!(knowledge(&[&log], None), Knowledge::Unbounded);
        log.resolve(first, Outcome::Passed, 0.02);
        assert!(matches!(knowledge(&[&log], None), Knowledge::Bounded(_)));
        assert_eq!(log.limited(), 1);
    }
}
