//! The org's admin API keys: its most powerful credentials, and who holds them.
//!
//! | kind        | pages                              | facts                                       | work |
//! |-------------|------------------------------------|---------------------------------------------|------|
//! | `AdminKeys` | `GET /organization/admin_api_keys` | `admin_api_key` (secret, owner as identity) | —    |
//!
//! The key the connector runs with is marked (`is_connector_key`), matched on its redacted
//! value by the client, which alone holds the key.

use super::facts::{Profile, display_name, org_key, resource};
use super::{Findings, ListKind, Org};
use crate::api::models::AdminApiKey;
use crate::api::{AdminClient, Call, Endpoint};
use crate::baton::{ResourceId, ResourceKey, ResourceType};
use crate::graph::Traits;

pub(crate) struct AdminKeys;

impl ListKind for AdminKeys {
    type Item = AdminApiKey;
    type Scope = Org;
    type State = ();
    const NAME: &'static str = "admin_api_keys";
    const LIST: Endpoint = Endpoint::ListAdminApiKeys;

    fn request(_: &Org) -> Call {
        Call::admin_api_keys()
    }

    fn on_page(_: &Org, _: &mut (), items: Vec<AdminApiKey>, out: &mut Findings) {
        for k in items {
            // An id that cannot be a Baton id is left out rather than guessed at.
            let Ok(id) = k.id.parse::<ResourceId>() else {
                continue;
            };
            let owner = k.owner.as_ref();
            // Owners are org users (a service account's id would not name a user resource:
            // the identity is then left out).
            let identity = owner
                .filter(|o| o.kind.as_deref().is_none_or(|t| t == "user"))
                .and_then(|o| o.id.parse::<ResourceId>().ok())
                .map(|id| ResourceKey::new(ResourceType::User, id));
            let profile = Profile::default()
                .str("name", k.name.as_deref())
                .str("redacted_value", k.redacted_value.as_deref())
                .int("created_at", k.created_at)
                .int("last_used_at", k.last_used_at)
                .int("expires_at", k.expires_at)
                .str("owner_id", owner.map(|o| o.id.as_str()))
                .str("owner_type", owner.and_then(|o| o.kind.as_deref()))
                .str("owner_name", owner.and_then(|o| o.name.as_deref()))
                .str("owner_role", owner.and_then(|o| o.role.as_deref()));
            let traits = Traits::Secret {
                identity,
                created_at: k.created_at,
                last_used_at: k.last_used_at,
                expires_at: k.expires_at,
            };
            let name = display_name(&[k.name.as_deref()], &k.id);
            out.resources.push(resource(
                ResourceKey::new(ResourceType::AdminApiKey, id),
                Some(org_key()),
                name,
                profile,
                traits,
            ));
        }
    }

    fn mark(client: &AdminClient, out: &mut Findings) {
        for r in &mut out.resources {
            let ours = r
                .profile
                .get("redacted_value")
                .and_then(|v| v.as_str())
                .is_some_and(|v| client.runs_with(v));
            if ours {
                r.profile
                    .insert("is_connector_key".to_owned(), serde_json::Value::Bool(true));
            }
        }
    }
}
