//! One file per subcommand; each parses its arguments into engine configuration and talks
//! to the engine through messages.

pub mod baton;
pub mod bench;
pub mod config;
pub mod export;
pub mod mock;
pub mod provision;
pub mod review;
pub mod sync;
