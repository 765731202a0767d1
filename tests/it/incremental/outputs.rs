//! What incremental syncs leave behind: nothing lost or doubled by a crash between the output
//! and the state, and a `.c1z` whose runs Baton can diff.

use super::*;

#[test]
fn a_crash_between_the_output_and_the_state_loses_and_doubles_nothing() {
    let server = server(Preset::Small, 4);
    let (dir, state) = first_sync(&server);
    let st = state.to_str().expect("utf-8");
    let mut rng = SplitMix64::new(4);
    apply_random(&server, &mut rng, 15);
    // The output is written, then the process dies before the state is committed.
    let o = run_bounded(
        bin()
            .env("OPENAI_ADMIN_KEY", KEY)
            .env("OPENAI_ACCESS_TEST_STOP_BEFORE_STATE", "1")
            .args([
                "sync",
                "--no-progress",
                "--group-rescan-interval",
                "0",
                "--base-url",
            ])
            .arg(server.base_url())
            .args(["--state", st, "--out"])
            .arg(dir.path().join("crashed.json")),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(137), "{}", text(&o));
    assert!(
        dir.path().join("crashed.json").exists(),
        "the output was written"
    );
    // The next run finishes what the crashed one began, from its journal.
    let (resumed, said) = sync(&server, &dir.path().join("resumed.json"), &["--state", st]);
    assert_eq!(resumed["sync"]["kind"], "resumed", "{said}");
    assert_eq!(resumed["summary"]["lists_read"], 0, "{said}");
    // Changes after it are found by the next incremental sync.
    apply_random(&server, &mut rng, 15);
    let (inc, fresh, run) = incremental_and_fresh(&server, dir.path(), &state);
    assert!(inc == fresh, "{run}");
    let (again, fresh2, _) = incremental_and_fresh(&server, dir.path(), &state);
    assert!(again == fresh2);
}

#[test]
fn into_a_c1z_each_sync_is_a_run_baton_can_diff_and_the_last_equals_a_full_sync() {
    use crate::c1z::{blobs, latest_sync, open_c1z};
    let server = server(Preset::Small, 3);
    let dir = tempfile::tempdir().expect("tmp");
    let st = dir.path().join("state");
    let st = st.to_str().expect("utf-8");
    let c1z = dir.path().join("org.c1z");
    let run = |out: &Path, extra: &[&str]| {
        let o = run_bounded(
            bin()
                .env("OPENAI_ADMIN_KEY", KEY)
                .args(["sync", "--no-progress", "--base-url"])
                .arg(server.base_url())
                .arg("--out")
                .arg(out)
                .args(extra),
            Duration::from_secs(120),
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        text(&o)
    };
    run(&c1z, &["--state", st]);
    let mut rng = SplitMix64::new(3);
    assert!(!apply_random(&server, &mut rng, 10).is_empty());
    let said = run(&c1z, &["--state", st, "--group-rescan-interval", "0"]);
    assert!(said.contains("incremental"), "{said}");
    let fresh = dir.path().join("fresh.c1z");
    run(&fresh, &[]);

    let inc = open_c1z(&c1z).conn;
    let runs: i64 = inc
        .query_row(
            "SELECT count(*) FROM v1_sync_runs WHERE sync_type = 'full' AND ended_at IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(runs, 2, "the first sync and the incremental one, to diff");
    // Nothing changed since: no third sync appended, not a byte rewritten.
    drop(inc);
    let before = std::fs::read(&c1z).expect("c1z");
    let said = run(&c1z, &["--state", st]);
    assert!(
        said.contains("Nothing changed") && said.contains("left as it was"),
        "{said}"
    );
    assert_eq!(std::fs::read(&c1z).expect("c1z"), before);
    let inc = open_c1z(&c1z).conn;
    let full = open_c1z(&fresh).conn;
    let (a, b) = (latest_sync(&inc), latest_sync(&full));
    for table in ["v1_resources", "v1_entitlements", "v1_grants"] {
        let (x, y) = (blobs(&inc, table, &a), blobs(&full, table, &b));
        let differ: Vec<&String> = x
            .keys()
            .chain(y.keys())
            .filter(|k| x.get(*k) != y.get(*k))
            .take(5)
            .collect();
        assert!(
            differ.is_empty(),
            "{table}: the incremental sync's rows differ from a full sync's: {differ:?}"
        );
    }
}
