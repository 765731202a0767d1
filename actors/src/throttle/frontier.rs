//! Before a limit is known, one endpoint at a time meets it blind.
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
//! - goes beyond it only as the one *explorer*, with its slow-start window. An endpoint with
//!   far more work takes that role once the explorer's probes are answered;
//! - after a 429, does not explore for [`QUIET_AFTER_429_S`]: the model paces it meanwhile.
//!
//! So when the limit is there, the explorer meets it and its 429s teach the others before they
//! get there, instead of every endpoint started in the first round trips meeting it with a
//! window of requests in flight. Nothing tells a limited server from an unlimited one before
//! its first 429, so the explorer's own first wave cannot be avoided: it is the price of not
//! crawling an unlimited server one request at a time.
//!
//! Pure: times are seconds passed in, so it is tested without clocks.

use crate::endpoint::Endpoint;

/// An explorer that has not wanted to go beyond the frontier this long has run out of work
/// there: another endpoint may take over.
const EXPLORER_IDLE_S: f64 = 0.05;

/// A waiting endpoint asks again every millisecond or so: one that has not asked this long
/// no longer needs to explore.
const YIELD_LAPSE_S: f64 = 0.01;

/// How long nobody explores after a 429 (a few of the model's refreshes).
const QUIET_AFTER_429_S: f64 = 0.25;

/// The explorer's slow-start window at first.
pub const INITIAL_WINDOW: usize = 4;

/// How many requests behind the frontier another endpoint stays.
const FOLLOW_BEHIND: u32 = 2;

/// What an endpoint may do with its next request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Inside the frontier: send it (the request's index is given).
    Within(u32),
    /// Beyond the frontier, as the explorer: send it, counted against the explorer's window.
    Explore(u32),
    /// Beyond the frontier, and another endpoint explores (or the window is full): wait.
    Wait,
}

#[derive(Debug, Default)]
struct Track {
    /// Send time of each request, by index (admission time until the real send is known).
    /// The endpoint's own clock starts at the first.
    sent_at: Vec<f64>,
    /// Indices of the requests that passed, sorted.
    passed: Vec<u32>,
}

#[derive(Debug, Clone, Copy)]
struct Explorer {
    endpoint: Endpoint,
    wanted_at: f64,
    /// A busier endpoint is taking over (and when it last asked): this one sends nothing more
    /// beyond the frontier.
    yielding: Option<(Endpoint, f64)>,
}

/// An endpoint's requests: waiting or in flight (its work now), in flight, and in flight
/// beyond the frontier.
#[derive(Clone, Copy, Debug, Default)]
pub struct Load {
    pub work: usize,
    pub in_flight: usize,
    pub exploring: usize,
}

#[derive(Debug)]
pub struct Frontier {
    hull: Hull,
    tracks: Vec<Track>,
    explorer: Option<Explorer>,
    /// Slow start beyond the frontier: how many requests the explorer may have in flight
    /// there. It grows by one per pass there (doubling per round trip) until a limit is met,
    /// and starts over then. It belongs to the exploring, not to one endpoint: an explorer
    /// taking over goes on from where the last one stood instead of starting the ramp over.
    window: usize,
    max_window: usize,
    met_limit: bool,
    /// No one explores before this (a 429 was just met).
    quiet_until: f64,
}

impl Frontier {
    /// `max_window`: the most requests the explorer may have in flight beyond the frontier.
    pub fn new(max_window: usize) -> Self {
        let max_window = max_window.max(1);
        Self {
            hull: Hull::default(),
            tracks: Endpoint::ALL.iter().map(|_| Track::default()).collect(),
            explorer: None,
            window: INITIAL_WINDOW.min(max_window),
            max_window,
            met_limit: false,
            quiet_until: f64::NEG_INFINITY,
        }
    }

    /// How far another endpoint may follow the frontier: [`FOLLOW_BEHIND`] requests behind it.
    /// Where the limit was met, the explorer's last passes took the bucket's last tokens; a
    /// schedule copied that closely meets the limit on any jitter in when the server counts
    /// its requests.
    fn follow(&self, tau: f64) -> u32 {
        self.hull.reach(tau).saturating_sub(FOLLOW_BEHIND).max(1)
    }

    /// May `endpoint` send a request at `now`? `load` says how much work an endpoint has (requests waiting or in flight) and how many
    /// requests it has in flight beyond the frontier; an endpoint with far more work than the
    /// explorer takes its place, so the frontier grows where the work is (a list
    /// paged one request at a time would grow it by one per round trip).
    pub fn admit(
        &mut self,
        endpoint: Endpoint,
        now: f64,
        load: impl Fn(Endpoint) -> Load,
    ) -> Admit {
        let Some(track) = self.tracks.get(endpoint as usize) else {
            return Admit::Wait;
        };
        let tau = now - track.sent_at.first().copied().unwrap_or(now);
        let next = track.sent_at.len() as u32 + 1;
        if next <= self.follow(tau) {
            return Admit::Within(self.register(endpoint, now));
        }
        let mine = load(endpoint);
        if mine.in_flight == 0 && self.explorer.is_none_or(|x| x.endpoint != endpoint) {
            // Alone in flight, a request meets the limit at most once: no need to explore.
            return Admit::Within(self.register(endpoint, now));
        }
        if now < self.quiet_until {
            return Admit::Wait;
        }
        let takes_over = match self.explorer {
            None => true,
            // A yield lapses when the busier endpoint stops asking (the frontier grew enough
            // for it meanwhile).
            Some(x) if x.endpoint == endpoint => x
                .yielding
                .is_none_or(|(_, asked_at)| now - asked_at > YIELD_LAPSE_S),
            Some(x) if now - x.wanted_at > EXPLORER_IDLE_S => true,
            Some(mut x) => {
                let theirs = load(x.endpoint);
                let asked = x.yielding.is_some_and(|(e, _)| e == endpoint);
                if asked || far_busier(mine.work, theirs.work) {
                    // It sends nothing more beyond; once what it sent there is answered (its
                    // 429s, if any, teach everyone), this endpoint explores instead. Two
                    // explorers at once could meet the limit blind twice.
                    x.yielding = Some((endpoint, now));
                    self.explorer = Some(x);
                    theirs.exploring == 0
                } else {
                    false
                }
            }
        };
        if !takes_over {
            return Admit::Wait;
        }
        if self.explorer.is_none_or(|x| x.endpoint != endpoint) {
            tracing::debug!(
                endpoint = endpoint.template(),
                reach = next - 1,
                "Exploring beyond the proven schedule."
            );
        }
        self.explorer = Some(Explorer {
            endpoint,
            wanted_at: now,
            yielding: None,
        });
        if mine.exploring < self.window {
            Admit::Explore(self.register(endpoint, now))
        } else {
            Admit::Wait
        }
    }

    fn register(&mut self, endpoint: Endpoint, now: f64) -> u32 {
        let Some(track) = self.tracks.get_mut(endpoint as usize) else {
            return 0;
        };
        track.sent_at.push(now);
        track.sent_at.len() as u32 - 1
    }

    /// Request `index` of `endpoint` really left at `now` (it may have waited for a slot).
    pub fn sent(&mut self, endpoint: Endpoint, index: u32, now: f64) {
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
    /// frontier (`explored`) widens the explorer's window.
    pub fn passed(&mut self, endpoint: Endpoint, index: u32, explored: bool) {
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

    /// The explorer's slow-start window now.
    #[cfg(test)]
    pub fn window(&self) -> usize {
        self.window
    }

    /// `endpoint` is paced now: it stops exploring.
    pub fn release(&mut self, endpoint: Endpoint) {
        if self.explorer.is_some_and(|x| x.endpoint == endpoint) {
            self.explorer = None;
        }
    }

    /// `endpoint` met the limit at `now`. Nobody explores for a while: what its 429s prove
    /// paces the others within milliseconds, and exploring until then would meet the limit
    /// blind once more. (Should the proof not pace an endpoint, exploring resumes after.)
    pub fn limited(&mut self, endpoint: Endpoint, now: f64) {
        self.release(endpoint);
        // Whoever explores next starts its slow start over.
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
    pub fn reach(&self, tau: f64) -> u32 {
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

/// Whether an endpoint with `mine` requests of work should take a role (exploring, probing)
/// from one with `theirs`: by a wide margin only, or two busy endpoints would pass it back
/// and forth. (A list paged one request at a time has a work of one.)
pub fn far_busier(mine: usize, theirs: usize) -> bool {
    mine > 2 * theirs + 1
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

    /// An endpoint with a request in flight (else it may send one alone, unexplored).
    fn busy(_: Endpoint) -> Load {
        Load {
            in_flight: 1,
            ..Load::default()
        }
    }

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
        // A sends six at once (one within, five exploring), all pass.
        let got: Vec<_> = (0..6).map(|_| f.admit(A, 0.0, busy)).collect();
        assert_eq!(got[0], Admit::Within(0));
        assert_eq!(got[1..], (1..6).map(Admit::Explore).collect::<Vec<_>>());
        // B may not explore meanwhile: A does.
        assert_eq!(f.admit(B, 0.001, busy), Admit::Within(0));
        assert_eq!(f.admit(B, 0.001, busy), Admit::Wait);
        for i in [3, 1, 0, 5, 2, 4] {
            f.passed(A, i, i > 0);
        }
        // Now B, 1 ms into its own schedule, may have sent six, less the margin.
        assert_eq!(f.hull.reach(0.001), 6);
        let b: Vec<_> = (0..4).map(|_| f.admit(B, 0.002, busy)).collect();
        assert_eq!(
            b,
            [
                Admit::Within(1),
                Admit::Within(2),
                Admit::Within(3),
                Admit::Wait
            ]
        );
    }

    #[test]
    fn after_a_429_nobody_explores_until_the_model_had_time_to_pace_them() {
        let mut f = Frontier::new(64);
        f.admit(A, 0.0, busy);
        assert_eq!(f.admit(A, 0.0, busy), Admit::Explore(1));
        f.limited(A, 0.02);
        assert_eq!(f.admit(B, 0.02, busy), Admit::Within(0));
        assert_eq!(f.admit(B, 0.03, busy), Admit::Wait);
        assert_eq!(f.admit(A, 0.03, busy), Admit::Wait);
        assert_eq!(
            f.admit(B, 0.02 + QUIET_AFTER_429_S + 0.001, busy),
            Admit::Explore(1)
        );
    }

    #[test]
    fn a_request_alone_in_flight_needs_no_exploring() {
        let mut f = Frontier::new(64);
        f.admit(A, 0.0, busy);
        assert_eq!(f.admit(A, 0.0, busy), Admit::Explore(1));
        // B's one request is answered; its next, alone in flight, goes though A explores.
        f.admit(B, 0.0, busy);
        assert_eq!(f.admit(B, 0.02, |_| Load::default()), Admit::Within(1));
        assert_eq!(f.admit(B, 0.02, busy), Admit::Wait);
    }

    #[test]
    fn requests_that_did_not_pass_prove_nothing() {
        let mut f = Frontier::new(64);
        for _ in 0..3 {
            f.admit(A, 0.0, busy);
        }
        f.sent(A, 2, 0.01);
        // Request 1 got a 429 (never reported as passed): the pass of 2 proves two requests.
        f.passed(A, 2, true);
        f.passed(A, 0, false);
        assert_eq!(f.hull.reach(0.01), 2);
    }

    #[test]
    fn an_idle_or_far_less_busy_explorer_hands_over_once_its_probes_are_answered() {
        let mut f = Frontier::new(64);
        f.admit(A, 0.0, busy);
        assert_eq!(f.admit(A, 0.0, busy), Admit::Explore(1));
        f.admit(B, 0.0, busy);
        // A is still exploring and as busy as B: B waits.
        let same = |_: Endpoint| Load {
            work: 5,
            in_flight: 1,
            exploring: 0,
        };
        assert_eq!(f.admit(B, 0.01, same), Admit::Wait);
        // B has far more work waiting; A still has a request beyond the frontier in flight.
        let busier = |exploring| {
            move |e: Endpoint| Load {
                work: if e == B { 64 } else { 1 },
                in_flight: 1,
                exploring: if e == A { exploring } else { 0 },
            }
        };
        assert_eq!(f.admit(B, 0.01, busier(1)), Admit::Wait);
        assert_eq!(f.admit(A, 0.01, busier(1)), Admit::Wait, "A yields");
        // Once A's probe is answered, B explores.
        assert_eq!(f.admit(B, 0.02, busier(0)), Admit::Explore(1));
        // A has to wait now, until B goes idle.
        assert_eq!(f.admit(A, 0.03, same), Admit::Wait);
        assert_eq!(
            f.admit(A, 0.02 + EXPLORER_IDLE_S + 0.001, same),
            Admit::Explore(2)
        );
        // An explorer with a full window waits, but keeps its place.
        let full = |_: Endpoint| Load {
            work: 5,
            in_flight: INITIAL_WINDOW,
            exploring: INITIAL_WINDOW,
        };
        assert_eq!(f.admit(A, 0.1, full), Admit::Wait);
        assert_eq!(f.admit(B, 0.1, same), Admit::Wait);
        f.release(A);
        assert_eq!(f.admit(B, 0.1, same), Admit::Explore(2));
    }
}
