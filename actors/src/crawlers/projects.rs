//! Projects and their per-project lists: members, service accounts, API keys, groups, roles.
//!
//! | kind                     | pages                                               | facts                                        | work                  |
//! |--------------------------|-----------------------------------------------------|----------------------------------------------|-----------------------|
//! | `Projects`               | `GET /organization/projects?include_archived=true`  | `project`                                    | `Project`             |
//! | `ProjectUsers`           | `GET /organization/projects/{p}/users`              | `project:<p>:<role>` → user                  | `ProjectMember`       |
//! | `ProjectServiceAccounts` | `GET /organization/projects/{p}/service_accounts`   | `service_account`, `project:<p>:<role>` → it | —                     |
//! | `ProjectApiKeys`         | `GET /organization/projects/{p}/api_keys?owner_project_access=any` | `api_key` with its owner      | —                     |
//! | `ProjectGroups`          | `GET /organization/projects/{p}/groups`             | —                                            | `ProjectGroup`        |
//! | `ProjectRoles`           | `GET /projects/{p}/roles`                           | custom `project_role`s                       | `ProjectRolesKnown`   |

use super::facts::{Profile, display_name, grant, org_key, resource};
use super::{Findings, ListKind};
use crate::api::models::{Project, ProjectApiKey, ProjectGroup, ProjectUser, Role, ServiceAccount};
use crate::api::{ApiError, Call, Endpoint};
use crate::baton::roles::{predefined_name, project_slug};
use crate::baton::{ResourceId, ResourceKey, ResourceType, Slug};
use crate::graph::{AccountType, Origin, Traits, UserStatus};
use crate::ids::ProjectId;
use crate::messages::Work;

pub(crate) struct Projects;
pub(crate) struct ProjectUsers;
pub(crate) struct ProjectServiceAccounts;
pub(crate) struct ProjectApiKeys;
pub(crate) struct ProjectGroups;
pub(crate) struct ProjectRoles;

fn project_key(p: &ProjectId) -> ResourceKey {
    ResourceKey::project(p)
}

impl ListKind for Projects {
    type Item = Project;
    type Scope = super::Org;
    type State = ();
    const NAME: &'static str = "projects";
    const LIST: Endpoint = Endpoint::ListProjects;

    fn request(_: &super::Org) -> Call {
        Call::projects()
    }

    fn on_page(_: &super::Org, _: &mut (), items: Vec<Project>, out: &mut Findings) {
        for p in items {
            let archived = p.is_archived();
            let profile = Profile::default()
                .str("name", p.name.as_deref())
                .str("status", Some(if archived { "archived" } else { "active" }))
                .int("created_at", p.created_at)
                .int("archived_at", p.archived_at);
            let name = display_name(&[p.name.as_deref()], p.id.as_str());
            out.resources.push(resource(
                project_key(&p.id),
                Some(org_key()),
                name,
                profile,
                Traits::Group,
            ));
            out.work.push(Work::Project {
                project: p.id,
                archived,
            });
        }
    }
}

impl ListKind for ProjectUsers {
    type Item = ProjectUser;
    type Scope = ProjectId;
    type State = ();
    const NAME: &'static str = "project_users";
    const LIST: Endpoint = Endpoint::ListProjectUsers;

    fn request(p: &ProjectId) -> Call {
        Call::project_users(p)
    }

    fn on_page(p: &ProjectId, _: &mut (), items: Vec<ProjectUser>, out: &mut Findings) {
        let project = project_key(p);
        for u in items {
            match u.role.as_deref().and_then(project_slug) {
                Some(slug) => {
                    out.grants.push(grant(
                        project.entitlement(slug),
                        ResourceKey::user(&u.id),
                        Origin::Direct,
                    ));
                }
                None => {
                    tracing::warn!(project_id = %p, user_id = %u.id, role = ?u.role, "Unknown project role; no grant recorded.")
                }
            }
            out.work.push(Work::ProjectMember {
                project: p.clone(),
                user: u.id,
            });
        }
    }
}

impl ListKind for ProjectServiceAccounts {
    type Item = ServiceAccount;
    type Scope = ProjectId;
    type State = ();
    const NAME: &'static str = "service_accounts";
    const LIST: Endpoint = Endpoint::ListProjectServiceAccounts;

    fn request(p: &ProjectId) -> Call {
        Call::project_service_accounts(p)
    }

    fn on_page(p: &ProjectId, _: &mut (), items: Vec<ServiceAccount>, out: &mut Findings) {
        let project = project_key(p);
        for sa in items {
            let key = ResourceKey::service_account(p, &sa.id);
            // `none` (accounts created with create_service_account_only) holds no project role.
            if let Some(slug) = sa
                .role
                .as_deref()
                .and_then(project_slug)
                .filter(|s| *s != Slug::Viewer)
            {
                out.grants.push(grant(
                    project.entitlement(slug),
                    key.clone(),
                    Origin::Direct,
                ));
            }
            let profile = Profile::default()
                .str("name", sa.name.as_deref())
                .str("role", sa.role.as_deref())
                .str("service_account_id", Some(sa.id.as_str()))
                .int("created_at", sa.created_at);
            let traits = Traits::User {
                emails: Vec::new(),
                status: UserStatus::Enabled,
                account_type: AccountType::Service,
                login: None,
                last_activity: None,
            };
            let name = display_name(&[sa.name.as_deref()], sa.id.as_str());
            out.resources
                .push(resource(key, Some(project.clone()), name, profile, traits));
        }
    }
}

impl ListKind for ProjectApiKeys {
    type Item = ProjectApiKey;
    type Scope = ProjectId;
    type State = ();
    const NAME: &'static str = "api_keys";
    const LIST: Endpoint = Endpoint::ListProjectApiKeys;

    fn request(p: &ProjectId) -> Call {
        Call::project_api_keys(p)
    }

    fn on_page(p: &ProjectId, _: &mut (), items: Vec<ProjectApiKey>, out: &mut Findings) {
        let project = project_key(p);
        for k in items {
            let (owner_type, identity) = match (
                k.owner.kind.as_deref(),
                &k.owner.user,
                &k.owner.service_account,
            ) {
                (Some("service_account"), _, Some(sa)) | (None, None, Some(sa)) => (
                    "service_account",
                    Some(ResourceKey::new(
                        ResourceType::ServiceAccount,
                        ResourceId::scoped(p, &sa.id),
                    )),
                ),
                (_, Some(u), _) => (
                    "user",
                    Some(ResourceKey::new(ResourceType::User, ResourceId::of(&u.id))),
                ),
                _ => ("unknown", None),
            };
            let profile = Profile::default()
                .str("name", k.name.as_deref())
                .str("redacted_value", k.redacted_value.as_deref())
                .str("owner_project_access", k.owner_project_access.as_deref())
                .str("owner_type", Some(owner_type))
                .str("owner_id", identity.as_ref().map(|i| i.id.as_str()))
                .str("api_key_id", Some(k.id.as_str()))
                .int("created_at", k.created_at)
                .int("last_used_at", k.last_used_at)
                .int("expires_at", k.expires_at);
            let traits = Traits::Secret {
                identity,
                created_at: k.created_at,
                last_used_at: k.last_used_at,
                expires_at: k.expires_at,
            };
            let name = display_name(&[k.name.as_deref()], k.id.as_str());
            out.resources.push(resource(
                ResourceKey::api_key(p, &k.id),
                Some(project.clone()),
                name,
                profile,
                traits,
            ));
        }
    }
}

impl ListKind for ProjectGroups {
    type Item = ProjectGroup;
    type Scope = ProjectId;
    type State = ();
    const NAME: &'static str = "project_groups";
    const LIST: Endpoint = Endpoint::ListProjectGroups;

    fn request(p: &ProjectId) -> Call {
        Call::project_groups(p)
    }

    /// The grant's role is not in this object; the group's project role list says it.
    fn on_page(p: &ProjectId, _: &mut (), items: Vec<ProjectGroup>, out: &mut Findings) {
        for g in items {
            out.work.push(Work::ProjectGroup {
                project: p.clone(),
                group: g.group_id,
            });
        }
    }
}

impl ListKind for ProjectRoles {
    type Item = Role;
    type Scope = ProjectId;
    type State = bool;
    const NAME: &'static str = "project_roles";
    const LIST: Endpoint = Endpoint::ListProjectRoles;

    fn request(p: &ProjectId) -> Call {
        Call::project_roles(p)
    }

    fn on_page(p: &ProjectId, has_custom: &mut bool, items: Vec<Role>, out: &mut Findings) {
        let project = project_key(p);
        for r in items {
            if predefined_name(r.id.as_str(), r.name.as_deref(), r.predefined_role).is_some() {
                continue;
            }
            *has_custom = true;
            let profile = Profile::default()
                .str("name", r.name.as_deref())
                .str("permissions", Some(r.permissions.join(",").as_str()))
                .str("role_id", Some(r.id.as_str()));
            let name = display_name(&[r.name.as_deref()], r.id.as_str());
            let mut res = resource(
                ResourceKey::project_role(p, &r.id),
                Some(project.clone()),
                name,
                profile,
                Traits::Role,
            );
            res.description = r.description.unwrap_or_default();
            out.resources.push(res);
        }
    }

    fn on_end(p: &ProjectId, has_custom: bool, out: &mut Findings) {
        out.work.push(Work::ProjectRolesKnown {
            project: p.clone(),
            has_custom,
        });
    }

    /// Without the role list no one can say there are no custom roles: crawl conservatively.
    fn on_failure(p: &ProjectId, _: &ApiError, out: &mut Findings) {
        Self::on_end(p, true, out);
    }
}
