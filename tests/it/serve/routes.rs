//! Every read route against `small`: the answers equal what the sync output (written by the
//! same service) says; the token is required on /api/ and nowhere else; bad input gets a 4xx
//! in the one error shape and the service stays up.

use super::*;
use openai_access_mock::Preset;

fn started_small() -> (MockServerGuard, Service, Value) {
    let m = mock(Preset::Small);
    let s = Service::start(&m.base_url(), &[]);
    s.wait_ready();
    let out: Value =
        serde_json::from_slice(&std::fs::read(s.dir.path().join("org.json")).expect("--out"))
            .expect("json");
    (MockServerGuard(m), s, out)
}

/// Keeps the mock alive as long as the test needs it.
pub struct MockServerGuard(pub openai_access_mock::MockServer);

fn ids_in(answer: &Value, list: &str, field: &str) -> Vec<String> {
    let mut v: Vec<String> = answer[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list} in {answer}"))
        .iter()
        .map(|x| x[field].as_str().expect("id").to_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn access_and_who_answers_equal_the_sync_output() {
    let (_m, s, out) = started_small();
    let resources = out["resources"].as_array().expect("resources");
    let mut principals = 0;
    for r in resources {
        let t = r["resource_type"].as_str().expect("type");
        if !["user", "group", "service_account"].contains(&t) {
            continue;
        }
        let id = r["id"].as_str().expect("id");
        let a = s.get(&format!("/api/v1/principals/{t}/{}/access", seg(id)));
        assert_eq!(a.status, 200, "{t} {id}: {}", a.text);
        let want = grant_ids_where(&out, |g| {
            g["principal"]["resource_type"] == t && g["principal"]["id"] == id
        });
        assert_eq!(ids_in(&a.body, "grants", "grant"), want, "{t} {id}");
        assert_eq!(
            a.body["principal"]["name"], r["display_name"],
            "names resolved"
        );
        principals += 1;
    }
    assert!(
        principals > 100,
        "small has users, groups, service accounts"
    );
    for r in resources.iter().filter(|r| r["resource_type"] == "project") {
        let id = r["id"].as_str().expect("id");
        let w = s.get(&format!("/api/v1/resources/project/{id}/access"));
        assert_eq!(w.status, 200, "{}", w.text);
        let mut got: Vec<String> = w.body["roles"]
            .as_array()
            .expect("roles")
            .iter()
            .flat_map(|role| {
                let e = role["entitlement"]
                    .as_str()
                    .expect("entitlement")
                    .to_owned();
                role["holders"]
                    .as_array()
                    .expect("holders")
                    .iter()
                    .map(move |h| format!("{e}:{}", key_of(&h["principal"]["key"])))
            })
            .collect();
        got.sort();
        // Its grants, and those on the roles scoped to it.
        let scoped: Vec<&Value> = resources
            .iter()
            .filter(|r| r["resource_type"] == "project_role" && r["parent"]["id"] == id)
            .map(|r| &r["id"])
            .collect();
        let want = grant_ids_where(&out, |g| {
            let on = &g["resource"];
            on["resource_type"] == "project" && on["id"] == id
                || on["resource_type"] == "project_role" && scoped.contains(&&on["id"])
        });
        assert_eq!(got, want, "who can access {id}");
    }
    // A user named by email, as a reviewer would.
    let user = resources
        .iter()
        .find(|r| r["resource_type"] == "user" && r["profile"]["email"].is_string())
        .expect("a user with an email");
    let by_email = s.get(&format!(
        "/api/v1/principals/user/{}/access",
        seg(user["profile"]["email"].as_str().expect("email"))
    ));
    assert_eq!(by_email.status, 200);
    assert_eq!(by_email.body["principal"]["key"]["id"], user["id"]);
}

#[test]
fn grants_page_through_every_grant_once_and_explain_each_kind() {
    let (_m, s, out) = started_small();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let q = match &after {
            Some(a) => format!(
                "/api/v1/grants?limit=97&after={}",
                seg(a).replace(':', "%3A")
            ),
            None => "/api/v1/grants?limit=97".to_owned(),
        };
        let page = s.get(&q);
        assert_eq!(page.status, 200, "{}", page.text);
        let rows = page.body["grants"].as_array().expect("grants").clone();
        assert!(rows.len() <= 97);
        seen.extend(
            rows.iter()
                .map(|g| g["id"].as_str().expect("id").to_owned()),
        );
        match page.body["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        grant_ids_where(&out, |_| true),
        "every grant once, in id order"
    );
    // Filtered: one project's grants, one entitlement.
    let project = out["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["resource_type"] == "project")
        .expect("project")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let f = s.get(&format!(
        "/api/v1/grants?resource=project:{project}&entitlement=project:{project}:owner&limit=1000"
    ));
    assert_eq!(f.status, 200, "{}", f.text);
    assert_eq!(
        ids_in(&f.body, "grants", "id"),
        grant_ids_where(&out, |g| g["entitlement"]
            == format!("project:{project}:owner"))
    );
    // One grant through a group, one implicit owner grant: the chain behind each.
    let via_group = out["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .find(|g| {
            g["sources"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|e| e.as_str().is_some_and(|e| e.starts_with("group:")))
            })
        })
        .expect("a grant through a group");
    let id = via_group["id"].as_str().expect("id");
    let e = s.get(&format!("/api/v1/grants/{}", seg(id)));
    assert_eq!(e.status, 200, "{}", e.text);
    assert_eq!(e.body["grant"], id);
    let reasons = e.body["because"].as_array().expect("because");
    assert!(
        reasons
            .iter()
            .any(|r| r["path"]["kind"] == "group" && r["rests_on"]["grant"].is_string()),
        "{}",
        e.text
    );
    let implicit = out["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .find(|g| g["immutable"] == true)
        .expect("an implicit owner grant");
    let e = s.get(&format!(
        "/api/v1/grants/{}",
        seg(implicit["id"].as_str().expect("id"))
    ));
    assert_eq!(e.status, 200);
    assert_eq!(e.body["immutable"], true);
    assert_eq!(
        e.body["because"][0]["path"]["kind"], "org_owner",
        "{}",
        e.text
    );
}

#[test]
fn summary_syncs_changes_metrics_and_health() {
    let (_m, s, out) = started_small();
    let sum = s.get("/api/v1/summary");
    assert_eq!(sum.status, 200);
    assert_eq!(
        sum.body["grants"].as_u64(),
        Some(out["grants"].as_array().expect("g").len() as u64)
    );
    assert_eq!(sum.body["org_id"], out["org_id"]);
    assert!(
        !sum.body["org_owners"]
            .as_array()
            .expect("owners")
            .is_empty()
    );
    let syncs = s.syncs();
    assert_eq!(syncs[0]["result"], "ok");
    assert_eq!(syncs[0]["kind"], "full");
    let first = syncs[0]["id"].as_u64().expect("id");
    let changes = s.get(&format!("/api/v1/changes?since={first}"));
    assert_eq!(changes.status, 200, "{}", changes.text);
    assert_eq!(s.get("/api/v1/changes?since=x").status, 400);
    assert_eq!(s.get_anonymous("/healthz").status, 200);
    let ready = s.get_anonymous("/readyz");
    assert_eq!(
        (ready.status, ready.body["ready"].as_bool()),
        (200, Some(true))
    );
    assert_eq!(ready.body["state"], "fresh", "{}", ready.text);
    let m = s.get_anonymous("/metrics");
    assert_eq!(m.status, 200);
    for family in [
        "openai_access_sync_runs_total{kind=\"full\",result=\"ok\"} 1",
        "openai_access_sync_duration_seconds_count{kind=\"full\"} 1",
        "openai_access_api_requests_total{endpoint=\"GET /organization/users\"}",
        "openai_access_api_rate_limited_total",
        "openai_access_grants ",
        "openai_access_resources{type=\"user\"}",
        "openai_access_seconds_since_last_successful_sync ",
        "openai_access_ready 1",
    ] {
        assert!(m.text.contains(family), "{family} in\n{}", m.text);
    }
    // No access data: no user id, email or grant id appears in what needs no token.
    for r in out["resources"].as_array().expect("resources") {
        let id = r["id"].as_str().expect("id");
        if r["resource_type"] == "user" {
            for open in [&m.text, &ready.text] {
                assert!(!open.contains(id), "{id} leaked");
            }
        }
    }
}

#[test]
fn api_routes_need_the_exact_token() {
    let (_m, s, _) = started_small();
    for path in [
        "/api/v1/summary",
        "/api/v1/grants",
        "/api/v1/syncs",
        "/api/v1/no-such-route",
    ] {
        let none = s.get_anonymous(path);
        assert_eq!(none.status, 401, "{path}");
        assert_eq!(none.body["error"]["code"], "unauthorized");
        assert_eq!(s.get_as(path, "test-token-012345678").status, 401, "{path}");
        assert_eq!(s.get_as(path, &format!("{TOKEN}x")).status, 401, "{path}");
    }
    assert_eq!(s.get("/api/v1/summary").status, 200);
    assert!(!s.logs().contains(TOKEN), "the token is never logged");
}

#[test]
fn bad_input_gets_a_4xx_in_one_shape_and_the_service_stays_up() {
    let (m, s, _) = started_small();
    let cases: Vec<(Reply, u16, &str)> = vec![
        (
            s.get("/api/v1/principals/user/user-nobody/access"),
            404,
            "not_found",
        ),
        (
            s.get("/api/v1/principals/project/x/access"),
            400,
            "bad_request",
        ),
        (
            s.get("/api/v1/principals/user/..%2F..%2Fetc%2Fpasswd/access"),
            404,
            "not_found",
        ),
        (
            s.get("/api/v1/resources/project/..%2F..%2Fstate/access"),
            404,
            "not_found",
        ),
        (s.get("/api/v1/grants/not-a-grant"), 404, "not_found"),
        (
            s.get("/api/v1/grants?principal=nonsense"),
            400,
            "bad_request",
        ),
        (s.get("/api/v1/grants?limit=0"), 400, "bad_request"),
        (s.get("/api/v1/grants?surprise=1"), 400, "bad_request"),
        (
            s.post("/api/v1/provisioning/grant", "{not json"),
            400,
            "bad_request",
        ),
        (
            s.post(
                "/api/v1/provisioning/grant",
                r#"{"entitlement":"project:nope:boss","principal":"user:user-x","dry_run":true}"#,
            ),
            400,
            "invalid_id",
        ),
        (
            s.post(
                "/api/v1/provisioning/grant",
                r#"{"entitlement":"role:owner:assigned"}"#,
            ),
            400,
            "bad_request",
        ),
        (
            s.post(
                "/api/v1/provisioning/revoke",
                &format!(r#"{{"grant":"{}"}}"#, "x".repeat(10 << 20)),
            ),
            413,
            "body_too_large",
        ),
        (s.post("/api/v1/sync", "[1,2]"), 400, "bad_request"),
        (s.get("/nowhere"), 404, "not_found"),
    ];
    for (i, (r, status, code)) in cases.iter().enumerate() {
        assert_eq!(r.status, *status, "case {i}: {}", r.text);
        assert_eq!(r.body["error"]["code"], *code, "case {i}: {}", r.text);
        assert_eq!(r.body["error"]["status"], *status, "case {i}");
        assert!(
            r.body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.len() > 10),
            "case {i}: a message a person can act on: {}",
            r.text
        );
    }
    assert_eq!(s.get_anonymous("/healthz").status, 200, "still up");
    assert_eq!(s.get("/api/v1/summary").status, 200);
    assert_eq!(m.0.stats().mutations, 0, "nothing was changed");
}

#[test]
fn answers_are_the_same_cached_gzipped_or_computed_afresh() {
    let m = mock(Preset::Small);
    let cached = Service::start(&m.base_url(), &[]);
    let fresh = Service::start(&m.base_url(), &["--answer-cache-mb", "0"]);
    cached.wait_ready();
    fresh.wait_ready();
    let out: Value =
        serde_json::from_slice(&std::fs::read(cached.dir.path().join("org.json")).expect("--out"))
            .expect("json");
    let mut asked = 0;
    for r in out["resources"].as_array().expect("resources") {
        let path = match r["resource_type"].as_str() {
            Some("user") => format!(
                "/api/v1/principals/user/{}/access",
                r["id"].as_str().expect("id")
            ),
            Some("project") => format!(
                "/api/v1/resources/project/{}/access",
                r["id"].as_str().expect("id")
            ),
            _ => continue,
        };
        let first = cached.get(&path).text;
        assert_eq!(
            cached.get(&path).text,
            first,
            "{path}: again, from the cache"
        );
        assert_eq!(fresh.get(&path).text, first, "{path}: computed afresh");
        let (status, enc, body) = cached.get_gzip(&path);
        assert_eq!((status, enc.as_deref()), (200, Some("gzip")), "{path}");
        let mut plain = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut plain)
            .expect("gzip");
        assert_eq!(plain, first, "{path}: gzipped");
        let (_, enc, _) = fresh.get_gzip(&path);
        assert_eq!(enc, None, "{path}: nothing cached, nothing compressed");
        asked += 1;
    }
    assert!(asked > 100);
}

/// Usage read after each sync (issue 36): the access answers carry each principal's API use,
/// `/api/v1/stale` names tiny's silent project, and `/metrics` says how much is unused.
#[test]
fn the_service_answers_and_measures_api_use() {
    let m = mock(Preset::Tiny);
    let s = Service::start(&m.base_url(), &[]);
    s.wait_ready();
    let a = s.get("/api/v1/principals/user/user-alice/access");
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(
        a.body["api_use"]["requests"].as_u64() > Some(0),
        "{}",
        a.text
    );
    let w = s.get("/api/v1/resources/project/proj-beta/access");
    assert_eq!(w.body["api_use"]["requests"], 0, "{}", w.text);
    let stale = s.get("/api/v1/stale?days=30");
    assert_eq!(stale.status, 200, "{}", stale.text);
    let silent: Vec<&str> = stale.body["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .map(|p| p["project"]["key"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(silent, ["proj-beta"], "{}", stale.text);
    assert_eq!(s.get("/api/v1/stale?days=0").status, 400);
    let metrics = s.get_anonymous("/metrics").text;
    for line in [
        "openai_access_usage_window_days 90",
        "openai_access_usage_requests_total 30",
        "openai_access_usage_types_missing 0",
        // tiny: alpha is used, beta and the archived project are not.
        "openai_access_usage_unused{type=\"project\"} 2",
        "openai_access_usage_principals{type=\"api_key\"} 4",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}
