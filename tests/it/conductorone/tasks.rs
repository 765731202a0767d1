//! What ConductorOne sees of a working connector: Hello with the connector's description, a
//! sync task's upload (equal, read back by our own reader, to the JSON of a sync of the same
//! org), and provisioning tasks that change the mock org and answer with the SDK's messages.

use super::*;
use openai_access::c1::Code;
use openai_access::c1::proto::{
    Capability, CreateAccountResponse, GrantManagerServiceGrantResponse, create_account_response,
};
use openai_access_actors::api::Call;
use prost::Message;
use serde_json::json;

fn decode<M: Message + Default>(t: &FinishedTask) -> M {
    M::decode(t.response().expect("a response").value.as_slice()).expect("decodes")
}

fn project_role(world: &World, project: &str, user: &str) -> Option<String> {
    let c = client(&world.mock.base_url());
    let call = Call::project_user(
        &project.parse().expect("project id"),
        &user.parse().expect("user id"),
    );
    world
        .block_on(c.find::<Value>(&call))
        .expect("read")
        .map(|m| m["role"].as_str().unwrap_or_default().to_owned())
}

#[test]
fn started_from_the_documented_manifests_it_says_hello_and_uploads_a_current_graph() {
    let world = World::new(Preset::Tiny);
    let c = world.connector(&[]);
    world.until("Hello", &c, |f| !f.hellos().is_empty());
    let hello = world.fake.hellos().remove(0);
    assert_eq!(
        hello.host_id, "baton-openai",
        "BATON_HOST_ID from the Deployment"
    );
    assert!(hello.task_id.is_empty(), "the startup Hello names no task");
    let m = hello.connector_metadata.expect("metadata");
    assert_eq!(m.display_name, "OpenAI");
    let caps = m.capabilities.expect("capabilities");
    for c in [
        Capability::Sync,
        Capability::Provision,
        Capability::AccountProvisioning,
        Capability::ResourceDelete,
    ] {
        assert!(caps.connector_capabilities.contains(&(c as i32)), "{c:?}");
    }
    assert_eq!(
        caps.resource_type_capabilities.len(),
        10,
        "every resource type"
    );
    let schema = m.account_creation_schema.expect("schema");
    assert!(schema.field_map.contains_key("role") && schema.field_map.contains_key("projects"));

    let id = world.push(json!({"type": "sync_full"}));
    let done = world.finished(&id, &c);
    assert!(done.is_success(), "{:?}", done.to_json());
    let uploads = world.fake.uploads(&id);
    assert_eq!(uploads.len(), 1);
    assert!(uploads[0].data.starts_with(b"C1ZF\0"), "a v1 .c1z");
    // The upload read back by our own reader equals a sync of the same org to JSON.
    let uploaded = c.dir.path().join("uploaded.c1z");
    std::fs::write(&uploaded, &uploads[0].data).expect("write");
    let json = c.dir.path().join("org.json");
    let o = run_bounded(
        bin()
            .env("OPENAI_ADMIN_KEY", KEY)
            .args([
                "sync",
                "--no-progress",
                "--base-url",
                &world.mock.base_url(),
                "--out",
            ])
            .arg(&json),
        Duration::from_secs(60),
    );
    assert!(o.status.success(), "{}", text(&o));
    let from_upload = openai_access::output::saved::load_file(&uploaded).expect("reads");
    let from_json = openai_access::output::saved::load_file(&json).expect("reads");
    let changes = openai_access_actors::review::diff(&from_json, &from_upload);
    assert_eq!(
        changes.count(),
        0,
        "the upload differs from the JSON: {changes:?}"
    );
    assert_eq!(from_upload.grants().len(), from_json.grants().len());
    // The SDK's order: a heartbeat, the upload, then the finish.
    let rpcs: Vec<String> = world
        .fake
        .transcript()
        .into_iter()
        .filter(|e| e.task_id.as_deref() == Some(id.as_str()))
        .map(|e| e.rpc)
        .collect();
    let first = |r: &str| rpcs.iter().position(|x| x == r).unwrap_or(usize::MAX);
    assert!(
        first("Heartbeat") < first("UploadAsset") && first("UploadAsset") < first("FinishTask"),
        "{rpcs:?}"
    );
    // Said in the service's task list and metrics.
    let (status, body) = c.get("/api/v1/tasks");
    assert_eq!(status, 200, "{body}");
    let tasks: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(tasks["connected"], true);
    let record = &tasks["tasks"][0];
    assert_eq!(record["id"], id.as_str());
    assert_eq!(record["type"], "sync_full");
    assert_eq!(record["result"], "succeeded");
    assert!(record["sync_kind"].is_string(), "{record}");
    let (_, metrics) = c.get("/metrics");
    assert!(
        metrics.contains(r#"openai_access_c1_tasks_total{type="sync_full",result="succeeded"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("openai_access_c1_connected 1"),
        "{metrics}"
    );
    // Nothing secret in what it logged.
    let logs = c.logs();
    assert!(
        !logs.contains(world.fake.client_secret().expose()),
        "{logs}"
    );
    for token in world.fake.issued_tokens() {
        assert!(!logs.contains(token.expose()), "a bearer token was logged");
    }
}

#[test]
fn grant_revoke_create_and_delete_tasks_change_the_org_and_answer_as_the_sdk_does() {
    let world = World::new(Preset::Tiny);
    let c = world.connector(&[]);
    let viewer = json!({"id": "project:proj-beta:viewer",
        "resource": rid("project", "proj-beta"), "slug": "viewer"});
    let carol = rid("user", "user-carol");
    let grant = world.push(json!({"type": "grant", "entitlement": viewer, "principal": carol}));
    let done = world.finished(&grant, &c);
    assert!(done.is_success(), "{:?}", done.to_json());
    assert_eq!(
        done.response_type(),
        Some("c1.connector.v2.GrantManagerServiceGrantResponse")
    );
    let r: GrantManagerServiceGrantResponse = decode(&done);
    assert_eq!(r.grants[0].id, "project:proj-beta:viewer:user:user-carol");
    assert!(r.annotations.is_empty());
    assert_eq!(
        project_role(&world, "proj-beta", "user-carol").as_deref(),
        Some("viewer")
    );

    // Idempotent, and said so as the SDK's connectors say it.
    let again = world.push(json!({"type": "grant", "entitlement": viewer, "principal": carol}));
    let r: GrantManagerServiceGrantResponse = decode(&world.finished(&again, &c));
    assert_eq!(
        r.annotations[0].type_url,
        "type.googleapis.com/c1.connector.v2.GrantAlreadyExists"
    );

    let revoke = world.push(json!({"type": "revoke", "grant": {
        "id": "project:proj-beta:viewer:user:user-carol",
        "entitlement": viewer, "principal": carol}}));
    let done = world.finished(&revoke, &c);
    assert!(done.is_success(), "{:?}", done.to_json());
    assert_eq!(
        done.response_type(),
        Some("c1.connector.v2.GrantManagerServiceRevokeResponse")
    );
    assert_eq!(project_role(&world, "proj-beta", "user-carol"), None);

    let create = world.push(
        json!({"type": "create_account", "email": "new@tiny.example",
        "profile": {"role": "reader", "projects": ["proj-alpha:member"]}}),
    );
    let done = world.finished(&create, &c);
    assert!(done.is_success(), "{:?}", done.to_json());
    let r: CreateAccountResponse = decode(&done);
    let Some(create_account_response::Result::Success(s)) = r.result else {
        panic!("not a success: {r:?}");
    };
    let invite = s.resource.and_then(|r| r.id).expect("the invitation");
    assert_eq!(invite.resource_type, "invite");
    let invites: Vec<Value> = world
        .block_on(client(&world.mock.base_url()).list_all(&Call::invites()))
        .expect("invites");
    assert!(
        invites
            .iter()
            .any(|i| i["email"] == "new@tiny.example" && i["id"] == invite.resource.as_str())
    );

    let delete = world.push(json!({"type": "delete_resource",
        "resource_type": "user", "resource": "user-dave"}));
    let done = world.finished(&delete, &c);
    assert!(done.is_success(), "{:?}", done.to_json());
    assert_eq!(
        done.response_type(),
        Some("c1.connector.v2.DeleteResourceResponse")
    );
    let dave = world
        .block_on(
            client(&world.mock.base_url())
                .find::<Value>(&Call::user(&"user-dave".parse().expect("id"))),
        )
        .expect("read");
    assert!(dave.is_none(), "user-dave was deleted");

    // What cannot be done is finished with the engine's reason, not to be tried again.
    let deployer = json!({"id": "project_role:proj-alpha/role_alpha_deployer:assigned",
        "resource": rid("project_role", "proj-alpha/role_alpha_deployer"), "slug": "assigned"});
    let refused = world.push(json!({"type": "grant", "entitlement": deployer,
        "principal": rid("service_account", "proj-alpha/svc_acct_build")}));
    let done = world.finished(&refused, &c);
    assert!(!done.is_success());
    assert!(done.non_retryable(), "{:?}", done.to_json());
    let status = done.status().expect("status");
    assert_eq!(
        Code::from(status.code),
        Code::FailedPrecondition,
        "{}",
        status.message
    );
    assert!(
        status.message.contains("service account"),
        "{}",
        status.message
    );
}
