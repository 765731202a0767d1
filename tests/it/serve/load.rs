//! A bounded load on loopback: concurrent clients query while scheduled syncs run (each one
//! swaps the served graph); not one query fails. The latencies are printed (timing goals are
//! measured by `bench-serve`, BENCHMARKS.md, not asserted here).

use super::*;
use openai_access::commands::bench::serve_load::{Load, queries_from, run};
use openai_access_mock::Preset;

#[test]
fn concurrent_queries_while_syncs_run_all_succeed() {
    let m = mock(Preset::Small);
    let s = Service::start(&m.base_url(), &["--interval", "1s"]);
    s.wait_ready();
    let out: Value =
        serde_json::from_slice(&std::fs::read(s.dir.path().join("org.json")).expect("--out"))
            .expect("json");
    let before = s.syncs().len();
    let load = Load {
        url: s.url.clone(),
        token: Some(TOKEN.to_owned()),
        queries: queries_from(&out, 200),
        clients: 8,
        requests: 4_000,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let mut report = rt.block_on(run(&load));
    // Syncs ran during the load; if the load was quicker than one interval, once more until
    // at least one sync has swapped the graph under it.
    let deadline = std::time::Instant::now() + PATIENCE;
    while s.syncs().len() == before {
        assert!(
            std::time::Instant::now() < deadline,
            "no sync ran: {}",
            s.logs()
        );
        let more = rt.block_on(run(&load));
        report.requests += more.requests;
        report.errors += more.errors;
        report.first_error = report.first_error.or(more.first_error);
    }
    eprintln!("{}", serde_json::to_string_pretty(&report).expect("json"));
    assert_eq!(report.errors, 0, "{:?}", report.first_error);
    assert!(report.requests >= 4_000);
    assert_eq!(report.by_kind.len(), 2, "both kinds of query were asked");
}
