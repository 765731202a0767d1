//! Writes over HTTP: what they answer, that later lists show them, and what they refuse.

use super::*;
use openai_access_actors::ids::literal;
use serde_json::json;

#[tokio::test]
async fn mutations_show_up_in_later_lists() {
    let (mock, c, base) = serve_tiny();
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

    // Project group with a role identifier (a role's name is not one); then an unknown id
    // and an accepted invite.
    let groups = format!("{base}/organization/projects/proj-beta/groups");
    let by_name = json!({"group_id": "grp-eng", "role": "viewer"});
    let (s, _, v) = call(&c, post.clone(), groups.clone(), Some(by_name)).await;
    assert_eq!(s, 404, "{v}");
    let viewer = "role-api-project-viewer__api-project__proj-beta";
    let by_id = json!({"group_id": "grp-eng", "role": viewer});
    let (s, _, v) = call(&c, post.clone(), groups, Some(by_id)).await;
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
    // (The refused project-group request counts too: a mutation asked for.)
    assert_eq!(mock.stats().mutations, 9);
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
    let (mock, c, base) = serve_tiny();
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

/// The new write routes are stateful like the rest: a created object is listed, a minted
/// secret is shown once and then only redacted, a deleted service account takes its keys and
/// its user along, an archived project refuses membership changes.
#[tokio::test]
async fn created_minted_and_deleted_objects_show_in_the_lists() {
    use reqwest::Method;
    let (_mock, c, base) = serve_tiny();
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
