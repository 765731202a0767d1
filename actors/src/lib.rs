//! `openai-access-actors`: the engine of openai-access.
//!
//! It knows nothing of the command line or of any service: they use the facade below, and
//! talk to the engine's actors by messages.
//!
//! | actor             | file             | owns                                                 |
//! |-------------------|------------------|------------------------------------------------------|
//! | `SyncCoordinator` | `coordinator/`   | the outstanding count, replays, the plan             |
//! | `Crawler<K>`      | `crawlers/`      | paging one kind of list, converting it to facts      |
//! | `GrantCollector`  | `collector.rs`   | the grant graph under construction                   |
//! | `Provisioner`     | `provisioner/`   | nothing between requests: grants, revokes, accounts  |
//!
//! What to crawl after what is `fanout`: the rules as a table and a pure state machine, which
//! the coordinator runs on the work its crawlers find and the throttle's simulation on a
//! simulated org.
//!
//! The ground floor, which everything else builds on: `endpoint` (every operation of the Admin
//! API, defined once), `ids` (checked API ids), `baton` (Baton's ids, typed), `secret`.
//!
//! # The facade
//! - a sync: [`SyncConfig`] in, [`SyncRun`] (progress, then a [`SyncOutcome`]) out, run on
//!   [`block_on`];
//! - provisioning: the [`provisioner`] messages, sent to a [`provisioner::Provisioner`];
//! - what the results are written in: [`graph`], [`baton`], [`ids`];
//! - the typed Admin API client, [`api`], for callers that need single calls;
//! - access reviews of a finished sync (who has what and why): [`review`];
//! - usage as evidence of who uses their access, read after a sync: [`usage`];
//! - the throttle's deterministic [`sim`]ulation, for tests that hold it to its figures;
//! - what the mock (the crate `openai-access-mock`, beside this one) shares with the engine:
//!   [`endpoint`], [`api::models`], [`ids`], the [`Gcra`] token bucket, [`AdminKey`],
//!   [`baton::roles::predefined_name`] and the in-process wire ([`api::Transport`]). The
//!   engine never depends on the mock.

// Whatever is `pub` is the facade; everything else says pub(crate), and this keeps it so.
#![warn(unreachable_pub)]

pub mod api;
pub mod atomic;
pub mod baton;
pub mod clock;
mod collector;
mod coordinator;
mod crawlers;
pub mod endpoint;
mod fanout;
mod gcra;
pub mod graph;
pub mod human;
pub mod ids;
pub mod incremental;
mod messages;
mod outcome;
pub mod plan;
pub mod private;
pub mod provisioner;
pub mod review;
mod runtime;
mod secret;
pub mod sim;
pub mod state;
pub mod stateful;
mod sync;
mod throttle;
pub mod usage;

pub use api::{AdminClient, ApiError, ClientConfig, DEFAULT_BASE_URL, EndpointCounts};
pub use coordinator::{CrawlerProgress, ListFailure, Progress, SyncError, SyncOutcome};
/// The token bucket the mock (its own crate) limits each endpoint with, as the throttle paces.
pub use gcra::{Gcra, Pace};
pub use runtime::{block_on, block_on_simulated};
pub use secret::{AdminKey, printable};
pub use sync::{EngineError, Persistence, Purpose, SyncConfig, SyncRun, sync};
pub use throttle::{EndpointRate, KnownLimits, LimitRange, Priority, ThrottleConfig};
