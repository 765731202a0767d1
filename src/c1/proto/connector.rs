//! What a connector says about itself in Hello: `c1.connector.v2.ConnectorMetadata` and its
//! capabilities, from baton-sdk `proto/c1/connector/v2/connector.proto` (and `AssetRef` from
//! `asset.proto`).
//!
//! Left out: `ResourceTypeCapability.credential_issue` (field 6, for connectors that mint
//! credentials), which drags in four more messages; prost skips it when decoding.

use super::{Any, ResourceType, Struct};
use std::collections::BTreeMap;

/// `connector.proto` `c1.connector.v2.ConnectorMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ConnectorMetadata {
    /// Required, 1..1024 bytes.
    #[prost(string, tag = "1")]
    pub display_name: String,
    /// Empty, or an `https://` URI.
    #[prost(string, tag = "2")]
    pub help_url: String,
    #[prost(message, optional, tag = "3")]
    pub icon: Option<AssetRef>,
    #[prost(message, optional, tag = "4")]
    pub logo: Option<AssetRef>,
    #[prost(message, optional, tag = "5")]
    pub profile: Option<Struct>,
    #[prost(message, repeated, tag = "6")]
    pub annotations: Vec<Any>,
    #[prost(string, tag = "7")]
    pub description: String,
    #[prost(message, optional, tag = "8")]
    pub capabilities: Option<ConnectorCapabilities>,
    #[prost(message, optional, tag = "9")]
    pub account_creation_schema: Option<ConnectorAccountCreationSchema>,
}

/// `asset.proto` `c1.connector.v2.AssetRef`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct AssetRef {
    #[prost(string, tag = "1")]
    pub id: String,
}

/// `connector.proto` `c1.connector.v2.Capability`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum Capability {
    Unspecified = 0,
    Provision = 1,
    Sync = 2,
    EventFeed = 3,
    Ticketing = 4,
    AccountProvisioning = 5,
    CredentialRotation = 6,
    ResourceCreate = 7,
    ResourceDelete = 8,
    SyncSecrets = 9,
    Actions = 10,
    TargetedSync = 11,
    EventFeedV2 = 12,
    ServiceModeTargetedSync = 13,
    CredentialIssue = 14,
}

/// `connector.proto` `c1.connector.v2.CapabilityDetailCredentialOption`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum CapabilityDetailCredentialOption {
    Unspecified = 0,
    NoPassword = 1,
    RandomPassword = 2,
    Sso = 3,
    EncryptedPassword = 4,
    ApiKey = 5,
    Keypair = 6,
    Token = 7,
    ClientSecret = 8,
}

/// `connector.proto` `c1.connector.v2.ConnectorCapabilities`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ConnectorCapabilities {
    #[prost(message, repeated, tag = "1")]
    pub resource_type_capabilities: Vec<ResourceTypeCapability>,
    #[prost(enumeration = "Capability", repeated, tag = "2")]
    pub connector_capabilities: Vec<i32>,
    #[prost(message, optional, tag = "3")]
    pub credential_details: Option<CredentialDetails>,
}

/// `connector.proto` `c1.connector.v2.ResourceTypeCapability` (without `credential_issue`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceTypeCapability {
    #[prost(message, optional, tag = "1")]
    pub resource_type: Option<ResourceType>,
    #[prost(enumeration = "Capability", repeated, tag = "2")]
    pub capabilities: Vec<i32>,
    #[prost(message, optional, tag = "3")]
    pub permissions: Option<CapabilityPermissions>,
    #[prost(bool, tag = "4")]
    pub opt_in_required: bool,
    #[prost(bool, tag = "5")]
    pub skip_sync_anomaly_detection: bool,
    #[prost(bool, tag = "7")]
    pub deprecated: bool,
}

/// `connector.proto` `c1.connector.v2.CapabilityPermissions`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CapabilityPermissions {
    #[prost(message, repeated, tag = "1")]
    pub permissions: Vec<CapabilityPermission>,
}

/// `connector.proto` `c1.connector.v2.CapabilityPermission`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CapabilityPermission {
    #[prost(string, tag = "1")]
    pub permission: String,
}

/// `connector.proto` `c1.connector.v2.CredentialDetails`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CredentialDetails {
    #[prost(message, optional, tag = "1")]
    pub capability_account_provisioning: Option<CredentialDetailsAccountProvisioning>,
    #[prost(message, optional, tag = "2")]
    pub capability_credential_rotation: Option<CredentialDetailsCredentialRotation>,
}

/// `connector.proto` `c1.connector.v2.CredentialDetailsAccountProvisioning`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CredentialDetailsAccountProvisioning {
    #[prost(enumeration = "CapabilityDetailCredentialOption", repeated, tag = "1")]
    pub supported_credential_options: Vec<i32>,
    #[prost(enumeration = "CapabilityDetailCredentialOption", tag = "2")]
    pub preferred_credential_option: i32,
}

/// `connector.proto` `c1.connector.v2.CredentialDetailsCredentialRotation`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CredentialDetailsCredentialRotation {
    #[prost(enumeration = "CapabilityDetailCredentialOption", repeated, tag = "1")]
    pub supported_credential_options: Vec<i32>,
    #[prost(enumeration = "CapabilityDetailCredentialOption", tag = "2")]
    pub preferred_credential_option: i32,
}

/// `connector.proto` `c1.connector.v2.ConnectorAccountCreationSchema`: the fields a person
/// fills in when ConductorOne asks the connector to create an account.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ConnectorAccountCreationSchema {
    #[prost(btree_map = "string, message", tag = "1")]
    pub field_map: BTreeMap<String, account_creation_schema::Field>,
}

/// The nested messages of `c1.connector.v2.ConnectorAccountCreationSchema`.
pub mod account_creation_schema {
    use std::collections::BTreeMap;

    /// `c1.connector.v2.ConnectorAccountCreationSchema.Field`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Field {
        #[prost(string, tag = "1")]
        pub display_name: String,
        #[prost(bool, tag = "2")]
        pub required: bool,
        #[prost(string, tag = "3")]
        pub description: String,
        #[prost(string, tag = "4")]
        pub placeholder: String,
        #[prost(int32, tag = "5")]
        pub order: i32,
        #[prost(bool, tag = "6")]
        pub deprecated: bool,
        #[prost(oneof = "FieldKind", tags = "100, 101, 102, 103, 104")]
        pub field: Option<FieldKind>,
    }

    /// The `field` oneof of `ConnectorAccountCreationSchema.Field`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum FieldKind {
        #[prost(message, tag = "100")]
        StringField(StringField),
        #[prost(message, tag = "101")]
        BoolField(BoolField),
        #[prost(message, tag = "102")]
        StringListField(StringListField),
        #[prost(message, tag = "103")]
        IntField(IntField),
        #[prost(message, tag = "104")]
        MapField(MapField),
    }

    /// `c1.connector.v2.ConnectorAccountCreationSchema.StringField`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct StringField {
        #[prost(string, optional, tag = "1")]
        pub default_value: Option<String>,
    }

    /// `c1.connector.v2.ConnectorAccountCreationSchema.BoolField`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct BoolField {
        #[prost(bool, optional, tag = "1")]
        pub default_value: Option<bool>,
    }

    /// `c1.connector.v2.ConnectorAccountCreationSchema.StringListField`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct StringListField {
        #[prost(string, repeated, tag = "1")]
        pub default_value: Vec<String>,
    }

    /// `c1.connector.v2.ConnectorAccountCreationSchema.IntField`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct IntField {
        #[prost(int32, optional, tag = "1")]
        pub default_value: Option<i32>,
    }

    /// `c1.connector.v2.ConnectorAccountCreationSchema.MapField`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct MapField {
        #[prost(btree_map = "string, message", tag = "1")]
        pub default_value: BTreeMap<String, Field>,
    }
}
