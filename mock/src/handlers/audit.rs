//! What an API write's audit entries are made of: each `Write` names its own (its `audit`)
//! from these, with ids rather than objects, as a reader of the log sees each change. Group
//! membership changes leave none (see `crate::audit`).

use crate::audit::Event;
use crate::routes::Params;
use serde_json::{Value, json};

/// A successful write, as its audit entries read it: the org it was made in, its path
/// parameters, and its request body and answer as JSON (`null` when they are not).
pub(super) struct Written<'a> {
    pub org: &'a str,
    pub p: Params<'a>,
    pub body: Value,
    pub reply: Value,
}

impl<'a> Written<'a> {
    pub(super) fn new(org: &'a str, p: Params<'a>, body: &[u8], reply: &[u8]) -> Self {
        Self {
            org,
            p,
            body: serde_json::from_slice(body).unwrap_or(Value::Null),
            reply: serde_json::from_slice(reply).unwrap_or(Value::Null),
        }
    }

    /// The body's string field `k` ("" when there is none).
    pub(super) fn body(&self, k: &str) -> String {
        field(&self.body, k)
    }

    /// The answer's string field `k` ("" when there is none).
    pub(super) fn reply(&self, k: &str) -> String {
        field(&self.reply, k)
    }
}

pub(super) fn field(v: &Value, k: &str) -> String {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A role assignment (`role.assignment.created` or `.deleted`) of a principal on a resource.
pub(super) fn assignment(
    kind: &str,
    principal: &str,
    principal_type: &str,
    resource: &str,
    resource_type: &str,
) -> Event {
    Event::new(
        kind,
        json!({
            "id": format!("ra_{principal}_{resource}"),
            "principal_id": principal,
            "principal_type": principal_type,
            "resource_id": resource,
            "resource_type": resource_type,
        }),
    )
}

/// A group's role in a project taken away (`…/projects/{p}/groups/{g}`, its project role
/// deleted or the group removed from the project): one entry, scoped to the project.
pub(super) fn group_unassigned_in_project(w: &Written) -> Vec<Event> {
    vec![
        assignment(
            "role.assignment.deleted",
            w.p[1],
            "group",
            w.p[0],
            "project",
        )
        .in_project(w.p[0]),
    ]
}
