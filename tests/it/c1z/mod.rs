//! `.c1z` output: a reader built from rusqlite + zstd + the writer's own prost types opens what
//! `write_c1z` produced and checks it against the grant graph and the Baton SDK's sample file.
//! The reader and a small org are here; each file checks one side of the output. (The timing
//! of a ~1M-grant graph is the criterion bench `benches/c1z_write.rs`.)

mod baton_v0727;
mod cli;
mod contents;
mod files;
mod schema;

use openai_access::output::c1z::{C1zError, C1zOptions, MAGIC_V1, V1_TABLES, proto, write_c1z};
use openai_access_actors::graph::{
    AccountType, EntitlementId, GrantGraph, Origin, Resource, ResourceKey, ResourceType, Traits,
    UserStatus,
};
use prost::Message;
use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

// ---- the reader --------------------------------------------------------------------------------

/// A decompressed `.c1z`, open read-only; the temp dir holds the database.
pub struct Opened {
    pub conn: Connection,
    _dir: tempfile::TempDir,
}

/// Checks the envelope (magic, exactly one zstd frame with its content size) and opens the db.
pub fn open_c1z(path: &Path) -> Opened {
    let raw = std::fs::read(path).expect("read the .c1z");
    assert_eq!(&raw[..5], MAGIC_V1, "v1 magic");
    let frame = &raw[5..];
    let content_size = zstd::zstd_safe::get_frame_content_size(frame)
        .expect("a zstd frame header")
        .expect("the frame header carries the content size");
    let frame_len =
        zstd::zstd_safe::find_frame_compressed_size(frame).expect("a complete zstd frame");
    assert_eq!(frame_len, frame.len(), "one frame and nothing after it");
    let db_bytes = zstd::decode_all(frame).expect("decompress");
    assert_eq!(db_bytes.len() as u64, content_size);
    assert_eq!(&db_bytes[..16], b"SQLite format 3\0");
    // Bytes 18/19 are the write/read format versions: 1 = rollback journal, 2 = WAL.
    assert_eq!(
        (db_bytes[18], db_bytes[19]),
        (1, 1),
        "rollback journal, not WAL"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    std::fs::write(&db, db_bytes).expect("write the db");
    let conn = Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the db");
    Opened { conn, _dir: dir }
}

fn sample_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/baton-sdk")
        .join(name)
}

fn count(conn: &Connection, sql: &str, sync_id: &str) -> usize {
    conn.query_row(sql, [sync_id], |r| r.get::<_, i64>(0))
        .map(|n| usize::try_from(n).expect("non-negative"))
        .expect("count query")
}

/// `(external_id, data)` of every row of `table` in `sync_id`.
pub fn blobs(conn: &Connection, table: &str, sync_id: &str) -> BTreeMap<String, Vec<u8>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT external_id, data FROM {table} WHERE sync_id = ?1"
        ))
        .expect("prepare");
    stmt.query_map([sync_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

pub fn latest_sync(conn: &Connection) -> String {
    conn.query_row(
        "SELECT sync_id FROM v1_sync_runs WHERE ended_at IS NOT NULL ORDER BY ended_at DESC, id DESC LIMIT 1",
        [],
        |r| r.get(0),
    )
    .expect("a finished sync")
}

fn decode_any<M: Message + Default>(a: &proto::Any, url: &str) -> M {
    assert_eq!(
        a.type_url,
        format!("type.googleapis.com/c1.connector.v2.{url}")
    );
    M::decode(a.value.as_slice()).expect("decode the annotation")
}

// ---- a small org ---------------------------------------------------------------------------------

fn org() -> ResourceKey {
    key(ResourceType::Organization, "org-1")
}

fn ent(id: &str) -> EntitlementId {
    id.parse().expect("entitlement id")
}

fn plain(rt: ResourceType, id: &str, name: &str, parent: Option<ResourceKey>) -> Resource {
    let traits = match rt.trait_kind() {
        openai_access_actors::graph::TraitKind::Group => Traits::Group,
        openai_access_actors::graph::TraitKind::Role => Traits::Role,
        _ => Traits::App,
    };
    Resource {
        resource_type: rt,
        id: id.parse().expect("resource id"),
        parent,
        display_name: name.to_owned(),
        description: String::new(),
        profile: BTreeMap::from([("name".to_owned(), serde_json::json!(name))]),
        traits,
    }
}

fn user(rt: ResourceType, id: &str, email: &str, account_type: AccountType) -> Resource {
    Resource {
        resource_type: rt,
        id: id.parse().expect("resource id"),
        parent: Some(org()),
        display_name: email.to_owned(),
        description: String::new(),
        profile: BTreeMap::from([
            ("email".to_owned(), serde_json::json!(email)),
            ("added_at".to_owned(), serde_json::json!(1_700_000_000)),
        ]),
        traits: Traits::User {
            emails: vec![email.to_owned()],
            status: UserStatus::Enabled,
            account_type,
            login: Some(email.to_owned()),
            last_activity: Some(1_700_000_500),
        },
    }
}

fn key(rt: ResourceType, id: &str) -> ResourceKey {
    ResourceKey::new(rt, id.parse().expect("resource id"))
}

/// Users, a group with members, a project, the owner role, a service account and an API key;
/// direct, expanded (through the group) and immutable (implicit project owner) grants.
fn small_graph() -> GrantGraph {
    use ResourceType as T;
    let mut g = GrantGraph::new("org-1");
    g.add_resource(plain(T::Organization, "org-1", "Acme", None));
    for (id, email) in [
        ("u1", "ann@acme.test"),
        ("u2", "bob@acme.test"),
        ("u3", "cy@acme.test"),
    ] {
        g.add_resource(user(T::User, id, email, AccountType::Human));
    }
    g.add_resource(plain(T::Group, "g1", "Engineering", Some(org())));
    g.add_resource(plain(T::Project, "p1", "Apollo", Some(org())));
    g.add_resource(plain(T::Role, "owner", "Owner", Some(org())));
    let mut sa = user(T::ServiceAccount, "p1/sa1", "bot", AccountType::Service);
    sa.parent = Some(key(T::Project, "p1"));
    g.add_resource(sa);
    g.add_resource(Resource {
        resource_type: T::ApiKey,
        id: "k1".parse().expect("resource id"),
        parent: Some(key(T::Project, "p1")),
        display_name: "sk-...abcd".to_owned(),
        description: String::new(),
        profile: BTreeMap::new(),
        traits: Traits::Secret {
            identity: Some(key(T::User, "u1")),
            created_at: Some(1_700_000_000),
            last_used_at: Some(1_700_000_500),
            expires_at: None,
        },
    });

    let g1 = key(T::Group, "g1");
    for u in ["u1", "u2", "u3"] {
        g.add_grant(
            &ent("organization:org-1:member"),
            &key(T::User, u),
            Origin::Direct,
        );
    }
    for u in ["u1", "u2"] {
        g.add_grant(&ent("group:g1:member"), &key(T::User, u), Origin::Direct);
    }
    g.add_grant(
        &ent("role:owner:assigned"),
        &key(T::User, "u3"),
        Origin::Direct,
    );
    g.add_grant(&ent("project:p1:member"), &g1, Origin::Direct);
    g.add_grant(
        &ent("project:p1:member"),
        &key(T::User, "u1"),
        Origin::Direct,
    );
    g.add_grant(
        &ent("project:p1:member"),
        &key(T::ServiceAccount, "p1/sa1"),
        Origin::Direct,
    );
    let report = g.finish();
    assert!(report.dangling.is_empty(), "{report:?}");
    assert_eq!(
        report.expanded_from_groups, 1,
        "u2 through g1 (u1 is also direct)"
    );
    assert_eq!(
        report.implicit_project_owners, 1,
        "u3 owns p1 through the owner role"
    );
    g
}

fn opts_at(secs: u64, append: bool) -> C1zOptions {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    C1zOptions {
        append,
        started_at: t,
        ended_at: t + Duration::from_millis(1500),
        ..C1zOptions::default()
    }
}

fn dir_entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// A temporary directory and a file named `name` in it, not yet written.
fn target(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    (dir, path)
}
