//! Before a limit is known, what the passes so far prove safe for every endpoint.
//!
//! Every endpoint's bucket starts full, and (the throttle's working hypothesis) every endpoint
//! has the same policy. So what one endpoint sent from its first request on without a 429 is
//! a schedule every other endpoint may copy, measured from its own first request: a pass
//! proves `b + r·τ ≥ passes` at `τ` after the start, whatever `b` and `r` are. Together the
//! passes bound every bucket that could be there; the least `b + r·τ` they allow is the
//! *frontier*. An endpoint that has not been paced yet:
//!
//! - sends freely inside the frontier (less [`FOLLOW_BEHIND`]);
//! - sends a request alone in flight anyway (it meets the limit at most once);
//! - goes beyond it only while it holds the [`election`](super::election) office, with the
//!   slow-start window kept here;
//! - after a 429, does not go beyond for [`QUIET_AFTER_429_S`]: the model paces it meanwhile.
//!
//! So when the limit is there, one endpoint meets it and its 429s teach the others before they
//! get there, instead of every endpoint started in the first round trips meeting it with a
//! window of requests in flight. Nothing tells a limited server from an unlimited one before
//! its first 429, so the first wave cannot be avoided: it is the price of not crawling an
//! unlimited server one request at a time.
//!
//! Pure: times are seconds passed in, so it is tested without clocks.

use crate::endpoint::Endpoint;

/// How long nobody goes beyond after a 429 (a few of the model's refreshes).
pub(super) const QUIET_AFTER_429_S: f64 = 0.25;

/// The slow-start window at first.
pub(super) const INITIAL_WINDOW: usize = 4;

/// How many requests behind the frontier another endpoint stays.
const FOLLOW_BEHIND: u32 = 2;

#[derive(Debug, Default)]
struct Track {
    /// Send time of each request, by index (admission time until the real send is known).
    /// The endpoint's own clock starts at the first.
    sent_at: Vec<f64>,
    /// Indices of the requests that passed, sorted.
    passed: Vec<u32>,
}

#[derive(Debug)]
pub(super) struct Frontier {
    hull: Hull,
    tracks: Vec<Track>,
    /// Slow start beyond the frontier: how many requests may be in flight there. It grows by
    /// one per pass there (doubling per round trip) until a limit is met, and starts over
    /// then. It belongs to going beyond, not to one endpoint: an endpoint taking the office
    /// over goes on from where the last one stood instead of starting the ramp over.
    window: usize,
    max_window: usize,
    met_limit: bool,
    /// No one goes beyond before this (a 429 was just met).
    quiet_until: f64,
}

impl Frontier {
    /// `max_window`: the most requests that may be in flight beyond the frontier.
    pub(super) fn new(max_window: usize) -> Self {
        let max_window = max_window.max(1);
        Self {
            hull: Hull::default(),
            tracks: Endpoint::ALL.iter().map(|_| Track::default()).collect(),
            window: INITIAL_WINDOW.min(max_window),
            max_window,
            met_limit: false,
            quiet_until: f64::NEG_INFINITY,
        }
    }

    /// How far another endpoint may follow the frontier: [`FOLLOW_BEHIND`] requests behind it.
    /// Where the limit was met, the last passes took the bucket's last tokens; a schedule
    /// copied that closely meets the limit on any jitter in when the server counts requests.
    fn follow(&self, tau: f64) -> u32 {
        self.hull.reach(tau).saturating_sub(FOLLOW_BEHIND).max(1)
    }

    /// Whether `endpoint`'s next request at `now` is inside the frontier.
    pub(super) fn within(&self, endpoint: Endpoint, now: f64) -> bool {
        self.tracks.get(endpoint as usize).is_some_and(|track| {
            let tau = now - track.sent_at.first().copied().unwrap_or(now);
            (track.sent_at.len() as u32) < self.follow(tau)
        })
    }

    /// Whether going beyond is held off at `now` (a 429 was just met).
    pub(super) fn quiet(&self, now: f64) -> bool {
        now < self.quiet_until
    }

    /// When going beyond is allowed again after a 429.
    pub(super) fn quiet_until(&self) -> f64 {
        self.quiet_until
    }

    /// How many requests may be in flight beyond the frontier now.
    pub(super) fn window(&self) -> usize {
        self.window
    }

    /// Records `endpoint`'s next request, admitted at `now`; returns its index.
    pub(super) fn register(&mut self, endpoint: Endpoint, now: f64) -> u32 {
        let Some(track) = self.tracks.get_mut(endpoint as usize) else {
            return 0;
        };
        track.sent_at.push(now);
        track.sent_at.len() as u32 - 1
    }

    /// Request `index` of `endpoint` really left at `now` (it may have waited for a slot).
    pub(super) fn sent(&mut self, endpoint: Endpoint, index: u32, now: f64) {
        if let Some(t) = self
            .tracks
            .get_mut(endpoint as usize)
            .and_then(|t| t.sent_at.get_mut(index as usize))
        {
            *t = now;
        }
    }

    /// Request `index` of `endpoint` passed: every pass sent by then consumed a token, so the
    /// bucket held that many within that time of its first request. A pass beyond the
    /// frontier (`explored`) widens the slow-start window.
    pub(super) fn passed(&mut self, endpoint: Endpoint, index: u32, explored: bool) {
        if explored && !self.met_limit {
            self.window = (self.window + 1).min(self.max_window);
        }
        let Some(track) = self.tracks.get_mut(endpoint as usize) else {
            return;
        };
        let Some(&first) = track.sent_at.first() else {
            return;
        };
        let i = track.passed.partition_point(|&p| p < index);
        if track.passed.get(i) == Some(&index) {
            return;
        }
        track.passed.insert(i, index);
        // Passes arrive out of order: one sent earlier also raises the count of every later
        // pass (at most the requests that were in flight with it).
        for (&p, n) in track.passed[i..].iter().zip(i as u32 + 1..) {
            if let Some(&at) = track.sent_at.get(p as usize) {
                self.hull.prove((at - first).max(0.0), n);
            }
        }
    }

    /// A limit was met at `now`. Nobody goes beyond for a while: what the 429s prove paces
    /// the others within milliseconds, and going beyond until then would meet the limit blind
    /// once more. (Should the proof not pace an endpoint, going beyond resumes after.)
    pub(super) fn limited(&mut self, now: f64) {
        // Whoever goes beyond next starts its slow start over.
        self.window = INITIAL_WINDOW.min(self.max_window);
        self.met_limit = true;
        self.quiet_until = self.quiet_until.max(now + QUIET_AFTER_429_S);
    }
}

/// What every pass so far proves, as the least `b + r·τ` over every bucket `(b, r)` they
/// allow: the upper concave hull of the points `(τ, n)` ("a full bucket took `n` requests
/// within `τ` of its first"), flat after the last. A linear bucket that took 4 at once and 100
/// within a second takes 52 within half a second, whatever its `b` and `r`. Sorted by `τ`;
/// starts at `(0, 1)`: a bucket that takes none is no limit but a wall.
#[derive(Debug)]
struct Hull(Vec<(f64, f64)>);

impl Default for Hull {
    fn default() -> Self {
        Self(vec![(0.0, 1.0)])
    }
}

impl Hull {
    /// How many requests a full bucket is proven to take within `tau` of its first.
    pub(crate) fn reach(&self, tau: f64) -> u32 {
        let h = &self.0;
        let i = h.partition_point(|&(t, _)| t <= tau);
        let n = match (i.checked_sub(1).and_then(|i| h.get(i)), h.get(i)) {
            (Some(&(t0, n0)), Some(&(t1, n1))) => n0 + (n1 - n0) * (tau - t0) / (t1 - t0),
            (Some(&(_, n)), None) => n,
            _ => 1.0,
        };
        // Floating error must not round a proven count down.
        (n + 1e-9).floor() as u32
    }

    /// A full bucket took `n` requests within `tau`: `b + r·tau ≥ n`.
    fn prove(&mut self, tau: f64, n: u32) {
        if n <= self.reach(tau) {
            return;
        }
        let n = f64::from(n);
        let h = &mut self.0;
        let mut i = h.partition_point(|&(t, _)| t < tau);
        if h.get(i).is_some_and(|&(t, _)| t == tau) {
            h[i].1 = n;
        } else {
            h.insert(i, (tau, n));
        }
        // Later points that prove no more are covered (the bound never falls).
        let end = i + 1 + h[i + 1..].partition_point(|&(_, m)| m <= n);
        h.drain(i + 1..end);
        // Keep the hull concave on both sides of the new point.
        while i + 2 < h.len() && !concave(h[i], h[i + 1], h[i + 2]) {
            h.remove(i + 1);
        }
        while i >= 2 && !concave(h[i - 2], h[i - 1], h[i]) {
            h.remove(i - 1);
            i -= 1;
        }
    }
}

/// Whether `b` lies on or above the chord from `a` to `c`.
fn concave(a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> bool {
    (b.1 - a.1) * (c.0 - b.0) >= (c.1 - b.1) * (b.0 - a.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Endpoint = Endpoint::ListProjectUsers;
    const B: Endpoint = Endpoint::ListProjectServiceAccounts;

    #[test]
    fn the_frontier_is_the_least_bucket_every_pass_allows() {
        let mut f = Frontier::new(64);
        assert_eq!((f.hull.reach(0.0), f.hull.reach(5.0)), (1, 1));
        f.hull.prove(0.0, 4);
        f.hull.prove(1.0, 100);
        assert_eq!(f.hull.reach(0.5), 52, "b + r/2 is least at b = 4, r = 96");
        assert_eq!(f.hull.reach(2.0), 100, "r may be zero past the last proof");
        f.hull.prove(0.5, 40); // under the chord: proves nothing new
        assert_eq!(f.hull.0, vec![(0.0, 4.0), (1.0, 100.0)]);
        f.hull.prove(0.25, 60);
        assert_eq!((f.hull.reach(0.125), f.hull.reach(0.5)), (32, 73));
        f.hull.prove(0.2, 61); // covers (0.25, 60)
        assert_eq!(f.hull.0, vec![(0.0, 4.0), (0.2, 61.0), (1.0, 100.0)]);
    }

    #[test]
    fn the_frontier_never_claims_more_than_the_real_bucket_takes() {
        // Passes can only lie under the server's line b + r·τ; so must the frontier.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..200 {
            let (b, r) = (1.0 + 50.0 * next(), 200.0 * next());
            let mut f = Frontier::new(64);
            for _ in 0..30 {
                let tau = next();
                let n = ((b + r * tau) * next()).floor() as u32;
                f.hull.prove(tau, n.max(1));
            }
            for k in 0..=100 {
                let tau = f64::from(k) / 80.0;
                assert!(
                    f64::from(f.hull.reach(tau)) <= b + r * tau,
                    "b {b} r {r} τ {tau}: {:?}",
                    f.hull.0
                );
            }
        }
    }

    #[test]
    fn passes_prove_the_schedule_that_sent_them_for_every_endpoint() {
        let mut f = Frontier::new(64);
        // A sends six at once (one within, five beyond), all pass.
        assert!(f.within(A, 0.0));
        let got: Vec<_> = (0..6).map(|_| f.register(A, 0.0)).collect();
        assert_eq!(got, [0, 1, 2, 3, 4, 5]);
        assert!(f.within(B, 0.001));
        f.register(B, 0.001);
        assert!(!f.within(B, 0.001), "nothing proven beyond one yet");
        for i in [3, 1, 0, 5, 2, 4] {
            f.passed(A, i, i > 0);
        }
        // Now B, 1 ms into its own schedule, may have sent six, less the margin.
        assert_eq!(f.hull.reach(0.001), 6);
        let b: Vec<_> = (0..4)
            .map(|_| f.within(B, 0.002).then(|| f.register(B, 0.002)))
            .collect();
        assert_eq!(b, [Some(1), Some(2), Some(3), None]);
        assert_eq!(
            f.window(),
            INITIAL_WINDOW + 5,
            "five passes beyond widened it"
        );
    }

    #[test]
    fn after_a_429_nobody_goes_beyond_for_a_while_and_slow_start_begins_again() {
        let mut f = Frontier::new(64);
        f.register(A, 0.0);
        f.register(A, 0.0);
        f.passed(A, 1, true);
        assert_eq!(f.window(), INITIAL_WINDOW + 1);
        f.limited(0.02);
        assert!(f.quiet(0.03));
        assert!(!f.quiet(0.02 + QUIET_AFTER_429_S + 0.001));
        assert_eq!(f.window(), INITIAL_WINDOW);
        f.register(A, 0.3);
        f.passed(A, 2, true);
        assert_eq!(
            f.window(),
            INITIAL_WINDOW,
            "passes after a 429 do not widen it"
        );
    }

    #[test]
    fn requests_that_did_not_pass_prove_nothing() {
        let mut f = Frontier::new(64);
        for _ in 0..3 {
            f.register(A, 0.0);
        }
        f.sent(A, 2, 0.01);
        // Request 1 got a 429 (never reported as passed): the pass of 2 proves two requests.
        f.passed(A, 2, true);
        f.passed(A, 0, false);
        assert_eq!(f.hull.reach(0.01), 2);
    }
}
