//! The profile fields usage evidence is written in (see `crate::usage`): part of the graph's
//! vocabulary, so that readers of a finished graph (reviews, outputs) find them without
//! knowing how they were read.

/// Every resource with usage gets: the start of its last day with requests (Unix seconds;
/// absent when none in the window) and its requests in the window.
pub const LAST_USED: &str = "api_last_used_at";
pub const REQUESTS: &str = "api_requests";
/// The organization's: the window's length, its first and last day (`YYYY-MM-DD`), and the
/// usage types that could not be read (comma-separated).
pub const WINDOW_DAYS: &str = "usage_window_days";
pub const WINDOW_FROM: &str = "usage_from";
pub const WINDOW_THROUGH: &str = "usage_through";
pub const MISSING: &str = "usage_missing";

/// How many usage types there are: all of them missing means usage is unknown.
pub const TYPES: usize = 10;
