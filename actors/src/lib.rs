//! `openai-access-actors`: the engine of openai-access.
//!
//! It knows nothing of the command line: the CLI talks to it through actor messages and the
//! public types re-exported here.
//!
//! | actor             | file             | owns                                             |
//! |-------------------|------------------|--------------------------------------------------|
//! | `SyncCoordinator` | `coordinator.rs` | what to crawl next, the outstanding count        |
//! | `Crawler<K>`      | `crawlers/`      | paging one kind of list, converting it to facts  |
//! | `GrantCollector`  | `collector.rs`   | the grant graph under construction              |
//! | `Provisioner`     | `provisioner.rs` | nothing between requests: grants, revokes, accounts |

pub mod api;
pub mod baton;
pub mod collector;
pub mod coordinator;
pub mod crawlers;
pub mod endpoint;
pub mod graph;
pub mod ids;
pub mod messages;
pub mod provisioner;
pub mod runtime;
pub mod secret;
pub mod sync;
pub mod throttle;

#[cfg(feature = "mock")]
pub mod mock;

pub use secret::AdminKey;
