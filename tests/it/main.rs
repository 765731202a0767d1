//! The one integration-test binary (each extra binary would link actix, reqwest and hyper again).

mod baton_cli;
mod c1_wire;
mod c1z;
mod cli;
mod client;
mod conformance;
mod ground_truth;
mod guards;
mod hedging;
mod hostile;
mod incremental;
mod jit;
mod logs;
mod long_syncs;
mod outputs;
mod provision;
mod review;
mod review_c1z;
mod review_diff;
mod review_export;
mod review_logins;
mod review_report;
mod serve;
mod simulated;
mod support;
mod sync;
