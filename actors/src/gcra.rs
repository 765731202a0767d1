//! GCRA (the generic cell rate algorithm): a token bucket kept as one "theoretical arrival
//! time", with a pace that can change without forgetting when the last request went. The one
//! token bucket of the project: the throttle paces learned rates with it, the mock limits
//! each endpoint with it, and the simulations model the server with it.
//!
//! governor's quotas are fixed: replacing a limiter at each step of a probing ramp handed out
//! a fresh token every time, so an endpoint "paced" at 17/s met a 20/s limit. Here the
//! theoretical arrival time carries across changes. (governor stays for the user's own fixed
//! budget.) Pure: times are seconds passed in.

/// A pace: requests per second, and how many may go at once after an idle spell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pace {
    pub per_sec: f64,
    pub burst: u32,
}

#[derive(Clone, Debug)]
pub struct Gcra {
    pace: Pace,
    /// When the next request is due, in seconds since the throttle's epoch.
    tat: f64,
    /// Requests that may go at once beyond the pace's burst, because the bucket is known to
    /// be full and larger than that burst (a bucket the evidence proved, before its first
    /// request). Spent first; forgotten once a 429 says the bucket was not so full.
    credit: u32,
}

impl Gcra {
    /// Starts with the whole burst available (`full`, as before an endpoint's first request)
    /// or just one request (the server's bucket may be low).
    pub fn new(pace: Pace, now: f64, full: bool) -> Self {
        let tat = if full {
            now
        } else {
            now + interval(pace) * f64::from(pace.burst.saturating_sub(1))
        };
        Self {
            pace,
            tat,
            credit: 0,
        }
    }

    /// The same, with a full bucket of `bucket` requests known to be there: that many may go
    /// at once, then the pace.
    pub fn with_full_bucket(mut self, bucket: u32) -> Self {
        self.credit = bucket.saturating_sub(self.pace.burst);
        self
    }

    /// The bucket was not as full as believed (a 429): no more going beyond the pace.
    pub fn forget_credit(&mut self) {
        self.credit = 0;
    }

    pub fn pace(&self) -> Pace {
        self.pace
    }

    /// Changes the pace at `now`. What may be sent at once carries over in requests, not
    /// seconds: after a very slow pace, a faster one must not wait out the slow one's
    /// interval; and a larger burst is earned at the new pace, not handed out (an endpoint
    /// that had just drained the server's bucket would spend it on 429s).
    pub fn set(&mut self, pace: Pace, now: f64) {
        let owed = (self.tat - now).max(0.0) / interval(self.pace);
        let free = (f64::from(self.pace.burst) - owed).clamp(0.0, f64::from(pace.burst));
        self.pace = pace;
        self.tat = now + (f64::from(pace.burst) - free) * interval(pace);
    }

    /// Whether a slot is free at `now` (else how many seconds until one is), taking nothing.
    pub fn ready(&self, now: f64) -> Result<(), f64> {
        if self.credit > 0 {
            return Ok(());
        }
        let t = interval(self.pace);
        let tolerance = t * f64::from(self.pace.burst.saturating_sub(1));
        let tat = self.tat.max(now);
        if tat - now > tolerance + 1e-9 {
            return Err(tat - tolerance - now);
        }
        Ok(())
    }

    /// Fills the bucket (as if left alone for long): the mock's `rest`.
    pub fn refill(&mut self) {
        self.tat = f64::NEG_INFINITY;
    }

    /// Takes a slot at `now`, or says how many seconds until one is free.
    pub fn take(&mut self, now: f64) -> Result<(), f64> {
        if self.credit > 0 {
            self.credit -= 1;
            return Ok(());
        }
        self.ready(now)?;
        self.tat = self.tat.max(now) + interval(self.pace);
        Ok(())
    }
}

fn interval(p: Pace) -> f64 {
    1.0 / p.per_sec.max(0.001)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pace(per_sec: f64, burst: u32) -> Pace {
        Pace { per_sec, burst }
    }

    #[test]
    fn a_changing_pace_hands_out_no_extra_slots() {
        // Ten changes of pace within 100 ms at 10-11/s: one or two requests (the pace rises to
        // 10.9/s), not one per change as fresh limiters would give.
        let mut p = Gcra::new(pace(10.0, 1), 0.0, false);
        let mut sent = 0;
        for step in 0..100 {
            let now = step as f64 * 0.001;
            if step % 10 == 0 {
                p.set(pace(10.0 + step as f64 * 0.01, 1), now);
            }
            if p.take(now).is_ok() {
                sent += 1;
            }
        }
        assert!((1..=2).contains(&sent), "{sent}");
    }

    #[test]
    fn a_full_start_allows_the_burst_then_the_pace() {
        let mut p = Gcra::new(pace(20.0, 3), 5.0, true);
        assert!((0..3).all(|_| p.take(5.0).is_ok()));
        let wait = p.take(5.0).expect_err("burst spent");
        assert!((wait - 0.05).abs() < 1e-9, "{wait}");
        assert!(p.take(5.05).is_ok());
        // A drained start allows one at once.
        let mut q = Gcra::new(pace(20.0, 3), 0.0, false);
        assert!(q.take(0.0).is_ok());
        assert!(q.take(0.0).is_err());
    }

    #[test]
    fn a_larger_burst_is_earned_not_handed_out() {
        let mut p = Gcra::new(pace(10.0, 1), 0.0, false);
        assert!(p.take(0.0).is_ok());
        p.set(pace(20.0, 8), 0.01);
        assert!(p.take(0.01).is_err(), "nothing was free before the change");
        // It builds up at the new pace: two more after 100 ms.
        let sent = (0..8).filter(|_| p.take(0.11).is_ok()).count();
        assert_eq!(sent, 2);
        // A burst already earned survives a change of pace.
        let mut q = Gcra::new(pace(10.0, 4), 0.0, true);
        q.set(pace(20.0, 4), 0.0);
        assert_eq!((0..8).filter(|_| q.take(0.0).is_ok()).count(), 4);
    }

    #[test]
    fn a_known_full_bucket_goes_at_once_then_the_pace_follows() {
        // A bucket of 5 at 10/min, paced with a burst of 2: five at once, the sixth 6 s later.
        let mut p = Gcra::new(pace(10.0 / 60.0, 2), 0.0, true).with_full_bucket(5);
        assert_eq!((0..8).filter(|_| p.take(0.0).is_ok()).count(), 5);
        assert!(p.take(5.9).is_err());
        assert!(p.take(6.0).is_ok());
        let mut q = Gcra::new(pace(10.0 / 60.0, 2), 0.0, true).with_full_bucket(5);
        q.forget_credit();
        assert_eq!((0..8).filter(|_| q.take(0.0).is_ok()).count(), 2);
    }

    #[test]
    fn a_faster_pace_does_not_wait_out_a_slow_one() {
        let mut p = Gcra::new(pace(0.01, 1), 0.0, false);
        assert!(p.take(0.0).is_ok());
        // Owed: one request at 0.01/s (100 s). At 100/s that is 10 ms.
        p.set(pace(100.0, 1), 1.0);
        let wait = p.take(1.0).expect_err("one interval owed");
        assert!(wait <= 0.01 + 1e-9, "{wait}");
    }
}
