//! ConductorOne's service-mode wire protocol: `C1Client` against the in-process fake
//! ConductorOne, over real TLS with the CA the fake writes; and `openai-access mock c1`.
//!
//! | file | covers |
//! |---|---|
//! | `tasks.rs` | Hello, GetTask(s), Heartbeat, FinishTask |
//! | `upload.rs` | UploadAsset: chunking, checksum, retries, the fake's stream rules |
//! | `auth.rs` | the token exchange, bearer tokens, secrets kept out of sight |
//! | `transport.rs` | outages, TLS only, the proxy tunnel |
//! | `cli.rs` | `openai-access mock c1` |

mod auth;
mod cli;
mod tasks;
mod transport;
mod upload;

use openai_access::c1::fake::{FakeC1, FakeOptions, TaskScript};
use openai_access::c1::proto::{
    Capability, ConnectorCapabilities, ConnectorMetadata, ResourceType, ResourceTypeCapability,
};
use openai_access::c1::{C1Client, C1Config, C1Error, Code, Secret};
use serde_json::json;

pub async fn fake() -> FakeC1 {
    fake_with(FakeOptions::default()).await
}

pub async fn fake_with(options: FakeOptions) -> FakeC1 {
    FakeC1::start(options).await.expect("fake starts")
}

pub fn client(fake: &FakeC1) -> C1Client {
    C1Client::new(fake.client_config()).expect("client")
}

pub fn metadata() -> ConnectorMetadata {
    ConnectorMetadata {
        display_name: "OpenAI".into(),
        description: "OpenAI organization".into(),
        capabilities: Some(ConnectorCapabilities {
            resource_type_capabilities: vec![ResourceTypeCapability {
                resource_type: Some(ResourceType {
                    id: "user".into(),
                    display_name: "User".into(),
                    ..Default::default()
                }),
                capabilities: vec![Capability::Sync as i32, Capability::Provision as i32],
                ..Default::default()
            }],
            connector_capabilities: vec![
                Capability::Sync as i32,
                Capability::Provision as i32,
                Capability::AccountProvisioning as i32,
                Capability::ResourceDelete as i32,
            ],
            credential_details: None,
        }),
        ..Default::default()
    }
}

pub fn script(value: serde_json::Value) -> TaskScript {
    TaskScript::from_json(&value).expect("valid script")
}

pub fn grant_script() -> TaskScript {
    script(json!({
        "type": "grant",
        "entitlement": {"id": "project:proj-1:member",
                        "resource": {"resource_type": "project", "resource": "proj-1"}},
        "principal": {"resource_type": "user", "resource": "user-abc"},
    }))
}

/// Hands out the next task and returns its id.
pub async fn take(client: &C1Client) -> String {
    client
        .get_task()
        .await
        .expect("get task")
        .task
        .expect("a task")
        .id
}

pub fn status_code(error: &C1Error) -> Code {
    match error {
        C1Error::Status { code, .. } => *code,
        other => panic!("a gRPC status expected, got {other:?}"),
    }
}
