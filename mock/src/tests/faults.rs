//! Injected faults: they break reads only, never writes, and the stats count every request.

use super::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn faults_break_gets_only_and_stats_count_everything() {
    let cfg = |kinds: Vec<FaultKind>| MockConfig {
        faults: Faults {
            rate: 1.0,
            kinds,
            slow: Duration::from_millis(1),
        },
        ..MockConfig::default()
    };
    let (mock, c) = start(cfg(vec![FaultKind::Status503]));
    let base = mock.base_url();
    assert_eq!(get(&c, format!("{base}/organization/users")).await.0, 503);
    let (s, _, _) = call(
        &c,
        reqwest::Method::POST,
        format!("{base}/organization/groups/grp-empty/users"),
        Some(json!({"user_id": "user-bob"})),
    )
    .await;
    assert_eq!(s, 200, "mutations are never faulted");
    let st = mock.stats();
    assert_eq!((st.faults, st.mutations, st.total()), (1, 1, 2));
    let remote: Value = c
        .get(format!("http://{}/__mock/stats", mock.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(remote["requests"]["ListUsers"], 1);
    mock.reset_stats();
    assert_eq!(mock.stats(), MockStats::default());
    drop(mock);

    let (mock, c) = start(cfg(vec![FaultKind::Truncated]));
    let r = c
        .get(format!("{}/organization/users", mock.base_url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err());
    drop(mock);

    let (mock, c) = start(cfg(vec![FaultKind::Dropped]));
    let r = c
        .get(format!("{}/organization/users", mock.base_url()))
        .bearer_auth(KEY)
        .send()
        .await;
    let broken = match r {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(broken, "a dropped connection must fail the read");
    drop(mock);

    let (mock, c) = start(MockConfig {
        fail_paths: vec!["/api_keys".into()],
        ..MockConfig::default()
    });
    let base = mock.base_url();
    let (s, _) = get(
        &c,
        format!("{base}/organization/projects/proj-alpha/api_keys"),
    )
    .await;
    assert_eq!(s, 500);
    assert_eq!(
        get(&c, format!("{base}/organization/projects")).await.0,
        200
    );
}
