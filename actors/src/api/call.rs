//! One API call as data: its endpoint, concrete path, fixed query and JSON body. The client
//! executes exactly this, and a dry run prints exactly this, so what a dry run shows is what a
//! real run sends. Paths come only from [`Endpoint::path`] over checked ids.

use crate::endpoint::Endpoint;
use crate::ids::{GroupId, InviteId, ProjectId, RoleId, ServiceAccountId, UserId};
use serde::Serialize;
use serde::ser::SerializeStruct;
use std::fmt;

/// A call to make (or, in a dry run, that would be made). Never holds the key: it travels in a
/// header the client adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub endpoint: Endpoint,
    /// Relative to the base URL, e.g. `/organization/projects/proj_1/users`.
    pub path: String,
    /// Fixed query parameters (paging parameters are added per page by the client).
    pub query: Vec<(&'static str, String)>,
    pub body: Option<serde_json::Value>,
}

impl Call {
    /// A call to `endpoint` with the template's parameters, in order.
    pub fn new(endpoint: Endpoint, params: &[&dyn crate::ids::Segment]) -> Self {
        Self {
            endpoint,
            path: endpoint.path(params),
            query: Vec::new(),
            body: None,
        }
    }

    pub fn with_query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    /// With `body` as its JSON body (request structs serialise infallibly; a failure leaves
    /// the body out, which the API refuses loudly rather than acting on it).
    pub fn with_body(mut self, body: impl Serialize) -> Self {
        self.body = serde_json::to_value(body).ok();
        self
    }

    pub fn method(&self) -> &'static str {
        self.endpoint.method()
    }

    /// The path with its fixed query, as printed.
    pub fn target(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.query.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        format!("{}?{query}", self.path)
    }

    // ---- the lists the connector reads -----------------------------------------------------

    pub fn users() -> Self {
        Self::new(Endpoint::ListUsers, &[])
    }
    pub fn invites() -> Self {
        Self::new(Endpoint::ListInvites, &[])
    }
    /// Archived projects included: they are resources too, only their fan-out is skipped.
    pub fn projects() -> Self {
        Self::new(Endpoint::ListProjects, &[]).with_query("include_archived", "true")
    }
    pub fn org_roles() -> Self {
        Self::new(Endpoint::ListOrgRoles, &[])
    }
    pub fn groups() -> Self {
        Self::new(Endpoint::ListGroups, &[])
    }
    pub fn group_users(g: &GroupId) -> Self {
        Self::new(Endpoint::ListGroupUsers, &[g])
    }
    pub fn group_roles(g: &GroupId) -> Self {
        Self::new(Endpoint::ListGroupRoles, &[g])
    }
    pub fn user_roles(u: &UserId) -> Self {
        Self::new(Endpoint::ListUserRoles, &[u])
    }
    pub fn project_users(p: &ProjectId) -> Self {
        Self::new(Endpoint::ListProjectUsers, &[p])
    }
    pub fn project_service_accounts(p: &ProjectId) -> Self {
        Self::new(Endpoint::ListProjectServiceAccounts, &[p])
    }
    /// `owner_project_access=any`: without it the API hides some enabled keys (REFERENCE §5.11).
    pub fn project_api_keys(p: &ProjectId) -> Self {
        Self::new(Endpoint::ListProjectApiKeys, &[p]).with_query("owner_project_access", "any")
    }
    pub fn project_groups(p: &ProjectId) -> Self {
        Self::new(Endpoint::ListProjectGroups, &[p])
    }
    pub fn project_roles(p: &ProjectId) -> Self {
        Self::new(Endpoint::ListProjectRoles, &[p])
    }
    pub fn project_user_roles(p: &ProjectId, u: &UserId) -> Self {
        Self::new(Endpoint::ListProjectUserRoles, &[p, u])
    }
    pub fn project_group_roles(p: &ProjectId, g: &GroupId) -> Self {
        Self::new(Endpoint::ListProjectGroupRoles, &[p, g])
    }

    /// The audit log, newest first. No time filter: an incremental sync reads down to the
    /// entry just before its cursor, which proves the log continuous (see `incremental`).
    pub fn audit_logs() -> Self {
        Self::new(Endpoint::ListAuditLogs, &[])
    }

    // ---- single objects --------------------------------------------------------------------

    pub fn invite(i: &InviteId) -> Self {
        Self::new(Endpoint::RetrieveInvite, &[i])
    }
    pub fn user(u: &UserId) -> Self {
        Self::new(Endpoint::RetrieveUser, &[u])
    }
    pub fn project(p: &ProjectId) -> Self {
        Self::new(Endpoint::RetrieveProject, &[p])
    }
    pub fn project_user(p: &ProjectId, u: &UserId) -> Self {
        Self::new(Endpoint::RetrieveProjectUser, &[p, u])
    }
    pub fn project_group(p: &ProjectId, g: &GroupId) -> Self {
        Self::new(Endpoint::RetrieveProjectGroup, &[p, g])
    }
    pub fn project_service_account(p: &ProjectId, s: &ServiceAccountId) -> Self {
        Self::new(Endpoint::RetrieveProjectServiceAccount, &[p, s])
    }
    pub fn admin_api_keys() -> Self {
        Self::new(Endpoint::ListAdminApiKeys, &[])
    }
    pub fn group(g: &GroupId) -> Self {
        Self::new(Endpoint::RetrieveGroup, &[g])
    }
    pub fn group_user(g: &GroupId, u: &UserId) -> Self {
        Self::new(Endpoint::RetrieveGroupUser, &[g, u])
    }
    pub fn org_role(r: &RoleId) -> Self {
        Self::new(Endpoint::RetrieveOrgRole, &[r])
    }
    /// The org's users with this email (one page: emails are unique).
    pub fn users_with_email(email: &str) -> Self {
        Self::users().with_query("emails[]", email)
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method(), self.target())?;
        if let Some(b) = &self.body {
            write!(f, " {b}")?;
        }
        Ok(())
    }
}

/// `{method, path, body}`: the path with its query, as the JSON outputs show calls.
impl Serialize for Call {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Call", 3)?;
        st.serialize_field("method", self.method())?;
        st.serialize_field("path", &self.target())?;
        match &self.body {
            Some(b) => st.serialize_field("body", b)?,
            None => st.skip_field("body")?,
        }
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_print_as_they_are_sent() {
        let p = ProjectId::new("proj-1").expect("id");
        let u = UserId::new("user_2").expect("id");
        assert_eq!(
            Call::project_user_roles(&p, &u).to_string(),
            "GET /projects/proj-1/users/user_2/roles"
        );
        assert_eq!(
            Call::projects().to_string(),
            "GET /organization/projects?include_archived=true"
        );
        let body = Call::new(Endpoint::AddProjectUser, &[&p])
            .with_body(serde_json::json!({"user_id": "user_2", "role": "member"}));
        assert_eq!(
            body.to_string(),
            r#"POST /organization/projects/proj-1/users {"role":"member","user_id":"user_2"}"#
        );
        assert_eq!(
            serde_json::to_value(&body).expect("json"),
            serde_json::json!({"method": "POST", "path": "/organization/projects/proj-1/users", "body": {"role":"member","user_id":"user_2"}})
        );
    }
}
