//! Typed models of the Admin API objects the connector reads or writes (REFERENCE §4).
//!
//! Reading is tolerant on purpose (REFERENCE §8 "Oddities"): every field the spec does not
//! require is optional, nulls are accepted wherever the spec allows them, unknown fields are
//! ignored, and `object` is never required. The same structs serialise the mock's answers, so
//! `skip_serializing_if` keeps absent fields absent instead of writing `null`s the spec forbids.

use crate::ids::{
    ApiKeyId, GroupId, InviteId, PrincipalId, ProjectId, RoleId, ServiceAccountId, UserId,
};
use serde::{Deserialize, Serialize};

/// `organization.user`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: UserId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Legacy org role: `owner` or `reader` (free string in the spec).
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub added_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_service_account: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_scim_managed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_last_used_at: Option<i64>,
}

impl User {
    pub fn is_service_account(&self) -> bool {
        self.is_service_account.unwrap_or(false)
    }
}

/// `organization.invite`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Invite {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: InviteId,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    /// `accepted`, `expired` or `pending`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub accepted_at: Option<i64>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub projects: Vec<InviteProject>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InviteProject {
    pub id: ProjectId,
    #[serde(default)]
    pub role: Option<String>,
}

/// `organization.project`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Project {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: ProjectId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub archived_at: Option<i64>,
    /// `active` or `archived` (free string, nullable).
    #[serde(default)]
    pub status: Option<String>,
}

impl Project {
    /// Archived when the status says so or an archive time is set; the spec leaves both nullable.
    pub fn is_archived(&self) -> bool {
        self.status.as_deref() == Some("archived") || self.archived_at.is_some()
    }
}

/// `organization.project.user`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: UserId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// `owner`, `member` or `viewer` (free string).
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub added_at: Option<i64>,
}

/// `organization.project.service_account`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccount {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: ServiceAccountId,
    #[serde(default)]
    pub name: Option<String>,
    /// `owner`, `member` or `none`.
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub created_at: Option<i64>,
}

/// `organization.project.api_key`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectApiKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: ApiKeyId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub redacted_value: Option<String>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub last_used_at: Option<i64>,
    /// Not in the spec today; read when present so expiry is reported if the API adds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// `active` or `inactive`.
    #[serde(default)]
    pub owner_project_access: Option<String>,
    #[serde(default)]
    pub owner: ApiKeyOwner,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyOwner {
    /// `user` or `service_account`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<ApiKeyOwnerRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<ApiKeyOwnerRef>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyOwnerRef {
    pub id: PrincipalId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// An admin API key (`AdminApiKey`): the org's most powerful credential. Never its value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminApiKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub redacted_value: Option<String>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub last_used_at: Option<i64>,
    #[serde(default)]
    pub owner: Option<AdminApiKeyOwner>,
}

/// Who owns an admin key: a user (or, per the spec's example, a service account's id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminApiKeyOwner {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// Every group shape the API returns: `GroupResponse` (list/get/create, no `object`),
/// `GroupResourceWithSuccess` (update) and `Group` (embedded, `scim_managed`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: GroupId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(
        default,
        alias = "scim_managed",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_scim_managed: Option<bool>,
    /// `group` or `tenant_group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_type: Option<String>,
}

/// `GroupUser` (list item) and `GroupMemberUser` (single get).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupUser {
    pub id: UserId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_service_account: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
}

/// `project.group`: a group's access to a project. The role is not in this object; it is read
/// from `/projects/{p}/groups/{g}/roles`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectGroup {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub project_id: ProjectId,
    pub group_id: GroupId,
    #[serde(default)]
    pub group_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_type: Option<String>,
    #[serde(default)]
    pub created_at: Option<i64>,
}

/// `role`: org and project roles, predefined and custom.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Role {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub id: RoleId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub predefined_role: bool,
}

/// `AssignedRoleDetails`: one entry of a user's or group's role list (no `object`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssignedRole {
    pub id: RoleId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub predefined_role: bool,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub updated_at: Option<i64>,
    #[serde(default)]
    pub created_by: Option<String>,
    /// Principals the assignment is inherited from (e.g. a group); null or empty = direct.
    #[serde(default)]
    pub assignment_sources: Option<Vec<AssignmentSource>>,
}

impl AssignedRole {
    /// What names it, for mapping it onto an entitlement (`baton::roles`).
    pub fn naming(&self) -> crate::baton::roles::RoleNaming<'_> {
        crate::baton::roles::RoleNaming {
            id: &self.id,
            name: self.name.as_deref(),
            predefined: self.predefined_role,
        }
    }
}

impl AssignedRole {
    /// Direct unless the API names at least one other principal it is inherited from.
    pub fn inherited_from(&self) -> &[AssignmentSource] {
        self.assignment_sources.as_deref().unwrap_or(&[])
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentSource {
    pub principal_id: PrincipalId,
    /// `user` or `group` in practice; a free string in the spec.
    pub principal_type: String,
}

/// Every deletion confirmation; some carry `id`, some do not (REFERENCE §4.15).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Deleted {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub deleted: bool,
}

/// The API's error envelope.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub param: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}

// ---- request bodies -------------------------------------------------------------------------

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleUpdate {
    pub role: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleIdBody {
    pub role_id: RoleId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserIdBody {
    pub user_id: UserId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectUserCreate {
    pub user_id: UserId,
    pub role: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectGroupCreate {
    pub group_id: GroupId,
    /// A project role id, not a role name (REFERENCE §8.5).
    pub role: RoleId,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InviteCreate {
    pub email: String,
    pub role: String,
    /// Always sent (possibly empty) so the invitee does not silently join the default project.
    pub projects: Vec<InviteProject>,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_object_null_names_and_unknown_fields_parse() {
        let u: User = serde_json::from_value(json!({"id":"user-1","name":null,"email":null,"role":null,"added_at":1,"brand_new":{"x":1}})).expect("user");
        assert_eq!(
            (u.name, u.email, u.role, u.object),
            (None, None, None, None)
        );
        let p: Project = serde_json::from_value(
            json!({"id":"proj_1","created_at":1,"name":null,"status":null,"archived_at":5}),
        )
        .expect("project");
        assert!(p.is_archived());
        let i: Invite = serde_json::from_value(
            json!({"id":"inv","email":"a@b","role":"reader","status":"pending","created_at":1}),
        )
        .expect("invite without projects");
        assert!(i.projects.is_empty());
        let r: AssignedRole = serde_json::from_value(json!({"id":"role_1","name":"x","permissions":null,"resource_type":"api.organization","predefined_role":false,"description":null,"created_at":null,"updated_at":null,"created_by":null,"created_by_user_obj":null,"metadata":null,"assignment_sources":null})).expect("assigned role");
        assert!(r.inherited_from().is_empty());
    }

    #[test]
    fn the_three_group_shapes_parse() {
        let response: Group = serde_json::from_value(json!({"id":"g1","name":"Eng","created_at":1,"is_scim_managed":true,"group_type":"group"})).expect("GroupResponse");
        let updated: Group = serde_json::from_value(
            json!({"id":"g1","name":"Eng","created_at":1,"is_scim_managed":false}),
        )
        .expect("GroupResourceWithSuccess");
        let embedded: Group = serde_json::from_value(
            json!({"object":"group","id":"g1","name":"Eng","created_at":1,"scim_managed":true}),
        )
        .expect("Group");
        assert_eq!(response.is_scim_managed, Some(true));
        assert_eq!(updated.group_type, None);
        assert_eq!(embedded.is_scim_managed, Some(true));
        let member: GroupUser = serde_json::from_value(json!({"id":"u","name":"n","email":null,"picture":null,"is_service_account":null,"user_type":"tenant_user"})).expect("GroupMemberUser");
        assert_eq!(member.user_type.as_deref(), Some("tenant_user"));
    }

    #[test]
    fn objects_with_unsafe_ids_do_not_parse() {
        for bad in ["..", ".", "a/b", ""] {
            let e = serde_json::from_value::<User>(json!({"id": bad})).expect_err(bad);
            assert!(
                e.to_string().starts_with(crate::ids::UnsafeId::MARKER),
                "{e}"
            );
        }
        let source = json!({"principal_id": "..", "principal_type": "group"});
        assert!(serde_json::from_value::<AssignmentSource>(source).is_err());
    }

    #[test]
    fn api_key_owners_of_both_kinds_parse() {
        let k: ProjectApiKey = serde_json::from_value(json!({"object":"organization.project.api_key","redacted_value":"sk-..x","name":null,"created_at":1,"last_used_at":null,"id":"key_1","owner_project_access":"inactive","owner":{"type":"service_account","service_account":{"id":"sa_1","name":"bot","created_at":1,"role":"member"}}})).expect("key");
        assert_eq!(
            k.owner.service_account.map(|s| s.id.to_string()).as_deref(),
            Some("sa_1")
        );
        let k: ProjectApiKey = serde_json::from_value(json!({"id":"key_2","owner":{}}))
            .expect("owner with nothing in it");
        assert!(k.owner.kind.is_none());
    }
}

/// One audit log entry (`AuditLog`), read as a hint of what changed: its id, type, time, the
/// project it was scoped to, and its payload (under a key named after the type). Ids in it are
/// plain strings: an event may name anything, and what it names is checked before use.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub effective_at: i64,
    #[serde(default)]
    pub project: Option<AuditProject>,
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditProject {
    #[serde(default)]
    pub id: Option<String>,
}

impl AuditEvent {
    /// The payload: the object under the key named after the type.
    pub fn payload(&self) -> &serde_json::Value {
        static NULL: serde_json::Value = serde_json::Value::Null;
        self.rest.get(&self.kind).unwrap_or(&NULL)
    }

    /// A string field of the payload.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.payload().get(key).and_then(serde_json::Value::as_str)
    }

    /// The project the event was scoped to.
    pub fn project_id(&self) -> Option<&str> {
        self.project.as_ref()?.id.as_deref()
    }
}
