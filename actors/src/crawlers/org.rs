//! Org-level lists: the org's users, its invitations and its roles.
//!
//! | kind       | pages                           | facts                                   | work                          |
//! |------------|---------------------------------|-----------------------------------------|-------------------------------|
//! | `OrgUsers` | `GET /organization/users`       | `user`, `role:<owner/reader>:assigned`  | `KeyAccepted`, `User`         |
//! | `Invites`  | `GET /organization/invites`     | `invite`                                | —                             |
//! | `OrgRoles` | `GET /organization/roles`       | custom `role`s, the org id              | `OrgRolesKnown` (at the end)  |

use super::facts::{Profile, display_name, grant, org_key, resource};
use super::{Findings, ListKind, Org};
use crate::api::models::{Invite, Role, User};
use crate::api::{ApiError, Call, Endpoint};
use crate::baton::roles::{org_id_from_role_id, predefined_name, predefined_org_role};
use crate::baton::{ResourceKey, Slug};
use crate::graph::{AccountType, Origin, Traits, UserStatus};
use crate::messages::Work;

pub(crate) struct OrgUsers;
pub(crate) struct Invites;
pub(crate) struct OrgRoles;

impl ListKind for OrgUsers {
    type Item = User;
    type Scope = Org;
    type State = bool;
    const NAME: &'static str = "users";
    const LIST: Endpoint = Endpoint::ListUsers;

    fn request(_: &Org) -> Call {
        Call::users()
    }

    fn on_page(_: &Org, first_seen: &mut bool, items: Vec<User>, out: &mut Findings) {
        if !*first_seen {
            *first_seen = true;
            out.work.push(Work::KeyAccepted);
        }
        for u in items {
            // Service-account users are represented once, as `service_account`, from their project.
            if u.is_service_account() {
                continue;
            }
            let key = ResourceKey::user(&u.id);
            if let Some(role) = u
                .role
                .as_deref()
                .and_then(|r| predefined_name(r, None, false))
                .and_then(|r| predefined_org_role(&r))
            {
                out.grants.push(grant(
                    role.entitlement(Slug::Assigned),
                    key.clone(),
                    Origin::Direct,
                ));
            }
            let profile = Profile::default()
                .str("email", u.email.as_deref())
                .str("name", u.name.as_deref())
                .str("role", u.role.as_deref())
                .int("added_at", u.added_at)
                .bool("is_scim_managed", u.is_scim_managed)
                .int("api_key_last_used_at", u.api_key_last_used_at);
            let traits = Traits::User {
                emails: u.email.iter().cloned().collect(),
                status: UserStatus::Enabled,
                account_type: AccountType::Human,
                login: u.email.clone(),
                last_activity: u.api_key_last_used_at,
            };
            let name = display_name(&[u.name.as_deref(), u.email.as_deref()], u.id.as_str());
            out.resources
                .push(resource(key, None, name, profile, traits));
            out.work.push(Work::User(u.id));
        }
    }

    /// The user list proves the key; if it failed for another reason, crawl the rest anyway.
    fn on_failure(_: &Org, error: &ApiError, out: &mut Findings) {
        // The server answered and did not reject the key (a 403 or a 5xx on this list): the
        // rest of the org may still be readable. No answer at all, or a rejected key: nothing
        // else is tried.
        let answered = !matches!(error.root(), ApiError::Transport { .. });
        if answered && !error.is_unauthorized() {
            out.work.push(Work::KeyAccepted);
        }
    }
}

impl ListKind for Invites {
    type Item = Invite;
    type Scope = Org;
    type State = ();
    const NAME: &'static str = "invites";
    const LIST: Endpoint = Endpoint::ListInvites;

    fn request(_: &Org) -> Call {
        Call::invites()
    }

    fn on_page(_: &Org, _: &mut (), items: Vec<Invite>, out: &mut Findings) {
        for i in items {
            let projects: Vec<String> = i
                .projects
                .iter()
                .map(|p| format!("{}:{}", p.id, p.role.as_deref().unwrap_or("member")))
                .collect();
            let profile = Profile::default()
                .str("email", i.email.as_deref())
                .str("role", i.role.as_deref())
                .str("status", i.status.as_deref())
                .int("created_at", i.created_at)
                .int("expires_at", i.expires_at)
                .int("accepted_at", i.accepted_at)
                .str(
                    "projects",
                    (!projects.is_empty())
                        .then(|| projects.join(","))
                        .as_deref(),
                );
            // Only a pending invitation can still become access.
            let status = if i.status.as_deref() == Some("pending") {
                UserStatus::Enabled
            } else {
                UserStatus::Disabled
            };
            let traits = Traits::User {
                emails: i.email.iter().cloned().collect(),
                status,
                account_type: AccountType::Human,
                login: i.email.clone(),
                last_activity: None,
            };
            let name = display_name(&[i.email.as_deref()], i.id.as_str());
            out.resources.push(resource(
                ResourceKey::invite(&i.id),
                None,
                name,
                profile,
                traits,
            ));
        }
    }
}

impl ListKind for OrgRoles {
    type Item = Role;
    type Scope = Org;
    /// Saw a custom role.
    type State = bool;
    const NAME: &'static str = "org_roles";
    const LIST: Endpoint = Endpoint::ListOrgRoles;

    fn request(_: &Org) -> Call {
        Call::org_roles()
    }

    fn on_page(_: &Org, has_custom: &mut bool, items: Vec<Role>, out: &mut Findings) {
        for r in items {
            if predefined_name(r.id.as_str(), r.name.as_deref(), r.predefined_role).is_some() {
                if out.org_id.is_none() {
                    out.org_id = org_id_from_role_id(r.id.as_str()).and_then(|o| o.parse().ok());
                }
                continue;
            }
            *has_custom = true;
            let profile = Profile::default()
                .str("name", r.name.as_deref())
                .str("permissions", Some(r.permissions.join(",").as_str()))
                .str("resource_type", r.resource_type.as_deref());
            let name = display_name(&[r.name.as_deref()], r.id.as_str());
            let mut res = resource(
                ResourceKey::org_role(&r.id),
                Some(org_key()),
                name,
                profile,
                Traits::Role,
            );
            res.description = r.description.unwrap_or_default();
            out.resources.push(res);
        }
    }

    fn on_end(_: &Org, has_custom: bool, out: &mut Findings) {
        out.work.push(Work::OrgRolesKnown { has_custom });
    }

    /// Without the role list no one can say there are no custom roles: crawl conservatively.
    fn on_failure(_: &Org, _: &ApiError, out: &mut Findings) {
        out.work.push(Work::OrgRolesKnown { has_custom: true });
    }
}
