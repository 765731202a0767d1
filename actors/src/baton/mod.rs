//! Baton's vocabulary, typed (DESIGN §4, research/baton-model.md §1.4): resource types,
//! resource ids and keys, entitlement ids `<resource_type>:<resource_id>:<slug>` and grant ids
//! `<entitlement id>:<principal_type>:<principal_id>`. The graph, the facts, the crawlers and
//! the provisioner speak it; strings appear only at the edges (parsing input, writing output).
//!
//! Every resource id is one checked API id, or `<project_id>/<id>` for the project-scoped
//! types, so no id holds a `:` and every Baton id splits back unambiguously.

pub mod roles;

use crate::ids::{
    ApiKeyId, GroupId, InviteId, OrgId, ProjectId, RoleId, Segment, ServiceAccountId, UnsafeId,
    UserId, check_segment,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The resource types of DESIGN §4.
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
    AdminApiKey,
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
    pub const ALL: [ResourceType; 10] = [
        ResourceType::Organization,
        ResourceType::User,
        ResourceType::Invite,
        ResourceType::Role,
        ResourceType::Project,
        ResourceType::ProjectRole,
        ResourceType::ServiceAccount,
        ResourceType::Group,
        ResourceType::ApiKey,
        ResourceType::AdminApiKey,
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
            ResourceType::AdminApiKey => "admin_api_key",
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
            ResourceType::AdminApiKey => "Admin API key",
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
            ResourceType::ApiKey | ResourceType::AdminApiKey => TraitKind::Secret,
        }
    }

    /// Entitlement slugs every resource of this type offers (DESIGN §4).
    pub fn slugs(self) -> &'static [Slug] {
        match self {
            ResourceType::Organization | ResourceType::Group => &[Slug::Member],
            ResourceType::Role | ResourceType::ProjectRole => &[Slug::Assigned],
            ResourceType::Project => &[Slug::Owner, Slug::Member, Slug::Viewer],
            _ => &[],
        }
    }

    /// Whether its ids are `<project_id>/<id>`.
    pub fn project_scoped(self) -> bool {
        matches!(
            self,
            ResourceType::ProjectRole | ResourceType::ServiceAccount | ResourceType::ApiKey
        )
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an entitlement is called on its resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slug {
    Member,
    Assigned,
    Owner,
    Viewer,
}

impl Slug {
    pub fn as_str(self) -> &'static str {
        match self {
            Slug::Member => "member",
            Slug::Assigned => "assigned",
            Slug::Owner => "owner",
            Slug::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Slug> {
        [Slug::Member, Slug::Assigned, Slug::Owner, Slug::Viewer]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource's id within its type: one checked API id, or `<project_id>/<id>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct ResourceId(String);

impl Serialize for ResourceId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Baton ids are written as their text, formatted straight into the output.
macro_rules! serialize_as_text {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}
serialize_as_text!(EntitlementId, GrantId);

impl ResourceId {
    /// The id of a resource named by one checked id.
    pub fn of(id: &dyn Segment) -> Self {
        Self(id.segment().to_owned())
    }

    /// `<project_id>/<id>`, the id of a project-scoped resource.
    pub fn scoped(project: &ProjectId, id: &dyn Segment) -> Self {
        Self(format!("{}/{}", project.as_str(), id.segment()))
    }

    /// The organization's resource id before the org id is known (the collector fills it in).
    /// A valid id, so a list recorded before then reads back.
    pub(crate) fn pending_org() -> Self {
        Self("pending~org".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `(project_id, id)` of a scoped id.
    pub fn split_scope(&self) -> Option<(&str, &str)> {
        self.0.split_once('/')
    }
}

impl FromStr for ResourceId {
    type Err = UnsafeId;
    /// One checked id, or two joined by `/`.
    fn from_str(s: &str) -> Result<Self, UnsafeId> {
        match s.split_once('/') {
            Some((p, id)) => {
                check_segment(p)?;
                check_segment(id)?;
            }
            None => check_segment(s)?,
        }
        Ok(Self(s.to_owned()))
    }
}

impl TryFrom<String> for ResourceId {
    type Error = UnsafeId;
    fn try_from(s: String) -> Result<Self, UnsafeId> {
        s.parse()
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A resource's identity: (type, id). Displayed as Baton's `type:id`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceKey {
    pub resource_type: ResourceType,
    pub id: ResourceId,
}

impl ResourceKey {
    pub fn new(resource_type: ResourceType, id: ResourceId) -> Self {
        Self { resource_type, id }
    }

    pub fn org(id: &OrgId) -> Self {
        Self::new(ResourceType::Organization, ResourceId::of(id))
    }
    /// The organization before its id is known (see [`ResourceId::pending_org`]).
    pub(crate) fn pending_org() -> Self {
        Self::new(ResourceType::Organization, ResourceId::pending_org())
    }
    pub fn user(id: &UserId) -> Self {
        Self::new(ResourceType::User, ResourceId::of(id))
    }
    pub fn invite(id: &InviteId) -> Self {
        Self::new(ResourceType::Invite, ResourceId::of(id))
    }
    pub fn group(id: &GroupId) -> Self {
        Self::new(ResourceType::Group, ResourceId::of(id))
    }
    pub fn project(id: &ProjectId) -> Self {
        Self::new(ResourceType::Project, ResourceId::of(id))
    }
    /// A custom org role, by its API id.
    pub fn org_role(id: &RoleId) -> Self {
        Self::new(ResourceType::Role, ResourceId::of(id))
    }
    pub fn project_role(project: &ProjectId, role: &RoleId) -> Self {
        Self::new(ResourceType::ProjectRole, ResourceId::scoped(project, role))
    }
    pub fn service_account(project: &ProjectId, id: &ServiceAccountId) -> Self {
        Self::new(
            ResourceType::ServiceAccount,
            ResourceId::scoped(project, id),
        )
    }
    pub fn api_key(project: &ProjectId, id: &ApiKeyId) -> Self {
        Self::new(ResourceType::ApiKey, ResourceId::scoped(project, id))
    }

    pub fn entitlement(&self, slug: Slug) -> EntitlementId {
        EntitlementId {
            resource: self.clone(),
            slug,
        }
    }
}

// The Display impls write their pieces as they are: they run once per id in every output.
impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.resource_type.as_str())?;
        f.write_str(":")?;
        f.write_str(&self.id.0)
    }
}

/// Why a Baton id could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BatonIdError {
    #[error("expected {expected}")]
    Shape { expected: &'static str },
    #[error("unknown resource type {0:?}")]
    UnknownType(String),
    #[error("{resource_type} resources offer no entitlements")]
    NoEntitlements { resource_type: ResourceType },
    #[error("{resource_type} entitlements are {}, not {slug:?}", slug_list(*resource_type))]
    WrongSlug {
        resource_type: ResourceType,
        slug: String,
    },
    #[error(transparent)]
    Unsafe(#[from] UnsafeId),
}

/// `owner, member or viewer`; a single slug in backquotes.
fn slug_list(t: ResourceType) -> String {
    match t.slugs() {
        [one] => format!("`{one}`"),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(|s| s.as_str()).collect();
            format!("{} or {last}", init.join(", "))
        }
        [] => "none".to_owned(),
    }
}

impl FromStr for ResourceKey {
    type Err = BatonIdError;
    /// `<type>:<id>`, e.g. `user:user-abc` or `service_account:proj_1/svc_1`.
    fn from_str(s: &str) -> Result<Self, BatonIdError> {
        let (ty, id) = s.split_once(':').ok_or(BatonIdError::Shape {
            expected: "TYPE:ID, e.g. user:user-abc",
        })?;
        let resource_type =
            ResourceType::parse(ty).ok_or_else(|| BatonIdError::UnknownType(ty.to_owned()))?;
        let id: ResourceId = id.parse()?;
        if resource_type.project_scoped() != id.split_scope().is_some() {
            return Err(BatonIdError::Shape {
                expected: if resource_type.project_scoped() {
                    "<project_id>/<id> for a project-scoped type"
                } else {
                    "an id without `/`"
                },
            });
        }
        Ok(Self::new(resource_type, id))
    }
}

/// `<resource_type>:<resource_id>:<slug>`
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct EntitlementId {
    pub resource: ResourceKey,
    pub slug: Slug,
}

impl EntitlementId {
    /// `role:owner:assigned`: its holders are implicit owners of every active project.
    pub fn org_owner() -> Self {
        ResourceKey::new(ResourceType::Role, ResourceId(roles::OWNER.to_owned()))
            .entitlement(Slug::Assigned)
    }
}

impl fmt::Display for EntitlementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.resource, f)?;
        f.write_str(":")?;
        f.write_str(self.slug.as_str())
    }
}

impl FromStr for EntitlementId {
    type Err = BatonIdError;
    fn from_str(s: &str) -> Result<Self, BatonIdError> {
        let (key, slug) = s.rsplit_once(':').ok_or(BatonIdError::Shape {
            expected: "<resource_type>:<resource_id>:<slug>, e.g. project:proj_1:member",
        })?;
        let resource: ResourceKey = key.parse()?;
        let resource_type = resource.resource_type;
        if resource_type.slugs().is_empty() {
            return Err(BatonIdError::NoEntitlements { resource_type });
        }
        let wrong = || BatonIdError::WrongSlug {
            resource_type,
            slug: slug.to_owned(),
        };
        let slug = Slug::parse(slug).ok_or_else(wrong)?;
        if !resource_type.slugs().contains(&slug) {
            return Err(wrong());
        }
        Ok(Self { resource, slug })
    }
}

impl TryFrom<String> for EntitlementId {
    type Error = BatonIdError;
    fn try_from(s: String) -> Result<Self, BatonIdError> {
        s.parse()
    }
}

/// `<entitlement id>:<principal_type>:<principal_id>`
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct GrantId {
    pub entitlement: EntitlementId,
    pub principal: ResourceKey,
}

impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.entitlement, f)?;
        f.write_str(":")?;
        fmt::Display::fmt(&self.principal, f)
    }
}

impl FromStr for GrantId {
    type Err = BatonIdError;
    /// Ids hold no `:`, so the principal is the last two fields.
    fn from_str(s: &str) -> Result<Self, BatonIdError> {
        let mut parts = s.rsplitn(3, ':');
        let (Some(pid), Some(pty), Some(ent)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(BatonIdError::Shape {
                expected: "<entitlement id>:<principal_type>:<principal_id>, e.g. project:proj_1:member:user:user-abc",
            });
        };
        Ok(Self {
            entitlement: ent.parse()?,
            principal: format!("{pty}:{pid}").parse()?,
        })
    }
}

impl TryFrom<String> for GrantId {
    type Error = BatonIdError;
    fn try_from(s: String) -> Result<Self, BatonIdError> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::literal;

    #[test]
    fn ids_print_as_baton_writes_them_and_parse_back() {
        let p: ProjectId = literal("proj_1");
        let sa = ResourceKey::service_account(&p, &literal("svc_1"));
        assert_eq!(sa.to_string(), "service_account:proj_1/svc_1");
        let e = ResourceKey::project_role(&p, &literal("role_9")).entitlement(Slug::Assigned);
        assert_eq!(e.to_string(), "project_role:proj_1/role_9:assigned");
        let g = GrantId {
            entitlement: e.clone(),
            principal: sa.clone(),
        };
        let text = g.to_string();
        assert_eq!(
            text,
            "project_role:proj_1/role_9:assigned:service_account:proj_1/svc_1"
        );
        assert_eq!(text.parse::<GrantId>(), Ok(g));
        assert_eq!(
            EntitlementId::org_owner().to_string(),
            "role:owner:assigned"
        );
        assert_eq!(
            serde_json::to_string(&e).expect("json"),
            "\"project_role:proj_1/role_9:assigned\""
        );
    }

    #[test]
    fn bad_ids_say_why() {
        for (bad, why) in [
            ("project:p", "expected"),
            ("project:p:admin", "owner, member or viewer"),
            ("widget:x:member", "unknown resource type"),
            ("group:g:owner", "`member`"),
            ("api_key:p/k:x", "no entitlements"),
            ("project_role:p:assigned", "<project_id>/<id>"),
            ("project:a/b:member", "without `/`"),
            ("group:..:member", "unsafe id"),
            ("role:a:b:assigned", "unsafe id"),
        ] {
            let e = bad.parse::<EntitlementId>().expect_err(bad).to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert!("project:p:member:robot:r".parse::<GrantId>().is_err());
        assert!("user:u".parse::<GrantId>().is_err());
    }
}
