//! Deterministic orgs: `tiny` is built by hand around the edge cases; the others are drawn
//! from a SplitMix64 seeded by (preset, seed) with realistic proportions.
//!
//! | file          | holds                                              |
//! |---------------|----------------------------------------------------|
//! | `build`       | constructors of the org's objects                  |
//! | `tiny`        | the hand-built fixture                             |
//! | `generated`   | small, medium and large, drawn from a seed         |

pub(super) mod build;
mod generated;
mod tiny;

use super::config::Preset;
use super::state::Org;

/// Every fixed timestamp counts from here (2023-11-14).
const T0: i64 = 1_700_000_000;
const DAY: i64 = 86_400;

/// The org of `preset`, identical for identical `(preset, seed)`.
pub fn generate(preset: Preset, seed: u64) -> Org {
    match preset {
        Preset::Tiny => tiny::tiny(),
        Preset::Small => generated::Gen::new(preset, seed, 100, 10).run(),
        Preset::Medium => generated::Gen::new(preset, seed, 2_000, 200).run(),
        Preset::Large => generated::Gen::new(preset, seed, 20_000, 2_000).run(),
    }
}
