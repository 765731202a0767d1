//! The audit entries an API write leaves, by endpoint: what a reader of the log sees of each
//! change (ids, not objects). Group membership changes leave none (see `mock::audit`).

use super::super::audit::Event;
use openai_access_actors::endpoint::Endpoint as E;
use serde_json::{Value, json};

/// The events of a successful write of `ep` with path parameters `p`, request `body` and
/// response `reply`, in an org whose id is `org`.
pub fn events(org: &str, ep: E, p: [&str; 3], body: &[u8], reply: &[u8]) -> Vec<Event> {
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let reply: Value = serde_json::from_slice(reply).unwrap_or(Value::Null);
    let field = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let assignment =
        |kind, principal: &str, principal_type: &str, resource: &str, resource_type: &str| {
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
        };
    let e = match ep {
        E::ModifyUser => Event::new(
            "user.updated",
            json!({"id": p[0], "changes_requested": {"role": field(&body, "role")}}),
        ),
        E::DeleteUser => Event::new("user.deleted", json!({"id": p[0]})),
        E::AssignUserRole => {
            assignment("role.assignment.created", p[0], "user", org, "organization")
        }
        E::UnassignUserRole => {
            assignment("role.assignment.deleted", p[0], "user", org, "organization")
        }
        E::AssignGroupRole => assignment(
            "role.assignment.created",
            p[0],
            "group",
            org,
            "organization",
        ),
        E::UnassignGroupRole => assignment(
            "role.assignment.deleted",
            p[0],
            "group",
            org,
            "organization",
        ),
        E::CreateInvite => Event::new(
            "invite.sent",
            json!({"id": field(&reply, "id"), "data": {"email": field(&body, "email"), "role": field(&body, "role")}}),
        ),
        E::DeleteInvite => Event::new("invite.deleted", json!({"id": p[0]})),
        E::DeleteAdminApiKey => Event::new("api_key.deleted", json!({"id": p[0]})),
        E::AddProjectUser => Event::new(
            "user.added",
            json!({"id": field(&reply, "id"), "data": {"role": field(&body, "role")}}),
        )
        .in_project(p[0]),
        E::ModifyProjectUser => Event::new(
            "user.updated",
            json!({"id": p[1], "changes_requested": {"role": field(&body, "role")}}),
        )
        .in_project(p[0]),
        E::RemoveProjectUser => Event::new("user.deleted", json!({"id": p[1]})).in_project(p[0]),
        E::UpdateServiceAccount => Event::new(
            "service_account.updated",
            json!({"id": p[1], "changes_requested": {"role": field(&body, "role")}}),
        )
        .in_project(p[0]),
        E::AddProjectGroup => assignment(
            "role.assignment.created",
            &field(&body, "group_id"),
            "group",
            p[0],
            "project",
        )
        .in_project(p[0]),
        E::RemoveProjectGroup => {
            assignment("role.assignment.deleted", p[1], "group", p[0], "project").in_project(p[0])
        }
        E::AssignProjectUserRole => {
            assignment("role.assignment.created", p[1], "user", p[0], "project").in_project(p[0])
        }
        E::UnassignProjectUserRole => {
            assignment("role.assignment.deleted", p[1], "user", p[0], "project").in_project(p[0])
        }
        E::AssignProjectGroupRole => {
            assignment("role.assignment.created", p[1], "group", p[0], "project").in_project(p[0])
        }
        E::UnassignProjectGroupRole => {
            assignment("role.assignment.deleted", p[1], "group", p[0], "project").in_project(p[0])
        }
        E::CreateAdminApiKey => Event::new(
            "api_key.created",
            json!({"id": field(&reply, "id"), "data": {"scopes": []}}),
        ),
        E::DeleteProjectApiKey => {
            Event::new("api_key.deleted", json!({"id": p[1]})).in_project(p[0])
        }
        E::CreateProjectServiceAccount => {
            let mut events = vec![
                Event::new(
                    "service_account.created",
                    json!({"id": field(&reply, "id"), "data": {"role": field(&reply, "role")}}),
                )
                .in_project(p[0]),
            ];
            if let Some(key) = reply.get("api_key").filter(|k| !k.is_null()) {
                events.push(
                    Event::new(
                        "api_key.created",
                        json!({"id": field(key, "id"), "data": {"scopes": []}}),
                    )
                    .in_project(p[0]),
                );
            }
            return events;
        }
        E::DeleteProjectServiceAccount => {
            Event::new("service_account.deleted", json!({"id": p[1]})).in_project(p[0])
        }
        E::CreateServiceAccountApiKey => Event::new(
            "api_key.created",
            json!({"id": field(&reply, "id"), "data": {"scopes": body.get("scopes").cloned().unwrap_or(json!([]))}}),
        )
        .in_project(p[0]),
        E::CreateGroup => Event::new(
            "group.created",
            json!({"id": field(&reply, "id"), "data": {"group_name": field(&body, "name")}}),
        ),
        E::UpdateGroup => Event::new(
            "group.updated",
            json!({"id": p[0], "changes_requested": {"group_name": field(&body, "name")}}),
        ),
        E::DeleteGroup => Event::new("group.deleted", json!({"id": p[0]})),
        E::CreateProject => {
            let (id, name) = (field(&reply, "id"), field(&body, "name"));
            Event::new(
                "project.created",
                json!({"id": id, "data": {"name": name, "title": name}}),
            )
            .in_project(&id)
        }
        E::ModifyProject => Event::new(
            "project.updated",
            json!({"id": p[0], "changes_requested": {"title": field(&reply, "name")}}),
        )
        .in_project(p[0]),
        E::ArchiveProject => Event::new("project.archived", json!({"id": p[0]})).in_project(p[0]),
        E::CreateOrgRole | E::UpdateOrgRole => Event::new(
            if ep == E::CreateOrgRole { "role.created" } else { "role.updated" },
            json!({"id": field(&reply, "id"), "role_name": field(&reply, "name"), "permissions": reply.get("permissions"), "resource_type": "organization", "resource_id": org}),
        ),
        E::DeleteOrgRole => Event::new("role.deleted", json!({"id": p[0]})),
        E::CreateProjectRole | E::UpdateProjectRole => Event::new(
            if ep == E::CreateProjectRole { "role.created" } else { "role.updated" },
            json!({"id": field(&reply, "id"), "role_name": field(&reply, "name"), "permissions": reply.get("permissions"), "resource_type": "project", "resource_id": p[0]}),
        )
        .in_project(p[0]),
        E::DeleteProjectRole => Event::new("role.deleted", json!({"id": p[1]})).in_project(p[0]),
        // Group membership: tenant-scoped in the real API, so nothing here.
        _ => return Vec::new(),
    };
    vec![e]
}
