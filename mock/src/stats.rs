//! Request counters: lock-free atomics on the hot path, a `MockStats` snapshot for readers.

use openai_access_actors::endpoint::Endpoint;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// What the mock saw since start (or the last `reset_stats`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MockStats {
    /// Every request received per endpoint, including those answered with 401, 429 or a fault.
    pub requests: BTreeMap<Endpoint, u64>,
    pub rate_limited: u64,
    pub faults: u64,
    pub unauthorized: u64,
    /// Mutation requests received (whatever their answer).
    pub mutations: u64,
}

impl MockStats {
    pub fn total(&self) -> u64 {
        self.requests.values().sum()
    }

    pub fn get(&self, ep: Endpoint) -> u64 {
        self.requests.get(&ep).copied().unwrap_or(0)
    }
}

pub struct Counters {
    requests: Vec<AtomicU64>,
    pub rate_limited: AtomicU64,
    pub faults: AtomicU64,
    pub unauthorized: AtomicU64,
    pub mutations: AtomicU64,
}

impl Counters {
    pub fn new() -> Counters {
        Counters {
            requests: Endpoint::ALL.iter().map(|_| AtomicU64::new(0)).collect(),
            rate_limited: AtomicU64::new(0),
            faults: AtomicU64::new(0),
            unauthorized: AtomicU64::new(0),
            mutations: AtomicU64::new(0),
        }
    }

    pub fn request(&self, ep: Endpoint) {
        // `Endpoint::ALL` lists the variants in declaration order, so the discriminant indexes it.
        if let Some(c) = self.requests.get(ep as usize) {
            c.fetch_add(1, Relaxed);
        }
        if ep.is_mutation() {
            self.mutations.fetch_add(1, Relaxed);
        }
    }

    pub fn bump(c: &AtomicU64) {
        c.fetch_add(1, Relaxed);
    }

    pub fn snapshot(&self) -> MockStats {
        MockStats {
            requests: Endpoint::ALL
                .iter()
                .zip(&self.requests)
                .map(|(e, c)| (*e, c.load(Relaxed)))
                .filter(|(_, n)| *n > 0)
                .collect(),
            rate_limited: self.rate_limited.load(Relaxed),
            faults: self.faults.load(Relaxed),
            unauthorized: self.unauthorized.load(Relaxed),
            mutations: self.mutations.load(Relaxed),
        }
    }

    pub fn reset(&self) {
        for c in self.requests.iter().chain([
            &self.rate_limited,
            &self.faults,
            &self.unauthorized,
            &self.mutations,
        ]) {
            c.store(0, Relaxed);
        }
    }
}
