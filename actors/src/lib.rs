//! `openai-access-actors`: the engine of openai-access.
//!
//! It knows nothing of the command line: the CLI talks to it through actor messages and the
//! public types re-exported here.

pub mod api;
pub mod graph;
pub mod ids;
pub mod secret;
pub mod throttle;

#[cfg(feature = "mock")]
pub mod mock;

pub use secret::AdminKey;
