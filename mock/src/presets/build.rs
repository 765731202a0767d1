//! Constructors of the mock org's objects, shared by the fixtures and the generator.

use super::super::state::{
    ApiKey, Assigned, KeyOwner, Member, ProjectMember, ProjectState, UserRole, gen_id,
};
use super::DAY;
use openai_access_actors::api::models::{
    AdminApiKey, AdminApiKeyOwner, Group, Invite, InviteProject, Project, Role, ServiceAccount,
    User,
};
use openai_access_actors::ids::{
    ApiKeyId, GroupId, InviteId, ProjectId, RoleId, ServiceAccountId, UserId,
};

pub(crate) fn user(id: &str, name: Option<&str>, email: Option<&str>, role: &str, at: i64) -> User {
    User {
        object: Some("organization.user".into()),
        id: gen_id::<UserId>(id),
        name: name.map(Into::into),
        email: email.map(Into::into),
        role: Some(role.into()),
        added_at: Some(at),
        is_service_account: Some(false),
        is_scim_managed: Some(false),
        api_key_last_used_at: None,
    }
}

pub(crate) fn sa_user(id: &str, name: &str, at: i64) -> User {
    User {
        is_service_account: Some(true),
        ..user(id, Some(name), None, "reader", at)
    }
}

pub(crate) fn service_account(id: &str, name: &str, role: &str, at: i64) -> ServiceAccount {
    ServiceAccount {
        object: Some("organization.project.service_account".into()),
        id: gen_id::<ServiceAccountId>(id),
        name: Some(name.into()),
        role: Some(role.into()),
        created_at: Some(at),
    }
}

pub(crate) fn custom_role(id: &str, name: &str, resource: &str, permissions: &[&str]) -> Role {
    Role {
        object: Some("role".into()),
        id: gen_id::<RoleId>(id),
        name: Some(name.into()),
        description: Some(format!("{name} (custom role)")),
        permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        resource_type: Some(resource.into()),
        predefined_role: false,
    }
}

pub(crate) fn group(id: &str, name: &str, kind: &str, scim: bool, at: i64) -> Group {
    Group {
        object: None,
        id: gen_id::<GroupId>(id),
        name: Some(name.into()),
        created_at: Some(at),
        is_scim_managed: Some(scim),
        group_type: Some(kind.into()),
    }
}

pub(crate) fn project(id: &str, name: &str, at: i64, archived_at: Option<i64>) -> ProjectState {
    ProjectState {
        project: Project {
            object: Some("organization.project".into()),
            id: gen_id::<ProjectId>(id),
            name: Some(name.into()),
            created_at: Some(at),
            archived_at,
            status: Some(
                if archived_at.is_some() {
                    "archived"
                } else {
                    "active"
                }
                .into(),
            ),
        },
        users: Vec::new(),
        service_accounts: Vec::new(),
        api_keys: Vec::new(),
        roles: Vec::new(),
        groups: Vec::new(),
        user_roles: Vec::new(),
    }
}

pub(crate) fn invite(
    id: &str,
    email: &str,
    role: &str,
    status: &str,
    at: i64,
    projects: Vec<InviteProject>,
) -> Invite {
    Invite {
        object: Some("organization.invite".into()),
        id: gen_id::<InviteId>(id),
        email: Some(email.into()),
        role: Some(role.into()),
        status: Some(status.into()),
        created_at: Some(at),
        expires_at: Some(at + 7 * DAY),
        accepted_at: (status == "accepted").then_some(at + DAY),
        projects,
    }
}

pub(crate) fn member(id: &str, role: &str, at: i64) -> ProjectMember {
    ProjectMember {
        user_id: gen_id::<UserId>(id),
        role: role.into(),
        added_at: at,
    }
}

pub(crate) fn key(
    id: &str,
    owner: KeyOwner,
    active: bool,
    at: i64,
    last_used: Option<i64>,
) -> ApiKey {
    ApiKey {
        id: gen_id::<ApiKeyId>(id),
        name: format!("{id} key"),
        redacted_value: format!("sk-proj-...{}", &id[id.len().saturating_sub(4)..]),
        created_at: at,
        last_used_at: last_used,
        owner_project_access: if active { "active" } else { "inactive" }.into(),
        owner,
        usage: crate::usage::Activity::of_id(id),
    }
}

pub(crate) fn assigned_at(role: &str, at: i64) -> Assigned {
    Assigned {
        role_id: gen_id::<RoleId>(role),
        created_at: at,
    }
}

pub(crate) fn user_role(user: &str, role: &str, at: i64) -> UserRole {
    UserRole {
        user_id: gen_id::<UserId>(user),
        role_id: gen_id::<RoleId>(role),
        created_at: at,
    }
}

pub(crate) fn members(ids: &[&str], at: i64) -> Vec<Member> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| Member {
            user_id: gen_id::<UserId>(*id),
            added_at: at + i as i64 * 60,
        })
        .collect()
}

/// An admin key owned by user `owner`; its redacted value ends in its id's last 4 characters.
pub(crate) fn admin_key(
    id: &str,
    name: &str,
    owner: &str,
    owner_name: &str,
    at: i64,
) -> AdminApiKey {
    AdminApiKey {
        object: Some("organization.admin_api_key".into()),
        id: id.into(),
        name: Some(name.into()),
        redacted_value: Some(format!("sk-admin...{}", &id[id.len().saturating_sub(4)..])),
        created_at: Some(at),
        expires_at: None,
        last_used_at: Some(at + 3600),
        owner: Some(AdminApiKeyOwner {
            kind: Some("user".into()),
            object: Some("organization.user".into()),
            id: owner.into(),
            name: Some(owner_name.into()),
            created_at: Some(at),
            role: Some("owner".into()),
        }),
    }
}
