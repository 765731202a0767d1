//! The throttle's behaviours: the scheduler driven with explicit times, and the async shell on
//! a paused tokio clock (virtual time: no test here waits for a real clock).

use super::frontier::INITIAL_WINDOW;
use super::scheduler::{Outcome, Poll, Priority, Scheduler, Ticket};
use super::*;

const A: Endpoint = Endpoint::ListProjectUsers;
const B: Endpoint = Endpoint::ListProjectServiceAccounts;

/// Enqueues a request to `e` and sends it at `now` if the scheduler lets it go at once.
fn go(s: &mut Scheduler, e: Endpoint, now: f64) -> Option<Ticket> {
    let w = s.enqueue(e, Priority::Bulk);
    match s.poll(w, now) {
        Poll::Go => s.sent(w, now),
        _ => {
            s.cancel(w);
            None
        }
    }
}

#[test]
fn a_429_closes_its_endpoint_for_the_pause_and_only_that_endpoint() {
    let mut s = Scheduler::new(&ThrottleConfig::default());
    let t = go(&mut s, B, 0.0).expect("first request goes");
    s.resolve(t, Outcome::Limited { pause_s: 0.15 }, 0.01);
    let w = s.enqueue(B, Priority::Bulk);
    assert_eq!(s.poll(w, 0.02), Poll::At(0.16));
    assert!(
        go(&mut s, A, 0.02).is_some(),
        "other endpoints are not paused"
    );
}

#[test]
fn a_request_waiting_for_a_slot_when_a_429_closes_the_gate_waits_out_the_pause() {
    let mut s = Scheduler::new(&ThrottleConfig::default());
    let first = go(&mut s, A, 0.0).expect("goes");
    // The second is admitted (alone in flight rules aside, the frontier admits it) and waits
    // for a global slot; meanwhile the first meets a 429.
    let w = s.enqueue(A, Priority::Bulk);
    assert_eq!(s.poll(w, 0.0), Poll::Go);
    s.resolve(first, Outcome::Limited { pause_s: 0.15 }, 0.01);
    assert_eq!(
        s.sent(w, 0.012),
        None,
        "it would meet the same empty bucket"
    );
    assert_eq!(s.poll(w, 0.012), Poll::At(0.16));
}

#[test]
fn bulk_requests_defer_to_a_waiting_interactive_one() {
    let mut s = Scheduler::new(&ThrottleConfig {
        rpm: Some(600),
        ..ThrottleConfig::default()
    });
    // Spend the burst; the next token comes 100 ms later.
    let t = go(&mut s, A, 0.0).expect("burst");
    s.resolve(t, Outcome::Passed, 0.01);
    let bulk = s.enqueue(A, Priority::Bulk);
    assert!(
        matches!(s.poll(bulk, 0.02), Poll::At(_)),
        "bulk sleeps on the budget"
    );
    let interactive = s.enqueue(A, Priority::Interactive);
    assert!(
        matches!(s.poll(interactive, 0.03), Poll::At(_)),
        "the interactive one takes the time over"
    );
    assert_eq!(s.poll(bulk, 0.11), Poll::Later, "bulk defers");
    assert_eq!(s.poll(interactive, 0.11), Poll::Go);
    assert!(
        matches!(s.poll(bulk, 0.11), Poll::At(_)),
        "then it is bulk's turn"
    );
}

#[test]
fn slow_start_grows_per_success_until_the_first_429() {
    let mut s = Scheduler::new(&ThrottleConfig::default());
    assert_eq!(s.window(), INITIAL_WINDOW);
    // The first request is inside any frontier; each pass of one sent beyond it, with others
    // in flight, widens the window.
    let three: Vec<Ticket> = (0..3).filter_map(|_| go(&mut s, A, 0.0)).collect();
    assert_eq!(three.len(), 3);
    for t in three {
        s.resolve(t, Outcome::Passed, 0.02);
    }
    assert_eq!(s.window(), INITIAL_WINDOW + 2);
    // Two in flight: one gets a 429, then the other's pass arrives.
    let limited = go(&mut s, A, 0.03).expect("goes");
    let late = go(&mut s, A, 0.03).expect("goes");
    s.resolve(limited, Outcome::Limited { pause_s: 0.001 }, 0.04);
    s.resolve(late, Outcome::Passed, 0.05);
    assert_eq!(
        s.window(),
        INITIAL_WINDOW,
        "a 429 starts the slow start over, and passes after it do not widen it"
    );
}

#[test]
fn an_endpoint_follows_what_another_proved_while_that_one_goes_beyond() {
    let mut s = Scheduler::new(&ThrottleConfig::default());
    // A: one request inside the frontier, then a full window beyond it.
    let sent: Vec<Ticket> = (0..=INITIAL_WINDOW)
        .filter_map(|_| go(&mut s, A, 0.0))
        .collect();
    assert_eq!(sent.len(), INITIAL_WINDOW + 1);
    // A wants more: it keeps the office.
    let more = s.enqueue(A, Priority::Bulk);
    assert_eq!(s.poll(more, 0.0), Poll::Later);
    let _first = go(&mut s, B, 0.001).expect("B's first is inside any frontier");
    let b = s.enqueue(B, Priority::Bulk);
    assert_eq!(
        s.poll(b, 0.001),
        Poll::Later,
        "B may not go beyond what is proven while A does"
    );
    for t in sent {
        s.resolve(t, Outcome::Passed, 0.002);
    }
    // A's passes prove a full bucket takes five at once; followed two behind, B may send two
    // more.
    assert_eq!(s.poll(b, 0.003), Poll::Go);
    assert!(s.sent(b, 0.003).is_some());
    assert!(go(&mut s, B, 0.003).is_some());
    assert_eq!(s.work(B), 3);
}

#[tokio::test(start_paused = true)]
async fn interactive_requests_use_a_reserved_slot_when_bulk_fills_the_cap() {
    let t = Throttle::new(ThrottleConfig {
        max_in_flight: 1,
        ..ThrottleConfig::default()
    });
    let _bulk = t.acquire(Endpoint::ListUsers).await;
    // The only shared slot is taken: bulk waits, interactive goes through at once.
    let blocked = tokio::time::timeout(
        Duration::from_secs(60),
        t.acquire(Endpoint::ListProjectUsers),
    )
    .await;
    assert!(blocked.is_err(), "bulk must wait for the shared slot");
    let fast = tokio::time::timeout(
        Duration::from_secs(60),
        t.acquire_with(Endpoint::AddProjectUser, Priority::Interactive),
    )
    .await;
    assert!(fast.is_ok(), "interactive takes a reserved slot");
}

#[tokio::test(start_paused = true)]
async fn the_shell_sleeps_out_a_pause_in_virtual_time() {
    let t = Throttle::new(ThrottleConfig::default());
    let mut first = t.acquire(B).await;
    t.on_rate_limited(&mut first, Some(Duration::from_secs(3600)));
    drop(first);
    let started = tokio::time::Instant::now();
    drop(t.acquire(B).await);
    assert!(
        started.elapsed() >= Duration::from_secs(3600),
        "an hour's pause, slept in virtual time"
    );
}

#[tokio::test(start_paused = true)]
async fn a_waiter_parked_on_the_frontier_is_woken_by_the_passes_that_let_it_go() {
    let t = Throttle::new(ThrottleConfig::default());
    // One request inside the frontier and a full window beyond it.
    let mut sent = Vec::new();
    for _ in 0..=INITIAL_WINDOW {
        sent.push(t.acquire(A).await);
    }
    let waiter = tokio::spawn({
        let t = t.clone();
        async move { drop(t.acquire(A).await) }
    });
    tokio::task::yield_now().await;
    assert!(!waiter.is_finished(), "the window is full");
    for p in &mut sent {
        t.on_success(p);
    }
    tokio::time::timeout(Duration::from_secs(60), waiter)
        .await
        .expect("woken by the passes, not by a timer")
        .expect("task");
}

#[test]
fn a_hedge_goes_only_where_passes_proved_room_and_never_into_a_pause() {
    let mut s = Scheduler::new(&ThrottleConfig::default());
    let first = go(&mut s, A, 0.0).expect("alone in flight, it goes");
    assert!(
        s.spare(A, 0.05).is_none(),
        "nothing proves a second request safe yet: a regular one would explore, a hedge does not"
    );
    // B proves six requests at once safe (it explored); A may now follow that schedule.
    let b: Vec<_> = (0..6).filter_map(|_| go(&mut s, B, 0.0)).collect();
    assert!(b.len() > 1, "B explored");
    for t in b {
        s.resolve(t, Outcome::Passed, 0.02);
    }
    s.resolve(first, Outcome::Passed, 0.02);
    let hedge = s.spare(A, 0.03).expect("inside the frontier: room");
    s.resolve(hedge, Outcome::Unknown, 0.04);
    // A 429 pauses A: no hedge until the pause is over.
    let t = go(&mut s, A, 0.05).expect("goes");
    s.resolve(t, Outcome::Limited { pause_s: 1.0 }, 0.06);
    assert!(s.spare(A, 0.5).is_none(), "paused");
}

#[test]
fn a_paced_endpoint_is_hedged_only_with_a_token_nobody_waits_for() {
    let mut s = Scheduler::new(&ThrottleConfig {
        known: KnownLimits {
            shared: Some(LimitRange {
                rpm_min: 60.0,
                rpm_max: 60.0,
                burst_min: 1.0,
            }),
            ..KnownLimits::default()
        },
        ..ThrottleConfig::default()
    });
    let t = go(&mut s, A, 0.0).expect("the burst");
    s.resolve(t, Outcome::Passed, 0.01);
    assert!(s.spare(A, 0.5).is_none(), "no token before 1 s");
    let waiter = s.enqueue(A, Priority::Bulk);
    assert!(matches!(s.poll(waiter, 0.5), Poll::At(_)));
    assert!(s.spare(A, 1.5).is_none(), "the token is the waiter's");
    s.cancel(waiter);
    assert!(s.spare(A, 1.5).is_some(), "a token nobody waits for");
}
