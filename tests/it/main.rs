//! The one integration-test binary (each extra binary would link actix, reqwest and hyper again).

mod c1z;
mod cli;
mod client;
mod ground_truth;
mod hostile;
mod long_syncs;
mod provision;
mod simulated;
mod support;
mod sync;
