//! Lists over HTTP: both page envelopes, their cursors (one whose item is gone included) and
//! their query parameters.

use super::*;
use serde_json::json;

#[tokio::test]
async fn page_a_lists_page_with_after() {
    let (mock, c, base) = serve_tiny();
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
    let (mock, c, base) = serve_tiny();
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
    let (_mock, c, base) = serve_tiny();
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
async fn group_members_always_have_a_name_as_the_spec_says() {
    let (mock, c, base) = serve_tiny();
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
async fn include_archived_is_a_boolean_not_anything_read_as_false() {
    let (_mock, c, base) = serve_tiny();
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
