//! Per-endpoint rate limiting: one GCRA bucket (the engine's `Gcra`) per `Endpoint`, on tokio's
//! clock, so a mock inside a paused runtime limits in virtual time.

use super::config::RateLimit;
use openai_access_actors::endpoint::Endpoint;
use openai_access_actors::{Gcra, Pace};
use parking_lot::Mutex;
use std::time::Duration;
use tokio::time::Instant;

pub struct Limiter {
    start: Instant,
    buckets: Vec<Mutex<Gcra>>,
}

impl Limiter {
    pub fn new(limit: RateLimit) -> Limiter {
        let pace = Pace {
            per_sec: f64::from(limit.rpm.max(1)) / 60.0,
            burst: limit.burst.max(1),
        };
        Limiter {
            start: Instant::now(),
            buckets: Endpoint::ALL
                .iter()
                .map(|_| Mutex::new(Gcra::new(pace, 0.0, true)))
                .collect(),
        }
    }

    /// Fills every bucket.
    pub fn refill(&self) {
        for b in &self.buckets {
            b.lock().refill();
        }
    }

    /// Takes a token from `ep`'s bucket, or says how long until one is available.
    pub fn check(&self, ep: Endpoint) -> Result<(), Duration> {
        let now = self.start.elapsed().as_secs_f64();
        let Some(bucket) = self.buckets.get(ep as usize) else {
            return Ok(());
        };
        bucket
            .lock()
            .take(now)
            .map_err(|wait| Duration::from_secs_f64(wait.max(0.0)))
    }
}

/// `Retry-After` in whole seconds, rounded up and at least 1 (the spec's integer form).
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_nanos().div_ceil(1_000_000_000).max(1) as u64
}
