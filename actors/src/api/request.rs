//! Requests by operation: one constructor per list endpoint the connector reads, so paths and
//! query parameters are written once.

use super::Endpoint;
use crate::ids::{GroupId, ProjectId, UserId};

/// A list to page through: the endpoint template, the concrete path and fixed query parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListRequest {
    pub endpoint: Endpoint,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
}

/// Percent-encodes one path segment; ids are opaque strings and must not change the path.
pub fn seg(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl ListRequest {
    fn new(endpoint: Endpoint, path: String) -> Self {
        Self {
            endpoint,
            path,
            query: Vec::new(),
        }
    }

    pub fn users() -> Self {
        Self::new(Endpoint::ListUsers, "/organization/users".into())
    }
    pub fn invites() -> Self {
        Self::new(Endpoint::ListInvites, "/organization/invites".into())
    }
    /// Archived projects included: they are resources too, only their fan-out is skipped.
    pub fn projects() -> Self {
        let mut r = Self::new(Endpoint::ListProjects, "/organization/projects".into());
        r.query.push(("include_archived", "true".into()));
        r
    }
    pub fn org_roles() -> Self {
        Self::new(Endpoint::ListOrgRoles, "/organization/roles".into())
    }
    pub fn groups() -> Self {
        Self::new(Endpoint::ListGroups, "/organization/groups".into())
    }
    pub fn group_users(g: &GroupId) -> Self {
        Self::new(
            Endpoint::ListGroupUsers,
            format!("/organization/groups/{}/users", seg(g.as_str())),
        )
    }
    pub fn group_roles(g: &GroupId) -> Self {
        Self::new(
            Endpoint::ListGroupRoles,
            format!("/organization/groups/{}/roles", seg(g.as_str())),
        )
    }
    pub fn user_roles(u: &UserId) -> Self {
        Self::new(
            Endpoint::ListUserRoles,
            format!("/organization/users/{}/roles", seg(u.as_str())),
        )
    }
    pub fn project_users(p: &ProjectId) -> Self {
        Self::new(
            Endpoint::ListProjectUsers,
            format!("/organization/projects/{}/users", seg(p.as_str())),
        )
    }
    pub fn project_service_accounts(p: &ProjectId) -> Self {
        Self::new(
            Endpoint::ListProjectServiceAccounts,
            format!(
                "/organization/projects/{}/service_accounts",
                seg(p.as_str())
            ),
        )
    }
    /// `owner_project_access=any`: without it the API hides some enabled keys (REFERENCE §5.11).
    pub fn project_api_keys(p: &ProjectId) -> Self {
        let mut r = Self::new(
            Endpoint::ListProjectApiKeys,
            format!("/organization/projects/{}/api_keys", seg(p.as_str())),
        );
        r.query.push(("owner_project_access", "any".into()));
        r
    }
    pub fn project_groups(p: &ProjectId) -> Self {
        Self::new(
            Endpoint::ListProjectGroups,
            format!("/organization/projects/{}/groups", seg(p.as_str())),
        )
    }
    pub fn project_roles(p: &ProjectId) -> Self {
        Self::new(
            Endpoint::ListProjectRoles,
            format!("/projects/{}/roles", seg(p.as_str())),
        )
    }
    pub fn project_user_roles(p: &ProjectId, u: &UserId) -> Self {
        Self::new(
            Endpoint::ListProjectUserRoles,
            format!(
                "/projects/{}/users/{}/roles",
                seg(p.as_str()),
                seg(u.as_str())
            ),
        )
    }
    pub fn project_group_roles(p: &ProjectId, g: &GroupId) -> Self {
        Self::new(
            Endpoint::ListProjectGroupRoles,
            format!(
                "/projects/{}/groups/{}/roles",
                seg(p.as_str()),
                seg(g.as_str())
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(seg("user-abc_1.x~"), "user-abc_1.x~");
        assert_eq!(seg("a/b c"), "a%2Fb%20c");
        assert_eq!(
            ListRequest::project_user_roles(&"p 1".into(), &"u/2".into()).path,
            "/projects/p%201/users/u%2F2/roles"
        );
    }
}
