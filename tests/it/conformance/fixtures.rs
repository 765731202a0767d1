//! What a valid request to each operation is, in the `tiny` preset
//! (`actors/src/mock/presets/tiny.rs`): path ids that exist, and a body the spec's request
//! schema accepts (the test checks each body against that schema before sending it). An
//! operation the spec gains finds nothing here, and the test says so.

use serde_json::{Value, json};

/// The predefined project role ids of the mock (`project_role_id` in `mock/state.rs`).
pub const ALPHA_MEMBER: &str = "role-api-project-member__api-project__proj-alpha";
pub const ALPHA_OWNER: &str = "role-api-project-owner__api-project__proj-alpha";
pub const ALPHA_VIEWER: &str = "role-api-project-viewer__api-project__proj-alpha";

/// Path parameter values, in template order, for a valid `method path` request.
pub fn ids(method: &str, path: &str) -> Option<&'static [&'static str]> {
    Some(match (method, path) {
        (_, "/organization/admin_api_keys/{key_id}") => &["key_admin_erin"],
        (_, "/organization/groups/{group_id}") => &["grp-eng"],
        // grp-sec holds role_auditor; role_billing_admin is assigned to it by the POST.
        (_, "/organization/groups/{group_id}/roles") => &["grp-sec"],
        (_, "/organization/groups/{group_id}/roles/{role_id}") => &["grp-sec", "role_auditor"],
        // grp-eng has bob and carol; the POST adds dave.
        (_, "/organization/groups/{group_id}/users") => &["grp-eng"],
        (_, "/organization/groups/{group_id}/users/{user_id}") => &["grp-eng", "user-bob"],
        (_, "/organization/invites/{invite_id}") => &["inv-pending"],
        (_, "/organization/projects/{project_id}") => &["proj-alpha"],
        (_, "/organization/projects/{project_id}/api_keys") => &["proj-alpha"],
        (_, "/organization/projects/{project_id}/api_keys/{api_key_id}") => {
            &["proj-alpha", "key_alice"]
        }
        (_, "/organization/projects/{project_id}/archive") => &["proj-beta"],
        // proj-alpha has grp-eng; the POST adds grp-empty.
        (_, "/organization/projects/{project_id}/groups") => &["proj-alpha"],
        (_, "/organization/projects/{project_id}/groups/{group_id}") => &["proj-alpha", "grp-eng"],
        (_, "/organization/projects/{project_id}/service_accounts") => &["proj-alpha"],
        (_, "/organization/projects/{project_id}/service_accounts/{service_account_id}") => {
            &["proj-alpha", "svc_acct_deploy"]
        }
        (
            _,
            "/organization/projects/{project_id}/service_accounts/{service_account_id}/api_keys",
        ) => &["proj-alpha", "svc_acct_build"],
        // proj-alpha has alice, bob, carol; the POST adds dave.
        (_, "/organization/projects/{project_id}/users") => &["proj-alpha"],
        (_, "/organization/projects/{project_id}/users/{user_id}") => &["proj-alpha", "user-bob"],
        (_, "/organization/roles/{role_id}") => &["role_billing_admin"],
        (_, "/organization/users/{user_id}") => &["user-bob"],
        // bob holds role_billing_admin directly; the POST gives him role_auditor.
        (_, "/organization/users/{user_id}/roles") => &["user-bob"],
        (_, "/organization/users/{user_id}/roles/{role_id}") => &["user-bob", "role_billing_admin"],
        // grp-eng was added to proj-alpha as member and holds role_alpha_deployer there.
        (_, "/projects/{project_id}/groups/{group_id}/roles") => &["proj-alpha", "grp-eng"],
        (_, "/projects/{project_id}/groups/{group_id}/roles/{role_id}") => {
            &["proj-alpha", "grp-eng", "role_alpha_deployer"]
        }
        (_, "/projects/{project_id}/roles") => &["proj-alpha"],
        (_, "/projects/{project_id}/roles/{role_id}") => &["proj-alpha", "role_alpha_deployer"],
        // bob holds role_alpha_deployer in proj-alpha; carol (a member) holds none.
        ("POST", "/projects/{project_id}/users/{user_id}/roles") => &["proj-alpha", "user-carol"],
        (_, "/projects/{project_id}/users/{user_id}/roles") => &["proj-alpha", "user-bob"],
        (_, "/projects/{project_id}/users/{user_id}/roles/{role_id}") => {
            &["proj-alpha", "user-bob", "role_alpha_deployer"]
        }
        _ => return None,
    })
}

/// A valid request body for operation `op_id`, for the ids of [`ids`].
pub fn body(op_id: &str) -> Option<Value> {
    Some(match op_id {
        "admin-api-keys-create" => json!({"name": "Conformance key", "expires_in_seconds": 3600}),
        "create-group" => json!({"name": "Conformance"}),
        "update-group" => json!({"name": "Escalations"}),
        "assign-group-role" => json!({"role_id": "role_billing_admin"}),
        "add-group-user" => json!({"user_id": "user-dave"}),
        "inviteUser" => json!({
            "email": "new.person@tiny.example",
            "role": "reader",
            "projects": [{"id": "proj-beta", "role": "member"}],
        }),
        "create-project" => json!({"name": "Conformance"}),
        "modify-project" => json!({"name": "Alpha renamed"}),
        "add-project-group" => json!({"group_id": "grp-empty", "role": ALPHA_MEMBER}),
        "create-project-service-account" => json!({"name": "conformance bot"}),
        "update-project-service-account" => json!({"role": "owner"}),
        "create-project-user" => json!({"user_id": "user-dave", "role": "member"}),
        "modify-project-user" => json!({"role": "owner"}),
        "create-role" | "create-project-role" => {
            json!({"role_name": "Conformance", "permissions": ["api.groups.read"]})
        }
        "update-role" | "update-project-role" => json!({"role_name": "Renamed"}),
        "modify-user" => json!({"role": "owner"}),
        "assign-user-role" => json!({"role_id": "role_auditor"}),
        // Groups may hold predefined project roles beyond the one they were added with.
        "assign-project-group-role" => json!({"role_id": ALPHA_OWNER}),
        "assign-project-user-role" => json!({"role_id": "role_alpha_deployer"}),
        "CreateanAPIkeyforaserviceaccount" => json!({"name": "ci key"}),
        _ => return None,
    })
}

/// Further valid requests: `(operation id, path ids or None for those of [`ids`], query,
/// an id the answer's `data` (or the object itself) must hold)`.
pub type Extra = (
    &'static str,
    Option<&'static [&'static str]>,
    &'static str,
    Option<&'static str>,
);

pub const EXTRAS: &[Extra] = &[
    (
        "list-projects",
        None,
        "include_archived=true",
        Some("proj-archived"),
    ),
    (
        "list-projects",
        None,
        "include_archived=false",
        Some("proj-alpha"),
    ),
    (
        "retrieve-project",
        Some(&["proj-archived"]),
        "",
        Some("proj-archived"),
    ),
    (
        "list-project-api-keys",
        None,
        "owner_project_access=any",
        Some("key_bob_hidden"),
    ),
    (
        "list-users",
        None,
        "emails=bob%40tiny.example",
        Some("user-bob"),
    ),
    ("list-group-users", None, "order=asc", Some("user-bob")),
    (
        "list-roles",
        None,
        "order=desc&limit=0",
        Some("role_auditor"),
    ),
    (
        "retrieve-project-group",
        None,
        "group_type=group",
        Some("grp-eng"),
    ),
    (
        "admin-api-keys-list",
        None,
        "order=desc",
        Some("key_admin_erin"),
    ),
    ("list-audit-logs", None, "limit=100", None),
];

/// Sends one request of a seed (`method`, target after `/v1`, JSON body) and returns the
/// answer's JSON when it succeeded.
pub type Sender<'a> = &'a mut dyn FnMut(&str, &str, Value) -> Option<Value>;

/// A list whose items the API can delete, for the cursor check: how to list it, how to grow
/// it first (creates through the API; one that fails only shrinks the check), how to delete an
/// item, and which items may be deleted.
pub struct CursorCase {
    /// The list operation's spec path and the ids to put in it.
    pub list: (&'static str, &'static [&'static str]),
    /// Extra query parameters of every page.
    pub query: &'static str,
    /// Adds items before paging.
    pub seed: fn(Sender),
    /// The request that deletes (or, for projects, archives) item `id`.
    pub delete: fn(&str) -> (&'static str, String),
    /// Whether item `id` may be deleted (predefined roles, the key in use… may not).
    pub deletable: fn(&str) -> bool,
}

fn custom_role(id: &str) -> bool {
    !id.starts_with("role-api-")
}

/// Creates `n` custom roles at `target` (org or project roles) and returns their ids.
fn new_roles(send: Sender, target: &str, n: usize) -> Vec<String> {
    (0..n)
        .filter_map(|i| {
            let body =
                json!({"role_name": format!("Cursor {i}"), "permissions": ["api.groups.read"]});
            send("POST", target, body)?
                .get("id")?
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

fn assign_all(send: Sender, target: &str, roles: &[&str]) {
    for r in roles {
        send("POST", target, json!({"role_id": r}));
    }
}

pub fn cursor_cases() -> Vec<CursorCase> {
    vec![
        CursorCase {
            list: ("/organization/users", &[]),
            query: "",
            seed: |_| {},
            delete: |id| ("DELETE", format!("/organization/users/{id}")),
            // Humans other than alice (the owner whose key the mock's clients use).
            deletable: |id| id.starts_with("user-") && id != "user-alice",
        },
        CursorCase {
            list: ("/organization/invites", &[]),
            query: "",
            seed: |send| {
                for i in 0..5 {
                    let body =
                        json!({"email": format!("cursor{i}@tiny.example"), "role": "reader"});
                    send("POST", "/organization/invites", body);
                }
            },
            delete: |id| ("DELETE", format!("/organization/invites/{id}")),
            // An accepted invite is a membership's record: it cannot be deleted.
            deletable: |id| id != "inv-accepted",
        },
        CursorCase {
            list: ("/organization/projects", &[]),
            query: "",
            seed: |send| {
                for i in 0..5 {
                    send(
                        "POST",
                        "/organization/projects",
                        json!({"name": format!("Cursor {i}")}),
                    );
                }
            },
            // Archiving takes a project out of the default list, as deleting would.
            delete: |id| ("POST", format!("/organization/projects/{id}/archive")),
            deletable: |_| true,
        },
        CursorCase {
            list: ("/organization/projects/{project_id}/users", &["proj-alpha"]),
            query: "",
            seed: |send| {
                for u in ["user-dave", "user-erin"] {
                    let body = json!({"user_id": u, "role": "member"});
                    send("POST", "/organization/projects/proj-alpha/users", body);
                }
            },
            delete: |id| {
                (
                    "DELETE",
                    format!("/organization/projects/proj-alpha/users/{id}"),
                )
            },
            deletable: |id| id != "user-alice",
        },
        CursorCase {
            list: (
                "/organization/projects/{project_id}/service_accounts",
                &["proj-alpha"],
            ),
            query: "",
            seed: |send| {
                for i in 0..4 {
                    let body = json!({"name": format!("cursor bot {i}")});
                    send(
                        "POST",
                        "/organization/projects/proj-alpha/service_accounts",
                        body,
                    );
                }
            },
            delete: |id| {
                let t = format!("/organization/projects/proj-alpha/service_accounts/{id}");
                ("DELETE", t)
            },
            deletable: |_| true,
        },
        CursorCase {
            list: (
                "/organization/projects/{project_id}/api_keys",
                &["proj-alpha"],
            ),
            query: "owner_project_access=any",
            seed: |send| {
                let t =
                    "/organization/projects/proj-alpha/service_accounts/svc_acct_build/api_keys";
                for i in 0..4 {
                    send("POST", t, json!({"name": format!("cursor key {i}")}));
                }
            },
            delete: |id| {
                (
                    "DELETE",
                    format!("/organization/projects/proj-alpha/api_keys/{id}"),
                )
            },
            // The API refuses to delete a service account's key (400): only users' keys go
            // while paging (the seeded ones are the build bot's).
            deletable: |id| matches!(id, "key_alice" | "key_bob_hidden"),
        },
        CursorCase {
            list: ("/organization/admin_api_keys", &[]),
            query: "",
            seed: |send| {
                for i in 0..4 {
                    let body = json!({"name": format!("cursor admin key {i}")});
                    send("POST", "/organization/admin_api_keys", body);
                }
            },
            delete: |id| ("DELETE", format!("/organization/admin_api_keys/{id}")),
            // Not the first: its redacted value is the key the requests are made with.
            deletable: |id| id != "key_admin_connector",
        },
        CursorCase {
            list: ("/organization/groups", &[]),
            query: "",
            seed: |send| {
                for i in 0..4 {
                    send(
                        "POST",
                        "/organization/groups",
                        json!({"name": format!("Cursor {i}")}),
                    );
                }
            },
            delete: |id| ("DELETE", format!("/organization/groups/{id}")),
            deletable: |_| true,
        },
        CursorCase {
            list: ("/organization/groups/{group_id}/users", &["grp-eng"]),
            query: "",
            seed: |send| {
                for u in ["user-alice", "user-dave", "user-erin"] {
                    send(
                        "POST",
                        "/organization/groups/grp-eng/users",
                        json!({"user_id": u}),
                    );
                }
            },
            delete: |id| ("DELETE", format!("/organization/groups/grp-eng/users/{id}")),
            deletable: |_| true,
        },
        CursorCase {
            list: ("/organization/roles", &[]),
            query: "",
            seed: |send| {
                new_roles(send, "/organization/roles", 4);
            },
            delete: |id| ("DELETE", format!("/organization/roles/{id}")),
            deletable: custom_role,
        },
        CursorCase {
            list: ("/projects/{project_id}/roles", &["proj-alpha"]),
            query: "",
            seed: |send| {
                new_roles(send, "/projects/proj-alpha/roles", 4);
            },
            delete: |id| ("DELETE", format!("/projects/proj-alpha/roles/{id}")),
            deletable: custom_role,
        },
        CursorCase {
            list: (
                "/organization/projects/{project_id}/groups",
                &["proj-alpha"],
            ),
            query: "",
            seed: |send| {
                for g in ["grp-sec", "grp-empty", "grp-tenant"] {
                    let body = json!({"group_id": g, "role": ALPHA_VIEWER});
                    send("POST", "/organization/projects/proj-alpha/groups", body);
                }
            },
            delete: |id| {
                (
                    "DELETE",
                    format!("/organization/projects/proj-alpha/groups/{id}"),
                )
            },
            deletable: |_| true,
        },
        CursorCase {
            list: ("/organization/users/{user_id}/roles", &["user-carol"]),
            query: "",
            seed: |send| {
                let mut roles = new_roles(send, "/organization/roles", 3);
                roles.extend(["role_billing_admin".into(), "role_auditor".into()]);
                let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
                assign_all(send, "/organization/users/user-carol/roles", &roles);
            },
            delete: |id| {
                (
                    "DELETE",
                    format!("/organization/users/user-carol/roles/{id}"),
                )
            },
            deletable: |_| true,
        },
        CursorCase {
            list: ("/organization/groups/{group_id}/roles", &["grp-empty"]),
            query: "",
            seed: |send| {
                let mut roles = new_roles(send, "/organization/roles", 2);
                roles.extend([
                    "role_billing_admin".into(),
                    "role_auditor".into(),
                    "role-api-organization-reader__api-organization__org-tiny".into(),
                ]);
                let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
                assign_all(send, "/organization/groups/grp-empty/roles", &roles);
            },
            delete: |id| {
                (
                    "DELETE",
                    format!("/organization/groups/grp-empty/roles/{id}"),
                )
            },
            deletable: |_| true,
        },
        CursorCase {
            list: (
                "/projects/{project_id}/groups/{group_id}/roles",
                &["proj-alpha", "grp-eng"],
            ),
            query: "",
            seed: |send| {
                let mut roles = new_roles(send, "/projects/proj-alpha/roles", 2);
                roles.extend([ALPHA_OWNER.into(), ALPHA_VIEWER.into()]);
                let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
                assign_all(send, "/projects/proj-alpha/groups/grp-eng/roles", &roles);
            },
            delete: |id| {
                (
                    "DELETE",
                    format!("/projects/proj-alpha/groups/grp-eng/roles/{id}"),
                )
            },
            // Not the role the group was added with (removing that removes the group).
            deletable: |id| id != ALPHA_MEMBER,
        },
        CursorCase {
            // Alice: a member of proj-alpha in none of its groups, so every role listed is hers
            // directly and can be unassigned.
            list: (
                "/projects/{project_id}/users/{user_id}/roles",
                &["proj-alpha", "user-alice"],
            ),
            query: "",
            seed: |send| {
                let mut roles = new_roles(send, "/projects/proj-alpha/roles", 4);
                roles.push("role_alpha_deployer".into());
                let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
                assign_all(send, "/projects/proj-alpha/users/user-alice/roles", &roles);
            },
            delete: |id| {
                (
                    "DELETE",
                    format!("/projects/proj-alpha/users/user-alice/roles/{id}"),
                )
            },
            // Custom roles only: the member's own role is changed, not unassigned.
            deletable: custom_role,
        },
    ]
}
