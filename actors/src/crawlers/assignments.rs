//! Role assignments per principal: a user's org roles, and a user's or a group's roles in a
//! project.
//!
//! | kind               | pages                                         | facts                                          |
//! |--------------------|-----------------------------------------------|------------------------------------------------|
//! | `UserRoles`        | `GET /organization/users/{u}/roles`           | `role:<r>:assigned` → user (direct / via group) |
//! | `ProjectUserRoles` | `GET /projects/{p}/users/{u}/roles`           | `project_role:<p>/<r>:assigned` or `project:<p>:<slug>` → user |
//! | `ProjectGroupRoles`| `GET /projects/{p}/groups/{g}/roles`          | the same → group                                |
//!
//! `assignment_sources` says where an assignment comes from: the principal itself (direct) or
//! a group (inherited through `group:<g>:member`).

use super::facts::{grant, origins};
use super::{Findings, InProject, ListKind};
use crate::api::models::AssignedRole;
use crate::api::{Call, Endpoint};
use crate::baton::EntitlementId;
use crate::baton::ResourceKey;
use crate::baton::roles::{org_role_entitlement, project_role_entitlement};
use crate::graph::Origin;
use crate::ids::{GroupId, UserId};

pub(crate) struct UserRoles;
pub(crate) struct ProjectUserRoles;
pub(crate) struct ProjectGroupRoles;

impl ListKind for UserRoles {
    type Item = AssignedRole;
    type Scope = UserId;
    type State = ();
    const NAME: &'static str = "user_roles";
    const LIST: Endpoint = Endpoint::ListUserRoles;

    fn request(u: &UserId) -> Call {
        Call::user_roles(u)
    }

    fn on_page(u: &UserId, _: &mut (), items: Vec<AssignedRole>, out: &mut Findings) {
        user_assignments(u, items, out, |r| org_role_entitlement(r.naming()));
    }
}

impl ListKind for ProjectUserRoles {
    type Item = AssignedRole;
    type Scope = InProject<UserId>;
    type State = ();
    const NAME: &'static str = "project_user_roles";
    const LIST: Endpoint = Endpoint::ListProjectUserRoles;

    fn request(s: &InProject<UserId>) -> Call {
        Call::project_user_roles(&s.project, &s.principal)
    }

    fn on_page(s: &InProject<UserId>, _: &mut (), items: Vec<AssignedRole>, out: &mut Findings) {
        user_assignments(&s.principal, items, out, |r| {
            project_role_entitlement(&s.project, r.naming())
        });
    }
}

impl ListKind for ProjectGroupRoles {
    type Item = AssignedRole;
    type Scope = InProject<GroupId>;
    type State = ();
    const NAME: &'static str = "project_group_roles";
    const LIST: Endpoint = Endpoint::ListProjectGroupRoles;

    fn request(s: &InProject<GroupId>) -> Call {
        Call::project_group_roles(&s.project, &s.principal)
    }

    fn on_page(s: &InProject<GroupId>, _: &mut (), items: Vec<AssignedRole>, out: &mut Findings) {
        let principal = ResourceKey::group(&s.principal);
        for r in items {
            out.grants.push(grant(
                project_role_entitlement(&s.project, r.naming()),
                principal.clone(),
                Origin::Direct,
            ));
        }
    }
}

/// A user's role assignments: one grant per origin `assignment_sources` names (direct, or
/// through each group).
fn user_assignments(
    user: &UserId,
    items: Vec<AssignedRole>,
    out: &mut Findings,
    entitlement_of: impl Fn(&AssignedRole) -> EntitlementId,
) {
    let principal = ResourceKey::user(user);
    for r in items {
        let entitlement = entitlement_of(&r);
        for origin in origins(user.as_str(), r.inherited_from()) {
            out.grants
                .push(grant(entitlement.clone(), principal.clone(), origin));
        }
    }
}
