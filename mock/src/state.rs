//! The mock's whole org: plain data with public fields, so tests can compute ground truth
//! with ordinary iterator code, plus the role-resolution rules the routes answer with.

use openai_access_actors::api::models::{
    AdminApiKey, AssignedRole, AssignmentSource, Group, Invite, Project, Role, ServiceAccount, User,
};
use openai_access_actors::ids::{ApiKeyId, GroupId, ProjectId, RoleId, ServiceAccountId, UserId};

/// Ids of the mock's own making are made of checked or fixed safe parts.
pub(super) use openai_access_actors::ids::literal as gen_id;
use serde::Serialize;

/// One organization, in creation order everywhere.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Org {
    pub org_id: String,
    /// Humans and service-account users (`is_service_account: true`, id = the service
    /// account's id), in creation order.
    pub users: Vec<User>,
    pub invites: Vec<Invite>,
    /// The two predefined org roles first, then the custom ones.
    pub org_roles: Vec<Role>,
    pub groups: Vec<GroupState>,
    /// Direct org role assignments to users (custom roles only).
    pub user_roles: Vec<UserRole>,
    pub projects: Vec<ProjectState>,
    /// Admin API keys; the first is the one the mock's clients run with (its redacted value is
    /// derived from the configured key when the server starts).
    pub admin_keys: Vec<AdminApiKey>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupState {
    pub group: Group,
    /// In the order they were added (the list endpoint defaults to newest first).
    pub members: Vec<Member>,
    /// Org roles assigned to the group, predefined or custom.
    pub roles: Vec<Assigned>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    pub user_id: UserId,
    pub added_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assigned {
    pub role_id: RoleId,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UserRole {
    pub user_id: UserId,
    pub role_id: RoleId,
    pub created_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProjectState {
    /// `status` is `active` or `archived`; `archived_at` is set when archived.
    pub project: Project,
    pub users: Vec<ProjectMember>,
    pub service_accounts: Vec<ServiceAccount>,
    pub api_keys: Vec<ApiKey>,
    /// Custom roles only; the three predefined ones are derived from the project id.
    pub roles: Vec<Role>,
    pub groups: Vec<ProjectGroupGrant>,
    /// Direct project role assignments to users (custom roles only).
    pub user_roles: Vec<UserRole>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProjectMember {
    pub user_id: UserId,
    /// `owner`, `member` or `viewer`.
    pub role: String,
    pub added_at: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    pub redacted_value: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// `active` or `inactive`.
    pub owner_project_access: String,
    pub owner: KeyOwner,
    /// How it is used, as the Usage API reports it (not part of any Admin API answer).
    pub usage: crate::usage::Activity,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum KeyOwner {
    User(UserId),
    ServiceAccount(ServiceAccountId),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProjectGroupGrant {
    pub group_id: GroupId,
    /// The project role (predefined or custom) the group was added with.
    pub role_id: RoleId,
    pub created_at: i64,
    /// Roles assigned to the group in the project after it was added.
    pub roles: Vec<Assigned>,
}

/// Counts of everything, for reports and for tests that size their expectations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OrgShape {
    /// Human users (service-account users not included).
    pub users: usize,
    pub service_account_users: usize,
    pub invites: usize,
    pub org_custom_roles: usize,
    pub groups: usize,
    pub group_memberships: usize,
    pub group_role_assignments: usize,
    pub user_role_assignments: usize,
    pub projects: usize,
    pub archived_projects: usize,
    pub project_memberships: usize,
    pub service_accounts: usize,
    pub api_keys: usize,
    pub custom_project_roles: usize,
    pub project_groups: usize,
    pub project_user_role_assignments: usize,
    /// Further roles on project groups, beyond the role each group was added with.
    pub project_group_role_assignments: usize,
}

pub(crate) const ORG_RESOURCE: &str = "api.organization";
pub(crate) const PROJECT_RESOURCE: &str = "api.project";

/// `role-api-organization-owner__api-organization__<org_id>` (kind: owner | reader).
pub fn org_role_id(kind: &str, org_id: &str) -> RoleId {
    gen_id(format!(
        "role-api-organization-{kind}__api-organization__{org_id}"
    ))
}

/// `role-api-project-member__api-project__<project_id>` (kind: owner | member | viewer).
pub fn project_role_id(kind: &str, project_id: &str) -> RoleId {
    gen_id(format!(
        "role-api-project-{kind}__api-project__{project_id}"
    ))
}

fn predefined(id: RoleId, name: &str, resource: &str, permissions: &[&str]) -> Role {
    Role {
        object: Some("role".into()),
        id,
        name: Some(name.into()),
        description: Some(format!("Predefined {name} role")),
        permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        resource_type: Some(resource.into()),
        predefined_role: true,
    }
}

pub fn predefined_org_roles(org_id: &str) -> [Role; 2] {
    [
        predefined(
            org_role_id("owner", org_id),
            "owner",
            ORG_RESOURCE,
            &["api.organization.read", "api.organization.write"],
        ),
        predefined(
            org_role_id("reader", org_id),
            "reader",
            ORG_RESOURCE,
            &["api.organization.read"],
        ),
    ]
}

pub fn predefined_project_roles(project_id: &str) -> [Role; 3] {
    [
        predefined(
            project_role_id("owner", project_id),
            "owner",
            PROJECT_RESOURCE,
            &["api.project.read", "api.project.write", "api.project.admin"],
        ),
        predefined(
            project_role_id("member", project_id),
            "member",
            PROJECT_RESOURCE,
            &["api.project.read", "api.project.write"],
        ),
        predefined(
            project_role_id("viewer", project_id),
            "viewer",
            PROJECT_RESOURCE,
            &["api.project.read"],
        ),
    ]
}

/// An `AssignedRoleDetails` for `role`, assigned at `at`, from `sources`.
pub(crate) fn assigned(
    role: &Role,
    at: Option<i64>,
    sources: Vec<AssignmentSource>,
) -> AssignedRole {
    AssignedRole {
        id: role.id.clone(),
        name: role.name.clone(),
        permissions: role.permissions.clone(),
        resource_type: role.resource_type.clone(),
        predefined_role: role.predefined_role,
        description: role.description.clone(),
        created_at: at,
        updated_at: at,
        created_by: None,
        assignment_sources: Some(sources),
    }
}

/// `id` is a checked id's text (a user's or a group's).
pub(crate) fn source(kind: &str, id: &str) -> AssignmentSource {
    AssignmentSource {
        principal_id: gen_id(id),
        principal_type: kind.to_owned(),
    }
}

impl ProjectState {
    pub fn id(&self) -> &ProjectId {
        &self.project.id
    }

    pub fn is_archived(&self) -> bool {
        self.project.is_archived()
    }

    pub fn member(&self, user: &UserId) -> Option<&ProjectMember> {
        self.users.iter().find(|m| &m.user_id == user)
    }

    pub fn grant(&self, group: &GroupId) -> Option<&ProjectGroupGrant> {
        self.groups.iter().find(|g| &g.group_id == group)
    }

    /// A project role by id (predefined or custom), owned.
    pub fn role(&self, id: &RoleId) -> Option<Role> {
        if let Some(r) = self.roles.iter().find(|r| &r.id == id) {
            return Some(r.clone());
        }
        predefined_project_roles(self.project.id.as_str())
            .into_iter()
            .find(|r| &r.id == id)
    }

    /// The roles of `/projects/{p}/groups/{g}/roles`: the role the group was added with, then
    /// the further ones.
    pub fn group_roles(&self, group: &GroupId) -> Vec<AssignedRole> {
        let Some(grant) = self.grant(group) else {
            return Vec::new();
        };
        let src = || vec![source("group", group.as_str())];
        let mut out = Vec::with_capacity(1 + grant.roles.len());
        if let Some(r) = self.role(&grant.role_id) {
            out.push(assigned(&r, Some(grant.created_at), src()));
        }
        for a in &grant.roles {
            if let Some(r) = self.role(&a.role_id) {
                out.push(assigned(&r, Some(a.created_at), src()));
            }
        }
        out
    }

    /// The custom roles of `/projects/{p}/users/{u}/roles`: direct assignments plus those
    /// inherited from the project's groups `user` belongs to (`in_group` answers membership).
    pub fn user_roles_with(
        &self,
        user: &UserId,
        in_group: impl Fn(&GroupId) -> bool,
    ) -> Vec<AssignedRole> {
        let mut out = Vec::new();
        let groups: Vec<&ProjectGroupGrant> = self
            .groups
            .iter()
            .filter(|g| in_group(&g.group_id))
            .collect();
        for role in &self.roles {
            let mut sources = Vec::new();
            let mut at = None;
            if let Some(d) = self
                .user_roles
                .iter()
                .find(|a| &a.user_id == user && a.role_id == role.id)
            {
                sources.push(source("user", user.as_str()));
                at = Some(d.created_at);
            }
            for g in &groups {
                let held = if g.role_id == role.id {
                    Some(g.created_at)
                } else {
                    g.roles
                        .iter()
                        .find(|a| a.role_id == role.id)
                        .map(|a| a.created_at)
                };
                if let Some(t) = held {
                    sources.push(source("group", g.group_id.as_str()));
                    at = at.or(Some(t));
                }
            }
            if !sources.is_empty() {
                out.push(assigned(role, at, sources));
            }
        }
        out
    }
}

impl Org {
    pub fn user(&self, id: &UserId) -> Option<&User> {
        self.users.iter().find(|u| &u.id == id)
    }

    pub fn group(&self, id: &GroupId) -> Option<&GroupState> {
        self.groups.iter().find(|g| &g.group.id == id)
    }

    pub fn project(&self, id: &ProjectId) -> Option<&ProjectState> {
        self.projects.iter().find(|p| p.id() == id)
    }

    pub fn org_role(&self, id: &RoleId) -> Option<&Role> {
        self.org_roles.iter().find(|r| &r.id == id)
    }

    /// Ground truth of `/organization/users/{u}/roles` (see `user_org_roles_with`).
    pub fn user_org_roles(&self, user: &UserId) -> Vec<AssignedRole> {
        let groups = self
            .groups
            .iter()
            .filter(|g| g.members.iter().any(|m| &m.user_id == user));
        self.user_org_roles_with(user, groups)
    }

    /// The user's custom org roles: direct assignments plus those inherited from `groups`
    /// (the groups the user is in), one entry per role with every source listed.
    pub fn user_org_roles_with<'a>(
        &'a self,
        user: &UserId,
        groups: impl Iterator<Item = &'a GroupState>,
    ) -> Vec<AssignedRole> {
        let groups: Vec<&GroupState> = groups.filter(|g| !g.roles.is_empty()).collect();
        let direct: Vec<&UserRole> = self
            .user_roles
            .iter()
            .filter(|a| &a.user_id == user)
            .collect();
        if groups.is_empty() && direct.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for role in self.org_roles.iter().filter(|r| !r.predefined_role) {
            let mut sources = Vec::new();
            let mut at = None;
            if let Some(d) = direct.iter().find(|a| a.role_id == role.id) {
                sources.push(source("user", user.as_str()));
                at = Some(d.created_at);
            }
            for g in &groups {
                if let Some(a) = g.roles.iter().find(|a| a.role_id == role.id) {
                    sources.push(source("group", g.group.id.as_str()));
                    at = at.or(Some(a.created_at));
                }
            }
            if !sources.is_empty() {
                out.push(assigned(role, at, sources));
            }
        }
        out
    }

    /// Ground truth of `/organization/groups/{g}/roles`: every org role assigned to the group.
    pub fn group_org_roles(&self, group: &GroupState) -> Vec<AssignedRole> {
        group
            .roles
            .iter()
            .filter_map(|a| {
                let r = self.org_role(&a.role_id)?;
                Some(assigned(
                    r,
                    Some(a.created_at),
                    vec![source("group", group.group.id.as_str())],
                ))
            })
            .collect()
    }

    /// Ground truth of `/projects/{p}/users/{u}/roles`.
    pub fn project_user_roles(&self, project: &ProjectState, user: &UserId) -> Vec<AssignedRole> {
        project.user_roles_with(user, |g| {
            self.group(g)
                .is_some_and(|g| g.members.iter().any(|m| &m.user_id == user))
        })
    }

    pub fn shape(&self) -> OrgShape {
        let sa_users = self.users.iter().filter(|u| u.is_service_account()).count();
        let mut s = OrgShape {
            users: self.users.len() - sa_users,
            service_account_users: sa_users,
            invites: self.invites.len(),
            org_custom_roles: self.org_roles.iter().filter(|r| !r.predefined_role).count(),
            groups: self.groups.len(),
            group_memberships: self.groups.iter().map(|g| g.members.len()).sum(),
            group_role_assignments: self.groups.iter().map(|g| g.roles.len()).sum(),
            user_role_assignments: self.user_roles.len(),
            projects: self.projects.len(),
            ..OrgShape::default()
        };
        for p in &self.projects {
            s.archived_projects += usize::from(p.is_archived());
            s.project_memberships += p.users.len();
            s.service_accounts += p.service_accounts.len();
            s.api_keys += p.api_keys.len();
            s.custom_project_roles += p.roles.len();
            s.project_groups += p.groups.len();
            s.project_user_role_assignments += p.user_roles.len();
            s.project_group_role_assignments +=
                p.groups.iter().map(|g| g.roles.len()).sum::<usize>();
        }
        s
    }
}
