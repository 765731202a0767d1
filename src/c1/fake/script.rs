//! Task scripts: the JSON a test or a person gives the fake to queue tasks, turned into the
//! `Task` messages ConductorOne would send. [`SCRIPT_HELP`] documents the shape (it is the
//! `mock c1 --help` text).

use crate::c1::proto::task::{
    CreateAccountTask, DeleteResourceTask, GrantTask, RevokeTask, SyncFullTask, TaskType,
};
use crate::c1::proto::{
    AccountInfo, CredentialOptions, Duration, Entitlement, Grant, Resource, ResourceId, Task,
    account_info, credential_options,
};
use crate::output::c1z::convert::profile_struct;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The task-script format, for `--help` and the docs.
pub const SCRIPT_HELP: &str = r#"Task scripts (--tasks FILE, POST /__fake/tasks): a JSON object, or an array of them, each
with a "type" and optionally an "id" (27 letters/digits; a fresh KSUID otherwise):
  {"type":"sync_full"}                 also skip_expand_grants, skip_entitlements_and_grants,
                                       skip_grants (bools), sync_resource_type_ids, storage_engine
  {"type":"grant","entitlement":{"id":"project:proj-1:member",
     "resource":{"resource_type":"project","resource":"proj-1"}},
   "principal":{"resource_type":"user","resource":"user-abc"}}      also "duration_secs"
  {"type":"revoke","grant":{"id":"…","entitlement":{…},"principal":{…}}}
  {"type":"create_account","email":"a@example.com"}   also login, profile {…}, resource_type,
                                       credential: no_password | random_password | sso
  {"type":"delete_resource","resource_type":"user","resource":"user-abc"}   also parent {…}
  {"type":"hello"}, {"type":"none"}, or any other task type ConductorOne knows
  (rotate_credentials, event_feed, create_ticket_task, action_invoke, …): an empty task of
  that type, for testing how unsupported tasks are finished.
A resource is {"resource_type","resource"} plus optional "display_name", "parent"
{"resource_type","resource"} and "profile" {…}; an entitlement {"id","resource"} plus
optional "display_name" and "slug"."#;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("task script: {0}")]
pub struct ScriptError(pub String);

/// A parsed task script.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskScript {
    pub id: Option<String>,
    pub task_type: TaskType,
}

impl TaskScript {
    /// One script object.
    pub fn from_json(value: &Value) -> Result<TaskScript, ScriptError> {
        let object = value
            .as_object()
            .ok_or_else(|| ScriptError("a task script is a JSON object".into()))?;
        let kind = object
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| ScriptError("\"type\" is required".into()))?;
        let id = match object.get("id") {
            None => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(_) => return Err(ScriptError("\"id\" must be a string".into())),
        };
        let mut fields = object.clone();
        fields.remove("type");
        fields.remove("id");
        let task_type = match kind {
            "sync_full" => TaskType::SyncFull(parse::<SyncFullScript>(kind, fields)?.into_task()),
            "grant" => TaskType::Grant(parse::<GrantScript>(kind, fields)?.into_task()),
            "revoke" => TaskType::Revoke(parse::<RevokeScript>(kind, fields)?.into_task()),
            "create_account" => {
                TaskType::CreateAccount(parse::<CreateAccountScript>(kind, fields)?.into_task()?)
            }
            "delete_resource" => {
                TaskType::DeleteResource(parse::<DeleteResourceScript>(kind, fields)?.into_task())
            }
            other => {
                if let Some(extra) = fields.keys().next() {
                    return Err(ScriptError(format!("{other}: unexpected field {extra:?}")));
                }
                TaskType::empty(other).ok_or_else(|| {
                    ScriptError(format!(
                        "unknown type {other:?} (one of {})",
                        TaskType::NAMES.join(", ")
                    ))
                })?
            }
        };
        Ok(TaskScript { id, task_type })
    }

    /// A script object or an array of them.
    pub fn list_from_json(value: &Value) -> Result<Vec<TaskScript>, ScriptError> {
        match value {
            Value::Array(items) => items.iter().map(TaskScript::from_json).collect(),
            single => Ok(vec![TaskScript::from_json(single)?]),
        }
    }

    /// The task, with its script's id or one from `new_id`.
    pub fn to_task(&self, new_id: impl FnOnce() -> String) -> Task {
        Task {
            id: self.id.clone().unwrap_or_else(new_id),
            task_type: Some(self.task_type.clone()),
            ..Task::default()
        }
    }
}

impl<'de> Deserialize<'de> for TaskScript {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        TaskScript::from_json(&value).map_err(serde::de::Error::custom)
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    kind: &str,
    fields: Map<String, Value>,
) -> Result<T, ScriptError> {
    serde_json::from_value(Value::Object(fields)).map_err(|e| ScriptError(format!("{kind}: {e}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceIdScript {
    resource_type: String,
    resource: String,
}

impl ResourceIdScript {
    fn id(self) -> ResourceId {
        ResourceId {
            resource_type: self.resource_type,
            resource: self.resource,
            baton_resource: false,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceScript {
    resource_type: String,
    resource: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    parent: Option<ResourceIdScript>,
    #[serde(default)]
    profile: Option<BTreeMap<String, Value>>,
}

impl ResourceScript {
    fn resource(self) -> Resource {
        Resource {
            id: Some(ResourceId {
                resource_type: self.resource_type,
                resource: self.resource,
                baton_resource: false,
            }),
            parent_resource_id: self.parent.map(ResourceIdScript::id),
            display_name: self.display_name,
            profile: self.profile.as_ref().map(profile_struct),
            ..Resource::default()
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntitlementScript {
    id: String,
    resource: ResourceScript,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    slug: String,
}

impl EntitlementScript {
    fn entitlement(self) -> Entitlement {
        Entitlement {
            resource: Some(self.resource.resource()),
            id: self.id,
            display_name: self.display_name,
            slug: self.slug,
            ..Entitlement::default()
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncFullScript {
    #[serde(default)]
    skip_expand_grants: bool,
    #[serde(default)]
    skip_entitlements_and_grants: bool,
    #[serde(default)]
    skip_grants: bool,
    #[serde(default)]
    sync_resource_type_ids: Vec<String>,
    #[serde(default)]
    storage_engine: String,
}

impl SyncFullScript {
    fn into_task(self) -> SyncFullTask {
        SyncFullTask {
            skip_expand_grants: self.skip_expand_grants,
            skip_entitlements_and_grants: self.skip_entitlements_and_grants,
            skip_grants: self.skip_grants,
            sync_resource_type_ids: self.sync_resource_type_ids,
            storage_engine: self.storage_engine,
            ..SyncFullTask::default()
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantScript {
    entitlement: EntitlementScript,
    principal: ResourceScript,
    #[serde(default)]
    duration_secs: Option<u64>,
}

impl GrantScript {
    fn into_task(self) -> GrantTask {
        GrantTask {
            entitlement: Some(self.entitlement.entitlement()),
            principal: Some(self.principal.resource()),
            annotations: Vec::new(),
            duration: self
                .duration_secs
                .map(|s| Duration::from_std(std::time::Duration::from_secs(s))),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantRefScript {
    id: String,
    entitlement: EntitlementScript,
    principal: ResourceScript,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeScript {
    grant: GrantRefScript,
}

impl RevokeScript {
    fn into_task(self) -> RevokeTask {
        RevokeTask {
            grant: Some(Grant {
                entitlement: Some(self.grant.entitlement.entitlement()),
                principal: Some(self.grant.principal.resource()),
                id: self.grant.id,
                ..Grant::default()
            }),
            annotations: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateAccountScript {
    email: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    profile: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    resource_type: String,
    #[serde(default)]
    credential: Option<String>,
}

impl CreateAccountScript {
    fn into_task(self) -> Result<CreateAccountTask, ScriptError> {
        let options = match self.credential.as_deref() {
            None => None,
            Some("no_password") => Some(credential_options::Options::NoPassword(
                credential_options::NoPassword {},
            )),
            Some("random_password") => Some(credential_options::Options::RandomPassword(
                credential_options::RandomPassword {
                    length: 16,
                    constraints: Vec::new(),
                },
            )),
            Some("sso") => Some(credential_options::Options::Sso(credential_options::Sso {
                sso_provider: String::new(),
            })),
            Some(other) => {
                return Err(ScriptError(format!(
                    "create_account: credential {other:?} (no_password, random_password or sso)"
                )));
            }
        };
        Ok(CreateAccountTask {
            account_info: Some(AccountInfo {
                emails: vec![account_info::Email {
                    address: self.email,
                    is_primary: true,
                }],
                login: self.login,
                login_aliases: Vec::new(),
                profile: self.profile.as_ref().map(profile_struct),
            }),
            credential_options: options.map(|options| CredentialOptions {
                force_change_at_next_login: false,
                options: Some(options),
            }),
            encryption_configs: Vec::new(),
            resource_type_id: self.resource_type,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteResourceScript {
    resource_type: String,
    resource: String,
    #[serde(default)]
    parent: Option<ResourceIdScript>,
}

impl DeleteResourceScript {
    fn into_task(self) -> DeleteResourceTask {
        DeleteResourceTask {
            resource_id: Some(ResourceId {
                resource_type: self.resource_type,
                resource: self.resource,
                baton_resource: false,
            }),
            parent_resource_id: self.parent.map(ResourceIdScript::id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(value: Value) -> Task {
        TaskScript::from_json(&value)
            .expect("valid script")
            .to_task(|| "0ujtsYcgvSTl8PAuAdqWYSMnLOv".into())
    }

    #[test]
    fn grant_and_revoke_scripts_build_the_connector_messages() {
        let grant = task(json!({
            "type": "grant",
            "entitlement": {"id": "project:proj-1:member",
                            "resource": {"resource_type": "project", "resource": "proj-1"}},
            "principal": {"resource_type": "user", "resource": "user-abc", "display_name": "Abc"},
            "duration_secs": 60,
        }));
        let Some(TaskType::Grant(g)) = grant.task_type else {
            panic!("grant")
        };
        let entitlement = g.entitlement.expect("entitlement");
        assert_eq!(entitlement.id, "project:proj-1:member");
        assert_eq!(
            entitlement
                .resource
                .and_then(|r| r.id)
                .map(|id| id.resource),
            Some("proj-1".into())
        );
        assert_eq!(g.principal.map(|p| p.display_name), Some("Abc".into()));
        assert_eq!(g.duration.map(|d| d.seconds), Some(60));

        let revoke = task(
            json!({"type": "revoke", "id": "2ujtsYcgvSTl8PAuAdqWYSMnLOv", "grant": {
            "id": "g1",
            "entitlement": {"id": "e", "resource": {"resource_type": "project", "resource": "p"}},
            "principal": {"resource_type": "user", "resource": "u"}}}),
        );
        assert_eq!(revoke.id, "2ujtsYcgvSTl8PAuAdqWYSMnLOv");
        assert_eq!(revoke.type_name(), "revoke");
    }

    #[test]
    fn account_deletion_and_other_types() {
        let created = task(json!({"type": "create_account", "email": "a@example.com",
                                  "profile": {"role": "reader"}, "credential": "no_password"}));
        let Some(TaskType::CreateAccount(c)) = created.task_type else {
            panic!("create")
        };
        let info = c.account_info.expect("account info");
        assert_eq!(info.emails[0].address, "a@example.com");
        assert!(info.profile.expect("profile").fields.contains_key("role"));
        assert!(c.credential_options.is_some());

        let deleted = task(
            json!({"type": "delete_resource", "resource_type": "user", "resource": "user-abc"}),
        );
        assert_eq!(deleted.type_name(), "delete_resource");
        assert_eq!(
            task(json!({"type": "rotate_credentials"})).type_name(),
            "rotate_credentials"
        );
        assert_eq!(
            task(json!({"type": "sync_full", "skip_grants": true})).type_name(),
            "sync_full"
        );
    }

    #[test]
    fn mistakes_are_named() {
        for (script, says) in [
            (json!({"type": "grnat"}), "unknown type"),
            (json!({"type": "sync_full", "skip": true}), "unknown field"),
            (json!({"type": "event_feed", "x": 1}), "unexpected field"),
            (json!({"type": "create_account"}), "email"),
            (
                json!({"type": "create_account", "email": "a@b", "credential": "magic"}),
                "credential",
            ),
            (json!(["not an object"]), "JSON object"),
        ] {
            let error = TaskScript::list_from_json(&script).expect_err(says);
            assert!(error.0.contains(says), "{error}");
        }
        assert_eq!(
            TaskScript::list_from_json(&json!([{"type": "none"}, {"type": "hello"}]))
                .expect("valid")
                .len(),
            2
        );
    }
}
