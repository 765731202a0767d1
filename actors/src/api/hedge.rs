//! When a read has taken so much longer than its endpoint usually does that asking again is
//! cheaper than waiting: the hedge's deadline. Pure: durations are recorded and read, nothing
//! here sleeps or sends.
//!
//! The deadline is a multiple of a high percentile of the endpoint's recent answers, never less
//! than a floor:
//! - **p95 × 3**: a healthy endpoint's answers spread a little around their median (a busy
//!   2-core machine, a server under load), so the 95th percentile plus a factor of three clears
//!   that spread: one request in several hundred is hedged on a healthy server, while a stalled
//!   answer (the mock's 2 s fault against 20 ms; a real server's stuck connection against
//!   ~0.5 s) is asked again after a tenth of its wait;
//! - **floor 50 ms**: at sub-millisecond loopback latencies, scheduling noise alone would exceed
//!   three times the percentile;
//! - **16 answers first**: a percentile of fewer says little. Until an endpoint has given 16,
//!   the answers of every endpoint stand in for its own (one server, similar work per page):
//!   the short lists on the critical path (users, projects: a few pages each) would otherwise
//!   never be hedged. Until the client has 16 answers at all, there is no deadline; a read
//!   sent before then is given one as soon as they are in (the client looks again every
//!   floor), since the first round trips are the start of the critical chain.
//!
//! Whether a hedge may go is the throttle's call (`Throttle::try_spare`), not this file's: only
//! where the endpoint's budget has room, so a hedge never provokes a 429.

use crate::endpoint::Endpoint;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// How long after sending a read is hedged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HedgePolicy {
    /// Answers an endpoint must have given before its reads are hedged.
    pub min_samples: usize,
    /// The percentile (0..=1) of recent answers the deadline starts from.
    pub quantile: f64,
    pub factor: f64,
    pub floor: Duration,
}

impl Default for HedgePolicy {
    fn default() -> Self {
        Self {
            min_samples: 16,
            quantile: 0.95,
            factor: 3.0,
            floor: Duration::from_millis(50),
        }
    }
}

/// How many recent answers per endpoint the percentile is read from.
const WINDOW: usize = 64;

/// One endpoint's recent answer times, newest overwriting oldest.
#[derive(Default)]
struct Window {
    samples: Vec<Duration>,
    next: usize,
}

impl Window {
    fn record(&mut self, d: Duration) {
        if self.samples.len() < WINDOW {
            self.samples.push(d);
        } else if let Some(slot) = self.samples.get_mut(self.next) {
            *slot = d;
        }
        self.next = (self.next + 1) % WINDOW;
    }

    fn quantile(&self, q: f64) -> Option<Duration> {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let last = sorted.len().checked_sub(1)?;
        let at = ((last as f64) * q.clamp(0.0, 1.0)).round() as usize;
        sorted.get(at.min(last)).copied()
    }
}

/// Recent answer times of every endpoint, shared by every clone of the client.
pub(super) struct Latencies {
    policy: HedgePolicy,
    windows: Vec<Mutex<Window>>,
    /// Every endpoint's answers together.
    all: Mutex<Window>,
}

impl Latencies {
    pub(super) fn new(policy: HedgePolicy) -> Self {
        Self {
            policy,
            windows: Endpoint::ALL.iter().map(|_| Mutex::default()).collect(),
            all: Mutex::default(),
        }
    }

    fn window(&self, e: Endpoint) -> Option<MutexGuard<'_, Window>> {
        self.windows.get(e as usize).map(lock)
    }

    /// The shortest deadline, also how often an outstanding read looks again for one.
    pub(super) fn floor(&self) -> Duration {
        self.policy.floor
    }

    /// `e` answered after `took` (headers and body read).
    pub(super) fn record(&self, e: Endpoint, took: Duration) {
        if let Some(mut w) = self.window(e) {
            w.record(took);
        }
        lock(&self.all).record(took);
    }

    /// How long a read of `e` may take before it is hedged; `None` while too few answers are
    /// known to say.
    pub(super) fn hedge_after(&self, e: Endpoint) -> Option<Duration> {
        let enough = |w: &Window| w.samples.len() >= self.policy.min_samples.max(1);
        let own = self.window(e)?;
        let high = if enough(&own) {
            own.quantile(self.policy.quantile)
        } else {
            drop(own);
            Some(lock(&self.all))
                .filter(|w| enough(w))
                .and_then(|w| w.quantile(self.policy.quantile))
        }?;
        Some(high.mul_f64(self.policy.factor).max(self.policy.floor))
    }
}

fn lock(w: &Mutex<Window>) -> MutexGuard<'_, Window> {
    w.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    const E: Endpoint = Endpoint::ListUsers;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn no_deadline_until_enough_answers_are_known() {
        let l = Latencies::new(HedgePolicy::default());
        for _ in 0..15 {
            l.record(E, ms(20));
        }
        assert_eq!(l.hedge_after(E), None);
        l.record(E, ms(20));
        assert_eq!(l.hedge_after(E), Some(ms(60)));
    }

    #[test]
    fn an_endpoint_with_few_answers_borrows_everyone_elses() {
        let l = Latencies::new(HedgePolicy::default());
        for _ in 0..16 {
            l.record(E, ms(20));
        }
        assert_eq!(l.hedge_after(Endpoint::ListProjects), Some(ms(60)));
        for _ in 0..16 {
            l.record(Endpoint::ListProjects, ms(100));
        }
        assert_eq!(
            l.hedge_after(Endpoint::ListProjects),
            Some(ms(300)),
            "its own, once it has enough"
        );
    }

    #[test]
    fn one_stalled_answer_does_not_move_the_deadline_but_a_slower_server_does() {
        let l = Latencies::new(HedgePolicy::default());
        for _ in 0..40 {
            l.record(E, ms(20));
        }
        l.record(E, ms(2000));
        assert_eq!(l.hedge_after(E), Some(ms(60)), "p95 ignores one outlier");
        // The server slows down for good: the window forgets the fast answers.
        for _ in 0..WINDOW {
            l.record(E, ms(400));
        }
        assert_eq!(l.hedge_after(E), Some(ms(1200)));
    }

    #[test]
    fn the_floor_holds_at_loopback_latencies() {
        let l = Latencies::new(HedgePolicy::default());
        for _ in 0..20 {
            l.record(E, Duration::from_micros(300));
        }
        assert_eq!(l.hedge_after(E), Some(ms(50)));
    }
}
