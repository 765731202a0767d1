//! What a provisioning request names, parsed from Baton ids (DESIGN §4): entitlements
//! `<resource_type>:<resource_id>:<slug>`, principals `<type>:<id>` and grants
//! `<entitlement id>:<principal_type>:<principal_id>`.

use super::ProvisionError;
use crate::crawlers::roles::predefined_name;
use crate::graph::ResourceType;
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
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "owner" => Ok(OrgRoleName::Owner),
            "reader" => Ok(OrgRoleName::Reader),
            other => Err(format!(
                "{other:?} is not an organization role: expected owner or reader"
            )),
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

/// A grant id split into what is held and who holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantRef {
    pub entitlement: Entitlement,
    pub principal: Principal,
}

fn invalid(kind: &'static str, id: &str, reason: impl Into<String>) -> ProvisionError {
    ProvisionError::InvalidId {
        kind,
        id: id.to_owned(),
        reason: reason.into(),
    }
}

/// One id of a request, checked (see `ids`): a bad one is refused before any request is made.
fn id<T: FromStr<Err = UnsafeId>>(
    kind: &'static str,
    whole: &str,
    id: &str,
) -> Result<T, ProvisionError> {
    id.parse()
        .map_err(|e: UnsafeId| invalid(kind, whole, e.to_string()))
}

/// `<project_id>/<rest>`, both checked ids.
fn split_project<A, B>(
    kind: &'static str,
    whole: &str,
    both: &str,
) -> Result<(A, B), ProvisionError>
where
    A: FromStr<Err = UnsafeId>,
    B: FromStr<Err = UnsafeId>,
{
    match both.split_once('/') {
        Some((p, r)) => Ok((id(kind, whole, p)?, id(kind, whole, r)?)),
        _ => Err(invalid(
            kind,
            whole,
            format!("expected <project_id>/<id>, got {both:?}"),
        )),
    }
}

impl FromStr for Entitlement {
    type Err = ProvisionError;

    fn from_str(s: &str) -> Result<Self, ProvisionError> {
        const KIND: &str = "entitlement id";
        let (ty, rest) = s.split_once(':').ok_or_else(|| {
            invalid(
                KIND,
                s,
                "expected <resource_type>:<resource_id>:<slug>, e.g. project:proj_1:member",
            )
        })?;
        let (rid, slug) = rest
            .rsplit_once(':')
            .filter(|(rid, slug)| !rid.is_empty() && !slug.is_empty())
            .ok_or_else(|| invalid(KIND, s, "expected <resource_type>:<resource_id>:<slug>"))?;
        let ty = ResourceType::parse(ty)
            .ok_or_else(|| invalid(KIND, s, format!("unknown resource type {ty:?}")))?;
        let expect_slug = |want: &str| {
            if slug == want {
                Ok(())
            } else {
                Err(invalid(
                    KIND,
                    s,
                    format!("{ty} entitlements are `{want}`, not {slug:?}"),
                ))
            }
        };
        match ty {
            ResourceType::Organization => {
                expect_slug("member")?;
                Ok(Entitlement::OrgMember {
                    org: id(KIND, s, rid)?,
                })
            }
            ResourceType::Role => {
                expect_slug("assigned")?;
                let role = match predefined_name(rid, None, false).as_deref() {
                    Some("owner") => OrgRole::Predefined(OrgRoleName::Owner),
                    Some("reader") => OrgRole::Predefined(OrgRoleName::Reader),
                    Some(other) => {
                        return Err(invalid(
                            KIND,
                            s,
                            format!(
                                "{other:?} is a project role; org roles are owner, reader or a custom org role id"
                            ),
                        ));
                    }
                    None => OrgRole::Custom(id(KIND, s, rid)?),
                };
                Ok(Entitlement::OrgRole(role))
            }
            ResourceType::Project => {
                let slug = ProjectSlug::parse(slug).ok_or_else(|| {
                    invalid(
                        KIND,
                        s,
                        format!("project entitlements are owner, member or viewer, not {slug:?}"),
                    )
                })?;
                Ok(Entitlement::Project {
                    project: id(KIND, s, rid)?,
                    slug,
                })
            }
            ResourceType::ProjectRole => {
                expect_slug("assigned")?;
                let (project, role) = split_project(KIND, s, rid)?;
                Ok(Entitlement::ProjectRole { project, role })
            }
            ResourceType::Group => {
                expect_slug("member")?;
                Ok(Entitlement::GroupMember {
                    group: id(KIND, s, rid)?,
                })
            }
            other => Err(invalid(
                KIND,
                s,
                format!("{other} resources offer no entitlements to provision"),
            )),
        }
    }
}

impl FromStr for Principal {
    type Err = ProvisionError;

    fn from_str(s: &str) -> Result<Self, ProvisionError> {
        const KIND: &str = "principal";
        let (ty, id) = s
            .split_once(':')
            .filter(|(_, id)| !id.is_empty())
            .ok_or_else(|| invalid(KIND, s, "expected TYPE:ID, e.g. user:user-abc, group:grp_1 or service_account:proj_1/svc_1"))?;
        match ResourceType::parse(ty) {
            Some(ResourceType::User) => Ok(Principal::User(self::id(KIND, s, id)?)),
            Some(ResourceType::Group) => Ok(Principal::Group(self::id(KIND, s, id)?)),
            Some(ResourceType::ServiceAccount) => {
                let (project, account) = split_project(KIND, s, id)?;
                Ok(Principal::ServiceAccount { project, account })
            }
            Some(ResourceType::Invite) => Ok(Principal::Invite(self::id(KIND, s, id)?)),
            _ => Err(invalid(
                KIND,
                s,
                format!("{ty:?} is not a principal type: expected user, group or service_account"),
            )),
        }
    }
}

impl FromStr for GrantRef {
    type Err = ProvisionError;

    fn from_str(s: &str) -> Result<Self, ProvisionError> {
        const KIND: &str = "grant id";
        // Ids never contain `:` in practice; the principal is the last two fields.
        let mut parts = s.rsplitn(3, ':');
        let (Some(pid), Some(pty), Some(ent)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid(
                KIND,
                s,
                "expected <entitlement id>:<principal_type>:<principal_id>, e.g. project:proj_1:member:user:user-abc",
            ));
        };
        let wrap = |e: ProvisionError| match e {
            ProvisionError::InvalidId { reason, .. } => invalid(KIND, s, reason),
            other => other,
        };
        Ok(GrantRef {
            entitlement: ent.parse().map_err(wrap)?,
            principal: format!("{pty}:{pid}").parse().map_err(wrap)?,
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
