//! `--max-duration` holds a sync to a bound it can defend, on a paused clock at the real API's
//! limit (10 requests a minute per endpoint, burst 5; `small` needs ~570 s of user role lists).
//! A cold sync knows no limit before it starts, so its plan is a floor and it runs, stopping
//! at the deadline if it is not done; a warm sync's limits were learned before, so its plan is
//! an estimate and a sync that cannot fit is refused before it reads more.

use crate::simulated::{simulated_config, simulated_sync};
use openai_access_actors::{
    EngineError, SyncConfig, SyncError, SyncOutcome, block_on_simulated, sync,
};
use openai_access_mock::{InProcessMock, MockConfig, Preset, RateLimit};
use std::sync::Arc;
use std::time::Duration;

fn ten_a_minute() -> Arc<InProcessMock> {
    InProcessMock::start(MockConfig {
        preset: Preset::Small,
        latency: Duration::from_millis(100),
        rate_limit: Some(RateLimit {
            rpm: 10,
            burst: 5,
            retry_after: false,
        }),
        ..MockConfig::default()
    })
}

fn bounded(
    mock: &Arc<InProcessMock>,
    known: Option<&SyncOutcome>,
    max: Duration,
) -> Result<SyncOutcome, EngineError> {
    let mut client = simulated_config(mock);
    if let Some(o) = known {
        client.throttle.known = o.limits.clone();
    }
    block_on_simulated(sync(SyncConfig {
        client,
        org_id: None,
        max_duration: Some(max),
    }))
}

#[test]
fn a_cold_sync_is_not_refused_on_a_guess_but_stops_at_the_deadline() {
    let mock = ten_a_minute();
    // 5 minutes cannot hold ~570 s of requests; a cold plan does not know that, so the sync
    // runs and stops when the 5 minutes are up, saying so.
    match bounded(&mock, None, Duration::from_secs(300)) {
        Err(EngineError::Sync(e @ SyncError::Deadline { .. })) => {
            let said = e.to_string();
            assert!(
                said.contains("had not finished after the 5 min allowed"),
                "{said}"
            );
        }
        other => panic!("expected the deadline, got {:?}", other.map(|o| o.duration)),
    }
    // Beyond the top-level lists: it was not refused before reading them.
    let roles = mock.stats().requests[&openai_access_actors::api::Endpoint::ListUserRoles];
    assert!(
        roles > 5,
        "{roles} user role lists read before the deadline"
    );

    // With time enough, the same cold sync completes, its plan a floor it did not exceed.
    mock.rest();
    let o = bounded(&mock, None, Duration::from_secs(3600)).expect("fits");
    let plan = o.plan.as_ref().expect("a plan");
    assert!(!plan.proven, "no limit was known before the sync");
    if let Some(floor) = plan.at_least {
        assert!(floor <= o.duration, "{floor:?} > {:?}", o.duration);
    }
    assert!(!plan.describe().contains("about"), "{}", plan.describe());
}

#[test]
fn a_warm_sync_whose_estimate_does_not_fit_is_refused_before_it_reads_more() {
    let mock = ten_a_minute();
    let cold = simulated_sync(simulated_config(&mock)).expect("cold");
    mock.rest();
    mock.reset_stats();
    match bounded(&mock, Some(&cold), Duration::from_secs(300)) {
        Err(EngineError::Sync(SyncError::TooLong { plan, .. })) => {
            assert!(plan.proven, "the limits were learned before");
            let said = plan.describe();
            assert!(said.contains("; about "), "{said}");
        }
        other => panic!("expected a refusal, got {:?}", other.map(|o| o.duration)),
    }
    let stats = mock.stats();
    let roles = stats
        .requests
        .get(&openai_access_actors::api::Endpoint::ListUserRoles);
    assert_eq!(
        roles.copied().unwrap_or(0),
        0,
        "refused before the user role lists"
    );
}
