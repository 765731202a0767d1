//! The Admin API client against the mock and against canned servers (issue 2).

use crate::support::*;
use openai_access_actors::api::models::*;
use openai_access_actors::api::{AdminClient, ApiError, Call};
use openai_access_actors::ids::literal;
use openai_access_actors::ids::*;
use openai_access_actors::provisioner::Mutation;
use openai_access_mock::{MockConfig, Org, Preset};
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

fn ids<T>(items: &[T], f: impl Fn(&T) -> String) -> Vec<String> {
    items.iter().map(f).collect()
}

/// Every list the connector reads, with the ids ground truth says it must return.
fn expectations(org: &Org) -> Vec<(Call, usize)> {
    let mut out = vec![
        (Call::users(), org.users.len()),
        (Call::invites(), org.invites.len()),
        (Call::projects(), org.projects.len()),
        (Call::org_roles(), org.org_roles.len().max(2)),
        (Call::groups(), org.groups.len()),
    ];
    let big_group = org
        .groups
        .iter()
        .max_by_key(|g| g.members.len())
        .expect("a group");
    out.push((
        Call::group_users(&big_group.group.id),
        big_group.members.len(),
    ));
    let roled_group = org
        .groups
        .iter()
        .max_by_key(|g| g.roles.len())
        .expect("a group");
    out.push((
        Call::group_roles(&roled_group.group.id),
        roled_group.roles.len(),
    ));
    let active: Vec<_> = org.projects.iter().filter(|p| !p.is_archived()).collect();
    let p = active
        .iter()
        .max_by_key(|p| p.users.len())
        .expect("a project");
    out.push((Call::project_users(p.id()), p.users.len()));
    let p = active
        .iter()
        .max_by_key(|p| p.service_accounts.len())
        .expect("a project");
    out.push((
        Call::project_service_accounts(p.id()),
        p.service_accounts.len(),
    ));
    let p = active
        .iter()
        .max_by_key(|p| p.api_keys.len())
        .expect("a project");
    out.push((Call::project_api_keys(p.id()), p.api_keys.len()));
    let p = active
        .iter()
        .max_by_key(|p| p.groups.len())
        .expect("a project");
    out.push((Call::project_groups(p.id()), p.groups.len()));
    let p = active
        .iter()
        .max_by_key(|p| p.roles.len())
        .expect("a project");
    out.push((Call::project_roles(p.id()), 3 + p.roles.len()));
    let p = active
        .iter()
        .find(|p| p.groups.iter().any(|g| !g.roles.is_empty()))
        .or(active.first())
        .expect("a project");
    if let Some(g) = p.groups.first() {
        out.push((
            Call::project_group_roles(p.id(), &g.group_id),
            1 + g.roles.len(),
        ));
    }
    // A user's org roles: direct custom roles plus those inherited from their groups.
    let custom: HashSet<&RoleId> = org
        .org_roles
        .iter()
        .filter(|r| !r.predefined_role)
        .map(|r| &r.id)
        .collect();
    let u = org
        .user_roles
        .first()
        .map(|r| r.user_id.clone())
        .expect("a user role");
    let mut roles: BTreeSet<&RoleId> = org
        .user_roles
        .iter()
        .filter(|r| r.user_id == u)
        .map(|r| &r.role_id)
        .collect();
    for g in org
        .groups
        .iter()
        .filter(|g| g.members.iter().any(|m| m.user_id == u))
    {
        roles.extend(
            g.roles
                .iter()
                .map(|a| &a.role_id)
                .filter(|r| custom.contains(r)),
        );
    }
    out.push((Call::user_roles(&u), roles.len()));
    out
}

fn page_all(client: &AdminClient, req: &Call) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let items: Vec<serde_json::Value> = client.list_all(req).await.expect("list");
        items
            .iter()
            .map(|v| {
                v.get("id")
                    .or(v.get("group_id"))
                    .and_then(|i| i.as_str())
                    .unwrap_or("?")
                    .to_owned()
            })
            .collect()
    })
}

#[test]
fn every_list_pages_to_the_preset_counts_at_sizes_1_7_and_max() {
    let server = mock(Preset::Small);
    let org = server.org();
    for (req, expected) in expectations(&org) {
        let mut seen: Option<Vec<String>> = None;
        for size in [Some(1), Some(7), None] {
            let mut cfg = client_config(&server.base_url());
            cfg.page_size = size;
            let got = page_all(&AdminClient::new(cfg).expect("client"), &req);
            assert_eq!(got.len(), expected, "{} at page size {size:?}", req.path);
            let unique: HashSet<_> = got.iter().collect();
            assert_eq!(
                unique.len(),
                got.len(),
                "{} repeats items at page size {size:?}",
                req.path
            );
            if let Some(prev) = &seen {
                assert_eq!(
                    prev, &got,
                    "{}: page size {size:?} changed the order",
                    req.path
                );
            }
            seen = Some(got);
        }
    }
}

#[test]
fn lists_keep_the_order_the_spec_defines() {
    let server = mock(Preset::Small);
    let org = server.org();
    let got = page_all(&client(&server.base_url()), &Call::groups());
    // Groups: ascending creation order.
    let mut by_created: Vec<_> = org
        .groups
        .iter()
        .map(|g| (g.group.created_at, g.group.id.to_string()))
        .collect();
    by_created.sort();
    assert_eq!(
        got,
        by_created.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    );
    let users = page_all(&client(&server.base_url()), &Call::users());
    assert_eq!(users, ids(&org.users, |u| u.id.to_string()));
}

#[tokio::test]
async fn both_envelopes_and_the_api_key_visibility_filter() {
    let server = mock(Preset::Tiny);
    let c = client(&server.base_url());
    // Page-A with owner_project_access=any shows the key hidden by default.
    let keys: Vec<ProjectApiKey> = c
        .list_all(&Call::project_api_keys(&literal("proj-alpha")))
        .await
        .expect("keys");
    assert!(keys.iter().any(|k| k.id.as_str() == "key_bob_hidden"));
    // Page-B.
    let roles: Vec<Role> = c.list_all(&Call::org_roles()).await.expect("roles");
    assert_eq!(roles.iter().filter(|r| r.predefined_role).count(), 2);
}

fn quick(base: &str) -> AdminClient {
    let mut cfg = client_config(base);
    cfg.throttle.default_pause = Duration::from_millis(20);
    cfg.max_attempts = 4;
    AdminClient::new(cfg).expect("client")
}

const PAGE: &str = r#"{"object":"list","data":[{"id":"user-1","object":"organization.user","added_at":1}],"first_id":"user-1","last_id":"user-1","has_more":false}"#;

#[tokio::test]
async fn a_429_with_and_without_retry_after_is_retried() {
    for with_header in [true, false] {
        let server = canned(move |n, _| match n {
            0 if with_header => Canned::json(429, error_body("slow down", "rate_limit_exceeded"))
                .header("retry-after-ms", "30"),
            0 => Canned::json(429, error_body("slow down", "rate_limit_exceeded")),
            _ => Canned::json(200, PAGE),
        });
        let users: Vec<User> = quick(&server.base_url)
            .list_all(&Call::users())
            .await
            .expect("retried");
        assert_eq!(users.len(), 1);
        assert_eq!(server.hits.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}

#[tokio::test]
async fn an_endpoint_that_always_answers_429_gives_up_within_the_budget() {
    let server = canned(|_, _| {
        Canned::json(429, error_body("slow down", "rate_limit_exceeded"))
            .header("retry-after-ms", "10")
    });
    let c = quick(&server.base_url);
    let err = c
        .list_all::<User>(&Call::users())
        .await
        .expect_err("gives up");
    // 429s are the throttle's business, not failed answers: the call stops only at the
    // safety net of 8 per allowed failed answer (4 here).
    assert!(
        matches!(err, ApiError::GaveUp { attempts: 32, .. }),
        "{err}"
    );
    assert_eq!(server.hits.load(std::sync::atomic::Ordering::SeqCst), 32);
    assert!(err.to_string().contains("32 answers of 429"), "{err}");
    assert_eq!(c.stats().total().rate_limited, 32);
}

#[tokio::test]
async fn a_long_retry_after_is_capped_by_the_retry_budget() {
    for (name, value) in [
        ("retry-after", "999999"),
        ("retry-after", "1e300"),
        ("retry-after-ms", "1e300"),
        ("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"),
    ] {
        let server = canned(move |_, _| {
            Canned::json(429, error_body("slow down", "rate_limit_exceeded")).header(name, value)
        });
        let mut cfg = client_config(&server.base_url);
        cfg.retry_budget = Duration::from_millis(300);
        let c = AdminClient::new(cfg).expect("client");
        let err = c
            .list_all::<User>(&Call::users())
            .await
            .expect_err("gives up");
        // A wait longer than the whole budget is not waited out: the call gives up at once,
        // saying so (no panic, no sleep of days).
        assert!(
            err.to_string().contains("retry budget"),
            "{name}: {value}: {err}"
        );
        assert!(
            err.to_string().contains("asked to wait"),
            "{name}: {value}: {err}"
        );
        assert_eq!(
            server.hits.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "{name}: {value}"
        );
    }
}

#[tokio::test]
async fn server_errors_and_broken_bodies_are_retried() {
    let faults: Vec<Canned> = vec![
        Canned::json(500, error_body("boom", "server_error")),
        Canned::json(502, "<html>bad gateway</html>"),
        Canned::json(503, error_body("unavailable", "server_error")),
        Canned::json(200, &PAGE[..PAGE.len() / 2]),
        Canned::json(200, "{\"object\": \"list\", \"data\": [}"),
    ];
    for fault in faults {
        let f = fault.clone();
        let server = canned(move |n, _| {
            if n == 0 {
                f.clone()
            } else {
                Canned::json(200, PAGE)
            }
        });
        let users: Vec<User> = quick(&server.base_url)
            .list_all(&Call::users())
            .await
            .expect("retried");
        assert_eq!(users.len(), 1, "after a {} answer", fault.status);
        assert_eq!(server.hits.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}

#[tokio::test]
async fn client_errors_are_not_retried_and_carry_the_api_message() {
    for status in [400u16, 401, 403, 404, 409] {
        let server = canned(move |_, _| {
            Canned::json(
                status,
                error_body(&format!("the api says {status}"), "some_code"),
            )
        });
        let err = quick(&server.base_url)
            .list_all::<User>(&Call::users())
            .await
            .expect_err("fails");
        assert_eq!(
            server.hits.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "{status} must not be retried"
        );
        assert_eq!(err.status(), Some(status));
        assert!(
            err.to_string().contains(&format!("the api says {status}")),
            "{err}"
        );
        assert!(
            err.to_string().contains("GET /organization/users"),
            "names the endpoint: {err}"
        );
        assert_eq!(err.code(), Some("some_code"));
    }
}

#[tokio::test]
async fn a_repeated_cursor_is_an_error_not_a_hang() {
    let server = canned(|_, _| {
        Canned::json(
            200,
            r#"{"object":"list","data":[{"id":"g1","name":"x","created_at":1}],"has_more":true,"next":"g1"}"#,
        )
    });
    let err = quick(&server.base_url)
        .list_all::<Group>(&Call::groups())
        .await
        .expect_err("repeats");
    assert!(matches!(err, ApiError::RepeatedCursor { .. }), "{err}");
    assert_eq!(server.hits.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[test]
fn the_admin_key_never_appears_in_logs_or_debug_output() {
    const SECRET: &str = "sk-admin-CANARY-5f1e2d";
    let server = mock_with(MockConfig {
        preset: Preset::Tiny,
        admin_key: SECRET.into(),
        faults: openai_access_mock::Faults {
            rate: 0.5,
            kinds: openai_access_mock::FaultKind::ALL.to_vec(),
            slow: Duration::from_millis(1),
        },
        ..MockConfig::default()
    });
    let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let b = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || Writer(b.clone()))
        .finish();
    let mut cfg = client_config(&server.base_url());
    cfg.key = openai_access_actors::AdminKey::new(SECRET).expect("key");
    cfg.throttle.default_pause = Duration::from_millis(5);
    let debug = format!("{cfg:?}");
    let c = AdminClient::new(cfg).expect("client");
    tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        rt.block_on(async {
            for _ in 0..20 {
                let _: Vec<User> = c.list_all(&Call::users()).await.expect("users");
            }
            let mut wrong = client_config(&server.base_url());
            wrong.key = openai_access_actors::AdminKey::new("sk-admin-wrong-CANARY").expect("key");
            let err = AdminClient::new(wrong)
                .expect("client")
                .list_all::<User>(&Call::users())
                .await
                .expect_err("401");
            tracing::error!(error = %err, "Logged the 401.");
            assert!(!err.to_string().contains("CANARY"));
        });
    });
    let logs = String::from_utf8(buf.lock().expect("lock").clone()).expect("utf8");
    assert!(
        logs.contains("Retrying request."),
        "faults were injected and logged: {logs}"
    );
    assert!(!logs.contains("CANARY"), "key leaked into logs");
    assert!(
        !debug.contains("CANARY") && !format!("{c:?}").contains("CANARY"),
        "key leaked into Debug"
    );
}

struct Writer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
impl std::io::Write for Writer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn mutations_change_what_later_lists_return() {
    let server = mock(Preset::Tiny);
    let c = client(&server.base_url());
    let grp: GroupId = literal("grp-empty");
    let alice: UserId = literal("user-alice");
    let make = |m: Mutation| {
        let c = c.clone();
        async move { c.execute::<serde_json::Value>(&m.call()).await }
    };
    make(Mutation::AddGroupUser {
        group: grp.clone(),
        user: alice,
    })
    .await
    .expect("add member");
    let members: Vec<GroupUser> = c.list_all(&Call::group_users(&grp)).await.expect("members");
    assert_eq!(ids(&members, |m| m.id.to_string()), vec!["user-alice"]);

    make(Mutation::SetOrgRole {
        user: literal("user-bob"),
        role: "owner",
    })
    .await
    .expect("role");
    let users: Vec<User> = c.list_all(&Call::users()).await.expect("users");
    assert_eq!(
        users
            .iter()
            .find(|u| u.id.as_str() == "user-bob")
            .and_then(|u| u.role.clone())
            .as_deref(),
        Some("owner")
    );

    make(Mutation::DeleteInvite {
        invite: literal("inv-pending"),
    })
    .await
    .expect("delete invite");
    let invites: Vec<Invite> = c.list_all(&Call::invites()).await.expect("invites");
    assert!(invites.iter().all(|i| i.id.as_str() != "inv-pending"));

    let beta: ProjectId = literal("proj-beta");
    make(Mutation::AddProjectUser {
        project: beta.clone(),
        user: literal("user-carol"),
        role: "member",
    })
    .await
    .expect("add to project");
    let members: Vec<ProjectUser> = c
        .list_all(&Call::project_users(&beta))
        .await
        .expect("project users");
    assert!(
        members
            .iter()
            .any(|m| m.id.as_str() == "user-carol" && m.role.as_deref() == Some("member"))
    );

    make(Mutation::RemoveProjectUser {
        project: beta.clone(),
        user: literal("user-carol"),
    })
    .await
    .expect("remove");
    let members: Vec<ProjectUser> = c
        .list_all(&Call::project_users(&beta))
        .await
        .expect("project users");
    assert!(members.iter().all(|m| m.id.as_str() != "user-carol"));
}

#[tokio::test]
async fn a_server_that_stops_answering_is_waited_out_over_real_sockets() {
    let server = mock(Preset::Tiny);
    let mut cfg = client_config(&server.base_url());
    cfg.timeout = Duration::from_millis(500);
    let c = AdminClient::new(cfg).expect("client");
    // The server answered once: from then on, no answer is an outage to wait out (before it,
    // a server that never answers is a wrong address, refused at once).
    let before: Vec<User> = c.list_all(&Call::users()).await.expect("before the outage");
    server.outage(Duration::from_millis(1500));
    let users: Vec<User> = c.list_all(&Call::users()).await.expect("after the outage");
    assert_eq!(users.len(), before.len());
    assert!(!users.is_empty());
    let t = c.stats().total();
    assert!(t.retries >= 1, "timed out at least once: {t:?}");
    assert_eq!(t.failures, 0);
}
