//! Path -> `Endpoint` plus its path parameters, for the operations the connector uses.

use crate::endpoint::Endpoint;
use hyper::Method;

/// The path after `/v1/`, split on `/` and percent-decoded; `None` for a segment that is
/// empty, `.`, `..` or not UTF-8 once decoded (no route takes one).
pub fn segments(path: &str) -> Vec<Option<std::borrow::Cow<'_, str>>> {
    path.split('/')
        .map(|raw| {
            let s = percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .ok()?;
            (!s.is_empty() && s != "." && s != ".." && !s.contains('/')).then_some(s)
        })
        .collect()
}

/// Up to three path parameters, in template order (unused ones are empty).
pub type Params<'a> = [&'a str; 3];

/// Routes `segs` (the path after `/v1`, split on `/`) for `method`.
pub fn route<'a>(method: &Method, segs: &[&'a str]) -> Option<(Endpoint, Params<'a>)> {
    use Endpoint as E;
    let m = match *method {
        Method::GET => 0,
        Method::POST => 1,
        Method::DELETE => 2,
        _ => return None,
    };
    let found = match (m, segs) {
        (0, ["organization", "users"]) => (E::ListUsers, ["", "", ""]),
        (1, ["organization", "users", u]) => (E::ModifyUser, [*u, "", ""]),
        (2, ["organization", "users", u]) => (E::DeleteUser, [*u, "", ""]),
        (0, ["organization", "users", u, "roles"]) => (E::ListUserRoles, [*u, "", ""]),
        (1, ["organization", "users", u, "roles"]) => (E::AssignUserRole, [*u, "", ""]),
        (2, ["organization", "users", u, "roles", r]) => (E::UnassignUserRole, [*u, *r, ""]),
        (0, ["organization", "invites"]) => (E::ListInvites, ["", "", ""]),
        (1, ["organization", "invites"]) => (E::CreateInvite, ["", "", ""]),
        (0, ["organization", "invites", i]) => (E::RetrieveInvite, [*i, "", ""]),
        (2, ["organization", "invites", i]) => (E::DeleteInvite, [*i, "", ""]),
        (0, ["organization", "groups"]) => (E::ListGroups, ["", "", ""]),
        (0, ["organization", "groups", g, "users"]) => (E::ListGroupUsers, [*g, "", ""]),
        (1, ["organization", "groups", g, "users"]) => (E::AddGroupUser, [*g, "", ""]),
        (2, ["organization", "groups", g, "users", u]) => (E::RemoveGroupUser, [*g, *u, ""]),
        (0, ["organization", "groups", g, "roles"]) => (E::ListGroupRoles, [*g, "", ""]),
        (1, ["organization", "groups", g, "roles"]) => (E::AssignGroupRole, [*g, "", ""]),
        (2, ["organization", "groups", g, "roles", r]) => (E::UnassignGroupRole, [*g, *r, ""]),
        (0, ["organization", "roles"]) => (E::ListOrgRoles, ["", "", ""]),
        (0, ["organization", "projects"]) => (E::ListProjects, ["", "", ""]),
        (0, ["organization", "projects", p, "users"]) => (E::ListProjectUsers, [*p, "", ""]),
        (1, ["organization", "projects", p, "users"]) => (E::AddProjectUser, [*p, "", ""]),
        (1, ["organization", "projects", p, "users", u]) => (E::ModifyProjectUser, [*p, *u, ""]),
        (2, ["organization", "projects", p, "users", u]) => (E::RemoveProjectUser, [*p, *u, ""]),
        (0, ["organization", "projects", p, "service_accounts"]) => {
            (E::ListProjectServiceAccounts, [*p, "", ""])
        }
        (1, ["organization", "projects", p, "service_accounts", s]) => {
            (E::UpdateServiceAccount, [*p, *s, ""])
        }
        (0, ["organization", "projects", p, "api_keys"]) => (E::ListProjectApiKeys, [*p, "", ""]),
        (0, ["organization", "projects", p, "groups"]) => (E::ListProjectGroups, [*p, "", ""]),
        (1, ["organization", "projects", p, "groups"]) => (E::AddProjectGroup, [*p, "", ""]),
        (2, ["organization", "projects", p, "groups", g]) => (E::RemoveProjectGroup, [*p, *g, ""]),
        (0, ["projects", p, "roles"]) => (E::ListProjectRoles, [*p, "", ""]),
        (0, ["projects", p, "users", u, "roles"]) => (E::ListProjectUserRoles, [*p, *u, ""]),
        (1, ["projects", p, "users", u, "roles"]) => (E::AssignProjectUserRole, [*p, *u, ""]),
        (2, ["projects", p, "users", u, "roles", r]) => (E::UnassignProjectUserRole, [*p, *u, *r]),
        (0, ["projects", p, "groups", g, "roles"]) => (E::ListProjectGroupRoles, [*p, *g, ""]),
        (1, ["projects", p, "groups", g, "roles"]) => (E::AssignProjectGroupRole, [*p, *g, ""]),
        (2, ["projects", p, "groups", g, "roles", r]) => {
            (E::UnassignProjectGroupRole, [*p, *g, *r])
        }
        _ => return None,
    };
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_decoded_and_navigation_routes_nowhere() {
        let ok: Vec<_> = segments("organization/users/user%2Dbob")
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(ok, ["organization", "users", "user-bob"]);
        for bad in [
            "organization/users/..",
            "organization/users/%2e%2E",
            "organization//users",
            "organization/users/.",
            "organization/users/a%2Fb",
        ] {
            assert!(segments(bad).iter().any(Option::is_none), "{bad}");
        }
    }

    /// Every endpoint's own template routes back to it.
    #[test]
    fn every_template_routes_to_its_endpoint() {
        for e in Endpoint::ALL {
            let (method, path) = e.template().split_once(' ').unwrap_or_default();
            let method: Method = method.parse().unwrap_or(Method::PATCH);
            let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            let routed = route(&method, &segs).map(|(ep, _)| ep);
            assert_eq!(routed, Some(*e), "{}", e.template());
        }
    }
}
