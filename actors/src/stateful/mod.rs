//! One way to run a sync that keeps a state, for the command line and the service alike:
//! [`prepare`] decides the kind (a resume of an interrupted sync, an incremental one from the
//! audit log, a full one and why, or none at all when nothing changed), [`Prepared::start`]
//! runs it, and [`Prepared::commit`] stores what it learned once its output is written.
//! [`reconcile`] re-reads, in the background, the lists the state holds longest.
//!
//! The state itself (`crate::state`) only stores; everything that decides lives here.

mod prepare;
mod reconcile;

pub use prepare::{GROUP_RESCAN, Prepared, Refused, RunHeader, StateOptions, prepare};
pub use reconcile::{Pass, Reconciled, reconcile};
