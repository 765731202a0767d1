//! Tests of the mock: generation, the tiny fixture's edge cases, and HTTP round trips against a
//! server started on port 0.

#![allow(clippy::unwrap_used)]

use super::*;
use openai_access_actors::endpoint::Endpoint;
use openai_access_actors::ids::{GroupId, ProjectId, literal};
use serde_json::{Value, json};
use std::time::Duration;

// ---- generation -------------------------------------------------------------------------------

#[test]
fn generation_is_deterministic() {
    for preset in [Preset::Tiny, Preset::Small, Preset::Medium] {
        assert_eq!(generate(preset, 7), generate(preset, 7), "{preset}");
    }
    assert_ne!(generate(Preset::Small, 0), generate(Preset::Small, 1));
    assert_ne!(generate(Preset::Medium, 0), generate(Preset::Medium, 1));
}

#[test]
fn presets_parse_and_print() {
    for p in Preset::ALL {
        assert_eq!(p.to_string().parse::<Preset>(), Ok(*p));
    }
    assert!("huge".parse::<Preset>().is_err());
}

#[test]
fn generated_shapes_are_realistic() {
    let org = generate(Preset::Medium, 0);
    let s = org.shape();
    assert_eq!(s.users, 2_000);
    assert_eq!(s.projects, 200);
    assert_eq!(s.groups, 80);
    assert!((3..=8).contains(&s.org_custom_roles));
    assert!(s.archived_projects > 0 && s.archived_projects < 30, "{s:?}");
    assert!(
        org.projects.iter().any(|p| p.users.len() > 100),
        "a project must need paging"
    );
    assert!(org.projects.iter().all(|p| !p.users.is_empty()));
    assert!(
        org.users
            .iter()
            .filter(|u| u.role.as_deref() == Some("owner"))
            .count()
            >= 20
    );
    // Every reference points at something that exists.
    for p in &org.projects {
        for m in &p.users {
            assert!(org.user(&m.user_id).is_some());
        }
        for g in &p.groups {
            assert!(org.group(&g.group_id).is_some());
            assert!(p.role(&g.role_id).is_some());
        }
        for a in &p.user_roles {
            assert!(p.member(&a.user_id).is_some());
        }
    }
    for sa in org.projects.iter().flat_map(|p| &p.service_accounts) {
        let u = org.user(&literal(sa.id.as_str())).unwrap();
        assert!(u.is_service_account());
    }
    let inactive = org
        .projects
        .iter()
        .flat_map(|p| &p.api_keys)
        .filter(|k| k.owner_project_access == "inactive")
        .count();
    assert!(inactive > 0);
}

/// Not a test: `cargo test --release -p openai-access-mock -- --ignored
/// --nocapture large_generation_cost` prints how long `large` takes and what it holds.
#[test]
#[ignore]
fn large_generation_cost() {
    let rss = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .unwrap_or(0)
    };
    let before = rss();
    let t = std::time::Instant::now();
    let org = generate(Preset::Large, 0);
    let took = t.elapsed();
    let after = rss();
    eprintln!(
        "large: {took:?}, RSS +{} KiB, shape {}",
        after.saturating_sub(before),
        serde_json::to_string(&org.shape()).unwrap()
    );
    for p in Preset::ALL {
        eprintln!(
            "{p}: {}",
            serde_json::to_string(&generate(*p, 0).shape()).unwrap()
        );
    }
}

// ---- the tiny fixture -------------------------------------------------------------------------

#[test]
fn tiny_has_every_edge_case() {
    let org = generate(Preset::Tiny, 0);
    assert_eq!(org.org_id, "org-tiny");
    let dave = org.user(&literal("user-dave")).unwrap();
    assert!(dave.name.is_none() && dave.email.is_none());
    let sa_users: Vec<&str> = org
        .users
        .iter()
        .filter(|u| u.is_service_account())
        .map(|u| u.id.as_str())
        .collect();
    assert_eq!(
        sa_users,
        ["svc_acct_build", "svc_acct_deploy", "svc_acct_idle"]
    );
    let statuses: Vec<_> = org
        .invites
        .iter()
        .map(|i| i.status.clone().unwrap())
        .collect();
    assert_eq!(statuses, ["pending", "expired", "accepted"]);
    assert_eq!(org.group(&literal("grp-empty")).unwrap().members.len(), 0);
    assert_eq!(
        org.group(&literal("grp-tenant"))
            .unwrap()
            .group
            .group_type
            .as_deref(),
        Some("tenant_group")
    );
    let archived = org.project(&literal::<ProjectId>("proj-archived")).unwrap();
    assert!(archived.is_archived() && archived.project.archived_at.is_some());

    // Erin's auditor role: direct and through grp-sec.
    let erin = org.user_org_roles(&literal("user-erin"));
    assert_eq!(erin.len(), 1);
    assert_eq!(erin[0].id.as_str(), "role_auditor");
    let sources: Vec<_> = erin[0]
        .inherited_from()
        .iter()
        .map(|s| (s.principal_type.as_str(), s.principal_id.as_str()))
        .collect();
    assert_eq!(sources, [("user", "user-erin"), ("group", "grp-sec")]);
    // Dave only inherits it.
    let dave = org.user_org_roles(&literal("user-dave"));
    assert_eq!(dave[0].inherited_from().len(), 1);

    let alpha = org.project(&literal::<ProjectId>("proj-alpha")).unwrap();
    let bob = org.project_user_roles(alpha, &literal("user-bob"));
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0].inherited_from().len(), 2, "direct and via grp-eng");
    let carol = org.project_user_roles(alpha, &literal("user-carol"));
    assert_eq!(carol[0].id.as_str(), "role_alpha_deployer");
    let grp_eng = alpha.group_roles(&literal::<GroupId>("grp-eng"));
    assert_eq!(grp_eng.len(), 2);
    assert!(grp_eng[0].predefined_role);
    assert_eq!(grp_eng[0].id, project_role_id("member", "proj-alpha"));

    let beta = org.project(&literal::<ProjectId>("proj-beta")).unwrap();
    assert_eq!(beta.service_accounts[0].role.as_deref(), Some("none"));
    assert_eq!(beta.groups[0].role_id.as_str(), "role_beta_analyst");
    assert!(beta.api_keys[0].last_used_at.is_none());
    let s = org.shape();
    assert_eq!(
        (
            s.users,
            s.service_account_users,
            s.projects,
            s.archived_projects
        ),
        (5, 3, 3, 1)
    );
}

// ---- HTTP -------------------------------------------------------------------------------------

const KEY: &str = MOCK_KEY;

fn start(cfg: MockConfig) -> (MockServer, reqwest::Client) {
    // reqwest is built without a provider; the first test to get here installs ring's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mock = MockServer::start(cfg).unwrap();
    (mock, reqwest::Client::new())
}

async fn call(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
    let mut req = c.request(method, url).bearer_auth(KEY);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = r.text().await.unwrap();
    (
        status,
        retry,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

async fn get(c: &reqwest::Client, url: String) -> (u16, Value) {
    let (s, _, v) = call(c, reqwest::Method::GET, url, None).await;
    (s, v)
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

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
async fn page_a_lists_page_with_after() {
    let (mock, c) = start(MockConfig::default());
    let base = mock.base_url();
    let want: Vec<String> = mock.org().users.iter().map(|u| u.id.to_string()).collect();
    let mut got = Vec::new();
    let mut after = String::new();
    loop {
        let (s, v) = get(&c, format!("{base}/organization/users?limit=3{after}")).await;
        assert_eq!(s, 200);
        assert_eq!(v["object"], "list");
        got.extend(ids(&v));
        assert_eq!(v["last_id"].as_str(), got.last().map(String::as_str));
        if !v["has_more"].as_bool().unwrap() {
            break;
        }
        after = format!("&after={}", v["last_id"].as_str().unwrap());
    }
    assert_eq!(got, want);
    let sa = got.iter().filter(|id| id.starts_with("svc_acct_")).count();
    assert_eq!(sa, 3);

    for bad in ["limit=0", "limit=101", "include_archived=1"] {
        let (s, v) = get(&c, format!("{base}/organization/users?{bad}")).await;
        assert_eq!(s, 400, "{bad}");
        assert_eq!(v["error"]["type"], "invalid_request_error");
    }
    // A cursor that names nothing the list ever held is past its end; an empty one is none.
    let (s, v) = get(&c, format!("{base}/organization/users?after=user-nobody")).await;
    assert_eq!(
        (s, ids(&v).len(), &v["has_more"]),
        (200, 0, &Value::Bool(false))
    );
    let (s, v) = get(&c, format!("{base}/organization/users?after=&limit=2")).await;
    assert_eq!((s, ids(&v).len()), (200, 2));
    // Archived projects are hidden by default, and their users answer 400.
    let (_, v) = get(&c, format!("{base}/organization/projects")).await;
    assert_eq!(ids(&v), ["proj-alpha", "proj-beta"]);
    let (_, v) = get(
        &c,
        format!("{base}/organization/projects?include_archived=true"),
    )
    .await;
    assert_eq!(ids(&v).len(), 3);
    let (s, _) = get(
        &c,
        format!("{base}/organization/projects/proj-archived/users"),
    )
    .await;
    assert_eq!(s, 400);
    // Inactive keys only with owner_project_access=any|inactive.
    let keys = format!("{base}/organization/projects/proj-alpha/api_keys");
    let (_, v) = get(&c, keys.clone()).await;
    assert_eq!(ids(&v), ["key_alice", "key_build"]);
    let (_, v) = get(&c, format!("{keys}?owner_project_access=any")).await;
    assert_eq!(ids(&v).len(), 3);
    let (_, v) = get(&c, format!("{keys}?owner_project_access=inactive")).await;
    assert_eq!(ids(&v), ["key_bob_hidden"]);
    assert_eq!(v["data"][0]["owner"]["user"]["id"], "user-bob");
}

/// A cursor whose item is deleted before the next page is asked for keeps paging: every item
/// that stayed is listed once, whichever list and page style.
#[tokio::test]
async fn a_deleted_cursor_resumes_where_it_was() {
    let (mock, c) = start(MockConfig::default());
    let base = mock.base_url();
    let users: Vec<String> = mock.org().users.iter().map(|u| u.id.to_string()).collect();
    // Page A: users, two at a time, deleting each page's last (non service-account) user.
    let mut got = Vec::new();
    let mut deleted = Vec::new();
    let mut after = String::new();
    loop {
        let (s, v) = get(&c, format!("{base}/organization/users?limit=2{after}")).await;
        assert_eq!(s, 200, "{v}");
        got.extend(ids(&v));
        if !v["has_more"].as_bool().unwrap() {
            break;
        }
        let last = v["last_id"].as_str().unwrap().to_owned();
        if !last.starts_with("svc_acct_") {
            let (s, _, _) = call(
                &c,
                reqwest::Method::DELETE,
                format!("{base}/organization/users/{last}"),
                None,
            )
            .await;
            assert_eq!(s, 200);
            deleted.push(last.clone());
        }
        after = format!("&after={last}");
    }
    assert!(!deleted.is_empty());
    assert_eq!(got, users, "every user once, in order");
    // Page B: a group's members, newest first, one at a time, removing each cursor.
    let (_, v) = get(&c, format!("{base}/organization/groups/grp-eng/users")).await;
    let members = ids(&v);
    let mut got = Vec::new();
    let mut after = String::new();
    loop {
        let (s, v) = get(
            &c,
            format!("{base}/organization/groups/grp-eng/users?limit=1{after}"),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        got.extend(ids(&v));
        let Some(next) = v["next"].as_str().map(str::to_owned) else {
            break;
        };
        let (s, _, _) = call(
            &c,
            reqwest::Method::DELETE,
            format!("{base}/organization/groups/grp-eng/users/{next}"),
            None,
        )
        .await;
        assert_eq!(s, 200);
        after = format!("&after={next}");
    }
    assert_eq!(got, members);
}

#[tokio::test]
async fn page_b_lists_page_with_next() {
    let (mock, c) = start(MockConfig::default());
    let base = mock.base_url();
    // Group members default to newest first.
    let (_, v) = get(
        &c,
        format!("{base}/organization/groups/grp-eng/users?limit=1"),
    )
    .await;
    assert_eq!(ids(&v), ["user-carol"]);
    assert_eq!(v["has_more"], true);
    assert_eq!(v["next"], "user-carol");
    assert!(v.get("first_id").is_none());
    let (_, v) = get(
        &c,
        format!("{base}/organization/groups/grp-eng/users?limit=1&after=user-carol"),
    )
    .await;
    assert_eq!(ids(&v), ["user-bob"]);
    assert_eq!(v["has_more"], false);
    assert_eq!(v["next"], Value::Null);

    let (_, v) = get(&c, format!("{base}/organization/roles")).await;
    assert_eq!(ids(&v).len(), 4);
    assert_eq!(
        v["data"][0]["id"],
        "role-api-organization-owner__api-organization__org-tiny"
    );
    let (_, v) = get(&c, format!("{base}/projects/proj-alpha/roles?limit=2")).await;
    assert_eq!(
        v["next"],
        "role-api-project-member__api-project__proj-alpha"
    );

    let (_, v) = get(&c, format!("{base}/organization/users/user-erin/roles")).await;
    assert_eq!(ids(&v), ["role_auditor"]);
    assert_eq!(
        v["data"][0]["assignment_sources"],
        json!([{"principal_id": "user-erin", "principal_type": "user"},
               {"principal_id": "grp-sec", "principal_type": "group"}])
    );
    let (_, v) = get(
        &c,
        format!("{base}/projects/proj-alpha/groups/grp-eng/roles"),
    )
    .await;
    assert_eq!(v["data"][0]["name"], "member");
    assert_eq!(v["data"][1]["id"], "role_alpha_deployer");
    let (_, v) = get(&c, format!("{base}/organization/projects/proj-beta/groups")).await;
    assert_eq!(v["data"][0]["group_id"], "grp-sec");
    assert_eq!(v["data"][0]["object"], "project.group");
    let (s, _) = get(&c, format!("{base}/organization/groups?limit=1001")).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn mutations_show_up_in_later_lists() {
    let (mock, c) = start(MockConfig::default());
    let base = mock.base_url();
    let post = reqwest::Method::POST;
    let (s, _, v) = call(
        &c,
        post.clone(),
        format!("{base}/organization/groups/grp-empty/users"),
        Some(json!({"user_id": "user-dave"})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        v,
        json!({"object": "group.user", "user_id": "user-dave", "group_id": "grp-empty"})
    );
    let (_, v) = get(&c, format!("{base}/organization/groups/grp-empty/users")).await;
    assert_eq!(ids(&v), ["user-dave"]);

    let assign = format!("{base}/organization/users/user-carol/roles");
    let body = Some(json!({"role_id": "role_billing_admin"}));
    let (s, _, v) = call(&c, post.clone(), assign.clone(), body.clone()).await;
    assert_eq!(s, 200);
    assert_eq!(v["object"], "user.role");
    let (s, _, _) = call(&c, post.clone(), assign.clone(), body).await;
    assert_eq!(s, 409);
    let (_, v) = get(&c, assign.clone()).await;
    assert_eq!(ids(&v), ["role_billing_admin"]);
    let (s, _, v) = call(
        &c,
        reqwest::Method::DELETE,
        format!("{assign}/role_billing_admin"),
        None,
    )
    .await;
    assert_eq!(
        (s, v),
        (200, json!({"object": "user.role.deleted", "deleted": true}))
    );

    // Project group with an alias role; then an unknown id and an accepted invite.
    let (s, _, v) = call(
        &c,
        post.clone(),
        format!("{base}/organization/projects/proj-beta/groups"),
        Some(json!({"group_id": "grp-eng", "role": "viewer"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = get(
        &c,
        format!("{base}/projects/proj-beta/groups/grp-eng/roles"),
    )
    .await;
    assert_eq!(
        v["data"][0]["id"],
        "role-api-project-viewer__api-project__proj-beta"
    );
    let (s, _, _) = call(
        &c,
        post.clone(),
        format!("{base}/organization/groups/grp-nope/users"),
        Some(json!({"user_id": "user-dave"})),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _, v) = call(
        &c,
        reqwest::Method::DELETE,
        format!("{base}/organization/invites/inv-accepted"),
        None,
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["message"], "cannot delete an accepted invite");

    let (s, _, _) = call(
        &c,
        reqwest::Method::DELETE,
        format!("{base}/organization/users/user-bob"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let org = mock.org();
    assert!(org.user(&literal("user-bob")).is_none());
    assert!(
        org.projects
            .iter()
            .all(|p| p.member(&literal("user-bob")).is_none())
    );
    assert!(
        org.groups
            .iter()
            .all(|g| g.members.iter().all(|m| m.user_id.as_str() != "user-bob"))
    );
    assert_eq!(mock.stats().mutations, 8);
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

#[tokio::test]
async fn group_members_always_have_a_name_as_the_spec_says() {
    let (mock, c) = start(MockConfig::default());
    let base = mock.base_url();
    let mut seen = 0;
    for g in mock.org().groups {
        let (s, v) = get(
            &c,
            format!("{base}/organization/groups/{}/users", g.group.id),
        )
        .await;
        assert_eq!(s, 200);
        for m in v["data"].as_array().expect("data") {
            assert!(
                m["name"].is_string(),
                "GroupUser.name is a non-nullable string: {m}"
            );
            seen += 1;
        }
    }
    assert!(seen > 0);
}

#[tokio::test]
async fn a_body_must_be_a_json_object_not_an_array_read_by_position() {
    let (mock, c) = start(MockConfig::default());
    let url = format!("{}/organization/invites", mock.base_url());
    let before = mock.org().invites.len();
    let r = c
        .post(&url)
        .bearer_auth(KEY)
        .json(&serde_json::json!(["x@example.com", "reader"]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("JSON object"),
        "{v}"
    );
    assert_eq!(mock.org().invites.len(), before, "nothing was created");
}

#[tokio::test]
async fn a_role_change_takes_role_or_role_id_and_an_empty_one_changes_nothing() {
    let (mock, c) = start(MockConfig::default());
    let base = mock.base_url();
    let org = mock.org();
    let reader = org
        .users
        .iter()
        .find(|u| !u.is_service_account() && u.role.as_deref() == Some("reader"))
        .expect("a reader")
        .id
        .to_string();
    let url = format!("{base}/organization/users/{reader}");
    let post = |body: Value| call(&c, reqwest::Method::POST, url.clone(), Some(body));
    for empty in [json!({}), json!({"role": null}), json!({"role_id": null})] {
        let (s, _, v) = post(empty.clone()).await;
        assert_eq!((s, v["role"].clone()), (200, json!("reader")), "{empty}");
    }
    let owner_id = org_role_id("owner", &org.org_id).to_string();
    let (s, _, v) = post(json!({"role_id": owner_id})).await;
    assert_eq!(
        (s, v["role"].clone()),
        (200, json!("owner")),
        "by role_id: {v}"
    );
    let (s, _, _) = post(json!({"role": "reader", "role_id": owner_id})).await;
    assert_eq!(
        s, 400,
        "role and role_id disagreeing are refused, not one ignored"
    );

    let p = org
        .projects
        .iter()
        .find(|p| !p.is_archived() && !p.users.is_empty())
        .expect("project");
    let m = &p.users[0];
    let url = format!(
        "{base}/organization/projects/{}/users/{}",
        p.id(),
        m.user_id
    );
    let viewer = project_role_id("viewer", p.id().as_str()).to_string();
    let (s, _, v) = call(
        &c,
        reqwest::Method::POST,
        url.clone(),
        Some(json!({"role_id": viewer})),
    )
    .await;
    assert_eq!((s, v["role"].clone()), (200, json!("viewer")), "{v}");
    let (s, _, v) = call(&c, reqwest::Method::POST, url, Some(json!({}))).await;
    assert_eq!((s, v["role"].clone()), (200, json!("viewer")), "{v}");
}

#[tokio::test]
async fn include_archived_is_a_boolean_not_anything_read_as_false() {
    let (mock, c) = start(MockConfig::default());
    let base = mock.base_url();
    for (v, status) in [("true", 200), ("false", 200), ("1", 400), ("null", 400)] {
        let (s, body) = get(
            &c,
            format!("{base}/organization/projects?include_archived={v}"),
        )
        .await;
        assert_eq!(s, status, "{v}: {body}");
        if s == 400 {
            assert_eq!(body["error"]["param"], "include_archived");
        }
    }
}

/// The new write routes are stateful like the rest: a created object is listed, a minted
/// secret is shown once and then only redacted, a deleted service account takes its keys and
/// its user along, an archived project refuses membership changes.
#[tokio::test]
async fn created_minted_and_deleted_objects_show_in_the_lists() {
    use reqwest::Method;
    let (mock, c) = start(MockConfig::default());
    let base = mock.base_url();
    let (s, _, g) = call(
        &c,
        Method::POST,
        format!("{base}/organization/groups"),
        Some(json!({"name": "Auditors"})),
    )
    .await;
    assert_eq!(s, 200, "{g}");
    let (_, v) = get(&c, format!("{base}/organization/groups")).await;
    assert!(ids(&v).contains(&g["id"].as_str().unwrap().to_owned()));

    // A service account with its first key: the secret in this answer only.
    let sas = format!("{base}/organization/projects/proj-alpha/service_accounts");
    let (s, _, sa) = call(&c, Method::POST, sas.clone(), Some(json!({"name": "ci"}))).await;
    assert_eq!(s, 200, "{sa}");
    let secret = sa["api_key"]["value"].as_str().unwrap().to_owned();
    let key_id = sa["api_key"]["id"].as_str().unwrap().to_owned();
    let keys = format!("{base}/organization/projects/proj-alpha/api_keys");
    let (_, v) = get(&c, keys.clone()).await;
    let listed = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == key_id.as_str())
        .expect("minted key listed")
        .clone();
    let redacted = listed["redacted_value"].as_str().unwrap();
    assert!(
        !v.to_string().contains(&secret),
        "the secret is never listed"
    );
    assert!(
        redacted.ends_with(&secret[secret.len() - 4..]),
        "{redacted}"
    );
    let (_, v) = get(&c, format!("{keys}/{key_id}")).await;
    assert!(v.get("value").is_none() && !v.to_string().contains(&secret));

    // Deleting it takes its keys and its user.
    let sa_id = sa["id"].as_str().unwrap();
    let (s, _, _) = call(&c, Method::DELETE, format!("{sas}/{sa_id}"), None).await;
    assert_eq!(s, 200);
    let (_, v) = get(&c, format!("{keys}?owner_project_access=any")).await;
    assert!(!ids(&v).contains(&key_id));
    let (s, _) = get(&c, format!("{base}/organization/users/{sa_id}")).await;
    assert_eq!(s, 404);

    // Admin keys: listed with their redacted value and owner, the secret only at creation.
    let (s, _, k) = call(
        &c,
        Method::POST,
        format!("{base}/organization/admin_api_keys"),
        Some(json!({"name": "rotation"})),
    )
    .await;
    assert_eq!(s, 200, "{k}");
    let (_, v) = get(&c, format!("{base}/organization/admin_api_keys")).await;
    let listed = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == k["id"])
        .expect("new admin key listed")
        .clone();
    assert!(listed.get("value").is_none());
    assert!(listed["redacted_value"].is_string() && listed["owner"]["id"].is_string());

    // Archived: no membership change, however asked.
    let (s, _, _) = call(
        &c,
        Method::POST,
        format!("{base}/organization/projects/proj-alpha/archive"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (s, _, e) = call(
        &c,
        Method::POST,
        format!("{base}/organization/projects/proj-alpha/users"),
        Some(json!({"user_id": "user-dave", "role": "member"})),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (400, Some("project_archived"))
    );
}
