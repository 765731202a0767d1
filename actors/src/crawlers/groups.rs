//! Groups: the group list, each group's members and its org roles.
//!
//! | kind           | pages                                     | facts                                 | work    |
//! |----------------|-------------------------------------------|---------------------------------------|---------|
//! | `Groups`       | `GET /organization/groups`                | `group`                               | `Group` |
//! | `GroupMembers` | `GET /organization/groups/{g}/users`      | `group:<g>:member` → user             | —       |
//! | `GroupRoles`   | `GET /organization/groups/{g}/roles`      | `role:<r>:assigned` → group           | —       |

use super::facts::{Profile, display_name, grant, org_key, resource};
use super::{Findings, ListKind};
use crate::api::models::{AssignedRole, Group, GroupUser};
use crate::api::{Call, Endpoint};
use crate::baton::roles::org_role_entitlement;
use crate::baton::{ResourceKey, Slug};
use crate::graph::{Origin, Traits};
use crate::ids::GroupId;
use crate::messages::Work;

pub(crate) struct Groups;
pub(crate) struct GroupMembers;
pub(crate) struct GroupRoles;

impl ListKind for Groups {
    type Item = Group;
    type Scope = super::Org;
    type State = ();
    const NAME: &'static str = "groups";
    const LIST: Endpoint = Endpoint::ListGroups;

    fn request(_: &super::Org) -> Call {
        Call::groups()
    }

    fn on_page(_: &super::Org, _: &mut (), items: Vec<Group>, out: &mut Findings) {
        for g in items {
            let profile = Profile::default()
                .str("name", g.name.as_deref())
                .str("group_type", g.group_type.as_deref())
                .bool("is_scim_managed", g.is_scim_managed)
                .int("created_at", g.created_at);
            let name = display_name(&[g.name.as_deref()], g.id.as_str());
            out.resources.push(resource(
                ResourceKey::group(&g.id),
                Some(org_key()),
                name,
                profile,
                Traits::Group,
            ));
            out.work.push(Work::Group(g.id));
        }
    }
}

impl ListKind for GroupMembers {
    type Item = GroupUser;
    type Scope = GroupId;
    type State = ();
    const NAME: &'static str = "group_members";
    const LIST: Endpoint = Endpoint::ListGroupUsers;

    fn request(g: &GroupId) -> Call {
        Call::group_users(g)
    }

    fn on_page(g: &GroupId, _: &mut (), items: Vec<GroupUser>, out: &mut Findings) {
        let entitlement = ResourceKey::group(g).entitlement(Slug::Member);
        for u in items {
            // Service-account members are folded onto their `service_account` when the graph finishes.
            out.grants.push(grant(
                entitlement.clone(),
                ResourceKey::user(&u.id),
                Origin::Direct,
            ));
        }
    }
}

impl ListKind for GroupRoles {
    type Item = AssignedRole;
    type Scope = GroupId;
    type State = ();
    const NAME: &'static str = "group_roles";
    const LIST: Endpoint = Endpoint::ListGroupRoles;

    fn request(g: &GroupId) -> Call {
        Call::group_roles(g)
    }

    fn on_page(g: &GroupId, _: &mut (), items: Vec<AssignedRole>, out: &mut Findings) {
        let principal = ResourceKey::group(g);
        for r in items {
            out.grants.push(grant(
                org_role_entitlement(r.naming()),
                principal.clone(),
                Origin::Direct,
            ));
        }
    }
}
