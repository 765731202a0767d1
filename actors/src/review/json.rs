//! Reading back the JSON a sync wrote (`sync --out FILE.json`). A `large` sync is half a
//! gigabyte, a million grants: the file is scanned once with each grant kept as its raw
//! text, then the grants are decoded on every core, in order.

use super::{ReviewError, SYNC_FORMAT, Snapshot, SyncInfo};
use crate::graph::{Entitlement, Grant, Resource};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct SyncFile<'a> {
    format: String,
    #[serde(default)]
    sync: Option<SyncInfo>,
    org_id: String,
    #[serde(default)]
    partial: bool,
    resources: Vec<Resource>,
    entitlements: Vec<Entitlement>,
    #[serde(borrow)]
    grants: Vec<&'a RawValue>,
}

fn not_ours(what: impl std::fmt::Display) -> ReviewError {
    ReviewError::NotASync(format!(
        "not a sync written by openai-access (expected {SYNC_FORMAT:?}): {what}"
    ))
}

impl Snapshot {
    /// The JSON a sync wrote, read whole (parsing from one buffer is twice as fast as
    /// through a reader).
    pub fn from_json(mut reader: impl std::io::Read) -> Result<Self, ReviewError> {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| ReviewError::NotASync(format!("cannot read it: {e}")))?;
        let f: SyncFile = serde_json::from_slice(&bytes).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                ReviewError::NotASync(format!("not JSON, or cut short: {e}"))
            } else {
                not_ours(e)
            }
        })?;
        if f.format != SYNC_FORMAT {
            return Err(ReviewError::NotASync(format!(
                "JSON, but not a sync written by openai-access (its \"format\" is {:?}, expected {SYNC_FORMAT:?})",
                f.format
            )));
        }
        let grants = decode_on_every_core(&f.grants).map_err(|(i, e)| {
            not_ours(format_args!("grant {} of {}: {e}", i + 1, f.grants.len()))
        })?;
        Ok(Self::from_parts(
            f.org_id,
            f.sync,
            f.partial,
            f.resources,
            f.entitlements,
            grants,
        ))
    }
}

/// The grants, decoded in as many contiguous runs as there are cores and joined in order.
/// The first grant that does not decode is named by its place in the file.
fn decode_on_every_core(raw: &[&RawValue]) -> Result<Vec<Grant>, (usize, serde_json::Error)> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let run = raw.len().div_ceil(cores).max(1);
    let decode = |start: usize, run: &[&RawValue]| {
        run.iter()
            .enumerate()
            .map(|(i, g)| serde_json::from_str::<Grant>(g.get()).map_err(|e| (start + i, e)))
            .collect::<Result<Vec<_>, _>>()
    };
    std::thread::scope(|s| {
        let runs: Vec<_> = raw
            .chunks(run)
            .enumerate()
            .map(|(n, r)| s.spawn(move || decode(n * run, r)))
            .collect();
        let mut grants = Vec::with_capacity(raw.len());
        for r in runs {
            grants.extend(r.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?);
        }
        Ok(grants)
    })
}
