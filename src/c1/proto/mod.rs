//! Hand-written `prost` messages of ConductorOne's service protocol (no `protoc`, no build
//! script), each naming its .proto file and full name. The `c1.connector.v2` messages a `.c1z`
//! already needs (resources, entitlements, grants, `Any`, `Struct`, `Timestamp`) are the `.c1z`
//! writer's own, re-exported here rather than defined twice.
//!
//! | file | holds |
//! |---|---|
//! | `baton.rs` | BatonService requests and responses |
//! | `tasks.rs` | `Task` and all 24 task types |
//! | `connector.rs` | `ConnectorMetadata`, capabilities, account-creation schema |
//! | `provisioning.rs` | account info, credential options, encryption, provisioning responses |
//! | `google.rs` | `google.protobuf.Duration`, `google.rpc.Status` |

mod baton;
mod connector;
mod google;
mod provisioning;
mod tasks;

pub use crate::output::c1z::proto::{
    Any, AnyType, Entitlement, Grant, GrantAlreadyExists, GrantAlreadyRevoked, ListValue, Resource,
    ResourceId, ResourceType, Struct, Timestamp, Value, value,
};
pub use baton::*;
pub use connector::*;
pub use google::*;
pub use provisioning::*;
pub use tasks::*;

use crate::output::c1z::proto::any_type;

any_type!(
    GrantManagerServiceGrantResponse,
    GrantManagerServiceRevokeResponse,
    CreateAccountResponse,
    DeleteResourceResponse,
    ConnectorMetadata,
);

/// The message name in an `Any`'s type URL (`c1.connector.v2.GrantManagerServiceGrantResponse`).
pub fn any_message_name(any: &Any) -> &str {
    any.type_url
        .rsplit_once('/')
        .map_or(any.type_url.as_str(), |(_, name)| name)
}

/// `any`'s message as `M`, if it holds one.
pub fn unpack<M: AnyType + Default>(any: &Any) -> Option<M> {
    if any.type_url != M::TYPE_URL {
        return None;
    }
    M::decode(any.value.as_slice()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_pack_under_their_connector_v2_names() {
        let any = GrantManagerServiceRevokeResponse::default().to_any();
        assert_eq!(
            any.type_url,
            "type.googleapis.com/c1.connector.v2.GrantManagerServiceRevokeResponse"
        );
        assert_eq!(
            any_message_name(&any),
            "c1.connector.v2.GrantManagerServiceRevokeResponse"
        );
        let created = CreateAccountResponse {
            result: Some(create_account_response::Result::AlreadyExists(
                create_account_response::AlreadyExistsResult {
                    is_create_account_result: true,
                    ..Default::default()
                },
            )),
            ..Default::default()
        };
        let back: CreateAccountResponse = unpack(&created.to_any()).expect("same type");
        assert_eq!(back, created);
        assert!(unpack::<DeleteResourceResponse>(&created.to_any()).is_none());
    }
}
