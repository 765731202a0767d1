//! The grant graph's data: resource types, resources, entitlements and grants with Baton ids
//! (DESIGN §4, research/baton-model.md §1.4). Pure data; no I/O.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The nine resource types of DESIGN §4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    Organization,
    User,
    Invite,
    Role,
    Project,
    ProjectRole,
    ServiceAccount,
    Group,
    ApiKey,
}

/// Baton's resource-type traits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraitKind {
    User,
    Group,
    Role,
    App,
    Secret,
}

impl ResourceType {
    pub const ALL: [ResourceType; 9] = [
        ResourceType::Organization,
        ResourceType::User,
        ResourceType::Invite,
        ResourceType::Role,
        ResourceType::Project,
        ResourceType::ProjectRole,
        ResourceType::ServiceAccount,
        ResourceType::Group,
        ResourceType::ApiKey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Organization => "organization",
            ResourceType::User => "user",
            ResourceType::Invite => "invite",
            ResourceType::Role => "role",
            ResourceType::Project => "project",
            ResourceType::ProjectRole => "project_role",
            ResourceType::ServiceAccount => "service_account",
            ResourceType::Group => "group",
            ResourceType::ApiKey => "api_key",
        }
    }

    pub fn parse(s: &str) -> Option<ResourceType> {
        ResourceType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn display_name(self) -> &'static str {
        match self {
            ResourceType::Organization => "Organization",
            ResourceType::User => "User",
            ResourceType::Invite => "Invitation",
            ResourceType::Role => "Organization role",
            ResourceType::Project => "Project",
            ResourceType::ProjectRole => "Project role",
            ResourceType::ServiceAccount => "Service account",
            ResourceType::Group => "Group",
            ResourceType::ApiKey => "API key",
        }
    }

    pub fn trait_kind(self) -> TraitKind {
        match self {
            ResourceType::User | ResourceType::Invite | ResourceType::ServiceAccount => {
                TraitKind::User
            }
            ResourceType::Project | ResourceType::Group => TraitKind::Group,
            ResourceType::Role | ResourceType::ProjectRole => TraitKind::Role,
            ResourceType::Organization => TraitKind::App,
            ResourceType::ApiKey => TraitKind::Secret,
        }
    }

    /// Entitlement slugs every resource of this type offers (DESIGN §4).
    pub fn slugs(self) -> &'static [&'static str] {
        match self {
            ResourceType::Organization => &["member"],
            ResourceType::Role | ResourceType::ProjectRole => &["assigned"],
            ResourceType::Project => &["owner", "member", "viewer"],
            ResourceType::Group => &["member"],
            _ => &[],
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource's identity: (type, id). Displayed as Baton's `type:id`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceKey {
    pub resource_type: ResourceType,
    pub id: String,
}

impl ResourceKey {
    pub fn new(resource_type: ResourceType, id: impl Into<String>) -> Self {
        Self {
            resource_type,
            id: id.into(),
        }
    }

    /// `<resource_type>:<resource_id>:<slug>`
    pub fn entitlement_id(&self, slug: &str) -> String {
        format!("{}:{}:{}", self.resource_type.as_str(), self.id, slug)
    }
}

impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.resource_type.as_str(), self.id)
    }
}

/// `<entitlement id>:<principal_type>:<principal_id>`
pub fn grant_id(entitlement_id: &str, principal: &ResourceKey) -> String {
    format!(
        "{}:{}:{}",
        entitlement_id,
        principal.resource_type.as_str(),
        principal.id
    )
}

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
    pub id: String,
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
    pub id: String,
    pub resource: ResourceKey,
    pub slug: String,
    pub display_name: String,
    pub description: String,
    pub purpose: Purpose,
    pub grantable_to: Vec<ResourceType>,
}

/// A principal holding an entitlement, and every reason it does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    pub entitlement: String,
    /// The entitlement's resource (Baton stores it in the grant row).
    pub resource: ResourceKey,
    pub principal: ResourceKey,
    /// Held directly (assigned to this principal itself).
    pub direct: bool,
    /// Entitlement ids the grant is inherited through (e.g. `group:g:member`,
    /// `role:owner:assigned`), sorted. Empty for a purely direct grant.
    pub sources: Vec<String>,
    /// Cannot be changed through the API (e.g. an org owner's implicit project ownership).
    pub immutable: bool,
    /// For grants held by a group: entitlements whose holders also receive this grant
    /// (Baton's `GrantExpandable`). The expanded grants are materialised in the graph.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub expandable: Vec<String>,
}
