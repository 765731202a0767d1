//! Users with no sign-in: `login.succeeded` entries of the audit log, watched by syncs with a
//! state, kept in it, written under `sync.state.logins`, and judged by `stale` only as far as
//! the watch reaches.

use crate::support::*;
use openai_access_mock::{Change, Preset};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

fn sync(url: &str, out: &Path, state: Option<&Path>) -> Value {
    let mut c = bin();
    c.env("OPENAI_ADMIN_KEY", KEY)
        .args(["sync", "--no-progress", "--base-url", url, "--out"])
        .arg(out);
    if let Some(s) = state {
        c.arg("--state").arg(s);
    }
    let o = run_bounded(&mut c, Duration::from_secs(120));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    serde_json::from_slice(&std::fs::read(out).expect("out")).expect("json")
}

fn stale(from: &Path, as_of: Option<&str>) -> Value {
    let mut c = bin();
    c.args(["stale", "--json", "--stale-days", "90", "--from"])
        .arg(from);
    if let Some(d) = as_of {
        c.args(["--as-of", d]);
    }
    let o = run_bounded(&mut c, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    serde_json::from_slice(&o.stdout).expect("json")
}

fn idle(v: &Value) -> Vec<(String, bool)> {
    v["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| {
            (
                u["user"]["key"]["id"].as_str().expect("id").to_owned(),
                u["last_login_at"].is_i64(),
            )
        })
        .collect()
}

#[test]
fn sign_ins_seen_in_the_audit_log_make_idle_users_known_as_far_as_the_log_was_watched() {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("state");
    let first = sync(&url, &dir.path().join("a.json"), Some(&state));
    assert_eq!(
        first["sync"]["state"]["logins"]["watched_since"],
        Value::Null
    );
    m.change(&Change::Login {
        user: "user-bob".into(),
    })
    .expect("signed in");
    let second = sync(&url, &dir.path().join("b.json"), Some(&state));
    let logins = &second["sync"]["state"]["logins"];
    assert!(logins["watched_since"].is_string(), "{logins}");
    assert!(logins["last_login_at"]["user-bob"].is_string(), "{logins}");
    assert_eq!(
        logins["last_login_at"].as_object().expect("map").len(),
        1,
        "only bob signed in: {logins}"
    );
    // Today: bob signed in; the log has been watched for less than 90 days, so nobody else
    // is judged, and the answer says why.
    let today = stale(&dir.path().join("b.json"), None);
    assert_eq!(idle(&today), Vec::<(String, bool)>::new());
    assert!(
        today["users_note"]
            .as_str()
            .is_some_and(|n| n.contains("less than 90")),
        "{today}"
    );
    // A year on, from the same file: everyone is idle, bob with his last sign-in.
    let later = stale(&dir.path().join("b.json"), Some("2099-01-01"));
    let users = idle(&later);
    assert!(users.contains(&("user-bob".to_owned(), true)), "{later}");
    assert!(users.contains(&("user-carol".to_owned(), false)), "{later}");
    assert_eq!(later["users_note"], Value::Null);
    // The state keeps them: a third sync with no new sign-in still knows bob's.
    let third = sync(&url, &dir.path().join("c.json"), Some(&state));
    assert_eq!(
        third["sync"]["state"]["logins"]["last_login_at"],
        logins["last_login_at"]
    );
    // A first sync, and a sync without a state, cannot tell.
    let never = stale(&dir.path().join("a.json"), Some("2099-01-01"));
    assert_eq!(idle(&never), Vec::<(String, bool)>::new());
    assert!(
        never["users_note"]
            .as_str()
            .is_some_and(|n| n.contains("not been watched"))
    );
    let stateless = sync(&url, &dir.path().join("d.json"), None);
    assert!(stateless["sync"]["state"].is_null());
    let unknown = stale(&dir.path().join("d.json"), None);
    assert!(
        unknown["users_note"]
            .as_str()
            .is_some_and(|n| n.contains("sign-ins unknown")),
        "{unknown}"
    );
}
