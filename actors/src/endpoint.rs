//! The Admin API's operations: one definition each (method, path template, page style and
//! maximum page size) from which every path, every throttle key, every request counter and
//! every mock route is derived. On the ground floor: the client, the throttle and the mock all
//! use it, and none of them through another.

use crate::ids::Segment;
use serde::Serialize;
use std::fmt;

/// Which envelope a list endpoint answers with (REFERENCE §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PageStyle {
    /// `first_id` / `last_id` / `has_more`.
    A,
    /// `next` / `has_more`.
    B,
}

macro_rules! endpoints {
    ($($variant:ident => $method:literal $path:literal $(, list $style:ident $max:literal)?;)*) => {
        /// One operation of the Admin API, named by its method and path template.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum Endpoint { $($variant,)* }

        impl Endpoint {
            pub const ALL: &'static [Endpoint] = &[$(Endpoint::$variant,)*];

            /// `METHOD /path/{param}` as in the spec, e.g. `GET /organization/users/{user_id}/roles`.
            pub fn template(self) -> &'static str {
                match self { $(Endpoint::$variant => concat!($method, " ", $path),)* }
            }

            pub fn method(self) -> &'static str {
                match self { $(Endpoint::$variant => $method,)* }
            }

            /// The path template, e.g. `/organization/users/{user_id}/roles`.
            pub fn path_template(self) -> &'static str {
                match self { $(Endpoint::$variant => $path,)* }
            }

            /// Envelope and maximum `limit` for list endpoints; `None` for everything else.
            pub fn list(self) -> Option<(PageStyle, u32)> {
                match self {
                    $(Endpoint::$variant => endpoints!(@list $($style $max)?),)*
                }
            }
        }
    };
    (@list $style:ident $max:literal) => { Some((PageStyle::$style, $max)) };
    (@list) => { None };
}

endpoints! {
    ListUsers => "GET" "/organization/users", list A 100;
    ListInvites => "GET" "/organization/invites", list A 100;
    ListProjects => "GET" "/organization/projects", list A 100;
    ListProjectUsers => "GET" "/organization/projects/{project_id}/users", list A 100;
    ListProjectServiceAccounts => "GET" "/organization/projects/{project_id}/service_accounts", list A 100;
    ListProjectApiKeys => "GET" "/organization/projects/{project_id}/api_keys", list A 100;
    ListGroups => "GET" "/organization/groups", list B 1000;
    ListGroupUsers => "GET" "/organization/groups/{group_id}/users", list B 1000;
    ListGroupRoles => "GET" "/organization/groups/{group_id}/roles", list B 1000;
    ListUserRoles => "GET" "/organization/users/{user_id}/roles", list B 1000;
    ListOrgRoles => "GET" "/organization/roles", list B 1000;
    ListProjectRoles => "GET" "/projects/{project_id}/roles", list B 1000;
    ListProjectGroups => "GET" "/organization/projects/{project_id}/groups", list B 100;
    ListProjectUserRoles => "GET" "/projects/{project_id}/users/{user_id}/roles", list B 1000;
    ListProjectGroupRoles => "GET" "/projects/{project_id}/groups/{group_id}/roles", list B 1000;
    ListAuditLogs => "GET" "/organization/audit_logs", list A 100;
    ListAdminApiKeys => "GET" "/organization/admin_api_keys", list A 100;
    DeleteAdminApiKey => "DELETE" "/organization/admin_api_keys/{key_id}";
    RetrieveInvite => "GET" "/organization/invites/{invite_id}";
    RetrieveUser => "GET" "/organization/users/{user_id}";
    RetrieveProject => "GET" "/organization/projects/{project_id}";
    RetrieveProjectUser => "GET" "/organization/projects/{project_id}/users/{user_id}";
    RetrieveProjectGroup => "GET" "/organization/projects/{project_id}/groups/{group_id}";
    RetrieveProjectServiceAccount => "GET" "/organization/projects/{project_id}/service_accounts/{service_account_id}";
    RetrieveGroup => "GET" "/organization/groups/{group_id}";
    RetrieveGroupUser => "GET" "/organization/groups/{group_id}/users/{user_id}";
    RetrieveOrgRole => "GET" "/organization/roles/{role_id}";
    ModifyUser => "POST" "/organization/users/{user_id}";
    DeleteUser => "DELETE" "/organization/users/{user_id}";
    AssignUserRole => "POST" "/organization/users/{user_id}/roles";
    UnassignUserRole => "DELETE" "/organization/users/{user_id}/roles/{role_id}";
    AssignGroupRole => "POST" "/organization/groups/{group_id}/roles";
    UnassignGroupRole => "DELETE" "/organization/groups/{group_id}/roles/{role_id}";
    AddGroupUser => "POST" "/organization/groups/{group_id}/users";
    RemoveGroupUser => "DELETE" "/organization/groups/{group_id}/users/{user_id}";
    CreateInvite => "POST" "/organization/invites";
    DeleteInvite => "DELETE" "/organization/invites/{invite_id}";
    AddProjectUser => "POST" "/organization/projects/{project_id}/users";
    ModifyProjectUser => "POST" "/organization/projects/{project_id}/users/{user_id}";
    RemoveProjectUser => "DELETE" "/organization/projects/{project_id}/users/{user_id}";
    UpdateServiceAccount => "POST" "/organization/projects/{project_id}/service_accounts/{service_account_id}";
    AddProjectGroup => "POST" "/organization/projects/{project_id}/groups";
    RemoveProjectGroup => "DELETE" "/organization/projects/{project_id}/groups/{group_id}";
    AssignProjectUserRole => "POST" "/projects/{project_id}/users/{user_id}/roles";
    UnassignProjectUserRole => "DELETE" "/projects/{project_id}/users/{user_id}/roles/{role_id}";
    AssignProjectGroupRole => "POST" "/projects/{project_id}/groups/{group_id}/roles";
    UnassignProjectGroupRole => "DELETE" "/projects/{project_id}/groups/{group_id}/roles/{role_id}";
    CreateAdminApiKey => "POST" "/organization/admin_api_keys";
    RetrieveAdminApiKey => "GET" "/organization/admin_api_keys/{key_id}";
    CreateGroup => "POST" "/organization/groups";
    UpdateGroup => "POST" "/organization/groups/{group_id}";
    DeleteGroup => "DELETE" "/organization/groups/{group_id}";
    RetrieveGroupRole => "GET" "/organization/groups/{group_id}/roles/{role_id}";
    CreateProject => "POST" "/organization/projects";
    ModifyProject => "POST" "/organization/projects/{project_id}";
    ArchiveProject => "POST" "/organization/projects/{project_id}/archive";
    RetrieveProjectApiKey => "GET" "/organization/projects/{project_id}/api_keys/{api_key_id}";
    DeleteProjectApiKey => "DELETE" "/organization/projects/{project_id}/api_keys/{api_key_id}";
    CreateProjectServiceAccount => "POST" "/organization/projects/{project_id}/service_accounts";
    DeleteProjectServiceAccount => "DELETE" "/organization/projects/{project_id}/service_accounts/{service_account_id}";
    CreateServiceAccountApiKey => "POST" "/organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys";
    CreateOrgRole => "POST" "/organization/roles";
    UpdateOrgRole => "POST" "/organization/roles/{role_id}";
    DeleteOrgRole => "DELETE" "/organization/roles/{role_id}";
    RetrieveUserRole => "GET" "/organization/users/{user_id}/roles/{role_id}";
    RetrieveProjectGroupRole => "GET" "/projects/{project_id}/groups/{group_id}/roles/{role_id}";
    CreateProjectRole => "POST" "/projects/{project_id}/roles";
    RetrieveProjectRole => "GET" "/projects/{project_id}/roles/{role_id}";
    UpdateProjectRole => "POST" "/projects/{project_id}/roles/{role_id}";
    DeleteProjectRole => "DELETE" "/projects/{project_id}/roles/{role_id}";
    RetrieveProjectUserRole => "GET" "/projects/{project_id}/users/{user_id}/roles/{role_id}";
    // The Usage API (`openapi-usage.yaml`): time buckets paged by `page` / `next_page`, not a
    // list of the two envelopes above, so none is declared `list` (see `crate::usage`).
    UsageCompletions => "GET" "/organization/usage/completions";
    UsageEmbeddings => "GET" "/organization/usage/embeddings";
    UsageImages => "GET" "/organization/usage/images";
    UsageAudioSpeeches => "GET" "/organization/usage/audio_speeches";
    UsageAudioTranscriptions => "GET" "/organization/usage/audio_transcriptions";
    UsageModerations => "GET" "/organization/usage/moderations";
    UsageVectorStores => "GET" "/organization/usage/vector_stores";
    UsageCodeInterpreterSessions => "GET" "/organization/usage/code_interpreter_sessions";
    UsageFileSearchCalls => "GET" "/organization/usage/file_search_calls";
    UsageWebSearchCalls => "GET" "/organization/usage/web_search_calls";
}

impl Endpoint {
    pub fn is_mutation(self) -> bool {
        self.method() != "GET"
    }

    /// An endpoint of the Usage API (time buckets, read after the grant lists).
    pub fn is_usage(self) -> bool {
        self.path_template().starts_with("/organization/usage/")
    }

    /// The concrete path: each `{param}` of the template replaced by the next of `params`, in
    /// order. Segments are checked ids, so they need no encoding and cannot be `.` or `..`.
    /// Callers pass exactly the template's parameters (the typed constructors in
    /// `api::call` do); a missing one leaves an empty segment, which no route matches.
    pub fn path(self, params: &[&dyn Segment]) -> String {
        let template = self.path_template();
        let mut out = String::with_capacity(template.len() + 48);
        let mut params = params.iter();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            if let Some(p) = params.next() {
                out.push_str(p.segment());
            }
            rest = rest[open..].find('}').map_or("", |c| &rest[open + c + 1..]);
        }
        out.push_str(rest);
        out
    }

    /// How many `{param}`s the template has.
    pub fn arity(self) -> usize {
        self.path_template().matches('{').count()
    }

    /// Parses `METHOD /path/{param}` back, for reports and the mock's stats endpoint.
    pub fn from_template(s: &str) -> Option<Endpoint> {
        Endpoint::ALL.iter().copied().find(|e| e.template() == s)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.template())
    }
}

/// Serializes an endpoint as its template, the name people read in outputs.
pub fn as_template<S: serde::Serializer>(e: &Endpoint, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(e.template())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_round_trip_and_are_unique() {
        for e in Endpoint::ALL {
            assert_eq!(Endpoint::from_template(e.template()), Some(*e));
        }
        let mut t: Vec<_> = Endpoint::ALL.iter().map(|e| e.template()).collect();
        t.sort();
        t.dedup();
        assert_eq!(t.len(), Endpoint::ALL.len());
    }

    #[test]
    fn paths_fill_the_template_in_order() {
        let (p, u) = (
            crate::ids::ProjectId::new("p-1").expect("id"),
            crate::ids::UserId::new("u_2").expect("id"),
        );
        assert_eq!(
            Endpoint::ListProjectUserRoles.path(&[&p, &u]),
            "/projects/p-1/users/u_2/roles"
        );
        assert_eq!(Endpoint::ListUsers.path(&[]), "/organization/users");
        assert_eq!(Endpoint::UnassignProjectGroupRole.arity(), 3);
    }

    #[test]
    fn list_limits_follow_the_spec() {
        assert_eq!(
            Endpoint::ListProjectGroups.list(),
            Some((PageStyle::B, 100))
        );
        assert_eq!(Endpoint::ListUsers.list(), Some((PageStyle::A, 100)));
        assert_eq!(Endpoint::ListOrgRoles.list(), Some((PageStyle::B, 1000)));
        assert_eq!(Endpoint::DeleteUser.list(), None);
    }
}
