//! What the connector says about itself: its capabilities per resource type, defined once and
//! given to ConductorOne in Hello (`c1.connector.v2.ConnectorMetadata`) and printed by the
//! `capabilities` command as baton-sdk prints them; and the account-creation schema that
//! `create_account` tasks are filled in from.

use crate::c1::proto::account_creation_schema::{Field, FieldKind, StringField, StringListField};
use crate::c1::proto::{
    Capability, CapabilityDetailCredentialOption, ConnectorAccountCreationSchema,
    ConnectorCapabilities, ConnectorMetadata, CredentialDetails,
    CredentialDetailsAccountProvisioning, ResourceTypeCapability,
};
use crate::output::c1z::convert;
use openai_access_actors::graph::ResourceType;

/// What the connector does with each type: every type is synced; types with entitlements are
/// provisioned (grant and revoke); users are created (by invitation) and deleted; invitations
/// and admin API keys deleted.
pub fn resource_capabilities(t: ResourceType) -> Vec<Capability> {
    let mut c = vec![];
    if !t.slugs().is_empty() {
        c.push(Capability::Provision);
    }
    c.push(Capability::Sync);
    if t == ResourceType::User {
        c.push(Capability::AccountProvisioning);
    }
    if matches!(
        t,
        ResourceType::User | ResourceType::Invite | ResourceType::AdminApiKey
    ) {
        c.push(Capability::ResourceDelete);
    }
    c
}

/// The connector's own capabilities: what some resource type offers.
pub const CONNECTOR_CAPABILITIES: [Capability; 4] = [
    Capability::Provision,
    Capability::Sync,
    Capability::AccountProvisioning,
    Capability::ResourceDelete,
];

/// An account is an invitation: the invitee signs in with their own OpenAI login, so no
/// password is made.
pub const CREDENTIAL_OPTION: CapabilityDetailCredentialOption =
    CapabilityDetailCredentialOption::NoPassword;

/// Every capability of every type, as ConductorOne reads them.
pub fn capabilities() -> ConnectorCapabilities {
    ConnectorCapabilities {
        resource_type_capabilities: ResourceType::ALL
            .into_iter()
            .map(|t| ResourceTypeCapability {
                resource_type: Some(convert::resource_type(t)),
                capabilities: resource_capabilities(t)
                    .into_iter()
                    .map(|c| c as i32)
                    .collect(),
                ..Default::default()
            })
            .collect(),
        connector_capabilities: CONNECTOR_CAPABILITIES.iter().map(|c| *c as i32).collect(),
        credential_details: Some(CredentialDetails {
            capability_account_provisioning: Some(CredentialDetailsAccountProvisioning {
                supported_credential_options: vec![CREDENTIAL_OPTION as i32],
                preferred_credential_option: CREDENTIAL_OPTION as i32,
            }),
            capability_credential_rotation: None,
        }),
    }
}

/// What `create_account` reads from an account's profile (`AccountProfile` in the engine).
pub fn account_creation_schema() -> ConnectorAccountCreationSchema {
    let field = |order, name: &str, description: &str, placeholder: &str, kind| Field {
        display_name: name.to_owned(),
        required: false,
        description: description.to_owned(),
        placeholder: placeholder.to_owned(),
        order,
        deprecated: false,
        field: Some(kind),
    };
    ConnectorAccountCreationSchema {
        field_map: [
            (
                "role".to_owned(),
                field(
                    1,
                    "Organization role",
                    "owner or reader; an invitation gives one of the two",
                    "reader",
                    FieldKind::StringField(StringField {
                        default_value: Some("reader".to_owned()),
                    }),
                ),
            ),
            (
                "projects".to_owned(),
                field(
                    2,
                    "Projects",
                    "projects the invitee joins, as PROJECT_ID:member or PROJECT_ID:owner",
                    "proj_abc:member",
                    FieldKind::StringListField(StringListField::default()),
                ),
            ),
        ]
        .into_iter()
        .collect(),
    }
}

/// Hello's description of this connector.
pub fn connector_metadata() -> ConnectorMetadata {
    ConnectorMetadata {
        display_name: "OpenAI".to_owned(),
        description: "The grant graph of an OpenAI organization (users, invitations, org and project roles, projects, service accounts, groups, API keys, with where every grant comes from), read through the Admin API by openai-access; and its provisioning.".to_owned(),
        capabilities: Some(capabilities()),
        account_creation_schema: Some(account_creation_schema()),
        ..Default::default()
    }
}

/// The name protojson gives a capability (`CAPABILITY_SYNC`).
pub fn capability_name(c: Capability) -> &'static str {
    match c {
        Capability::Unspecified => "CAPABILITY_UNSPECIFIED",
        Capability::Provision => "CAPABILITY_PROVISION",
        Capability::Sync => "CAPABILITY_SYNC",
        Capability::EventFeed => "CAPABILITY_EVENT_FEED",
        Capability::Ticketing => "CAPABILITY_TICKETING",
        Capability::AccountProvisioning => "CAPABILITY_ACCOUNT_PROVISIONING",
        Capability::CredentialRotation => "CAPABILITY_CREDENTIAL_ROTATION",
        Capability::ResourceCreate => "CAPABILITY_RESOURCE_CREATE",
        Capability::ResourceDelete => "CAPABILITY_RESOURCE_DELETE",
        Capability::SyncSecrets => "CAPABILITY_SYNC_SECRETS",
        Capability::Actions => "CAPABILITY_ACTIONS",
        Capability::TargetedSync => "CAPABILITY_TARGETED_SYNC",
        Capability::EventFeedV2 => "CAPABILITY_EVENT_FEED_V2",
        Capability::ServiceModeTargetedSync => "CAPABILITY_SERVICE_MODE_TARGETED_SYNC",
        Capability::CredentialIssue => "CAPABILITY_CREDENTIAL_ISSUE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_is_synced_and_only_types_with_entitlements_are_provisioned() {
        for t in ResourceType::ALL {
            let c = resource_capabilities(t);
            assert!(c.contains(&Capability::Sync), "{t}");
            assert_eq!(
                c.contains(&Capability::Provision),
                !t.slugs().is_empty(),
                "{t}"
            );
        }
        let m = connector_metadata();
        assert!(!m.display_name.is_empty());
        assert_eq!(
            m.capabilities.map(|c| c.resource_type_capabilities.len()),
            Some(ResourceType::ALL.len())
        );
    }
}
