//! Hand-written `prost` messages for the parts of `c1.connector.v2` (and the `google.protobuf`
//! well-known types) a `.c1z` needs, with the field numbers of baton-model.md §1. Written by hand
//! so the build needs no `protoc`.
//!
//! Determinism: prost encodes fields in tag order (as protobuf-go's deterministic marshalling
//! does), and every map is a `BTreeMap`, so map entries come out sorted by key.

use std::collections::BTreeMap;

/// `type.googleapis.com/<full name>` of a message carried in a `google.protobuf.Any`.
pub trait AnyType: prost::Message + Sized {
    const TYPE_URL: &'static str;

    fn to_any(&self) -> Any {
        Any {
            type_url: Self::TYPE_URL.to_owned(),
            value: self.encode_to_vec(),
        }
    }
}

/// `AnyType` for messages of the `c1.connector.v2` package (also used by `crate::c1::proto`).
macro_rules! any_type {
    ($($ty:ident),* $(,)?) => {
        $(impl $crate::output::c1z::proto::AnyType for $ty {
            const TYPE_URL: &'static str = concat!("type.googleapis.com/c1.connector.v2.", stringify!($ty));
        })*
    };
}
pub(crate) use any_type;

any_type!(
    UserTrait,
    GroupTrait,
    RoleTrait,
    AppTrait,
    SecretTrait,
    GrantExpandable,
    GrantImmutable,
    GrantAlreadyExists,
    GrantAlreadyRevoked,
    EntitlementExclusionGroup
);

// ---- google.protobuf ---------------------------------------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct Any {
    #[prost(string, tag = "1")]
    pub type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Timestamp {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Struct {
    #[prost(btree_map = "string, message", tag = "1")]
    pub fields: BTreeMap<String, Value>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Value {
    #[prost(oneof = "value::Kind", tags = "1, 2, 3, 4, 5, 6")]
    pub kind: Option<value::Kind>,
}

pub mod value {
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Kind {
        /// `google.protobuf.NullValue` (always 0).
        #[prost(int32, tag = "1")]
        NullValue(i32),
        #[prost(double, tag = "2")]
        NumberValue(f64),
        #[prost(string, tag = "3")]
        StringValue(String),
        #[prost(bool, tag = "4")]
        BoolValue(bool),
        #[prost(message, tag = "5")]
        StructValue(super::Struct),
        #[prost(message, tag = "6")]
        ListValue(super::ListValue),
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ListValue {
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<Value>,
}

// ---- resource.proto ----------------------------------------------------------------------------

/// `ResourceType.Trait`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum TraitEnum {
    Unspecified = 0,
    User = 1,
    Group = 2,
    Role = 3,
    App = 4,
    Secret = 5,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceType {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(string, tag = "2")]
    pub display_name: String,
    #[prost(enumeration = "TraitEnum", repeated, tag = "3")]
    pub traits: Vec<i32>,
    #[prost(message, repeated, tag = "4")]
    pub annotations: Vec<Any>,
    #[prost(string, tag = "5")]
    pub description: String,
    #[prost(bool, tag = "6")]
    pub sourced_externally: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceId {
    #[prost(string, tag = "1")]
    pub resource_type: String,
    #[prost(string, tag = "2")]
    pub resource: String,
    #[prost(bool, tag = "3")]
    pub baton_resource: bool,
}

/// `Resource.Status.status` (`ResourceStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ResourceStatusValue {
    Unspecified = 0,
    Enabled = 1,
    Disabled = 2,
    Deleted = 3,
}

/// `c1.connector.v2.Status` (Resource field 11).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceStatus {
    #[prost(enumeration = "ResourceStatusValue", tag = "1")]
    pub status: i32,
    #[prost(string, tag = "2")]
    pub details: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Resource {
    #[prost(message, optional, tag = "1")]
    pub id: Option<ResourceId>,
    #[prost(message, optional, tag = "2")]
    pub parent_resource_id: Option<ResourceId>,
    #[prost(string, tag = "3")]
    pub display_name: String,
    #[prost(message, repeated, tag = "4")]
    pub annotations: Vec<Any>,
    #[prost(string, tag = "5")]
    pub description: String,
    #[prost(bool, tag = "6")]
    pub baton_resource: bool,
    #[prost(message, optional, tag = "9")]
    pub profile: Option<Struct>,
    #[prost(message, optional, tag = "11")]
    pub status: Option<ResourceStatus>,
    #[prost(message, optional, tag = "12")]
    pub created_at: Option<Timestamp>,
}

// ---- entitlement.proto / grant.proto -----------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum PurposeValue {
    Unspecified = 0,
    Assignment = 1,
    Permission = 2,
    Ownership = 3,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Entitlement {
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    #[prost(string, tag = "2")]
    pub id: String,
    #[prost(string, tag = "3")]
    pub display_name: String,
    #[prost(string, tag = "4")]
    pub description: String,
    #[prost(message, repeated, tag = "5")]
    pub grantable_to: Vec<ResourceType>,
    #[prost(message, repeated, tag = "6")]
    pub annotations: Vec<Any>,
    #[prost(enumeration = "PurposeValue", tag = "7")]
    pub purpose: i32,
    #[prost(string, tag = "8")]
    pub slug: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GrantSource {
    #[prost(bool, tag = "1")]
    pub is_direct: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GrantSources {
    #[prost(btree_map = "string, message", tag = "1")]
    pub sources: BTreeMap<String, GrantSource>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Grant {
    #[prost(message, optional, tag = "1")]
    pub entitlement: Option<Entitlement>,
    #[prost(message, optional, tag = "2")]
    pub principal: Option<Resource>,
    #[prost(string, tag = "3")]
    pub id: String,
    #[prost(message, repeated, tag = "4")]
    pub annotations: Vec<Any>,
    #[prost(message, optional, tag = "5")]
    pub sources: Option<GrantSources>,
}

/// Wire-identical to [`Grant`] with the entitlement and principal already encoded: a nested
/// message and a `bytes` field share wire type 2, so the writer encodes each entitlement stub
/// (which embeds the full resource) once instead of once per grant.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct GrantPreEncoded {
    #[prost(bytes = "vec", tag = "1")]
    pub entitlement: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    pub principal: Vec<u8>,
    #[prost(string, tag = "3")]
    pub id: String,
    #[prost(message, repeated, tag = "4")]
    pub annotations: Vec<Any>,
    #[prost(message, optional, tag = "5")]
    pub sources: Option<GrantSources>,
}

// ---- annotation_grant.proto --------------------------------------------------------------------

#[derive(Clone, PartialEq, prost::Message)]
pub struct GrantExpandable {
    #[prost(string, repeated, tag = "1")]
    pub entitlement_ids: Vec<String>,
    #[prost(bool, tag = "2")]
    pub shallow: bool,
    #[prost(string, repeated, tag = "3")]
    pub resource_type_ids: Vec<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GrantImmutable {
    #[prost(string, tag = "1")]
    pub source_id: String,
    #[prost(message, optional, tag = "2")]
    pub metadata: Option<Struct>,
}

/// `annotation_grant.proto`: a grant asked for was already there (idempotent provisioning).
#[derive(Clone, PartialEq, prost::Message)]
pub struct GrantAlreadyExists {}

/// `annotation_grant.proto`: a revoke asked for found the grant already gone.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GrantAlreadyRevoked {}

// ---- annotation_entitlement.proto ---------------------------------------------------------------

/// Mutually exclusive entitlements (field numbers from baton-model.md §2; the types are the
/// natural ones for the names: an id string, an order, two flags).
#[derive(Clone, PartialEq, prost::Message)]
pub struct EntitlementExclusionGroup {
    #[prost(string, tag = "1")]
    pub exclusion_group_id: String,
    #[prost(uint32, tag = "2")]
    pub order: u32,
    #[prost(bool, tag = "3")]
    pub is_default: bool,
    #[prost(bool, tag = "4")]
    pub scope_to_resource: bool,
}

// ---- annotation_trait.proto --------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum AccountType {
    Unspecified = 0,
    Human = 1,
    Service = 2,
    System = 3,
}

/// `UserTrait.Status.Status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum UserStatusValue {
    Unspecified = 0,
    Enabled = 1,
    Disabled = 2,
    Deleted = 3,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct UserStatus {
    #[prost(enumeration = "UserStatusValue", tag = "1")]
    pub status: i32,
    #[prost(string, tag = "2")]
    pub details: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Email {
    #[prost(string, tag = "1")]
    pub address: String,
    #[prost(bool, tag = "2")]
    pub is_primary: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct UserTrait {
    #[prost(message, repeated, tag = "1")]
    pub emails: Vec<Email>,
    #[prost(message, optional, tag = "2")]
    pub status: Option<UserStatus>,
    #[prost(message, optional, tag = "3")]
    pub profile: Option<Struct>,
    #[prost(enumeration = "AccountType", tag = "5")]
    pub account_type: i32,
    #[prost(string, tag = "6")]
    pub login: String,
    #[prost(message, optional, tag = "9")]
    pub last_login: Option<Timestamp>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct GroupTrait {
    #[prost(message, optional, tag = "2")]
    pub profile: Option<Struct>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RoleTrait {
    #[prost(message, optional, tag = "1")]
    pub profile: Option<Struct>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AppTrait {
    #[prost(string, tag = "1")]
    pub help_url: String,
    #[prost(message, optional, tag = "4")]
    pub profile: Option<Struct>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SecretTrait {
    #[prost(message, optional, tag = "1")]
    pub profile: Option<Struct>,
    #[prost(message, optional, tag = "2")]
    pub created_at: Option<Timestamp>,
    #[prost(message, optional, tag = "3")]
    pub expires_at: Option<Timestamp>,
    #[prost(message, optional, tag = "4")]
    pub last_used_at: Option<Timestamp>,
    #[prost(message, optional, tag = "5")]
    pub created_by_id: Option<ResourceId>,
    #[prost(message, optional, tag = "6")]
    pub identity_id: Option<ResourceId>,
}
