//! What the server refuses before answering: a wrong key, a spent rate limit (and the control
//! that lifts it), a key without write scopes and a plan without group member lists.

use super::*;
use openai_access_actors::endpoint::Endpoint;
use openai_access_actors::ids::literal;
use serde_json::json;

#[tokio::test]
async fn auth_is_one_bearer_key() {
    let (mock, c) = start(MockConfig::default());
    let url = format!("{}/organization/users", mock.base_url());
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .get(&url)
        .bearer_auth("sk-admin-wrong-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body = r.text().await.unwrap();
    assert!(!body.contains("wrong-secret"), "never echo the key: {body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["code"], "invalid_api_key");
    let (s, v) = get(&c, format!("{}/organization/nope", mock.base_url())).await;
    assert_eq!(s, 404);
    assert!(v["error"]["message"].is_string());
    assert_eq!(mock.stats().unauthorized, 2);
    // The scheme is case-insensitive; the key is not.
    for (header, status) in [
        (format!("bearer {KEY}"), 200),
        (format!("BEARER {KEY}"), 200),
        (format!("Bearer {}", KEY.to_uppercase()), 401),
    ] {
        let r = c
            .get(&url)
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status);
    }
}

#[tokio::test]
async fn rate_limit_answers_429_with_and_without_retry_after() {
    for retry_after in [true, false] {
        let (mock, c) = start(MockConfig {
            rate_limit: Some(RateLimit {
                rpm: 60,
                burst: 2,
                retry_after,
            }),
            ..MockConfig::default()
        });
        let url = format!("{}/organization/roles", mock.base_url());
        for _ in 0..2 {
            assert_eq!(get(&c, url.clone()).await.0, 200);
        }
        let (s, retry, v) = call(&c, reqwest::Method::GET, url.clone(), None).await;
        assert_eq!(s, 429);
        assert_eq!(v["error"]["code"], "rate_limit_exceeded");
        assert_eq!(retry.as_deref(), retry_after.then_some("1"));
        // Another endpoint has its own bucket.
        assert_eq!(
            get(&c, format!("{}/organization/groups", mock.base_url()))
                .await
                .0,
            200
        );
        let st = mock.stats();
        assert_eq!(st.rate_limited, 1);
        assert_eq!(st.get(Endpoint::ListOrgRoles), 3);
    }
}

#[tokio::test]
async fn the_limits_control_lifts_and_restores_the_rate_limit() {
    let (mock, c) = start(MockConfig {
        rate_limit: Some(RateLimit {
            rpm: 1,
            burst: 1,
            retry_after: true,
        }),
        ..MockConfig::default()
    });
    let url = format!("{}/organization/roles", mock.base_url());
    let control = |lifted: &str| format!("http://{}/__mock/limits?lifted={lifted}", mock.addr());
    assert_eq!(get(&c, url.clone()).await.0, 200);
    assert_eq!(get(&c, url.clone()).await.0, 429);
    let lift = call(&c, reqwest::Method::POST, control("true"), None).await;
    assert_eq!(lift.0, 200);
    for _ in 0..5 {
        assert_eq!(get(&c, url.clone()).await.0, 200, "lifted");
    }
    assert_eq!(
        call(&c, reqwest::Method::POST, control("false"), None)
            .await
            .0,
        200
    );
    assert_eq!(get(&c, url.clone()).await.0, 429, "enforced again");
    assert_eq!(
        call(&c, reqwest::Method::POST, control("maybe"), None)
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn plan_and_key_permissions_answer_403() {
    let (mock, c) = start(MockConfig {
        plan: Plan::Free,
        key_permissions: KeyPermissions::ReadOnly,
        ..MockConfig::default()
    });
    let base = mock.base_url();
    let (s, v) = get(&c, format!("{base}/organization/groups/grp-eng/users")).await;
    assert_eq!(s, 403);
    assert_eq!(v["error"]["code"], "plan_upgrade_required");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Business, Enterprise")
    );
    let (s, _, v) = call(
        &c,
        reqwest::Method::POST,
        format!("{base}/organization/users/user-bob"),
        Some(json!({"role": "owner"})),
    )
    .await;
    assert_eq!(s, 403);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Missing scopes: api.organization.users.write")
    );
    assert_eq!(
        mock.org()
            .user(&literal("user-bob"))
            .unwrap()
            .role
            .as_deref(),
        Some("reader")
    );
    // Other reads still work.
    assert_eq!(get(&c, format!("{base}/organization/groups")).await.0, 200);
}
