//! Per-endpoint request counters, shared by every clone of the client.

use crate::endpoint::Endpoint;
use dashmap::DashMap;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Counts of one endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EndpointCounts {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    pub retries: u64,
    /// Requests sent a second time while the first was still outstanding (see `hedge`);
    /// counted in `requests` too.
    pub hedged: u64,
    pub rate_limited: u64,
    /// Calls that failed after every retry.
    pub failures: u64,
}

/// Counts of one run (a sync), and of the whole process when a long-lived client runs many:
/// a run's counters also count into the client's ([`ClientStats::child`]).
#[derive(Clone, Default, Debug)]
pub struct ClientStats {
    counts: Arc<DashMap<Endpoint, EndpointCounts>>,
    parent: Option<Box<ClientStats>>,
}

impl ClientStats {
    /// Fresh counters whose every count is also added to these (and to their parents).
    pub fn child(&self) -> Self {
        Self {
            counts: Arc::default(),
            parent: Some(Box::new(self.clone())),
        }
    }

    fn bump(&self, e: Endpoint, f: impl Fn(&mut EndpointCounts) + Copy) {
        f(&mut self.counts.entry(e).or_default());
        if let Some(p) = &self.parent {
            p.bump(e, f);
        }
    }
    pub(crate) fn record_request(&self, e: Endpoint) {
        self.bump(e, |c| c.requests += 1);
    }
    pub(crate) fn record_retry(&self, e: Endpoint) {
        self.bump(e, |c| c.retries += 1);
    }
    pub(crate) fn record_hedge(&self, e: Endpoint) {
        self.bump(e, |c| c.hedged += 1);
    }
    pub(crate) fn record_rate_limited(&self, e: Endpoint) {
        self.bump(e, |c| c.rate_limited += 1);
    }
    pub(crate) fn record_failure(&self, e: Endpoint) {
        self.bump(e, |c| c.failures += 1);
    }

    /// A sorted snapshot.
    pub fn snapshot(&self) -> BTreeMap<Endpoint, EndpointCounts> {
        self.counts.iter().map(|e| (*e.key(), *e.value())).collect()
    }

    pub fn total(&self) -> EndpointCounts {
        self.counts
            .iter()
            .fold(EndpointCounts::default(), |mut t, e| {
                t.requests += e.requests;
                t.retries += e.retries;
                t.hedged += e.hedged;
                t.rate_limited += e.rate_limited;
                t.failures += e.failures;
                t
            })
    }
}
