//! Usage as evidence (issue 36): who actually uses the access they hold, from the Usage API.
//!
//! A sync's grant lists come first; then, at the throttle's lowest priority, [`read`] asks
//! every usage type for daily buckets grouped by project, user and API key over a window of
//! days, and keeps per-day totals in a [`UsageBook`] (the state's, or one in memory), so a
//! later sync reads only the days it has not seen settled: today, and the days since the last
//! sync, one request per type while that is at most 31 days. What was read becomes
//! [`Evidence`]: each key's, user's, service account's and project's last day of use and its
//! requests in the window, which [`Evidence::apply`] writes into the graph's resources where
//! every output (and Baton's readers) find them.
//!
//! A usage read that fails (a 403 for a key without the usage scope, a rate limit that
//! outlasts the retry budget) leaves the sync complete: the evidence says what is missing.
//!
//! | file       | holds                                                             |
//! |------------|-------------------------------------------------------------------|
//! | `kinds`    | the ten usage types: endpoint, what each groups by, what it counts |
//! | `read`     | which days to read, the paging, storing                           |
//! | `evidence` | the totals as answers, and into the graph                         |

mod evidence;
mod kinds;
mod read;

pub use crate::state::UsageBook;
pub use evidence::{Evidence, Missing, Use};

pub use kinds::{KINDS, Kind};
pub use read::{MAX_WAIT, UsageOptions, UsageRead, read};

/// Why usage could not be read (the sync stays complete; see [`Evidence::missing`]).
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error(transparent)]
    Api(#[from] crate::api::ApiError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error("not read within {}: rate-limited, or too slow; the next sync reads it", crate::human::duration(*after))]
    TimedOut { after: std::time::Duration },
    #[error("{endpoint} answered a page that repeats its cursor {page:?}")]
    RepeatedPage {
        endpoint: crate::endpoint::Endpoint,
        page: String,
    },
}
