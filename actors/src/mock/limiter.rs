//! Per-endpoint-template rate limiting, GCRA by hand: one "theoretical arrival time" per
//! `Endpoint`, so a check is one short lock and a few integer operations.

use super::config::RateLimit;
use crate::endpoint::Endpoint;
use parking_lot::Mutex;
use std::time::{Duration, Instant};

pub struct Limiter {
    start: Instant,
    /// Nanoseconds between tokens.
    interval: u64,
    /// How far ahead of now the arrival time may run: `burst` tokens.
    tolerance: u64,
    tat: Vec<Mutex<u64>>,
}

impl Limiter {
    pub fn new(limit: RateLimit) -> Limiter {
        let interval = 60_000_000_000 / u64::from(limit.rpm.max(1));
        Limiter {
            start: Instant::now(),
            interval,
            tolerance: interval.saturating_mul(u64::from(limit.burst.max(1))),
            tat: Endpoint::ALL.iter().map(|_| Mutex::new(0)).collect(),
        }
    }

    /// Fills every bucket.
    pub fn refill(&self) {
        for tat in &self.tat {
            *tat.lock() = 0;
        }
    }

    /// Takes a token from `ep`'s bucket, or says how long until one is available.
    pub fn check(&self, ep: Endpoint) -> Result<(), Duration> {
        let now = self.start.elapsed().as_nanos() as u64;
        let Some(slot) = self.tat.get(ep as usize) else {
            return Ok(());
        };
        let mut tat = slot.lock();
        let next = (*tat).max(now) + self.interval;
        if next - now > self.tolerance {
            return Err(Duration::from_nanos(next - now - self.tolerance));
        }
        *tat = next;
        Ok(())
    }
}

/// `Retry-After` in whole seconds, rounded up and at least 1 (the spec's integer form).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_nanos().div_ceil(1_000_000_000).max(1) as u64
}
