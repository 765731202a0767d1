//! Groups: `GroupCrawler`, `GroupMemberCrawler`, `GroupRoleCrawler`.
//!
//! | kind           | pages                                     | facts                                 | work    |
//! |----------------|-------------------------------------------|---------------------------------------|---------|
//! | `Groups`       | `GET /organization/groups`                | `group`                               | `Group` |
//! | `GroupMembers` | `GET /organization/groups/{g}/users`      | `group:<g>:member` → user             | —       |
//! | `GroupRoles`   | `GET /organization/groups/{g}/roles`      | `role:<r>:assigned` → group           | —       |

use super::facts::{Profile, display_name, grant, org_key, resource};
use super::roles::org_role_entitlement;
use super::{Findings, ListKind};
use crate::api::Call;
use crate::api::models::{AssignedRole, Group, GroupUser};
use crate::graph::{Origin, ResourceKey, ResourceType, Traits};
use crate::ids::GroupId;
use crate::messages::Work;

pub struct Groups;
pub struct GroupMembers;
pub struct GroupRoles;

impl ListKind for Groups {
    type Item = Group;
    type Scope = super::org::Org;
    type State = ();
    const NAME: &'static str = "groups";

    fn request(_: &super::org::Org) -> Call {
        Call::groups()
    }

    fn on_page(_: &super::org::Org, _: &mut (), items: Vec<Group>, out: &mut Findings) {
        for g in items {
            let profile = Profile::default()
                .str("name", g.name.as_deref())
                .str("group_type", g.group_type.as_deref())
                .bool("is_scim_managed", g.is_scim_managed)
                .int("created_at", g.created_at);
            let name = display_name(&[g.name.as_deref()], g.id.as_str());
            out.resources.push(resource(
                ResourceType::Group,
                g.id.as_str(),
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

    fn request(g: &GroupId) -> Call {
        Call::group_users(g)
    }

    fn on_page(g: &GroupId, _: &mut (), items: Vec<GroupUser>, out: &mut Findings) {
        let group = ResourceKey::new(ResourceType::Group, g.as_str());
        let entitlement = group.entitlement_id("member");
        for u in items {
            // Service-account members are folded onto their `service_account` when the graph finishes.
            let principal = ResourceKey::new(ResourceType::User, u.id.as_str());
            out.grants.push(grant(
                entitlement.clone(),
                group.clone(),
                principal,
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

    fn request(g: &GroupId) -> Call {
        Call::group_roles(g)
    }

    fn on_page(g: &GroupId, _: &mut (), items: Vec<AssignedRole>, out: &mut Findings) {
        let principal = ResourceKey::new(ResourceType::Group, g.as_str());
        for r in items {
            let (entitlement, resource) = org_role_entitlement(&r);
            out.grants.push(grant(
                entitlement,
                resource,
                principal.clone(),
                Origin::Direct,
            ));
        }
    }
}
