//! Learning one endpoint's sustainable rate from its 429s (see the module docs of `throttle`).
//! Pure bookkeeping on tickets (the order requests were let through) and millisecond times,
//! so it is tested without clocks or servers.

use std::time::Duration;

/// A segment shorter than this measures latency noise, not the server's refill.
const MIN_SEGMENT_MS: u64 = 20;
/// Pace this far under what was measured.
const MARGIN: f64 = 0.97;
/// How long a probing pace must hold without a 429 before it doubles.
const PROBE_HOLD_MS: u64 = 250;
/// After a measurement, how long a pace must hold without a 429 before it is raised (an
/// underestimate would otherwise be permanent: too slow never provokes the 429 that corrects it).
const RAISE_HOLD_MS: u64 = 2_000;
/// How much a pace is raised, at most, after holding.
const RAISE: f64 = 1.25;
/// A `Retry-After` this long is itself the measurement: a dry bucket refills one request in it.
const TELLING_RETRY_AFTER: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
pub struct Learner {
    next_ticket: u64,
    /// Successes of requests let through before the first 429: the server's burst.
    burst: u64,
    /// The first ticket after the first 429 closed the gate.
    first_pause_ticket: Option<u64>,
    /// The current paced segment: its first ticket, start time and successes since.
    segment_ticket: u64,
    segment_start_ms: u64,
    segment_successes: u64,
    /// The segment began under the limit (so the bucket was full when it started).
    segment_clean: bool,
    pause_ms: u64,
    /// Requests per second measured from a segment (only ever lowered afterwards).
    measured: Option<f64>,
    /// Pace while probing upwards (before a measurement).
    probing: Option<f64>,
    /// The first 429 came; probing starts when its pause ends (once the burst is counted).
    probe_pending: bool,
    /// Since the first 429 (the bucket's first dry moment): when, successes after it, pauses
    /// taken and their total length. Between two dry moments the successes are the refill,
    /// plus at most one burst per pause (a pause refills the bucket, up to its size).
    dry_at_ms: Option<u64>,
    /// The lowest pace that provoked a 429 after the first one: raising never reaches it.
    ceiling: Option<f64>,
    /// When the first request was let through, and the rate seen before the first 429 when
    /// that phase lasted long enough to tell (slow start can run for seconds before it).
    first_ticket_ms: Option<u64>,
    first_phase_rate: Option<f64>,
    /// The latest time the throttle told us (tickets carry no time of their own).
    now_hint: u64,
    successes_since_dry: u64,
    pauses_since_dry: u64,
    paused_ms_since_dry: u64,
}

impl Learner {
    /// A request is let through; its ticket orders it against pauses and segments.
    pub fn ticket(&mut self) -> u64 {
        self.next_ticket += 1;
        if self.first_ticket_ms.is_none() {
            self.first_ticket_ms = Some(self.now_hint);
        }
        self.next_ticket
    }

    pub fn success(&mut self, ticket: u64) {
        if self.first_pause_ticket.is_none_or(|p| ticket < p) {
            self.burst += 1;
        }
        if ticket >= self.segment_ticket {
            self.segment_successes += 1;
        }
        if self.first_pause_ticket.is_some_and(|p| ticket >= p) {
            self.successes_since_dry += 1;
        }
    }

    /// The rate to pace at after a 429 on request `ticket`, if it changes.
    pub fn rate_limited(
        &mut self,
        now: u64,
        ticket: u64,
        pause: Duration,
        current: Option<f64>,
    ) -> Option<f64> {
        self.now_hint = now;
        // Requests let through before the gate last closed tell nothing new.
        if ticket < self.segment_ticket {
            return None;
        }
        self.pause_ms = pause.as_millis() as u64;
        if pause >= TELLING_RETRY_AFTER {
            // The server said exactly when the next request fits: never raise above that.
            self.ceiling = Some(1.0 / pause.as_secs_f64());
            let rate = MARGIN / pause.as_secs_f64();
            let rate = self.measured.map_or(rate, |m| m.min(rate));
            self.first_pause_ticket.get_or_insert(self.next_ticket + 1);
            self.measured = Some(rate);
            self.probing = None;
            self.restart_segment(now + self.pause_ms, false);
            return Some(rate);
        }
        if self.first_pause_ticket.is_none() {
            self.first_pause_ticket = Some(self.next_ticket + 1);
            // A long first phase ran near the limit: its success rate (burst included, so a
            // little high) is a far better start than "one burst per pause", and the burst
            // itself cannot have been more than a fraction of what it let through.
            let phase_ms = self.first_ticket_ms.map_or(0, |t| now.saturating_sub(t));
            if phase_ms >= 500 && self.burst > 1 {
                let rate = self.burst as f64 / (phase_ms as f64 / 1000.0);
                self.first_phase_rate = Some(rate);
                self.burst = self.burst.min((rate * 0.1).ceil().max(1.0) as u64);
            }
            self.dry_at_ms = Some(now);
            self.pauses_since_dry = 1;
            self.paused_ms_since_dry = self.pause_ms;
            self.probe_pending = true;
            self.restart_segment(now + self.pause_ms, false);
            // Until the pause ends, the gate holds every request anyway.
            return None;
        }
        if let Some(pace) = current {
            self.ceiling = Some(self.ceiling.map_or(pace, |c| c.min(pace)));
        }
        let length = now.saturating_sub(self.segment_start_ms);
        let from_segment =
            (self.segment_clean && length >= MIN_SEGMENT_MS && self.segment_successes > self.burst)
                .then(|| (self.segment_successes - self.burst) as f64 / (length as f64 / 1000.0));
        let active_ms = self.dry_at_ms.map_or(0, |d| {
            now.saturating_sub(d)
                .saturating_sub(self.paused_ms_since_dry)
        });
        let refilled = self
            .successes_since_dry
            .saturating_sub(self.pauses_since_dry * self.burst);
        let cumulative = (active_ms >= 200 && refilled > 0)
            .then(|| refilled as f64 / (active_ms as f64 / 1000.0));
        let rate = match from_segment.or(cumulative) {
            Some(measured) => {
                let rate = measured * MARGIN;
                self.measured = Some(rate);
                self.probing = None;
                self.probe_pending = false;
                rate
            }
            None => {
                // Too little to measure: back off and measure again.
                let halved = current.or(self.measured).or(self.probing).unwrap_or(1.0) / 2.0;
                if self.measured.is_some() {
                    self.measured = Some(halved);
                } else {
                    self.probing = Some(halved);
                }
                halved
            }
        };
        self.pauses_since_dry += 1;
        self.paused_ms_since_dry += self.pause_ms;
        self.restart_segment(now + self.pause_ms, false);
        Some(rate)
    }

    /// While probing and 429-free for a while, double the pace. Returns the new pace.
    pub fn maybe_speed_up(&mut self, now: u64) -> Option<f64> {
        self.now_hint = now;
        if self.probe_pending && now >= self.segment_start_ms {
            // Start probing from one burst per pause; doubling finds the rest.
            self.probe_pending = false;
            let start = self
                .first_phase_rate
                .map(|r| r * MARGIN)
                .unwrap_or_else(|| {
                    self.burst.max(1) as f64 / (self.pause_ms.max(50) as f64 / 1000.0)
                });
            self.probing = Some(start);
            self.restart_segment(now, self.pause_ms >= 1000);
            return Some(start);
        }
        if let (None, Some(measured)) = (self.probing, self.measured) {
            if now < self.segment_start_ms + RAISE_HOLD_MS {
                return None;
            }
            let raised = (measured * RAISE).min(self.ceiling.map_or(f64::INFINITY, |c| c * MARGIN));
            self.restart_segment(now, true);
            if raised <= measured * 1.01 {
                return None;
            }
            self.measured = Some(raised);
            return Some(raised);
        }
        let probing = self.probing?;
        // Hold long enough that a pace above the limit drains the burst and shows a 429.
        let hold = PROBE_HOLD_MS.max((3.0 * self.burst as f64 / probing.max(0.01) * 1000.0) as u64);
        if now < self.segment_start_ms + hold {
            return None;
        }
        let faster = probing * 2.0;
        self.probing = Some(faster);
        // The slower segment before left the server's bucket full: this one starts clean.
        self.restart_segment(now, true);
        Some(faster)
    }

    fn restart_segment(&mut self, start: u64, clean: bool) {
        self.segment_ticket = self.next_ticket + 1;
        self.segment_start_ms = start;
        self.segment_successes = 0;
        // After a pause long enough for the bucket to refill, the segment is clean too.
        self.segment_clean = clean || self.pause_ms >= 1000;
    }

    /// Requests per second learned so far.
    pub fn learned(&self) -> Option<f64> {
        self.measured.or(self.probing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_the_refill_of_a_token_bucket() {
        // Server: 200 req/s, burst 5. Eight requests fly at once: 5 succeed, 3 get 429.
        let mut l = Learner::default();
        let burst: Vec<u64> = (0..8).map(|_| l.ticket()).collect();
        assert_eq!(
            l.rate_limited(2, burst[5], Duration::from_secs(1), None),
            None,
            "the pause holds everything"
        );
        // The other 429s of that burst are stale; its successes land late and still count as burst.
        assert_eq!(
            l.rate_limited(3, burst[6], Duration::from_secs(1), None),
            None
        );
        assert_eq!(
            l.rate_limited(3, burst[7], Duration::from_secs(1), None),
            None
        );
        for t in &burst[..5] {
            l.success(*t);
        }
        assert_eq!(l.maybe_speed_up(500), None, "still paused");
        let start = l
            .maybe_speed_up(1_002)
            .expect("probing starts at one burst per pause");
        assert!((4.9..=5.1).contains(&start), "{start}");
        // Probing doubles while no 429 comes for long enough to drain three bursts.
        assert_eq!(l.maybe_speed_up(2_002), None);
        let faster = l.maybe_speed_up(4_002).expect("doubled");
        assert!((9.9..=10.1).contains(&faster));
        // A clean segment of 42 ms with 13 successes ends in a 429: (13 - 5) / 0.042 s ≈ 190/s.
        for _ in 0..13 {
            let t = l.ticket();
            l.success(t);
        }
        let t = l.ticket();
        let rate = l
            .rate_limited(4_044, t, Duration::from_secs(1), Some(400.0))
            .expect("measured");
        assert!((175.0..=200.0).contains(&rate), "measured {rate}");
        assert_eq!(l.learned(), Some(rate));
        // Once measured, the pace is only raised towards (never to) the pace that provoked a 429.
        let raised = l.maybe_speed_up(10_000).expect("raised after holding");
        assert!((raised - rate * RAISE).abs() < 1e-6, "{raised}");
    }

    #[test]
    fn a_long_retry_after_is_the_rate() {
        let mut l = Learner::default();
        let t = l.ticket();
        let r = l
            .rate_limited(0, t, Duration::from_secs(8), None)
            .expect("rate");
        assert!((0.12..=0.125).contains(&r), "one request per 8 s: {r}");
        assert_eq!(l.maybe_speed_up(60_000), None);
    }

    #[test]
    fn without_a_clean_segment_the_refill_since_the_first_dry_moment_is_the_measure() {
        // Server: 50 req/s, burst 20. After the first 429 (and its 1 s pause), the crawler sends
        // faster than 50/s from a half-drained bucket: 2 s of work gave 20 (the pause's refill)
        // + 100 successes, then a 429.
        let mut l = Learner::default();
        for _ in 0..20 {
            let t = l.ticket();
            l.success(t);
        }
        let t = l.ticket();
        l.rate_limited(0, t, Duration::from_secs(1), None);
        for _ in 0..120 {
            let t = l.ticket();
            l.success(t);
        }
        l.segment_clean = false;
        let t = l.ticket();
        let rate = l
            .rate_limited(3_000, t, Duration::from_secs(1), Some(80.0))
            .expect("measured");
        assert!(
            (48.0..=50.0).contains(&rate),
            "(120 - 20) / 2 s = 50/s, paced 3% under: {rate}"
        );
        // The pace that provoked the 429 (80/s) caps any later raise.
        let raised = l.maybe_speed_up(60_000).expect("raised after holding");
        assert!(raised <= 80.0 * MARGIN + 1e-9 && raised > rate, "{raised}");
    }

    #[test]
    fn too_short_a_segment_backs_off_instead_of_guessing() {
        let mut l = Learner::default();
        for _ in 0..3 {
            let t = l.ticket();
            l.success(t);
        }
        let t = l.ticket();
        l.rate_limited(2, t, Duration::from_millis(50), None);
        assert!(l.maybe_speed_up(52).is_some());
        let t = l.ticket();
        l.success(t);
        let t = l.ticket();
        let r = l
            .rate_limited(60, t, Duration::from_millis(50), Some(60.0))
            .expect("halved");
        assert!((29.9..=30.1).contains(&r));
    }
}
