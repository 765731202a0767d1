//! What a provisioning request names, parsed from Baton ids (DESIGN §4): entitlements
//! `<resource_type>:<resource_id>:<slug>`, principals `<type>:<id>` and grants
//! `<entitlement id>:<principal_type>:<principal_id>`.

use super::ProvisionError;
use crate::baton::roles::predefined_name;
use crate::baton::{BatonIdError, EntitlementId, GrantId, ResourceId, ResourceKey, ResourceType};
use crate::ids::{GroupId, InviteId, OrgId, ProjectId, RoleId, ServiceAccountId, UnsafeId, UserId};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// The predefined org roles: a user's own `role` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgRoleName {
    Owner,
    Reader,
}

impl OrgRoleName {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgRoleName::Owner => "owner",
            OrgRoleName::Reader => "reader",
        }
    }
}

impl FromStr for OrgRoleName {
    type Err = TargetError;
    fn from_str(s: &str) -> Result<Self, TargetError> {
        match s.to_ascii_lowercase().as_str() {
            "owner" => Ok(OrgRoleName::Owner),
            "reader" => Ok(OrgRoleName::Reader),
            other => Err(TargetError::NotOrgRole(other.to_owned())),
        }
    }
}

/// The predefined project roles: the `project:<p>:<slug>` entitlements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectSlug {
    Owner,
    Member,
    Viewer,
}

impl ProjectSlug {
    /// The predefined project role a role is, if it is one (a custom role is `None`).
    pub(crate) fn of_role(id: &str, name: Option<&str>, predefined: bool) -> Option<Self> {
        predefined_name(id, name, predefined).and_then(|n| Self::parse(&n))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProjectSlug::Owner => "owner",
            ProjectSlug::Member => "member",
            ProjectSlug::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(ProjectSlug::Owner),
            "member" => Some(ProjectSlug::Member),
            "viewer" => Some(ProjectSlug::Viewer),
            _ => None,
        }
    }
}

/// An org role entitlement's role: predefined (the user's own role) or custom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgRole {
    Predefined(OrgRoleName),
    Custom(RoleId),
}

/// An entitlement that can be granted or revoked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entitlement {
    /// `organization:<org>:member`
    OrgMember { org: OrgId },
    /// `role:<owner|reader|custom id>:assigned`
    OrgRole(OrgRole),
    /// `project:<p>:<owner|member|viewer>`
    Project {
        project: ProjectId,
        slug: ProjectSlug,
    },
    /// `project_role:<p>/<r>:assigned` (a custom project role)
    ProjectRole { project: ProjectId, role: RoleId },
    /// `group:<g>:member`
    GroupMember { group: GroupId },
}

/// Who receives or loses an entitlement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    User(UserId),
    Group(GroupId),
    ServiceAccount {
        project: ProjectId,
        account: ServiceAccountId,
    },
    Invite(InviteId),
}

/// An account to create, as Baton's account profile gives it (`--create-account-profile`,
/// ConductorOne's `AccountInfo.profile`): `{"role": "reader"|"owner", "projects":
/// ["PROJECT_ID:member", "PROJECT_ID:owner"]}`, the role reader when not given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountProfile {
    pub role: OrgRoleName,
    pub projects: Vec<(ProjectId, ProjectSlug)>,
}

impl Default for AccountProfile {
    fn default() -> Self {
        Self {
            role: OrgRoleName::Reader,
            projects: Vec::new(),
        }
    }
}

impl AccountProfile {
    /// The profile a JSON object gives; unknown keys are refused rather than ignored.
    pub fn from_json(v: &serde_json::Value) -> Result<Self, TargetError> {
        use serde_json::Value;
        let Some(obj) = v.as_object() else {
            return Err(TargetError::NotObject);
        };
        if let Some(k) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "role" | "projects"))
        {
            return Err(TargetError::UnknownKey(k.clone()));
        }
        let role = match obj.get("role") {
            None | Some(Value::Null) => OrgRoleName::Reader,
            Some(Value::String(r)) => r.parse()?,
            Some(other) => return Err(TargetError::RoleNotString(other.to_string())),
        };
        let projects = match obj.get("projects") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|p| match p.as_str() {
                    Some(s) => invite_project(s),
                    None => Err(TargetError::ProjectNotString(p.to_string())),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(TargetError::ProjectsNotArray(other.to_string())),
        };
        Ok(Self { role, projects })
    }
}

/// `PROJECT_ID:ROLE` with ROLE owner or member (what an invitation can give).
pub fn invite_project(s: &str) -> Result<(ProjectId, ProjectSlug), TargetError> {
    let (project, role) = s
        .rsplit_once(':')
        .filter(|(p, _)| !p.is_empty())
        .ok_or_else(|| TargetError::NotInviteProject(s.to_owned()))?;
    match ProjectSlug::parse(role) {
        Some(slug @ (ProjectSlug::Owner | ProjectSlug::Member)) => Ok((id(project)?, slug)),
        _ => Err(TargetError::InviteRole(role.to_owned())),
    }
}

/// A grant id split into what is held and who holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRef {
    pub entitlement: Entitlement,
    pub principal: Principal,
}

/// Why a provisioning target (an entitlement, a principal, an account profile) cannot be
/// what its text says.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("{0:?} is not an organization role: expected owner or reader")]
    NotOrgRole(String),
    #[error("expected a JSON object")]
    NotObject,
    #[error("unknown key {0:?} (expected role, projects)")]
    UnknownKey(String),
    #[error("role must be a string, not {0}")]
    RoleNotString(String),
    #[error("projects holds {0}, not PROJECT_ID:ROLE")]
    ProjectNotString(String),
    #[error("projects must be an array, not {0}")]
    ProjectsNotArray(String),
    #[error("expected PROJECT_ID:ROLE (owner or member), got {0:?}")]
    NotInviteProject(String),
    #[error("an invitation gives project role owner or member, not {0:?}")]
    InviteRole(String),
    #[error(transparent)]
    Id(#[from] UnsafeId),
    #[error("expected <project_id>/<id>, got {0:?}")]
    NotScoped(String),
    #[error("{0:?} is a project role; org roles are owner, reader or a custom org role id")]
    ProjectRoleAsOrgRole(String),
    #[error("project entitlements are owner, member or viewer")]
    NotProjectSlug,
    #[error("{0} resources offer no entitlements to provision")]
    NoEntitlements(ResourceType),
    #[error("{0:?} is not a principal type: expected user, group or service_account")]
    NotPrincipalType(&'static str),
}

fn invalid(kind: &'static str, id: &str, reason: impl fmt::Display) -> ProvisionError {
    ProvisionError::InvalidId {
        kind,
        id: id.to_owned(),
        reason: reason.to_string(),
    }
}

/// A checked id of the type a field wants (the Baton id was checked; this picks its type).
fn id<T: FromStr<Err = UnsafeId>>(raw: &str) -> Result<T, TargetError> {
    Ok(raw.parse()?)
}

/// `(project, id)` of a project-scoped resource id.
fn scoped<T: FromStr<Err = UnsafeId>>(rid: &ResourceId) -> Result<(ProjectId, T), TargetError> {
    let (p, x) = rid
        .split_scope()
        .ok_or_else(|| TargetError::NotScoped(rid.as_str().to_owned()))?;
    Ok((id(p)?, id(x)?))
}

impl TryFrom<&EntitlementId> for Entitlement {
    type Error = TargetError;

    /// What a Baton entitlement id means to the provisioner.
    fn try_from(e: &EntitlementId) -> Result<Self, TargetError> {
        let rid = &e.resource.id;
        match e.resource.resource_type {
            ResourceType::Organization => Ok(Entitlement::OrgMember {
                org: id(rid.as_str())?,
            }),
            ResourceType::Role => Ok(Entitlement::OrgRole(
                match predefined_name(rid.as_str(), None, false).as_deref() {
                    Some("owner") => OrgRole::Predefined(OrgRoleName::Owner),
                    Some("reader") => OrgRole::Predefined(OrgRoleName::Reader),
                    Some(other) => return Err(TargetError::ProjectRoleAsOrgRole(other.to_owned())),
                    None => OrgRole::Custom(id(rid.as_str())?),
                },
            )),
            ResourceType::Project => Ok(Entitlement::Project {
                project: id(rid.as_str())?,
                slug: ProjectSlug::parse(e.slug.as_str()).ok_or(TargetError::NotProjectSlug)?,
            }),
            ResourceType::ProjectRole => {
                let (project, role) = scoped(rid)?;
                Ok(Entitlement::ProjectRole { project, role })
            }
            ResourceType::Group => Ok(Entitlement::GroupMember {
                group: id(rid.as_str())?,
            }),
            other => Err(TargetError::NoEntitlements(other)),
        }
    }
}

impl FromStr for Entitlement {
    type Err = ProvisionError;

    fn from_str(s: &str) -> Result<Self, ProvisionError> {
        const KIND: &str = "entitlement id";
        let e: EntitlementId = s
            .parse()
            .map_err(|e: BatonIdError| invalid(KIND, s, e.to_string()))?;
        Entitlement::try_from(&e).map_err(|reason| invalid(KIND, s, reason))
    }
}

impl TryFrom<&ResourceKey> for Principal {
    type Error = TargetError;

    /// Who a Baton principal is, to the provisioner.
    fn try_from(k: &ResourceKey) -> Result<Self, TargetError> {
        match k.resource_type {
            ResourceType::User => Ok(Principal::User(id(k.id.as_str())?)),
            ResourceType::Group => Ok(Principal::Group(id(k.id.as_str())?)),
            ResourceType::ServiceAccount => {
                let (project, account) = scoped(&k.id)?;
                Ok(Principal::ServiceAccount { project, account })
            }
            ResourceType::Invite => Ok(Principal::Invite(id(k.id.as_str())?)),
            other => Err(TargetError::NotPrincipalType(other.as_str())),
        }
    }
}

impl FromStr for Principal {
    type Err = ProvisionError;

    fn from_str(s: &str) -> Result<Self, ProvisionError> {
        const KIND: &str = "principal";
        let key: ResourceKey = s.parse().map_err(|e: BatonIdError| {
            invalid(
                KIND,
                s,
                match e {
                    BatonIdError::Shape { .. } => "expected TYPE:ID, e.g. user:user-abc, group:grp_1 or service_account:proj_1/svc_1".to_owned(),
                    other => other.to_string(),
                },
            )
        })?;
        Principal::try_from(&key).map_err(|reason| invalid(KIND, s, reason))
    }
}

impl FromStr for GrantRef {
    type Err = ProvisionError;

    fn from_str(s: &str) -> Result<Self, ProvisionError> {
        const KIND: &str = "grant id";
        let g: GrantId = s
            .parse()
            .map_err(|e: BatonIdError| invalid(KIND, s, e.to_string()))?;
        Ok(GrantRef {
            entitlement: Entitlement::try_from(&g.entitlement).map_err(|r| invalid(KIND, s, r))?,
            principal: Principal::try_from(&g.principal).map_err(|r| invalid(KIND, s, r))?,
        })
    }
}

impl fmt::Display for Entitlement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entitlement::OrgMember { org } => write!(f, "organization:{org}:member"),
            Entitlement::OrgRole(OrgRole::Predefined(r)) => {
                write!(f, "role:{}:assigned", r.as_str())
            }
            Entitlement::OrgRole(OrgRole::Custom(r)) => write!(f, "role:{r}:assigned"),
            Entitlement::Project { project, slug } => {
                write!(f, "project:{project}:{}", slug.as_str())
            }
            Entitlement::ProjectRole { project, role } => {
                write!(f, "project_role:{project}/{role}:assigned")
            }
            Entitlement::GroupMember { group } => write!(f, "group:{group}:member"),
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::User(u) => write!(f, "user:{u}"),
            Principal::Group(g) => write!(f, "group:{g}"),
            Principal::ServiceAccount { project, account } => {
                write!(f, "service_account:{project}/{account}")
            }
            Principal::Invite(i) => write!(f, "invite:{i}"),
        }
    }
}

impl fmt::Display for GrantRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.entitlement, self.principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entitlements_parse_and_print_back() {
        for id in [
            "organization:org-1:member",
            "role:owner:assigned",
            "role:reader:assigned",
            "role:role_billing:assigned",
            "project:proj_1:viewer",
            "project_role:proj_1/role_9:assigned",
            "group:grp_1:member",
        ] {
            let e: Entitlement = id.parse().expect(id);
            assert_eq!(e.to_string(), id);
        }
        let scoped: Entitlement =
            "role:role-api-organization-owner__api-organization__org-1:assigned"
                .parse()
                .expect("scoped owner");
        assert_eq!(
            scoped,
            Entitlement::OrgRole(OrgRole::Predefined(OrgRoleName::Owner))
        );
    }

    #[test]
    fn bad_entitlements_say_why() {
        for (id, why) in [
            ("project:p", "expected"),
            ("project:p:admin", "owner, member or viewer"),
            ("widget:x:member", "unknown resource type"),
            ("group:g:owner", "`member`"),
            ("project_role:p:assigned", "<project_id>/<id>"),
            ("api_key:p/k:x", "no entitlements"),
        ] {
            let e = id.parse::<Entitlement>().expect_err(id).to_string();
            assert!(e.contains(why), "{id}: {e}");
        }
    }

    #[test]
    fn grant_ids_split_at_the_principal() {
        let g: GrantRef = "project_role:proj_1/role_9:assigned:service_account:proj_1/svc_1"
            .parse()
            .expect("grant");
        assert_eq!(
            g.principal,
            Principal::ServiceAccount {
                project: crate::ids::literal("proj_1"),
                account: crate::ids::literal("svc_1")
            }
        );
        assert_eq!(
            g.to_string(),
            "project_role:proj_1/role_9:assigned:service_account:proj_1/svc_1"
        );
        let g: GrantRef = "organization:org-1:member:user:user-a"
            .parse()
            .expect("org");
        assert_eq!(
            g.entitlement,
            Entitlement::OrgMember {
                org: crate::ids::literal("org-1")
            }
        );
        assert!("project:p:member:robot:r".parse::<GrantRef>().is_err());
        assert!("user:u".parse::<GrantRef>().is_err());
    }
}
