//! `openai-access-mock`: the mock OpenAI Admin API server (DESIGN §7), a stateful
//! implementation of the parts of `openapi-admin.yaml` the connector uses, serving a
//! deterministic org generated from a preset and a seed, with knobs for latency, rate limits,
//! faults, plan and key permissions.
//!
//! A crate of its own, beside the engine (`openai-access-actors`): the binary's `--mock` and the
//! tests use it; the engine never does. It takes from the engine only what both sides must agree
//! on: the `endpoint` table (every route is derived from it), the API `models` it answers with,
//! checked `ids`, the `Gcra` token bucket its rate limit runs on, `AdminKey` (to redact the key
//! it serves), Baton's predefined role names, and the in-process wire (`Transport`).
//!
//! ```no_run
//! use openai_access_mock::{MockConfig, MockServer, Preset};
//! let mock = MockServer::start(MockConfig { preset: Preset::Small, ..MockConfig::default() })?;
//! let base = mock.base_url(); // http://127.0.0.1:PORT/v1, key "sk-admin-mock-key"
//! # Ok::<(), std::io::Error>(())
//! ```

// Whatever is `pub` is the facade; everything else says pub(crate), and this keeps it so.
#![warn(unreachable_pub)]

mod audit;
mod audit_types;
mod changes;
mod config;
mod cost;
mod cursors;
mod error;
mod faults;
mod handlers;
mod in_process;
mod limiter;
mod paging;
mod pipeline;
mod presets;
pub mod random_changes;
mod reply;
pub mod rng;
mod routes;
mod server;
mod state;
mod stats;
mod store;
pub mod usage;

#[cfg(test)]
mod tests;

pub use audit::Entry as AuditEntry;
pub use audit_types::EVENT_TYPES as AUDIT_EVENT_TYPES;
pub use changes::Change;
pub use config::{
    AuditConfig, FaultKind, Faults, KeyPermissions, MOCK_KEY, MockConfig, Plan, Preset, RateLimit,
};
pub use in_process::InProcessMock;
pub use pipeline::{MockRequest, Shared};
pub use presets::generate;
pub use reply::{Reply, ReplyBody};
pub use server::MockServer;
pub use state::{
    ApiKey, Assigned, GroupState, KeyOwner, Member, Org, OrgShape, ProjectGroupGrant,
    ProjectMember, ProjectState, UserRole, org_role_id, predefined_org_roles,
    predefined_project_roles, project_role_id,
};
pub use stats::MockStats;
