//! The mutations the provisioner makes, as data. Each becomes one [`Call`] in one place, so
//! what a dry run prints is, by construction, what a real run sends.

use crate::api::Call;
use crate::api::models::{
    InviteCreate, ProjectGroupCreate, ProjectUserCreate, RoleIdBody, RoleUpdate, UserIdBody,
};
use crate::endpoint::Endpoint as E;
use crate::ids::{AdminApiKeyId, GroupId, InviteId, ProjectId, RoleId, ServiceAccountId, UserId};

/// A write the provisioner decided to make.
#[derive(Clone, Debug, PartialEq)]
pub enum Mutation {
    SetOrgRole {
        user: UserId,
        role: &'static str,
    },
    DeleteUser {
        user: UserId,
    },
    AssignUserRole {
        user: UserId,
        role: RoleId,
    },
    UnassignUserRole {
        user: UserId,
        role: RoleId,
    },
    AssignGroupRole {
        group: GroupId,
        role: RoleId,
    },
    UnassignGroupRole {
        group: GroupId,
        role: RoleId,
    },
    AddGroupUser {
        group: GroupId,
        user: UserId,
    },
    RemoveGroupUser {
        group: GroupId,
        user: UserId,
    },
    CreateInvite(InviteCreate),
    DeleteInvite {
        invite: InviteId,
    },
    DeleteAdminKey {
        key: AdminApiKeyId,
    },
    AddProjectUser {
        project: ProjectId,
        user: UserId,
        role: &'static str,
    },
    ModifyProjectUser {
        project: ProjectId,
        user: UserId,
        role: &'static str,
    },
    RemoveProjectUser {
        project: ProjectId,
        user: UserId,
    },
    SetServiceAccountRole {
        project: ProjectId,
        account: ServiceAccountId,
        role: &'static str,
    },
    AddProjectGroup {
        project: ProjectId,
        group: GroupId,
        role: RoleId,
    },
    RemoveProjectGroup {
        project: ProjectId,
        group: GroupId,
    },
    AssignProjectUserRole {
        project: ProjectId,
        user: UserId,
        role: RoleId,
    },
    UnassignProjectUserRole {
        project: ProjectId,
        user: UserId,
        role: RoleId,
    },
    AssignProjectGroupRole {
        project: ProjectId,
        group: GroupId,
        role: RoleId,
    },
    UnassignProjectGroupRole {
        project: ProjectId,
        group: GroupId,
        role: RoleId,
    },
}

fn role(role: &str) -> RoleUpdate {
    RoleUpdate {
        role: role.to_owned(),
    }
}

fn role_id(role: &RoleId) -> RoleIdBody {
    RoleIdBody {
        role_id: role.clone(),
    }
}

impl Mutation {
    /// The call this mutation is: endpoint, path from the endpoint's template, JSON body from
    /// the request structs of the API's models.
    pub fn call(&self) -> Call {
        use Mutation::*;
        match self {
            SetOrgRole { user, role: r } => Call::new(E::ModifyUser, &[user]).with_body(role(r)),
            DeleteUser { user } => Call::new(E::DeleteUser, &[user]),
            AssignUserRole { user, role } => {
                Call::new(E::AssignUserRole, &[user]).with_body(role_id(role))
            }
            UnassignUserRole { user, role } => Call::new(E::UnassignUserRole, &[user, role]),
            AssignGroupRole { group, role } => {
                Call::new(E::AssignGroupRole, &[group]).with_body(role_id(role))
            }
            UnassignGroupRole { group, role } => Call::new(E::UnassignGroupRole, &[group, role]),
            AddGroupUser { group, user } => {
                Call::new(E::AddGroupUser, &[group]).with_body(UserIdBody {
                    user_id: user.clone(),
                })
            }
            RemoveGroupUser { group, user } => Call::new(E::RemoveGroupUser, &[group, user]),
            CreateInvite(invite) => Call::new(E::CreateInvite, &[]).with_body(invite),
            DeleteInvite { invite } => Call::new(E::DeleteInvite, &[invite]),
            DeleteAdminKey { key } => Call::new(E::DeleteAdminApiKey, &[key]),
            AddProjectUser {
                project,
                user,
                role,
            } => Call::new(E::AddProjectUser, &[project]).with_body(ProjectUserCreate {
                user_id: user.clone(),
                role: (*role).to_owned(),
            }),
            ModifyProjectUser {
                project,
                user,
                role: r,
            } => Call::new(E::ModifyProjectUser, &[project, user]).with_body(role(r)),
            RemoveProjectUser { project, user } => {
                Call::new(E::RemoveProjectUser, &[project, user])
            }
            SetServiceAccountRole {
                project,
                account,
                role: r,
            } => Call::new(E::UpdateServiceAccount, &[project, account]).with_body(role(r)),
            AddProjectGroup {
                project,
                group,
                role,
            } => Call::new(E::AddProjectGroup, &[project]).with_body(ProjectGroupCreate {
                group_id: group.clone(),
                role: role.clone(),
            }),
            RemoveProjectGroup { project, group } => {
                Call::new(E::RemoveProjectGroup, &[project, group])
            }
            AssignProjectUserRole {
                project,
                user,
                role,
            } => Call::new(E::AssignProjectUserRole, &[project, user]).with_body(role_id(role)),
            UnassignProjectUserRole {
                project,
                user,
                role,
            } => Call::new(E::UnassignProjectUserRole, &[project, user, role]),
            AssignProjectGroupRole {
                project,
                group,
                role,
            } => Call::new(E::AssignProjectGroupRole, &[project, group]).with_body(role_id(role)),
            UnassignProjectGroupRole {
                project,
                group,
                role,
            } => Call::new(E::UnassignProjectGroupRole, &[project, group, role]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ids::literal as id;

    #[test]
    fn mutations_fill_the_endpoint_templates() {
        let m = Mutation::UnassignProjectGroupRole {
            project: id("proj-1"),
            group: id("grp-eng"),
            role: id("role_x"),
        };
        assert_eq!(
            m.call().to_string(),
            "DELETE /projects/proj-1/groups/grp-eng/roles/role_x"
        );
        let m = Mutation::AddProjectUser {
            project: id("proj-alpha"),
            user: id("user-dave"),
            role: "member",
        };
        assert_eq!(
            m.call().to_string(),
            r#"POST /organization/projects/proj-alpha/users {"role":"member","user_id":"user-dave"}"#
        );
        let invite = Mutation::CreateInvite(InviteCreate {
            email: "a@b.example".into(),
            role: "reader".into(),
            projects: vec![],
        });
        assert_eq!(
            invite.call().to_string(),
            r#"POST /organization/invites {"email":"a@b.example","projects":[],"role":"reader"}"#
        );
    }

    #[test]
    fn every_mutation_fills_every_parameter_of_its_template() {
        let (p, u, g, r): (ProjectId, UserId, GroupId, RoleId) =
            (id("p"), id("u"), id("g"), id("r"));
        let all = [
            Mutation::SetOrgRole {
                user: u.clone(),
                role: "owner",
            },
            Mutation::DeleteUser { user: u.clone() },
            Mutation::UnassignUserRole {
                user: u.clone(),
                role: r.clone(),
            },
            Mutation::UnassignGroupRole {
                group: g.clone(),
                role: r.clone(),
            },
            Mutation::RemoveGroupUser {
                group: g.clone(),
                user: u.clone(),
            },
            Mutation::DeleteInvite { invite: id("i") },
            Mutation::ModifyProjectUser {
                project: p.clone(),
                user: u.clone(),
                role: "owner",
            },
            Mutation::SetServiceAccountRole {
                project: p.clone(),
                account: id("s"),
                role: "member",
            },
            Mutation::RemoveProjectGroup {
                project: p.clone(),
                group: g.clone(),
            },
            Mutation::UnassignProjectUserRole {
                project: p.clone(),
                user: u.clone(),
                role: r.clone(),
            },
            Mutation::UnassignProjectGroupRole {
                project: p,
                group: g,
                role: r,
            },
        ];
        for m in all {
            let c = m.call();
            assert!(!c.path.contains("//") && !c.path.ends_with('/'), "{c}");
            assert_eq!(
                c.path.split('/').count() - 1,
                c.endpoint.path_template().split('/').count() - 1,
                "{c}"
            );
        }
    }
}
