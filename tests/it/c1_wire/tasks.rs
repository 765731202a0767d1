//! Hello, GetTask and GetTasks, Heartbeat and FinishTask against the fake.

use super::*;
use openai_access::c1::Finish;
use openai_access::c1::fake::{TEST_HOST_ID, TaskState};
use openai_access::c1::proto::{self, GrantManagerServiceGrantResponse, task::TaskType};
use std::time::Duration;

#[tokio::test]
async fn hello_reaches_the_fake_with_metadata_build_and_os_info() {
    let fake = fake().await;
    let client = client(&fake);
    client.hello(None, metadata()).await.expect("hello");

    let hellos = fake.hellos();
    assert_eq!(hellos.len(), 1);
    let hello = &hellos[0];
    assert_eq!(hello.host_id, TEST_HOST_ID);
    assert_eq!(hello.task_id, "");
    assert_eq!(hello.connector_metadata.as_ref(), Some(&metadata()));
    assert_eq!(
        hello.build_info.as_ref().map(|b| b.package.as_str()),
        Some("openai-access")
    );
    let os = hello.os_info.as_ref().expect("os info");
    assert!(!os.hostname.is_empty() && !os.kernel_version.is_empty());

    let rpcs: Vec<(String, String)> = fake
        .transcript()
        .into_iter()
        .map(|e| (e.rpc, e.outcome))
        .collect();
    assert_eq!(
        rpcs,
        [("token".into(), "OK".into()), ("Hello".into(), "OK".into())]
    );
    assert_eq!(fake.transcript()[1].summary["display_name"], "OpenAI");

    // A HelloTask is answered by a Hello naming it, which ends it (no FinishTask).
    let id = fake.push(script(json!({"type": "hello"})));
    assert_eq!(take(&client).await, id);
    client
        .hello(Some(&id), metadata())
        .await
        .expect("hello task");
    assert_eq!(fake.task_state(&id), Some(TaskState::Finished));
    // One token served both calls.
    assert_eq!(
        fake.transcript()
            .iter()
            .filter(|e| e.rpc == "token")
            .count(),
        1
    );
}

#[tokio::test]
async fn get_task_hands_out_scripted_tasks_then_nothing_with_next_poll() {
    let fake = fake_with(FakeOptions {
        next_poll: Duration::from_millis(250),
        next_heartbeat: Duration::from_secs(7),
        ..FakeOptions::default()
    })
    .await;
    let client = client(&fake);
    let id = fake.push(grant_script());

    let polled = client.get_task().await.expect("get task");
    let task = polled.task.expect("the grant");
    assert_eq!(task.id, id);
    assert_eq!(task.id.len(), 27);
    let Some(TaskType::Grant(grant)) = task.task_type else {
        panic!("a grant task")
    };
    assert_eq!(
        grant.entitlement.map(|e| e.id),
        Some("project:proj-1:member".into())
    );
    assert_eq!(
        grant.principal.and_then(|p| p.id).map(|id| id.resource),
        Some("user-abc".into())
    );
    assert_eq!(polled.next_poll, Duration::from_millis(250));
    assert_eq!(polled.next_heartbeat, Duration::from_secs(7));

    let idle = client.get_task().await.expect("get task");
    assert_eq!(idle.task, None);
    assert_eq!(idle.next_poll, Duration::from_millis(250));

    // A `none` task is "nothing to do" too.
    fake.push(script(json!({"type": "none"})));
    assert_eq!(client.get_task().await.expect("get task").task, None);
    assert_eq!(fake.task_state(&id), Some(TaskState::HandedOut));
}

#[tokio::test]
async fn get_tasks_pages_and_validates_the_page_size() {
    let fake = fake().await;
    let client = client(&fake);
    let ids: Vec<String> = (0..3)
        .map(|_| fake.push(script(json!({"type": "sync_full"}))))
        .collect();
    let first = client.get_tasks(2, Vec::new()).await.expect("page");
    assert_eq!(
        first.tasks.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
        ids[..2]
    );
    let rest = client.get_tasks(5, ids[..2].to_vec()).await.expect("page");
    assert_eq!(rest.tasks.len(), 1);
    let error = client.get_tasks(0, Vec::new()).await.expect_err("page 0");
    assert_eq!(status_code(&error), Code::InvalidArgument);
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn heartbeats_report_the_interval_and_cancellation() {
    let fake = fake_with(FakeOptions {
        next_heartbeat: Duration::from_secs(2),
        ..FakeOptions::default()
    })
    .await;
    let client = client(&fake);
    let id = fake.push(script(json!({"type": "sync_full"})));
    assert_eq!(take(&client).await, id);

    // A runner heartbeats from its own task: the client and its calls move between threads.
    let beating = {
        let (client, id) = (client.clone(), id.clone());
        tokio::spawn(async move { client.heartbeat(&id).await })
    };
    let beat = beating.await.expect("joined").expect("heartbeat");
    assert_eq!(beat.next_heartbeat, Duration::from_secs(2));
    assert!(!beat.cancelled);
    assert!(fake.cancel(&id));
    assert!(client.heartbeat(&id).await.expect("heartbeat").cancelled);

    // A task never handed out, and an id of the wrong shape.
    let queued = fake.push(script(json!({"type": "sync_full"})));
    assert_eq!(
        status_code(&client.heartbeat(&queued).await.expect_err("queued")),
        Code::NotFound
    );
    assert_eq!(
        status_code(&client.heartbeat("warmup").await.expect_err("bad id")),
        Code::InvalidArgument
    );
    // A cancelled queued task is never handed out.
    assert!(fake.cancel(&queued));
    assert_eq!(client.get_task().await.expect("get task").task, None);
}

#[tokio::test]
async fn finish_task_carries_a_packed_response_or_a_non_retryable_error() {
    let fake = fake().await;
    let client = client(&fake);
    let granted = fake.push(grant_script());
    let refused = fake.push(grant_script());
    let unsupported = fake.push(script(json!({"type": "rotate_credentials"})));
    for _ in 0..3 {
        take(&client).await;
    }

    let response = GrantManagerServiceGrantResponse {
        grants: vec![proto::Grant {
            id: "project:proj-1:member:user:user-abc".into(),
            ..Default::default()
        }],
        annotations: Vec::new(),
    };
    client
        .finish_task(&granted, Finish::success(&response, Vec::new()))
        .await
        .expect("finish success");
    client
        .finish_task(
            &refused,
            Finish::error(
                Code::FailedPrecondition,
                "provisioning is not enabled",
                true,
            ),
        )
        .await
        .expect("finish error");
    client
        .finish_task(&unsupported, Finish::unsupported())
        .await
        .expect("finish unsupported");

    let finished = fake.finished();
    assert_eq!(finished.len(), 3);
    let success = &finished[0];
    assert_eq!(success.task_id, granted);
    assert!(success.is_success() && success.status().is_none());
    assert_eq!(
        success.response_type(),
        Some("c1.connector.v2.GrantManagerServiceGrantResponse")
    );
    let back: GrantManagerServiceGrantResponse =
        proto::unpack(success.response().expect("response")).expect("decodes");
    assert_eq!(back, response);

    let error = &finished[1];
    assert!(!error.is_success() && error.non_retryable());
    let status = error.status().expect("status");
    assert_eq!(Code::from(status.code), Code::FailedPrecondition);
    assert_eq!(status.message, "provisioning is not enabled");

    let other = &finished[2];
    assert_eq!(other.task_type, "rotate_credentials");
    assert!(!other.non_retryable());
    assert_eq!(
        other.status().map(|s| Code::from(s.code)),
        Some(Code::Unknown)
    );
    assert_eq!(other.to_json()["code"], "Unknown");

    let again = client
        .finish_task(&granted, Finish::done())
        .await
        .expect_err("finished twice");
    assert_eq!(status_code(&again), Code::FailedPrecondition);
    assert_eq!(fake.task_state(&granted), Some(TaskState::Finished));
}
