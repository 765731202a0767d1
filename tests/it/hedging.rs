//! Hedged requests, on a paused clock against the in-process mock: one response of a list is
//! held back; the read is asked again only where the endpoint's budget has room, once, and
//! the first answer wins.

use crate::simulated::{simulated_config, simulated_sync};
use crate::support::*;
use openai_access_actors::api::{InProcess, Transport, TransportKind, WireRequest, WireResponse};
use openai_access_actors::endpoint::Endpoint;
use openai_access_actors::{ClientConfig, SyncOutcome};
use openai_access_mock::{InProcessMock, MockConfig, Preset, RateLimit};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The mock, except that the `nth` request (counting from 1) whose path `which` picks is
/// answered `delay` late. The mock receives (and counts) it at once, as a server does a
/// request whose answer stalls.
struct SlowOnce {
    mock: Arc<InProcessMock>,
    which: fn(&str) -> bool,
    nth: u64,
    delay: Duration,
    seen: AtomicU64,
}

impl Transport for SlowOnce {
    fn send(
        &self,
        req: WireRequest,
    ) -> Pin<Box<dyn Future<Output = Result<WireResponse, TransportKind>> + Send + '_>> {
        let slow =
            (self.which)(&req.path) && self.seen.fetch_add(1, Ordering::SeqCst) + 1 == self.nth;
        Box::pin(async move {
            let answer = self.mock.transport().0.send(req).await;
            if slow {
                tokio::time::sleep(self.delay).await;
            }
            answer
        })
    }
}

fn user_roles(path: &str) -> bool {
    path.starts_with("/organization/users/") && path.ends_with("/roles")
}

fn with_one_slow_answer(mock: &Arc<InProcessMock>, delay: Duration) -> ClientConfig {
    with_slow_answer(mock, user_roles, 40, delay)
}

fn with_slow_answer(
    mock: &Arc<InProcessMock>,
    which: fn(&str) -> bool,
    nth: u64,
    delay: Duration,
) -> ClientConfig {
    let mut c = simulated_config(mock);
    c.in_process = Some(InProcess(Arc::new(SlowOnce {
        mock: mock.clone(),
        which,
        nth,
        delay,
        seen: AtomicU64::new(0),
    })));
    c
}

fn hedged(o: &SyncOutcome) -> u64 {
    o.requests.values().map(|c| c.hedged).sum()
}

fn pages(o: &SyncOutcome) -> u64 {
    o.progress.crawlers.values().map(|c| c.pages).sum()
}

#[test]
fn a_stalled_answer_is_asked_again_once_and_the_first_answer_wins() {
    let mock = InProcessMock::start(MockConfig {
        preset: Preset::Small,
        latency: Duration::from_millis(20),
        ..MockConfig::default()
    });
    let want = simulated_sync(simulated_config(&mock)).expect("undisturbed");
    let minimum = mock.stats();
    assert_eq!(hedged(&want), 0, "nothing stalls, nothing is hedged");

    let stall = Duration::from_secs(20);
    for hedge in [true, false] {
        mock.reset_stats();
        let mut cfg = with_one_slow_answer(&mock, stall);
        if !hedge {
            cfg.hedge = None;
        }
        let o = simulated_sync(cfg).expect("sync");
        assert!(o.failures.is_empty(), "{:?}", o.failures);
        assert_eq!(graph_json(&o), graph_json(&want), "hedge {hedge}");
        assert_eq!(
            pages(&o),
            pages(&want),
            "each page read once (hedge {hedge})"
        );
        let got = mock.stats();
        let roles = Endpoint::ListUserRoles;
        if hedge {
            assert_eq!(hedged(&o), 1, "one hedge, for the one stalled answer");
            assert_eq!(o.requests[&roles].hedged, 1);
            assert_eq!(
                got.get(roles),
                minimum.get(roles) + 1,
                "the hedge reached the server"
            );
            assert_eq!(
                got.total(),
                minimum.total() + 1,
                "and nothing else was sent twice"
            );
            assert!(
                o.duration < stall / 4,
                "the stall did not stretch the sync: {:?}",
                o.duration
            );
        } else {
            assert_eq!(hedged(&o), 0);
            assert_eq!(got.total(), minimum.total());
            assert!(o.duration >= stall, "without hedging the sync waits it out");
        }
        assert_eq!(got.rate_limited, 0);
        assert_eq!(o.requests.values().map(|c| c.retries).sum::<u64>(), 0);
    }
}

#[test]
fn a_read_sent_before_a_deadline_is_known_is_hedged_once_one_is() {
    // The project list's first page goes out in the sync's second round trip, when one answer
    // is known (the user list's first page, which proves the key): too few to set a deadline
    // from. Its stall is still cut short, once the other lists' answers have set one.
    let mock = InProcessMock::start(MockConfig {
        preset: Preset::Medium,
        latency: Duration::from_millis(20),
        ..MockConfig::default()
    });
    let want = simulated_sync(simulated_config(&mock)).expect("undisturbed");
    mock.reset_stats();
    let stall = Duration::from_secs(20);
    let o = simulated_sync(with_slow_answer(
        &mock,
        |p| p == "/organization/projects",
        1,
        stall,
    ))
    .expect("sync");
    assert!(o.failures.is_empty(), "{:?}", o.failures);
    assert_eq!(graph_json(&o), graph_json(&want));
    assert_eq!(o.requests[&Endpoint::ListProjects].hedged, 1);
    assert_eq!(hedged(&o), 1);
    assert!(
        o.duration < stall / 4,
        "the first request's stall did not stretch the sync: {:?}",
        o.duration
    );
}

#[test]
fn no_hedge_goes_to_an_endpoint_whose_budget_is_spoken_for() {
    // At the real API's limits, warm (paced from the start): every token of the user role
    // lists has a waiter until the last of them, so the stalled answer is waited out.
    let mock = InProcessMock::start(MockConfig {
        preset: Preset::Small,
        latency: Duration::from_millis(100),
        rate_limit: Some(RateLimit {
            rpm: 10,
            burst: 5,
            retry_after: false,
        }),
        ..MockConfig::default()
    });
    let cold = simulated_sync(simulated_config(&mock)).expect("cold");
    mock.rest();
    mock.reset_stats();
    let mut warm = simulated_config(&mock);
    warm.throttle.known = cold.limits.clone();
    let want = simulated_sync(warm.clone()).expect("warm");
    let minimum = mock.stats();
    assert_eq!(minimum.rate_limited, 0);

    mock.rest();
    mock.reset_stats();
    let mut cfg = with_one_slow_answer(&mock, Duration::from_secs(20));
    cfg.throttle.known = cold.limits.clone();
    let o = simulated_sync(cfg).expect("stalled");
    assert!(o.failures.is_empty(), "{:?}", o.failures);
    assert_eq!(graph_json(&o), graph_json(&want));
    let got = mock.stats();
    assert_eq!(
        o.requests[&Endpoint::ListUserRoles].hedged,
        0,
        "no room: no hedge"
    );
    assert_eq!(
        got.get(Endpoint::ListUserRoles),
        minimum.get(Endpoint::ListUserRoles)
    );
    assert_eq!(got.rate_limited, 0, "and so no 429");
}

#[test]
fn a_background_read_is_never_hedged() {
    // The same stalled answer as above, in a pass that reads lists at background priority
    // (the service's reconciliation; the usage read is one too): nobody waits for it, so a
    // hedge would only be a second request.
    let mock = InProcessMock::start(MockConfig {
        preset: Preset::Small,
        latency: Duration::from_millis(20),
        ..MockConfig::default()
    });
    let minimum = {
        let o = simulated_sync(simulated_config(&mock)).expect("undisturbed");
        assert_eq!(hedged(&o), 0);
        mock.stats()
    };
    mock.reset_stats();
    let stall = Duration::from_secs(20);
    let cfg = with_one_slow_answer(&mock, stall);
    let o = openai_access_actors::block_on_simulated(async move {
        let client = openai_access_actors::AdminClient::new(cfg).expect("client");
        let run = openai_access_actors::SyncRun::start_for(
            openai_access_actors::Purpose::Lists,
            &client,
            None,
            None,
            None,
        );
        run.finish().await
    })
    .expect("pass");
    assert_eq!(hedged(&o), 0, "no hedge at background priority");
    assert_eq!(mock.stats().total(), minimum.total(), "nothing sent twice");
    assert!(o.duration >= stall, "the pass waits the stall out");
}
