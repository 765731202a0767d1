//! Rules the reference states and the mock once bent: a service account's key is not deleted
//! alone, `create_service_account_only` gives role `none`, the audit log's `event_types[]`
//! is checked and its cursors behave as every other list's, and its entries name projects by
//! name.

use super::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_service_account_s_key_goes_with_its_service_account_only() {
    let (_mock, c, base) = serve_tiny();
    let url = |key: &str| format!("{base}/organization/projects/proj-alpha/api_keys/{key}");
    let (s, _, v) = call(&c, Method::DELETE, url("key_build"), None).await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("service account")
    );
    let (s, v) = get(&c, url("key_build")).await;
    assert_eq!(s, 200, "still there: {v}");
}

#[tokio::test]
async fn a_service_account_created_alone_holds_no_role_and_no_key() {
    let (_mock, c, base) = serve_tiny();
    let url = format!("{base}/organization/projects/proj-alpha/service_accounts");
    let body = json!({"name": "bare", "create_service_account_only": true});
    let (s, _, v) = call(&c, Method::POST, url.clone(), Some(body)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["role"], "none");
    assert!(v["api_key"].is_null(), "{v}");
    let (s, _, v) = call(&c, Method::POST, url, Some(json!({"name": "usual"}))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["role"], "member");
    assert!(v["api_key"]["value"].is_string(), "{v}");
}

#[tokio::test]
async fn the_audit_log_checks_its_filters_and_cursors_as_other_lists_do() {
    let (_mock, c, base) = serve_tiny();
    // A write in a project, so the log has an entry that names it.
    let url = format!("{base}/organization/projects/proj-alpha/service_accounts");
    let (s, _, _) = call(&c, Method::POST, url, Some(json!({"name": "x"}))).await;
    assert_eq!(s, 200);
    let log = |q: &str| get(&c, format!("{base}/organization/audit_logs?{q}"));
    let (s, v) = log("event_types[]=widget.frobbed").await;
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (400, Some("event_types[]")),
        "{v}"
    );
    let (s, v) = log("event_types[]=service_account.created").await;
    assert_eq!(s, 200, "{v}");
    let entry = &v["data"][0];
    assert_eq!(entry["type"], "service_account.created", "{v}");
    assert_eq!(entry["project"]["id"], "proj-alpha");
    assert_eq!(
        entry["project"]["name"], "Alpha",
        "the name, not the id again"
    );
    // A cursor that never was one finds nothing (the first page, before, hid the mistake).
    for q in ["after=zzz", "before=zzz"] {
        let (s, v) = log(q).await;
        assert_eq!((s, ids(&v).len()), (200, 0), "{q}: {v}");
    }
    let (_, first) = log("").await;
    for q in ["after=", "before="] {
        let (s, v) = log(q).await;
        assert_eq!(
            (s, ids(&v)),
            (200, ids(&first)),
            "{q}: an empty cursor is none"
        );
    }
}

#[tokio::test]
async fn an_integer_is_any_number_without_a_fraction() {
    let (_mock, c, base) = serve_tiny();
    let url = format!("{base}/organization/admin_api_keys");
    for (expires, status) in [(json!(60), 200), (json!(60.0), 200), (json!(60.5), 400)] {
        let body = json!({"name": "k", "expires_in_seconds": expires});
        let (s, _, v) = call(&c, Method::POST, url.clone(), Some(body)).await;
        assert_eq!(s, status, "{expires}: {v}");
    }
}
