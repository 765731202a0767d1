//! What a ConductorOne operator can rely on when things go wrong: provisioning off, a task the
//! connector does not support, a cancelled sync, a wrong secret, ConductorOne down and back,
//! and stopping cleanly; and the Baton mode connecting as `serve` does.

use super::*;
use openai_access::c1::Code;
use openai_access::c1::fake::{Availability, TaskState};
use openai_access_mock::MockConfig;
use serde_json::json;

fn code(t: &FinishedTask) -> Code {
    Code::from(t.status().expect("a status").code)
}

#[test]
fn without_provisioning_a_change_is_refused_as_the_sdk_refuses_it_and_unknown_tasks_are_unsupported()
 {
    let world = World::new(Preset::Tiny);
    let c = world.connector(&[("BATON_PROVISIONING", None)]);
    world.mock.reset_stats();
    let grant = world.push(json!({"type": "grant",
        "entitlement": {"id": "group:grp-eng:member", "resource": rid("group", "grp-eng")},
        "principal": rid("user", "user-carol")}));
    let done = world.finished(&grant, &c);
    assert!(!done.is_success());
    assert_eq!(code(&done), Code::FailedPrecondition);
    assert_eq!(
        done.status().expect("status").message,
        "provisioning is not enabled"
    );
    assert!(done.non_retryable());
    assert_eq!(world.mock.stats().mutations, 0, "nothing changed");
    // A task type the connector does not carry out: finished as the SDK finishes it.
    let rotate = world.push(json!({"type": "rotate_credentials"}));
    let done = world.finished(&rotate, &c);
    assert_eq!(code(&done), Code::Unknown);
    assert_eq!(
        done.status().expect("status").message,
        "unsupported task type"
    );
    assert!(!done.non_retryable());
    // The loop goes on: a sync still works after both.
    let sync = world.push(json!({"type": "sync_full"}));
    assert!(world.finished(&sync, &c).is_success());
    let (_, body) = c.get("/api/v1/tasks");
    let v: Value = serde_json::from_str(&body).expect("json");
    let results: Vec<&str> = v["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["result"].as_str())
        .collect();
    assert_eq!(results, ["failed", "unsupported", "succeeded"], "{body}");
}

#[test]
fn a_sync_cancelled_by_conductorone_is_finished_as_cancelled() {
    // Every request takes a second, so the sync is still running when the task is cancelled.
    let slow = mock_with(MockConfig {
        preset: Preset::Tiny,
        latency: Duration::from_secs(1),
        ..MockConfig::default()
    });
    let world = World::with(
        slow,
        FakeOptions {
            next_heartbeat: Duration::from_millis(100),
            ..FakeOptions::default()
        },
    );
    let c = world.connector(&[]);
    let id = world.push(json!({"type": "sync_full"}));
    world.until("the task handed out", &c, |f| {
        f.task_state(&id) == Some(TaskState::HandedOut)
    });
    assert!(world.fake.cancel(&id));
    let done = world.finished(&id, &c);
    assert_eq!(code(&done), Code::Cancelled, "{:?}", done.to_json());
    assert!(world.fake.uploads(&id).is_empty(), "nothing uploaded");
    let (status, logs) = c.stop("TERM");
    assert_eq!(status, Some(0), "{logs}");
}

#[test]
fn a_wrong_secret_stops_the_connector_at_start_saying_so() {
    let world = World::new(Preset::Tiny);
    let other = openai_access::c1::ClientSecret::generate().encode("fixture:fixture");
    let c = world.connector(&[("BATON_CLIENT_SECRET", Some(other.expose()))]);
    let (status, logs) = c.wait();
    assert_eq!(status, Some(3), "{logs}");
    assert!(
        logs.contains("client-secret"),
        "names what to check: {logs}"
    );
    assert!(!logs.contains(other.expose()), "the secret was printed");
    assert!(world.fake.hellos().is_empty());
}

#[test]
fn while_conductorone_is_down_the_local_api_answers_and_hello_is_retried_until_it_is_back() {
    let world = World::new(Preset::Tiny);
    world.fake.set_availability(Availability::Unavailable);
    let c = world.connector(&[]);
    let (status, _) = c.get("/healthz");
    assert_eq!(status, 200);
    let deadline = Instant::now() + PATIENCE;
    while !c.logs().contains("Cannot reach ConductorOne") {
        assert!(Instant::now() < deadline, "{}", c.logs());
        std::thread::sleep(Duration::from_millis(20));
    }
    // The service syncs and answers meanwhile.
    let deadline = Instant::now() + PATIENCE;
    while c.get("/readyz").0 != 200 {
        assert!(Instant::now() < deadline, "{}", c.logs());
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, body) = c.get("/api/v1/summary");
    assert_eq!(status, 200, "queries answer meanwhile: {body}");
    assert!(world.fake.hellos().is_empty(), "ConductorOne is still down");
    world.fake.set_availability(Availability::Up);
    world.until("Hello once back", &c, |f| !f.hellos().is_empty());
    let id = world.push(json!({"type": "sync_full"}));
    assert!(world.finished(&id, &c).is_success());
    let (status, logs) = c.stop("TERM");
    assert_eq!(status, Some(0), "{logs}");
    assert!(logs.contains("Stopped."), "{logs}");
}

#[test]
fn the_baton_mode_with_conductorones_credentials_runs_as_a_service_without_a_local_api() {
    let world = World::new(Preset::Tiny);
    // No subcommand, as a Baton connector is run; the image's BATON_LISTEN is not set here.
    let c = world.connector_with(&[], &[("BATON_LISTEN", None)]);
    world.until("Hello", &c, |f| !f.hellos().is_empty());
    let id = world.push(json!({"type": "sync_full"}));
    assert!(world.finished(&id, &c).is_success());
    assert!(c.logs().contains("no local API"), "{}", c.logs());
    let (status, logs) = c.stop("INT");
    assert_eq!(status, Some(0), "{logs}");
}

#[test]
fn sigterm_during_a_sync_task_finishes_it_as_cancelled_and_exits_0() {
    let slow = mock_with(MockConfig {
        preset: Preset::Tiny,
        latency: Duration::from_secs(1),
        ..MockConfig::default()
    });
    let world = World::with(slow, FakeOptions::default());
    let c = world.connector(&[]);
    let id = world.push(json!({"type": "sync_full"}));
    world.until("the task handed out", &c, |f| {
        f.task_state(&id) == Some(TaskState::HandedOut)
    });
    let (status, logs) = c.stop("TERM");
    assert_eq!(status, Some(0), "{logs}");
    let done = world
        .fake
        .finished()
        .into_iter()
        .find(|t| t.task_id == id)
        .expect("finished before the exit");
    assert_eq!(code(&done), Code::Cancelled);
    assert!(!done.non_retryable(), "ConductorOne may run it again");
}
