//! The file as a whole: a failed write leaves nothing, appending keeps the last two full
//! syncs, and a file of another format is refused.

use super::*;

#[test]
fn failed_write_leaves_nothing_and_keeps_an_existing_file() {
    let graph = small_graph();
    let (dir, path) = target("org.c1z");
    let total = ResourceType::ALL.len()
        + graph.resource_count()
        + graph.entitlement_count()
        + graph.grant_count();
    for fail_after in [0, 12, total - 1] {
        let opts = C1zOptions {
            fail_after_rows: Some(fail_after),
            ..C1zOptions::default()
        };
        let err = write_c1z(&graph, &path, &opts).expect_err("simulated failure");
        assert!(matches!(err, C1zError::SimulatedFailure { .. }), "{err}");
        assert!(
            dir_entries(dir.path()).is_empty(),
            "nothing left after failing at {fail_after}"
        );
    }

    write_c1z(&graph, &path, &C1zOptions::default()).expect("write");
    let before = std::fs::read(&path).expect("read");
    for append in [false, true] {
        let opts = C1zOptions {
            append,
            fail_after_rows: Some(total - 1),
            ..C1zOptions::default()
        };
        write_c1z(&graph, &path, &opts).expect_err("simulated failure");
        assert_eq!(
            std::fs::read(&path).expect("read"),
            before,
            "existing file untouched"
        );
        assert_eq!(
            dir_entries(dir.path()),
            BTreeSet::from(["org.c1z".to_owned()])
        );
    }
}

#[test]
fn appending_keeps_the_last_two_full_syncs() {
    let graph = small_graph();
    let (_dir, path) = target("org.c1z");
    let mut ids = Vec::new();
    for (i, expect_syncs) in [(0u64, 1usize), (1, 2), (2, 2), (3, 2)] {
        let report =
            write_c1z(&graph, &path, &opts_at(1_800_000_000 + i * 60, true)).expect("write");
        assert_eq!(report.appended, i > 0);
        assert_eq!(report.full_syncs_in_file, expect_syncs);
        ids.push(report.sync_id);

        let c = open_c1z(&path).conn;
        let finished: Vec<String> = {
            let mut stmt = c
                .prepare(
                    "SELECT sync_id FROM v1_sync_runs WHERE sync_type = 'full' \
                     AND ended_at IS NOT NULL ORDER BY ended_at",
                )
                .expect("prepare");
            stmt.query_map([], |r| r.get(0))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows")
        };
        let start = ids.len().saturating_sub(2);
        assert_eq!(
            finished,
            ids[start..].to_vec(),
            "the newest two, oldest first"
        );
        for id in &ids[start..] {
            let n = count(&c, "SELECT count(*) FROM v1_grants WHERE sync_id = ?1", id);
            assert_eq!(n, graph.grant_count());
        }
        for gone in &ids[..start] {
            for table in V1_TABLES {
                let sql = format!("SELECT count(*) FROM {table} WHERE sync_id = ?1");
                assert_eq!(
                    count(&c, &sql, gone),
                    0,
                    "{table} rows of removed sync {gone}"
                );
            }
        }
    }
}

/// A file that is not a v1 .c1z is not appended to (nor clobbered).
#[test]
fn append_refuses_a_non_v1_file() {
    let (_dir, path) = target("org.c1z");
    std::fs::write(&path, b"C1Z3\0pebble").expect("write");
    let err = write_c1z(&small_graph(), &path, &opts_at(1_800_000_000, true)).expect_err("v3");
    assert!(matches!(err, C1zError::NotV1 { .. }), "{err}");
    assert_eq!(std::fs::read(&path).expect("read"), b"C1Z3\0pebble");
}
