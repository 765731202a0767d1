//! Whole syncs (crawlers, throttle, client, collector) against the mock in-process, on a
//! paused clock: hours at the real API's limits run in seconds, the same way every time.

use crate::support::*;
use openai_access_actors::{
    AdminKey, ClientConfig, EngineError, KnownLimits, SyncConfig, SyncOutcome, block_on_simulated,
    sync,
};
use openai_access_mock::{InProcessMock, MockConfig, Preset, RateLimit};
use std::sync::Arc;
use std::time::Duration;

/// A client for `mock`: its base URL is never contacted (loopback all the same).
pub fn simulated_config(mock: &Arc<InProcessMock>) -> ClientConfig {
    let mut c = ClientConfig::new("http://127.0.0.1:9/v1", AdminKey::new(KEY).expect("key"));
    c.in_process = Some(mock.transport());
    c
}

pub fn simulated_sync(cfg: ClientConfig) -> Result<SyncOutcome, EngineError> {
    block_on_simulated(sync(SyncConfig {
        client: cfg,
        org_id: None,
        max_duration: None,
    }))
}

/// The real Admin API's measured limit: about 10 requests a minute per endpoint, burst about
/// 5, no rate-limit headers.
fn real_limits(preset: Preset, retry_after: bool) -> Arc<InProcessMock> {
    InProcessMock::start(MockConfig {
        preset,
        latency: Duration::from_millis(100),
        rate_limit: Some(RateLimit {
            rpm: 10,
            burst: 5,
            retry_after,
        }),
        ..MockConfig::default()
    })
}

#[test]
fn a_full_sync_at_ten_requests_a_minute_finishes_complete_and_equal_to_an_unlimited_one() {
    let unlimited = InProcessMock::start(MockConfig {
        preset: Preset::Small,
        ..MockConfig::default()
    });
    let want = simulated_sync(simulated_config(&unlimited)).expect("unlimited sync");
    for retry_after in [false, true] {
        let mock = real_limits(Preset::Small, retry_after);
        let o = simulated_sync(simulated_config(&mock)).expect("limited sync");
        assert!(o.failures.is_empty(), "no list failed: {:?}", o.failures);
        assert_eq!(
            graph_json(&o),
            graph_json(&want),
            "Retry-After {retry_after}"
        );
        // T* = (100 user role lists - a burst of 5) at 10/min = 570 s (virtual).
        let ratio = o.duration.as_secs_f64() / 570.0;
        eprintln!(
            "small at 10/min, Retry-After {retry_after}: {:.0} s virtual, {ratio:.3} x T*, {} 429s",
            o.duration.as_secs_f64(),
            mock.stats().rate_limited
        );
        assert!((1.0..1.15).contains(&ratio), "{ratio}");
    }
}

#[test]
fn a_warm_sync_at_ten_requests_a_minute_meets_no_limit() {
    let mock = real_limits(Preset::Small, false);
    let cold = simulated_sync(simulated_config(&mock)).expect("cold");
    mock.rest();
    mock.reset_stats();
    let mut cfg = simulated_config(&mock);
    cfg.throttle.known = cold.limits.clone();
    let warm = simulated_sync(cfg).expect("warm");
    assert!(warm.failures.is_empty(), "{:?}", warm.failures);
    assert_eq!(mock.stats().rate_limited, 0, "warm: no 429");
    assert!(warm.duration.as_secs_f64() / 570.0 < 1.05);
    assert_ne!(cold.limits, KnownLimits::default());
}

/// Runs a sync on a paused clock while `during` does something to the world after
/// `after` of virtual time.
fn simulated_sync_with(
    cfg: ClientConfig,
    after: Duration,
    during: impl FnOnce() + 'static,
) -> Result<SyncOutcome, EngineError> {
    block_on_simulated(async move {
        actix::spawn(async move {
            tokio::time::sleep(after).await;
            during();
        });
        sync(SyncConfig {
            client: cfg,
            org_id: None,
            max_duration: None,
        })
        .await
    })
}

#[test]
fn an_outage_shorter_than_the_retry_budget_is_waited_out_and_the_sync_completes() {
    let mock = real_limits(Preset::Small, false);
    let want = simulated_sync(simulated_config(&mock)).expect("undisturbed");
    mock.rest();
    // A minute into the sync the server stops answering for five minutes: every request
    // times out (30 s each) until it comes back.
    let m = mock.clone();
    let o = simulated_sync_with(
        simulated_config(&mock),
        Duration::from_secs(60),
        move || m.outage(Duration::from_secs(300)),
    )
    .expect("sync");
    assert!(o.failures.is_empty(), "{:?}", o.failures);
    assert_eq!(graph_json(&o), graph_json(&want));
    let retries: u64 = o.requests.values().map(|c| c.retries).sum();
    assert!(retries > 0, "requests timed out and were retried");
}

#[test]
fn an_outage_longer_than_the_retry_budget_fails_the_lists_it_caught_saying_so() {
    let mock = real_limits(Preset::Small, false);
    let mut cfg = simulated_config(&mock);
    cfg.retry_budget = Duration::from_secs(120);
    let m = mock.clone();
    let o = simulated_sync_with(cfg, Duration::from_secs(60), move || {
        m.outage(Duration::from_secs(3600))
    })
    .expect("a partial sync, not an engine error");
    assert!(!o.failures.is_empty(), "the lists caught in it failed");
    for f in &o.failures {
        assert!(
            f.message.contains("unreachable") && f.message.contains("--retry-budget"),
            "{}",
            f.message
        );
    }
}
