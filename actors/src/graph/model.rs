//! The grant graph's data: resource types, resources, entitlements and grants with Baton ids
//! (DESIGN §4, research/baton-model.md §1.4). Pure data; no I/O.

pub use crate::baton::{
    EntitlementId, GrantId, ResourceId, ResourceKey, ResourceType, Slug, TraitKind,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Human or service account (Baton `UserTrait.account_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    Human,
    Service,
}

/// Baton's user status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Enabled,
    Disabled,
}

/// What a resource's trait says beyond its type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "trait", rename_all = "snake_case")]
pub enum Traits {
    User {
        emails: Vec<String>,
        status: UserStatus,
        account_type: AccountType,
        #[serde(skip_serializing_if = "Option::is_none")]
        login: Option<String>,
        /// The last activity the API shows (Unix seconds): for org users, when they last used
        /// an API key (`api_key_last_used_at`). What a dormancy review looks at.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_activity: Option<i64>,
    },
    Group,
    Role,
    App,
    Secret {
        /// The owning user or service account.
        #[serde(skip_serializing_if = "Option::is_none")]
        identity: Option<ResourceKey>,
        #[serde(skip_serializing_if = "Option::is_none")]
        created_at: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        last_used_at: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        expires_at: Option<i64>,
    },
}

/// A synced object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub resource_type: ResourceType,
    pub id: ResourceId,
    pub parent: Option<ResourceKey>,
    pub display_name: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub description: String,
    /// Scalar facts from the API (email, role, status, timestamps), sorted by key.
    pub profile: BTreeMap<String, serde_json::Value>,
    pub traits: Traits,
}

impl Resource {
    pub fn key(&self) -> ResourceKey {
        ResourceKey::new(self.resource_type, self.id.clone())
    }
}

/// Baton's entitlement purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Assignment,
    Permission,
}

/// Something a principal can hold on a resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entitlement {
    pub id: EntitlementId,
    pub resource: ResourceKey,
    pub slug: Slug,
    pub display_name: String,
    pub description: String,
    pub purpose: Purpose,
    pub grantable_to: Vec<ResourceType>,
    /// Set for roles a principal holds one of at a time (org owner/reader; project
    /// owner/member/viewer): granting one replaces the other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusion: Option<Exclusion>,
}

/// A mutually exclusive choice among entitlements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    /// The choice's name: `org_role`, or `project:<id>:role`.
    pub group: String,
    /// Position among the choices, most powerful first.
    pub order: u32,
    /// The choice a principal falls back to (org `reader`, project `member`).
    pub default: bool,
}

/// A principal holding an entitlement, and every reason it does.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Grant {
    pub entitlement: EntitlementId,
    /// The entitlement's resource (Baton stores it in the grant row).
    pub resource: ResourceKey,
    pub principal: ResourceKey,
    /// Held directly (assigned to this principal itself).
    pub direct: bool,
    /// Entitlement ids the grant is inherited through (e.g. `group:g:member`,
    /// `role:owner:assigned`), sorted. Empty for a purely direct grant.
    pub sources: Vec<EntitlementId>,
    /// Cannot be changed through the API (e.g. an org owner's implicit project ownership).
    pub immutable: bool,
    /// For grants held by a group: entitlements whose holders also receive this grant
    /// (Baton's `GrantExpandable`). The expanded grants are materialised in the graph.
    #[serde(default)]
    pub expandable: Vec<EntitlementId>,
}

impl Grant {
    /// Its Baton id, `<entitlement id>:<principal_type>:<principal_id>`.
    pub fn id(&self) -> GrantId {
        GrantId {
            entitlement: self.entitlement.clone(),
            principal: self.principal.clone(),
        }
    }

    /// Its id as text, written from its parts without building a [`GrantId`] (whose parts
    /// are copies): for code that goes over every grant.
    pub fn id_text(&self) -> impl std::fmt::Display + '_ {
        IdOf(self)
    }
}

/// The grant id written from its parts, without building a `GrantId` (once per grant in every
/// output).
struct IdOf<'a>(&'a Grant);

impl std::fmt::Display for IdOf<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0.entitlement, f)?;
        f.write_str(":")?;
        std::fmt::Display::fmt(&self.0.principal, f)
    }
}

impl Serialize for Grant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Grant", 8)?;
        st.serialize_field("id", &format_args!("{}", IdOf(self)))?;
        st.serialize_field("entitlement", &self.entitlement)?;
        st.serialize_field("resource", &self.resource)?;
        st.serialize_field("principal", &self.principal)?;
        st.serialize_field("direct", &self.direct)?;
        st.serialize_field("sources", &self.sources)?;
        st.serialize_field("immutable", &self.immutable)?;
        if self.expandable.is_empty() {
            st.skip_field("expandable")?;
        } else {
            st.serialize_field("expandable", &self.expandable)?;
        }
        st.end()
    }
}
