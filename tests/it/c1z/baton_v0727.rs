//! A `.c1z` for the `baton` CLI users have: the newest release is built on baton-sdk v0.7.27,
//! whose reader fails a whole listing on a `google.protobuf.Any` naming a message it does not
//! define, and whose `export c1z` fails on a column its own tables lack. By default every Any
//! names a v0.7.27 message and the file clones into v0.7.27's tables; `Readers::NewerSdk`
//! (`sync --c1z-newer-sdk`, ConductorOne's upload) adds what only later SDKs read.

use super::*;
use openai_access::output::c1z::Readers;
use rusqlite::types::ValueRef;

const TYPE_URL_PREFIX: &[u8] = b"type.googleapis.com/";

/// The messages baton-sdk v0.7.27 defines (the fixture says how the list was made).
fn v0_7_27_messages() -> BTreeSet<String> {
    std::fs::read_to_string(sample_path("v0.7.27-messages.txt"))
        .expect("the v0.7.27 message list")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The `.c1z` decompressed into a writable database (the clone attaches a new one to it).
fn open_writable(path: &Path) -> (tempfile::TempDir, Connection) {
    let raw = std::fs::read(path).expect("read the .c1z");
    assert_eq!(&raw[..5], MAGIC_V1);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    std::fs::write(&db, zstd::decode_all(&raw[5..]).expect("decompress")).expect("write db");
    let conn = Connection::open(&db).expect("open");
    (dir, conn)
}

/// Every type URL in every value of every row of every table, with how often it occurs. Found
/// by scanning the bytes: a type URL is a contiguous string wherever its Any is nested (in an
/// embedded resource, in another Any's value), so no schema can hide one from the scan.
fn type_urls(conn: &Connection) -> BTreeMap<String, usize> {
    let tables: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .expect("tables");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("names")
    };
    let mut found = BTreeMap::new();
    for table in &tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table}"))
            .expect("select");
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).expect("rows");
        while let Some(row) = rows.next().expect("row") {
            for i in 0..columns {
                let bytes = match row.get_ref(i).expect("value") {
                    ValueRef::Blob(b) | ValueRef::Text(b) => b,
                    _ => continue,
                };
                let mut rest = bytes;
                while let Some(at) = find(rest, TYPE_URL_PREFIX) {
                    let name: Vec<u8> = rest[at + TYPE_URL_PREFIX.len()..]
                        .iter()
                        .copied()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'_')
                        .collect();
                    *found
                        .entry(String::from_utf8(name).expect("ascii"))
                        .or_default() += 1;
                    rest = &rest[at + TYPE_URL_PREFIX.len()..];
                }
            }
        }
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The names in `urls` that v0.7.27 does not define.
fn unresolvable(urls: &BTreeMap<String, usize>) -> BTreeSet<String> {
    let known = v0_7_27_messages();
    urls.keys()
        .filter(|u| !known.contains(*u))
        .cloned()
        .collect()
}

fn with_readers(secs: u64, append: bool, readers: Readers) -> C1zOptions {
    C1zOptions {
        readers,
        ..opts_at(secs, append)
    }
}

#[test]
fn the_message_list_is_baton_sdk_v0_7_27_s() {
    let known = v0_7_27_messages();
    // Spot checks of the fixture: what v0.7.27 has, and what came after it.
    for name in [
        "c1.connector.v2.UserTrait",
        "c1.connector.v2.GrantImmutable",
        "c1.connector.v2.GrantExpandable",
        "c1.connector.v2.UserTrait.Status",
    ] {
        assert!(known.contains(name), "{name}");
    }
    assert!(!known.contains("c1.connector.v2.EntitlementExclusionGroup"));
}

#[test]
fn a_default_c1z_names_only_messages_baton_sdk_v0_7_27_defines() {
    // Written once and appended to: every table, both syncs.
    let (_dir, path) = target("org.c1z");
    write_c1z(&small_graph(), &path, &opts_at(1_800_000_000, false)).expect("write");
    write_c1z(&small_graph(), &path, &opts_at(1_800_000_060, true)).expect("append");
    let urls = type_urls(&open_c1z(&path).conn);
    // Not vacuous: the traits and the immutable grant's annotation are there to check.
    for t in [
        "UserTrait",
        "GroupTrait",
        "RoleTrait",
        "AppTrait",
        "SecretTrait",
    ] {
        assert!(
            urls.contains_key(&format!("c1.connector.v2.{t}")),
            "{t}: {urls:?}"
        );
    }
    assert!(
        urls.contains_key("c1.connector.v2.GrantImmutable"),
        "{urls:?}"
    );
    assert_eq!(unresolvable(&urls), BTreeSet::new(), "{urls:?}");

    // And a sync of the mock's `small` org by the binary, as a user runs it.
    let (_dir, path) = target("small.c1z");
    let o = crate::support::bin()
        .args(["sync", "--mock", "small", "--no-progress", "--out"])
        .arg(&path)
        .output()
        .expect("run sync");
    assert!(o.status.success(), "{}", crate::support::text(&o));
    let urls = type_urls(&open_c1z(&path).conn);
    assert!(urls.len() >= 5, "{urls:?}");
    assert_eq!(unresolvable(&urls), BTreeSet::new(), "{urls:?}");
}

#[test]
fn a_c1z_for_newer_sdks_carries_the_exclusion_groups_v0_7_27_cannot_resolve() {
    let (_dir, path) = target("org.c1z");
    let opts = with_readers(1_800_000_000, false, Readers::NewerSdk);
    write_c1z(&small_graph(), &path, &opts).expect("write");
    let c = open_c1z(&path).conn;
    let urls = type_urls(&c);
    assert_eq!(
        unresolvable(&urls),
        BTreeSet::from(["c1.connector.v2.EntitlementExclusionGroup".to_owned()]),
        "the check above would catch it"
    );
    let choices = small_graph()
        .entitlements_sorted()
        .into_iter()
        .filter(|e| e.exclusion.is_some())
        .count();
    assert!(choices >= 4, "the owner role, the project's three roles");
    assert_eq!(urls["c1.connector.v2.EntitlementExclusionGroup"], choices);
    let backfilled: i64 = c
        .query_row("SELECT grants_backfilled FROM v1_sync_runs", [], |r| {
            r.get(0)
        })
        .expect("newer column");
    assert_eq!(backfilled, 1, "spares a newer SDK its backfill scan");
}

/// What v0.7.27's `export c1z` does (`pkg/dotc1z/clone_sync.go`): a new database with its own
/// schema attached, then per table `INSERT INTO clone.t (cols) SELECT cols FROM t WHERE
/// sync_id = ?`, the columns read from the source table (`PRAGMA table_info`, without `id`).
/// Returns the rows copied per table.
fn export_c1z_as_v0_7_27(src: &Connection, sync_id: &str) -> rusqlite::Result<Vec<usize>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let clone = dir.path().join("clone.db");
    let schema =
        std::fs::read_to_string(sample_path("v0.7.27-tables.sql")).expect("v0.7.27 tables");
    Connection::open(&clone)
        .and_then(|c| c.execute_batch(&schema))
        .expect("create v0.7.27's tables");
    src.execute("ATTACH ?1 AS clone", [clone.to_str().expect("utf8")])?;
    let mut copied = Vec::new();
    let result = (|| {
        for table in V1_TABLES {
            let columns: Vec<String> = {
                let mut stmt = src.prepare(&format!("PRAGMA table_info({table})"))?;
                stmt.query_map([], |r| r.get::<_, String>(1))?
                    .filter(|c| c.as_ref().map_or(true, |c| c != "id"))
                    .collect::<Result<_, _>>()?
            };
            let cols = columns.join(", ");
            copied.push(src.execute(
                &format!(
                    "INSERT INTO clone.{table} ({cols}) SELECT {cols} FROM {table} WHERE sync_id = ?1"
                ),
                [sync_id],
            )?);
        }
        Ok(copied)
    })();
    src.execute_batch("DETACH clone")?;
    result
}

#[test]
fn baton_v0_7_27_s_export_c1z_clones_a_default_file() {
    let (_dir, path) = target("org.c1z");
    write_c1z(&small_graph(), &path, &opts_at(1_800_000_000, false)).expect("write");
    let (_db, c) = open_writable(&path);
    let sync = latest_sync(&c);
    let copied = export_c1z_as_v0_7_27(&c, &sync).expect("the clone works");
    let graph = small_graph();
    // resource types, resources, entitlements, sync runs, grants, assets, sessions
    assert_eq!(
        copied,
        vec![
            ResourceType::ALL.len(),
            graph.resources().count(),
            graph.entitlements_sorted().len(),
            1,
            graph.grant_count(),
            0,
            0
        ]
    );

    // A file written for newer SDKs does not clone: the failure the issue reported, so the
    // emulation is faithful.
    let (_dir, newer) = target("newer.c1z");
    let opts = with_readers(1_800_000_000, false, Readers::NewerSdk);
    write_c1z(&small_graph(), &newer, &opts).expect("write");
    let (_db2, c2) = open_writable(&newer);
    let err = export_c1z_as_v0_7_27(&c2, &latest_sync(&c2)).expect_err("newer columns");
    assert!(
        err.to_string()
            .contains("table clone.v1_sync_runs has no column named grants_backfilled"),
        "{err}"
    );
    drop(c2);

    // Appending a default sync to it brings its sync runs back to v0.7.27's columns.
    write_c1z(&small_graph(), &newer, &opts_at(1_800_000_060, true)).expect("append");
    let (_db3, c3) = open_writable(&newer);
    let sync = latest_sync(&c3);
    let copied = export_c1z_as_v0_7_27(&c3, &sync).expect("clones again");
    assert_eq!(copied[3], 1, "the one sync run");
    drop(c3);

    // And appending for newer SDKs adds the columns back, as their own migrations would.
    let opts = with_readers(1_800_000_120, true, Readers::NewerSdk);
    write_c1z(&small_graph(), &newer, &opts).expect("append for newer SDKs");
    let c4 = open_c1z(&newer).conn;
    let backfilled: Vec<i64> = {
        let mut stmt = c4
            .prepare("SELECT grants_backfilled FROM v1_sync_runs ORDER BY id")
            .expect("prepare");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    // The syncs already there get the column's default, as an SDK migration gives them.
    assert_eq!(backfilled, vec![0, 1]);
}
