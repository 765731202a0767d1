//! The service's own bookkeeping in the state database (a `meta` row of its own): the next
//! sync id. Ids only grow across restarts, so `/api/v1/changes?since=N` stays meaningful.

use openai_access_actors::state::{LEDGER, StateDir};
use serde::{Deserialize, Serialize};

/// What the service remembers across restarts.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Ledger {
    pub next_sync_id: u64,
}

/// The largest sync id: ids travel in JSON, whose readers keep integers exact up to 2^53, and
/// a service that syncs every second would take 285 million years to reach it.
pub const MAX_SYNC_ID: u64 = (1 << 53) - 1;

/// The id after `id` (never past [`MAX_SYNC_ID`]).
pub fn next_id(id: u64) -> u64 {
    id.saturating_add(1).min(MAX_SYNC_ID)
}

/// The ledger, with what no service can have written set right and said (it can only come
/// from someone editing the state): a sync id past [`MAX_SYNC_ID`] (ids would wrap and repeat).
pub fn read(state: &StateDir) -> Ledger {
    let mut ledger: Ledger = state.get(LEDGER).ok().flatten().unwrap_or_default();
    if ledger.next_sync_id > MAX_SYNC_ID {
        tracing::warn!(
            next_sync_id = ledger.next_sync_id,
            "The service's ledger holds an impossible next sync id; ids start again after the history's."
        );
        ledger.next_sync_id = 0;
    }
    ledger
}

pub fn write(state: &StateDir, ledger: &Ledger) {
    if let Err(e) = state.set(LEDGER, ledger) {
        tracing::warn!(error = %e, "Cannot store the service's ledger.");
    }
}
