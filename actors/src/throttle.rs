//! The shared throttle (DESIGN §3): a global in-flight cap, and per endpoint template a pause
//! gate that a 429 closes, a governor limiter, and a rate learned from the server's 429s.
//!
//! The Admin API limits each endpoint separately and sends no rate-limit headers, so the rate
//! is learned: the first 429 marks the moment the server's bucket ran dry; the next one marks it
//! dry again, and the successes in between are exactly what the server refilled in that time.
//! From then on the endpoint is paced just under that rate, so a long run stops provoking 429s.

use crate::api::Endpoint;
use dashmap::DashMap;
use governor::{DefaultDirectRateLimiter, Jitter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How the throttle starts.
#[derive(Clone, Debug)]
pub struct ThrottleConfig {
    /// Requests in flight at once, over all endpoints.
    pub max_in_flight: usize,
    /// A client-side budget per endpoint (requests per minute), if the user knows it.
    pub rpm: Option<u32>,
    /// Burst allowed by the client-side budget.
    pub burst: u32,
    /// Wait after a 429 that names no `Retry-After`.
    pub default_pause: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 64,
            rpm: None,
            burst: 1,
            default_pause: Duration::from_secs(1),
        }
    }
}

/// Cheap to clone; shared by every crawler and the provisioner.
#[derive(Clone)]
pub struct Throttle {
    inner: Arc<Inner>,
}

struct Inner {
    config: ThrottleConfig,
    in_flight: Arc<Semaphore>,
    endpoints: DashMap<Endpoint, Arc<EndpointGate>>,
    epoch: Instant,
}

struct EndpointGate {
    paused_until_ms: AtomicU64,
    limiter: RwLock<Option<Arc<DefaultDirectRateLimiter>>>,
    successes: AtomicU64,
    rate_limited: AtomicU64,
    /// (ms since epoch, successes) at the last 429 that refined the estimate.
    last_dry: Mutex<Option<(u64, u64)>>,
    /// Requests per minute learned from 429s (0 = not learned).
    learned_rpm: AtomicU64,
    first_request_ms: AtomicU64,
}

/// Held while a request is in flight; dropping it frees the slot.
pub struct Permit {
    _slot: Option<OwnedSemaphorePermit>,
}

/// What the throttle learned about one endpoint.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EndpointRate {
    pub endpoint: Endpoint,
    pub learned_rpm: Option<f64>,
    pub rate_limited: u64,
}

impl Throttle {
    pub fn new(config: ThrottleConfig) -> Self {
        let in_flight = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
        Self {
            inner: Arc::new(Inner {
                config,
                in_flight,
                endpoints: DashMap::new(),
                epoch: Instant::now(),
            }),
        }
    }

    fn gate(&self, endpoint: Endpoint) -> Arc<EndpointGate> {
        if let Some(g) = self.inner.endpoints.get(&endpoint) {
            return g.clone();
        }
        let limiter = self
            .inner
            .config
            .rpm
            .map(|rpm| Arc::new(limiter_for(rpm as f64, self.inner.config.burst)));
        self.inner
            .endpoints
            .entry(endpoint)
            .or_insert_with(|| {
                Arc::new(EndpointGate {
                    paused_until_ms: AtomicU64::new(0),
                    limiter: RwLock::new(limiter),
                    successes: AtomicU64::new(0),
                    rate_limited: AtomicU64::new(0),
                    last_dry: Mutex::new(None),
                    learned_rpm: AtomicU64::new(0),
                    first_request_ms: AtomicU64::new(u64::MAX),
                })
            })
            .clone()
    }

    fn now_ms(&self) -> u64 {
        self.inner.epoch.elapsed().as_millis() as u64
    }

    /// Waits until `endpoint` may be called: its pause gate is open, its rate allows one more
    /// request, and a global in-flight slot is free.
    pub async fn acquire(&self, endpoint: Endpoint) -> Permit {
        let gate = self.gate(endpoint);
        loop {
            let now = self.now_ms();
            let until = gate.paused_until_ms.load(Ordering::Acquire);
            if until > now {
                tokio::time::sleep(Duration::from_millis(until - now)).await;
                continue;
            }
            let limiter = gate.limiter.read().ok().and_then(|l| l.clone());
            if let Some(limiter) = limiter {
                limiter
                    .until_ready_with_jitter(Jitter::up_to(Duration::from_millis(5)))
                    .await;
            }
            // A 429 may have closed the gate while we waited for the limiter.
            if gate.paused_until_ms.load(Ordering::Acquire) <= self.now_ms() {
                break;
            }
        }
        let now = self.now_ms();
        gate.first_request_ms.fetch_min(now, Ordering::AcqRel);
        // The semaphore is never closed, so this is always `Some`.
        Permit {
            _slot: self.inner.in_flight.clone().acquire_owned().await.ok(),
        }
    }

    pub fn on_success(&self, endpoint: Endpoint) {
        self.gate(endpoint).successes.fetch_add(1, Ordering::AcqRel);
    }

    /// A 429 arrived: close the endpoint's gate and refine its learned rate.
    pub fn on_rate_limited(&self, endpoint: Endpoint, retry_after: Option<Duration>) {
        let gate = self.gate(endpoint);
        let now = self.now_ms();
        gate.rate_limited.fetch_add(1, Ordering::AcqRel);
        let pause = retry_after.unwrap_or(self.inner.config.default_pause);
        gate.paused_until_ms
            .fetch_max(now + pause.as_millis() as u64, Ordering::AcqRel);

        let successes = gate.successes.load(Ordering::Acquire);
        let Ok(mut last) = gate.last_dry.lock() else {
            return;
        };
        let first_ms = gate.first_request_ms.load(Ordering::Acquire);
        let estimate = estimate_rpm(*last, first_ms, now, successes, pause);
        if last.is_none() || estimate.is_some() {
            *last = Some((now, successes));
        }
        drop(last);
        if let Some(rpm) = estimate {
            let rpm = rpm.max(0.5);
            let previous = f64::from_bits(gate.learned_rpm.load(Ordering::Acquire));
            // Only ever slow down from what was learned; the user's own budget stays a ceiling.
            let rpm = if previous > 0.0 {
                rpm.min(previous)
            } else {
                rpm
            };
            let rpm = self.inner.config.rpm.map_or(rpm, |cap| rpm.min(cap as f64));
            gate.learned_rpm.store(rpm.to_bits(), Ordering::Release);
            if let Ok(mut l) = gate.limiter.write() {
                *l = Some(Arc::new(limiter_for(rpm, 1)));
            }
        }
    }

    /// What was learned so far, for the summary.
    pub fn rates(&self) -> Vec<EndpointRate> {
        let mut v: Vec<_> = self
            .inner
            .endpoints
            .iter()
            .map(|e| {
                let rpm = f64::from_bits(e.learned_rpm.load(Ordering::Acquire));
                EndpointRate {
                    endpoint: *e.key(),
                    learned_rpm: (rpm > 0.0).then_some(rpm),
                    rate_limited: e.rate_limited.load(Ordering::Acquire),
                }
            })
            .collect();
        v.sort_by_key(|r| r.endpoint);
        v
    }

    pub fn max_in_flight(&self) -> usize {
        self.inner.config.max_in_flight
    }
}

/// The server's refill rate (requests per minute) as far as two dry moments tell it.
fn estimate_rpm(
    last_dry: Option<(u64, u64)>,
    first_ms: u64,
    now: u64,
    successes: u64,
    pause: Duration,
) -> Option<f64> {
    match last_dry {
        // First 429: everything so far fit in burst + refill; an upper bound on the rate,
        // still useful, because pacing at it makes the next 429 come soon and measurable.
        None => {
            let start = first_ms.min(now);
            let secs = ((now - start) as f64 / 1000.0)
                .max(pause.as_secs_f64())
                .max(0.001);
            Some(successes.max(1) as f64 / secs * 60.0)
        }
        // Dry at both 429s: the successes in between are what the server refilled.
        Some((t1, s1)) if now > t1 + 200 && successes > s1 => {
            Some((successes - s1) as f64 / ((now - t1) as f64 / 1000.0) * 60.0 * 0.97)
        }
        Some(_) => None,
    }
}

fn limiter_for(rpm: f64, burst: u32) -> DefaultDirectRateLimiter {
    let period = Duration::from_secs_f64(60.0 / rpm.max(0.01));
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst);
    RateLimiter::direct(quota)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_429_closes_the_gate_for_retry_after() {
        let t = Throttle::new(ThrottleConfig::default());
        t.on_rate_limited(Endpoint::ListGroups, Some(Duration::from_millis(150)));
        let started = Instant::now();
        let _p = t.acquire(Endpoint::ListGroups).await;
        assert!(started.elapsed() >= Duration::from_millis(140));
        // Other endpoints are not paused.
        let started = Instant::now();
        let _q = t.acquire(Endpoint::ListUsers).await;
        assert!(started.elapsed() < Duration::from_millis(100));
    }

    #[test]
    fn the_second_429_learns_the_refill_rate() {
        // 10 successes in the second between two dry moments: 600 rpm, paced 3% under.
        let rpm =
            estimate_rpm(Some((1_000, 5)), 0, 2_000, 15, Duration::from_secs(1)).expect("estimate");
        assert!((580.0..=583.0).contains(&rpm), "learned {rpm}");
        // Too close together to tell anything.
        assert_eq!(
            estimate_rpm(Some((1_000, 5)), 0, 1_100, 6, Duration::from_secs(1)),
            None
        );
        // First 429: an upper bound from everything that fit so far (burst included).
        let first = estimate_rpm(None, 0, 2_000, 20, Duration::from_secs(1)).expect("estimate");
        assert!((599.0..=601.0).contains(&first), "first {first}");
    }
}
