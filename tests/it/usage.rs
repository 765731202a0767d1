//! Usage as evidence (issue 36), against the mock: read after the grant lists, kept per day in
//! the state so a later sync reads only the days it lacks, its failure leaving a complete
//! access sync, `--no-usage`, and what `stale`, `access` and `who` answer from it for tiny's
//! three cases (an API-only user, a silent project with a recent sign-in, a service account
//! whose key stopped 40 days ago).

use crate::support::*;
use openai_access_actors::block_on;
use openai_access_actors::usage::{self, UsageBook, UsageOptions};
use openai_access_mock::{Change, KeyPermissions, MockConfig, MockServer, Preset};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

const DAY: i64 = 86_400;

fn sync_args(url: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut c = bin();
    c.env("OPENAI_ADMIN_KEY", KEY)
        .args([
            "sync",
            "--no-progress",
            "--max-attempts",
            "1",
            "--base-url",
            url,
            "--out",
        ])
        .arg(out)
        .args(extra);
    run_bounded(&mut c, Duration::from_secs(120))
}

fn sync(url: &str, out: &Path, extra: &[&str]) -> Value {
    let o = sync_args(url, out, extra);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    serde_json::from_slice(&std::fs::read(out).expect("out")).expect("json")
}

/// Requests the mock received for the Usage API.
fn usage_requests(m: &MockServer) -> u64 {
    m.stats()
        .requests
        .iter()
        .filter(|(e, _)| e.is_usage())
        .map(|(_, n)| n)
        .sum()
}

fn org_profile(v: &Value) -> Value {
    v["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["resource_type"] == "organization")
        .expect("org")["profile"]
        .clone()
}

fn profile<'a>(v: &'a Value, kind: &str, id: &str) -> &'a Value {
    &v["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["resource_type"] == kind && r["id"] == id)
        .unwrap_or_else(|| panic!("{kind} {id}"))["profile"]
}

#[test]
fn a_second_sync_with_a_state_reads_only_the_days_it_lacks() {
    let m = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("state");
    let st = state.to_str().expect("utf-8");
    let t0 = chrono::Utc::now().timestamp();
    let first = sync(&m.base_url(), &dir.path().join("a.json"), &["--state", st]);
    let u = &first["sync"]["usage"];
    // 90 days, 31 a page: three pages for each of the ten types.
    assert_eq!(u["requests"], 30, "{u}");
    assert_eq!(u["days_read"]["completions"], 90, "{u}");
    assert_eq!(usage_requests(&m), 30);
    m.reset_stats();
    let second = sync(&m.base_url(), &dir.path().join("b.json"), &["--state", st]);
    let u = &second["sync"]["usage"];
    assert_eq!(u["requests"], 10, "today again, one page per type: {u}");
    // Yesterday too when the first read was within the hour after midnight (the API's totals
    // of a day settle for a while after it: see `state::usage::SETTLE`) or the day turned
    // between the two syncs.
    let t1 = chrono::Utc::now().timestamp();
    let settling = t0.rem_euclid(DAY) < 3_600 + 60 || t0.div_euclid(DAY) != t1.div_euclid(DAY);
    let days = u["days_read"]["completions"].as_i64().expect("days");
    assert!(days == 1 || (settling && days == 2), "{u}");
    assert_eq!(usage_requests(&m), 10);
    // The answers are the same, read whole or from the state.
    for (kind, id) in [
        ("api_key", "proj-alpha/key_alice"),
        ("api_key", "proj-alpha/key_build"),
        ("user", "user-alice"),
        ("project", "proj-alpha"),
    ] {
        assert_eq!(
            profile(&first, kind, id),
            profile(&second, kind, id),
            "{kind} {id}"
        );
    }
    // Without a state, every sync reads the whole window.
    m.reset_stats();
    let stateless = sync(&m.base_url(), &dir.path().join("c.json"), &[]);
    assert_eq!(stateless["sync"]["usage"]["requests"], 30);
    assert_eq!(
        profile(&stateless, "user", "user-alice"),
        profile(&second, "user", "user-alice")
    );
}

/// Time is the reader's parameter: a book read three days ago lacks those days and today,
/// and only they are asked for.
#[test]
fn days_passing_cost_one_page_per_type_until_a_month() {
    let m = mock(Preset::Tiny);
    let api = client(&m.base_url());
    let book = UsageBook::in_memory().expect("book");
    // 05:00 of a day at least six hours past: every earlier read below then leaves the days
    // before its own settled (read over an hour after they ended), whatever the hour now.
    let now = (openai_access_actors::clock::unix_now() - 6 * 3600).div_euclid(DAY) * DAY + 5 * 3600;
    let opts = UsageOptions::days(90);
    let (old, new) = block_on(async {
        let old = usage::read(&api, &book, now - 3 * DAY, opts).await;
        let new = usage::read(&api, &book, now, opts).await;
        (old, new)
    });
    assert!(
        old.evidence.missing.is_empty(),
        "{:?}",
        old.evidence.missing
    );
    assert_eq!(old.days_read["completions"], 90);
    assert_eq!(new.days_read["completions"], 4, "three days and today");
    assert_eq!(new.requests, 10, "{new:?}");
    // Alice uses her key every day: her last day is today's.
    let alice = new.evidence.keys["key_alice"];
    assert_eq!(alice.last_used_at, Some(now.div_euclid(DAY) * DAY));
    // More than a month since the last read: two pages a type.
    let book = UsageBook::in_memory().expect("book");
    let later = block_on(async {
        usage::read(&api, &book, now - 45 * DAY, opts).await;
        usage::read(&api, &book, now, opts).await
    });
    assert_eq!(later.days_read["completions"], 46);
    assert_eq!(later.requests, 20);
}

#[test]
fn a_key_without_the_usage_scope_leaves_a_complete_access_sync_and_one_warning() {
    let m = mock_with(MockConfig {
        key_permissions: KeyPermissions::NoUsage,
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("a.json");
    let o = sync_args(&m.base_url(), &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&std::fs::read(&out).expect("out")).expect("json");
    assert_eq!(v["partial"], false);
    assert_eq!(v["failures"].as_array().map(Vec::len), Some(0));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(stderr.matches("usage not read").count(), 1, "{stderr}");
    assert!(stderr.contains("api.usage.read"), "{stderr}");
    assert_eq!(usage_requests(&m), 1, "refused once, not asked ten times");
    assert_eq!(
        v["sync"]["usage"]["missing"].as_array().map(Vec::len),
        Some(10)
    );
    // Nothing is called unused for want of evidence.
    assert!(
        profile(&v, "user", "user-alice")
            .get("api_requests")
            .is_none()
    );
    assert!(org_profile(&v)["usage_missing"].is_string());
    let stale = stale_json(&out, &[]);
    assert_eq!(stale["projects"], Value::Array(Vec::new()));
    assert!(
        stale["usage_note"]
            .as_str()
            .is_some_and(|n| n.contains("could not be read")),
        "{stale}"
    );
}

#[test]
fn one_type_failing_is_named_and_the_rest_is_read() {
    let m = mock_with(MockConfig {
        fail_paths: vec!["/organization/usage/images".into()],
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("a.json");
    let o = sync_args(&m.base_url(), &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&std::fs::read(&out).expect("out")).expect("json");
    assert_eq!(v["partial"], false);
    let missing = &v["sync"]["usage"]["missing"];
    assert_eq!(missing.as_array().map(Vec::len), Some(1), "{missing}");
    assert_eq!(missing[0]["kind"], "images");
    assert_eq!(org_profile(&v)["usage_missing"], "images");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("usage not read for 1 of 10 types (images)"),
        "{stderr}"
    );
    assert!(profile(&v, "user", "user-alice")["api_requests"].as_u64() > Some(0));
}

#[test]
fn no_usage_asks_nothing_and_says_api_use_is_unknown() {
    let m = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("a.json");
    let v = sync(&m.base_url(), &out, &["--no-usage"]);
    assert_eq!(usage_requests(&m), 0);
    assert!(v["sync"]["usage"].is_null());
    assert!(org_profile(&v).get("usage_window_days").is_none());
    let stale = stale_json(&out, &[]);
    assert!(
        stale["usage_note"]
            .as_str()
            .is_some_and(|n| n.contains("API use unknown")),
        "{stale}"
    );
}

#[test]
fn a_bad_usage_window_exits_2_naming_the_flag() {
    let m = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tmp");
    let o = sync_args(
        &m.base_url(),
        &dir.path().join("a.json"),
        &["--usage-days", "0"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("--usage-days"), "{}", text(&o));
}

fn stale_json(from: &Path, extra: &[&str]) -> Value {
    let mut c = bin();
    c.args(["stale", "--json", "--from"]).arg(from).args(extra);
    let o = run_bounded(&mut c, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    serde_json::from_slice(&o.stdout).expect("json")
}

fn ids(v: &Value, list: &str, field: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list}: {v}"))
        .iter()
        .map(|x| x[field]["key"]["id"].as_str().expect("id").to_owned())
        .collect()
}

#[test]
fn stale_answers_tinys_three_cases() {
    let m = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("state");
    let st = state.to_str().expect("utf-8");
    sync(&m.base_url(), &dir.path().join("a.json"), &["--state", st]);
    // Dave, a member of the silent project, opens the dashboard.
    m.change(&Change::Login {
        user: "user-dave".into(),
    })
    .expect("signed in");
    let out = dir.path().join("b.json");
    let mut v = sync(&m.base_url(), &out, &["--state", st]);

    // Over 30 days: the build bot's key stopped 40 days ago, so key and account are stale;
    // Alice's key, used every day, is not (its Admin API time is two years old).
    let s = stale_json(&out, &["--stale-days", "30"]);
    let keys = s["api_keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["key"]["key"]["id"].as_str().expect("id").to_owned())
        .collect::<Vec<_>>();
    assert!(keys.contains(&"proj-alpha/key_build".to_owned()), "{s}");
    assert!(!keys.contains(&"proj-alpha/key_alice".to_owned()), "{s}");
    let accounts = ids(&s, "service_accounts", "service_account");
    assert!(
        accounts.contains(&"proj-alpha/svc_acct_build".to_owned()),
        "{s}"
    );
    // Beta is silent although Dave signed in just now; alpha is in use.
    assert_eq!(ids(&s, "projects", "project"), ["proj-beta"], "{s}");
    assert!(s["projects"][0]["last_member_sign_in_at"].is_i64(), "{s}");
    assert_eq!(s["projects"][0]["last_api_use_at"], Value::Null);
    // Over 90 days the stopped key is in use still.
    let s90 = stale_json(&out, &[]);
    assert!(
        !ids(&s90, "service_accounts", "service_account")
            .contains(&"proj-alpha/svc_acct_build".to_owned())
    );

    // A log watched for 100 days (as a long-running state would have): users with neither
    // sign-in nor API use are stale; Alice, who only uses the API, and Dave are not.
    let since = chrono::Utc::now() - chrono::Duration::days(100);
    v["sync"]["state"]["logins"]["watched_since"] = Value::String(since.to_rfc3339());
    let watched = dir.path().join("watched.json");
    std::fs::write(&watched, serde_json::to_vec(&v).expect("json")).expect("write");
    let s = stale_json(&watched, &[]);
    let users = ids(&s, "users", "user");
    for idle in ["user-bob", "user-carol", "user-erin"] {
        assert!(users.contains(&idle.to_owned()), "{idle}: {s}");
    }
    assert!(!users.contains(&"user-alice".to_owned()), "{s}");
    assert!(!users.contains(&"user-dave".to_owned()), "{s}");
}

#[test]
fn access_and_who_show_last_use_and_requests() {
    let m = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("a.json");
    sync(&m.base_url(), &out, &[]);
    let run = |args: &[&str]| {
        let mut c = bin();
        c.args(args).arg("--from").arg(&out);
        let o = run_bounded(&mut c, Duration::from_secs(60));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        serde_json::from_slice::<Value>(&o.stdout).expect("json")
    };
    let a = run(&["access", "--json", "--user", "user-alice"]);
    let today = chrono::Utc::now().timestamp().div_euclid(DAY) * DAY;
    assert_eq!(a["api_use"]["last_used_at"], today, "{a}");
    assert_eq!(a["api_use"]["window_days"], 90);
    assert!(a["api_use"]["requests"].as_u64() > Some(0));
    let key = a["api_keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["key"]["key"]["id"] == "proj-alpha/key_alice")
        .expect("alice's key");
    assert_eq!(key["api_use"]["requests"], a["api_use"]["requests"]);
    let w = run(&["who", "--json", "--resource", "project:proj-beta"]);
    assert_eq!(w["api_use"]["last_used_at"], Value::Null, "{w}");
    assert_eq!(w["api_use"]["requests"], 0);
}

#[test]
fn exports_and_the_report_carry_api_use() {
    let m = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tmp");
    let json = dir.path().join("a.json");
    sync(&m.base_url(), &json, &[]);
    let run = |args: &[&str], out: &Path| {
        let mut c = bin();
        c.args(args).arg("--from").arg(&json).arg("--out").arg(out);
        let o = run_bounded(&mut c, Duration::from_secs(60));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    };
    let csv_path = dir.path().join("a.csv");
    run(&["export"], &csv_path);
    let mut r = csv::Reader::from_path(&csv_path).expect("csv");
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (last, requests, who, kind) = (
        col("principal_api_last_used_at"),
        col("principal_api_requests"),
        col("principal_id"),
        col("principal_kind"),
    );
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
    let of = |id: &str| {
        rows.iter()
            .find(|r| &r[who] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    let alice = of("user-alice");
    assert!(alice[requests].parse::<u64>().expect("count") > 0);
    assert!(!alice[last].is_empty());
    let bob = of("user-bob");
    assert_eq!((&bob[requests], &bob[last]), ("0", ""), "known unused");
    let group = rows
        .iter()
        .find(|r| &r[kind] == "group")
        .expect("a group row");
    assert_eq!(&group[requests], "", "a group makes no requests of its own");

    let xlsx_path = dir.path().join("a.xlsx");
    run(&["export"], &xlsx_path);
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&xlsx_path).expect("xlsx");
    let sheet = wb.worksheet_range("API use").expect("API use sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(rows[0][5], "requests_in_90_days");
    let beta = rows.iter().find(|r| r[1] == "proj-beta").expect("beta");
    assert_eq!((beta[4].as_str(), beta[5].as_str()), ("", "0"));

    let html = dir.path().join("a.html");
    run(&["report"], &html);
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.contains("id=\"api-use\""), "the section");
    assert!(
        page.contains("no API use in 90 days"),
        "beta in stale access"
    );
}

/// In a `.c1z`, where Baton's readers look: a user's last use as its trait's `last_login`, a
/// key's as its secret's `last_used_at`, the counts in the profiles; read back by the reviews
/// from the file alone.
#[test]
fn a_c1z_carries_last_use_where_batons_readers_look() {
    let m = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tmp");
    let c1z = dir.path().join("a.c1z");
    let o = sync_args(&m.base_url(), &c1z, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let snap = openai_access::output::saved::load_file(&c1z).expect("read back");
    let today = chrono::Utc::now().timestamp().div_euclid(DAY) * DAY;
    let alice = snap
        .resources_of(openai_access_actors::graph::ResourceType::User)
        .into_iter()
        .find(|u| u.id.as_str() == "user-alice")
        .expect("alice");
    match &alice.traits {
        openai_access_actors::graph::Traits::User { last_activity, .. } => {
            assert_eq!(*last_activity, Some(today), "last_login");
        }
        t => panic!("{t:?}"),
    }
    let access = snap.access(&alice.key()).expect("access");
    assert_eq!(access.api_use.map(|u| u.last_used_at), Some(Some(today)));
    let key = access
        .api_keys
        .iter()
        .find(|k| k.key.key.id.as_str() == "proj-alpha/key_alice")
        .expect("key");
    assert_eq!(key.last_used_at, Some(today), "the secret's last_used_at");
    let stale = snap.stale(chrono::Utc::now().timestamp(), 30);
    let silent: Vec<&str> = stale
        .projects
        .iter()
        .map(|p| p.project.key.id.as_str())
        .collect();
    assert_eq!(silent, ["proj-beta"], "{:?}", stale.usage_note);
}

/// Nothing changed: the output is kept the same day, and written again (from the state, no
/// list read) once its usage is of an earlier day.
#[test]
fn an_unchanged_sync_rewrites_the_output_once_its_usage_is_a_day_old() {
    let m = mock(Preset::Tiny);
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("state");
    let st = state.to_str().expect("utf-8");
    let out = dir.path().join("a.json");
    sync(&m.base_url(), &out, &["--state", st]);
    let o = sync_args(&m.base_url(), &out, &["--state", st]);
    assert!(text(&o).contains("Nothing changed"), "{}", text(&o));
    // As if the output had been written yesterday.
    let db = rusqlite::Connection::open(state.join("state.db")).expect("db");
    db.execute(
        "UPDATE meta SET value = '0' WHERE key = 'usage_written_through'",
        [],
    )
    .expect("aged");
    drop(db);
    m.reset_stats();
    let o = sync_args(&m.base_url(), &out, &["--state", st]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!text(&o).contains("Nothing changed"), "{}", text(&o));
    let lists: u64 = m
        .stats()
        .requests
        .iter()
        .filter(|(e, _)| !e.is_usage() && e.template() != "GET /organization/audit_logs")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(lists, 0, "assembled from the state");
    let v: Value = serde_json::from_slice(&std::fs::read(&out).expect("out")).expect("json");
    assert!(v["sync"]["usage"].is_object());
}

/// Rate-limited (one request a minute), in virtual time: past the retry budget (the mock's
/// `Retry-After` is longer than the client will wait), or past the read's own bound while the
/// throttle waits its turn, the types are named missing, nothing half-read is kept, and the
/// next read, with the limit gone, reads the whole window.
#[test]
fn a_rate_limited_usage_read_names_what_is_missing_and_keeps_nothing_half_read() {
    let m = openai_access_mock::InProcessMock::start(MockConfig {
        rate_limit: Some(openai_access_mock::RateLimit {
            rpm: 1,
            burst: 1,
            retry_after: true,
        }),
        ..MockConfig::default()
    });
    let mut cfg = crate::simulated::simulated_config(&m);
    cfg.retry_budget = Duration::from_secs(1);
    let mut patient = cfg.clone();
    patient.retry_budget = Duration::from_secs(3600);
    let book = UsageBook::in_memory().expect("book");
    let opts = UsageOptions::days(90);
    let bounded = UsageOptions {
        max_wait: Duration::from_secs(30),
        ..opts
    };
    let (r, waited, again) = openai_access_actors::block_on_simulated(async {
        let api = openai_access_actors::AdminClient::new(cfg).expect("client");
        let now = openai_access_actors::clock::unix_now();
        // Three pages a type: the second meets the limit.
        let r = usage::read(&api, &book, now, opts).await;
        let api = openai_access_actors::AdminClient::new(patient).expect("client");
        let waited = usage::read(&api, &book, now, bounded).await;
        m.lift_limits(true);
        let again = usage::read(&api, &book, now, opts).await;
        (r, waited, again)
    });
    for read in [&r, &waited] {
        assert_eq!(
            read.evidence.missing.len(),
            10,
            "{:?}",
            read.evidence.missing
        );
        assert!(read.evidence.is_unknown());
        assert!(read.evidence.keys.is_empty(), "nothing half-read");
    }
    assert!(
        waited.evidence.missing[0]
            .why
            .contains("not read within 30 s"),
        "{:?}",
        waited.evidence.missing
    );
    assert!(
        again.evidence.missing.is_empty(),
        "{:?}",
        again.evidence.missing
    );
    assert_eq!(again.days_read["completions"], 90, "the whole window");
}
