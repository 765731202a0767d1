//! `.c1z` output: a reader built from rusqlite + zstd + the writer's own prost types opens what
//! `write_c1z` produced and checks it against the grant graph and the Baton SDK's sample file.

use openai_access::output::c1z::{C1zError, C1zOptions, MAGIC_V1, V1_TABLES, proto, write_c1z};
use openai_access_actors::graph::{
    AccountType, EntitlementId, GrantGraph, Origin, Resource, ResourceKey, ResourceType, Traits,
    UserStatus,
};
use prost::Message;
use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

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

// ---- tests ---------------------------------------------------------------------------------------

#[test]
fn written_file_reads_back_with_every_object_and_reference() {
    let graph = small_graph();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("org.c1z");
    let report = write_c1z(&graph, &path, &opts_at(1_800_000_000, false)).expect("write");
    assert_eq!(
        dir_entries(dir.path()),
        BTreeSet::from(["org.c1z".to_owned()])
    );
    assert_eq!(
        report.bytes_written,
        std::fs::metadata(&path).expect("stat").len()
    );

    let c = open_c1z(&path).conn;
    let sync = latest_sync(&c);
    assert_eq!(sync, report.sync_id);
    assert_eq!(sync.len(), 27);

    // Counts equal the graph's.
    let n = |t: &str| {
        count(
            &c,
            &format!("SELECT count(*) FROM {t} WHERE sync_id = ?1"),
            &sync,
        )
    };
    assert_eq!(n("v1_resource_types"), ResourceType::ALL.len());
    assert_eq!(n("v1_resources"), graph.resource_count());
    assert_eq!(n("v1_entitlements"), graph.entitlement_count());
    assert_eq!(n("v1_grants"), graph.grant_count());
    assert_eq!(n("v1_sync_runs"), 1);
    assert_eq!(report.rows.grants, graph.grant_count());

    // Every lookup the baton CLI makes finds its row (§3.6).
    for (what, sql) in [
        (
            "grant entitlement",
            "SELECT count(*) FROM v1_grants g WHERE g.sync_id = ?1 AND NOT EXISTS \
             (SELECT 1 FROM v1_entitlements e WHERE e.sync_id = g.sync_id AND e.external_id = g.entitlement_id)",
        ),
        (
            "grant principal",
            "SELECT count(*) FROM v1_grants g WHERE g.sync_id = ?1 AND NOT EXISTS \
             (SELECT 1 FROM v1_resources r WHERE r.sync_id = g.sync_id AND \
              r.external_id = g.principal_resource_type_id || ':' || g.principal_resource_id)",
        ),
        (
            "grant resource",
            "SELECT count(*) FROM v1_grants g WHERE g.sync_id = ?1 AND NOT EXISTS \
             (SELECT 1 FROM v1_resources r WHERE r.sync_id = g.sync_id AND \
              r.external_id = g.resource_type_id || ':' || g.resource_id)",
        ),
        (
            "entitlement resource",
            "SELECT count(*) FROM v1_entitlements e WHERE e.sync_id = ?1 AND NOT EXISTS \
             (SELECT 1 FROM v1_resources r WHERE r.sync_id = e.sync_id AND \
              r.external_id = e.resource_type_id || ':' || e.resource_id)",
        ),
        (
            "resource parent",
            "SELECT count(*) FROM v1_resources c WHERE c.sync_id = ?1 AND c.parent_resource_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM v1_resources p WHERE p.sync_id = c.sync_id AND \
              p.external_id = c.parent_resource_type_id || ':' || c.parent_resource_id)",
        ),
        (
            "resource type",
            "SELECT count(*) FROM v1_resources r WHERE r.sync_id = ?1 AND NOT EXISTS \
             (SELECT 1 FROM v1_resource_types t WHERE t.sync_id = r.sync_id AND t.external_id = r.resource_type_id)",
        ),
    ] {
        assert_eq!(count(&c, sql, &sync), 0, "missing {what} rows");
    }

    // The sync run (§3.5, §3.7 step 2).
    let (sync_type, started, ended, token, diff, backfilled, parent): (
        String,
        String,
        Option<String>,
        String,
        i64,
        i64,
        String,
    ) = c
        .query_row(
            "SELECT sync_type, started_at, ended_at, sync_token, supports_diff, grants_backfilled, \
             parent_sync_id FROM v1_sync_runs WHERE sync_id = ?1",
            [&sync],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )
        .expect("sync run");
    assert_eq!(
        (sync_type.as_str(), diff, backfilled, parent.as_str()),
        ("full", 1, 1, "")
    );
    let token: serde_json::Value = serde_json::from_str(&token).expect("JSON sync token");
    assert_eq!(token["version"], 1);
    let ended = ended.expect("finished");
    for t in [&started, &ended] {
        chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f").expect("SDK time text");
    }
    assert!(started < ended);

    // Resources: ids, parents, traits, profile.
    let resources = blobs(&c, "v1_resources", &sync);
    for r in graph.resources() {
        let msg = proto::Resource::decode(resources[&r.key().to_string()].as_slice())
            .expect("decode resource");
        let id = msg.id.as_ref().expect("id");
        assert_eq!(
            (id.resource_type.as_str(), id.resource.as_str()),
            (r.resource_type.as_str(), r.id.as_str())
        );
        assert_eq!(msg.display_name, r.display_name);
        assert_eq!(msg.annotations.len(), 1, "one trait annotation");
        assert_eq!(
            msg.parent_resource_id.as_ref().map(|p| p.resource.clone()),
            r.parent.as_ref().map(|p| p.id.to_string())
        );
    }
    let u1 = proto::Resource::decode(resources["user:u1"].as_slice()).expect("u1");
    let trait_: proto::UserTrait = decode_any(&u1.annotations[0], "UserTrait");
    assert_eq!(trait_.emails[0].address, "ann@acme.test");
    assert!(trait_.emails[0].is_primary);
    assert_eq!(trait_.account_type, proto::AccountType::Human as i32);
    assert_eq!(
        trait_.status.as_ref().map(|s| s.status),
        Some(proto::UserStatusValue::Enabled as i32)
    );
    assert_eq!(trait_.login, "ann@acme.test");
    assert_eq!(
        trait_.last_login.as_ref().map(|t| t.seconds),
        Some(1_700_000_500),
        "the last activity, in Baton's last_login"
    );
    assert_eq!(
        trait_.profile, u1.profile,
        "profile mirrored into the trait for old readers"
    );
    let email = &u1.profile.as_ref().expect("profile").fields["email"];
    assert_eq!(
        email.kind,
        Some(proto::value::Kind::StringValue("ann@acme.test".into()))
    );
    assert_eq!(
        u1.status.as_ref().map(|s| s.status),
        Some(proto::ResourceStatusValue::Enabled as i32)
    );
    let sa = proto::Resource::decode(resources["service_account:p1/sa1"].as_slice()).expect("sa");
    let sa_trait: proto::UserTrait = decode_any(&sa.annotations[0], "UserTrait");
    assert_eq!(sa_trait.account_type, proto::AccountType::Service as i32);
    let k1 = proto::Resource::decode(resources["api_key:k1"].as_slice()).expect("k1");
    let secret: proto::SecretTrait = decode_any(&k1.annotations[0], "SecretTrait");
    let identity = secret.identity_id.expect("identity");
    assert_eq!(
        (identity.resource_type.as_str(), identity.resource.as_str()),
        ("user", "u1")
    );
    assert_eq!(secret.created_at.map(|t| t.seconds), Some(1_700_000_000));
    assert_eq!(secret.last_used_at.map(|t| t.seconds), Some(1_700_000_500));
    assert_eq!(secret.expires_at, None);
    let g1 = proto::Resource::decode(resources["group:g1"].as_slice()).expect("g1");
    let _: proto::GroupTrait = decode_any(&g1.annotations[0], "GroupTrait");
    let role = proto::Resource::decode(resources["role:owner"].as_slice()).expect("role");
    let _: proto::RoleTrait = decode_any(&role.annotations[0], "RoleTrait");
    let o = proto::Resource::decode(resources["organization:org-1"].as_slice()).expect("org");
    let _: proto::AppTrait = decode_any(&o.annotations[0], "AppTrait");

    // Entitlements embed the full resource.
    let ents = blobs(&c, "v1_entitlements", &sync);
    for e in graph.entitlements_sorted() {
        let msg = proto::Entitlement::decode(ents[&e.id.to_string()].as_slice())
            .expect("decode entitlement");
        assert_eq!(
            (msg.id.as_str(), msg.slug.as_str()),
            (e.id.to_string().as_str(), e.slug.as_str())
        );
        let res = msg.resource.expect("embedded resource");
        let full = proto::Resource::decode(resources[&e.resource.to_string()].as_slice())
            .expect("resource");
        assert_eq!(res, full);
        assert_eq!(msg.grantable_to.len(), e.grantable_to.len());
        assert_eq!(msg.purpose, proto::PurposeValue::Assignment as i32);
    }

    // Grants: columns, data, sources, immutability, expansion.
    let mut stmt = c
        .prepare(
            "SELECT external_id, entitlement_id, resource_type_id, resource_id, \
             principal_resource_type_id, principal_resource_id, expansion, needs_expansion, data \
             FROM v1_grants WHERE sync_id = ?1",
        )
        .expect("prepare");
    type Row = (
        String,
        String,
        String,
        String,
        String,
        String,
        Option<Vec<u8>>,
        i64,
        Vec<u8>,
    );
    let rows: Vec<Row> = stmt
        .query_map([&sync], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let mut decoded = BTreeMap::new();
    for (id, ent, rt, rid, prt, pid, expansion, needs, data) in rows {
        let gr = graph.grant(&id).expect("row is a graph grant");
        assert_eq!(ent, gr.entitlement.to_string());
        assert_eq!(
            (rt.as_str(), rid.as_str()),
            (gr.resource.resource_type.as_str(), gr.resource.id.as_str())
        );
        assert_eq!(
            (prt.as_str(), pid.as_str()),
            (
                gr.principal.resource_type.as_str(),
                gr.principal.id.as_str()
            )
        );
        assert_eq!(needs, 0, "expansion already materialised");
        let msg = proto::Grant::decode(data.as_slice()).expect("decode grant");
        assert_eq!(msg.id, id);
        let me = msg.entitlement.as_ref().expect("entitlement");
        assert_eq!(me.id, ent);
        assert!(
            me.resource
                .as_ref()
                .is_some_and(|r| !r.display_name.is_empty())
        );
        let p = msg
            .principal
            .as_ref()
            .and_then(|p| p.id.as_ref())
            .expect("principal id");
        assert_eq!(
            (p.resource_type.as_str(), p.resource.as_str()),
            (prt.as_str(), pid.as_str())
        );
        let immutable = msg
            .annotations
            .iter()
            .any(|a| a.type_url == "type.googleapis.com/c1.connector.v2.GrantImmutable");
        assert_eq!(immutable, gr.immutable, "{id}");
        assert!(
            msg.annotations
                .iter()
                .all(|a| !a.type_url.ends_with("GrantExpandable")),
            "GrantExpandable is stripped from data"
        );
        assert_eq!(msg.sources.is_some(), !gr.sources.is_empty(), "{id}");
        let expansion = expansion.map(|b| {
            proto::GrantExpandable::decode(b.as_slice())
                .expect("decode expansion")
                .entitlement_ids
        });
        let expandable: Vec<String> = gr.expandable.iter().map(ToString::to_string).collect();
        assert_eq!(expansion.unwrap_or_default(), expandable, "{id}");
        decoded.insert(id, msg);
    }
    assert_eq!(decoded.len(), graph.grant_count());

    let sources = |id: &str| -> BTreeMap<String, bool> {
        decoded[id]
            .sources
            .as_ref()
            .map(|s| {
                s.sources
                    .iter()
                    .map(|(k, v)| (k.clone(), v.is_direct))
                    .collect()
            })
            .unwrap_or_default()
    };
    // Expanded through the group only: immutable, source held directly.
    assert_eq!(
        sources("project:p1:member:user:u2"),
        BTreeMap::from([("group:g1:member".into(), true)])
    );
    // Direct and through the group: both recorded, mutable.
    assert_eq!(
        sources("project:p1:member:user:u1"),
        BTreeMap::from([
            ("group:g1:member".into(), true),
            ("project:p1:member".into(), true)
        ])
    );
    // Implicit project ownership of an org owner.
    assert_eq!(
        sources("project:p1:owner:user:u3"),
        BTreeMap::from([("role:owner:assigned".into(), true)])
    );
    assert!(sources("project:p1:member:group:g1").is_empty());
    assert_eq!(report.rows.expandable_grants, 1);
    assert_eq!(report.rows.grants_with_sources, 3);
}

/// Schema of a v1 table: its CREATE text, columns and indexes (with their columns).
fn table_schema(c: &Connection, table: &str) -> (String, Vec<String>, Vec<String>) {
    let sql: String = c
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("table {table}: {e}"));
    let mut stmt = c
        .prepare(&format!("PRAGMA table_info({table})"))
        .expect("table_info");
    let columns = stmt
        .query_map([], |r| {
            Ok(format!(
                "{}|{}|{}|{}|{:?}|{}",
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, i64>(5)?
            ))
        })
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("columns");
    let mut stmt = c
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 ORDER BY name")
        .expect("indexes");
    let idx: Vec<(String, Option<String>)> = stmt
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("index rows");
    let mut indexes = Vec::new();
    for (name, sql) in idx {
        let mut stmt = c
            .prepare(&format!("PRAGMA index_info({name})"))
            .expect("index_info");
        let cols = stmt
            .query_map([], |r| r.get::<_, Option<String>>(2))
            .expect("query")
            .collect::<Result<Vec<_>, _>>()
            .expect("index columns");
        indexes.push(format!("{name} {cols:?} {sql:?}"));
    }
    (sql, columns, indexes)
}

#[test]
fn schema_matches_the_sdk_sample_table_by_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("org.c1z");
    write_c1z(&small_graph(), &path, &C1zOptions::default()).expect("write");
    let ours = open_c1z(&path).conn;
    let sample = open_c1z(&sample_path("sdk-sample.c1z")).conn;

    let v1_tables = |c: &Connection| -> BTreeSet<String> {
        let mut stmt = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'v1_%'")
            .expect("tables");
        stmt.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("names")
    };
    let expected: BTreeSet<String> = V1_TABLES.iter().map(|t| (*t).to_owned()).collect();
    assert_eq!(v1_tables(&sample), expected);
    assert_eq!(v1_tables(&ours), expected);
    for table in V1_TABLES {
        let (sql_o, cols_o, idx_o) = table_schema(&ours, table);
        let (sql_s, cols_s, idx_s) = table_schema(&sample, table);
        assert_eq!(cols_o, cols_s, "{table}: columns");
        assert_eq!(idx_o, idx_s, "{table}: indexes");
        assert_eq!(sql_o, sql_s, "{table}: CREATE text");
    }
}

#[test]
fn reference_sample_decodes_to_the_documented_values() {
    let c = open_c1z(&sample_path("sdk-sample.c1z")).conn;
    let sync = latest_sync(&c);
    let by_id = |table: &str| -> Vec<Vec<u8>> {
        let mut stmt = c
            .prepare(&format!(
                "SELECT data FROM {table} WHERE sync_id = ?1 ORDER BY id"
            ))
            .expect("prepare");
        stmt.query_map([&sync], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    // Re-encoding must give the SDK's bytes back: our field order and map order match
    // protobuf-go's deterministic marshalling.
    fn roundtrip<M: Message + Default>(bytes: &[u8]) -> M {
        let m = M::decode(bytes).expect("decode");
        assert_eq!(m.encode_to_vec(), bytes, "byte-identical re-encoding");
        m
    }

    let rt: proto::ResourceType = roundtrip(&by_id("v1_resource_types")[0]);
    assert_eq!((rt.id.as_str(), rt.display_name.as_str()), ("user", "User"));
    assert_eq!(rt.traits, vec![proto::TraitEnum::User as i32]);

    let resources = by_id("v1_resources");
    let group: proto::Resource = roundtrip(&resources[0]);
    let gid = group.id.as_ref().expect("id");
    assert_eq!(
        (gid.resource_type.as_str(), gid.resource.as_str()),
        ("group", "g1")
    );
    assert_eq!(group.display_name, "Engineering");
    assert_eq!(group.description, "demo group");
    let name = proto::Value {
        kind: Some(proto::value::Kind::StringValue("Engineering".into())),
    };
    let profile = proto::Struct {
        fields: BTreeMap::from([("name".to_owned(), name)]),
    };
    assert_eq!(group.profile.as_ref(), Some(&profile));
    let gt: proto::GroupTrait = decode_any(&group.annotations[0], "GroupTrait");
    assert_eq!(gt.profile, Some(profile));

    let alice: proto::Resource = roundtrip(&resources[1]);
    let aid = alice.id.as_ref().expect("id");
    assert_eq!(
        (aid.resource_type.as_str(), aid.resource.as_str()),
        ("user", "u1")
    );
    assert_eq!(alice.display_name, "Alice Example");
    assert_eq!(
        alice.status.as_ref().map(|s| s.status),
        Some(proto::ResourceStatusValue::Enabled as i32)
    );
    let fields = &alice.profile.as_ref().expect("profile").fields;
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["dept", "login"]);
    let ut: proto::UserTrait = decode_any(&alice.annotations[0], "UserTrait");
    assert_eq!(
        ut.emails,
        vec![proto::Email {
            address: "alice@example.com".into(),
            is_primary: true
        }]
    );
    assert_eq!(
        ut.status.as_ref().map(|s| s.status),
        Some(proto::UserStatusValue::Enabled as i32)
    );
    assert_eq!(ut.account_type, proto::AccountType::Human as i32);
    assert_eq!(ut.login, "alice");
    assert_eq!(ut.profile, alice.profile);
    assert_eq!(
        ut.encode_to_vec(),
        alice.annotations[0].value,
        "trait re-encodes identically"
    );

    let ent: proto::Entitlement = roundtrip(&by_id("v1_entitlements")[0]);
    assert_eq!(ent.id, "group:g1:member");
    assert_eq!(ent.display_name, "Engineering Member");
    assert_eq!(ent.description, "Member of the Engineering group");
    assert_eq!(ent.slug, "member");
    assert_eq!(ent.purpose, proto::PurposeValue::Assignment as i32);
    assert_eq!(ent.resource.as_ref(), Some(&group));
    assert_eq!(ent.grantable_to, vec![rt.clone()]);

    let grants = by_id("v1_grants");
    assert_eq!(grants.len(), 2, "u1 and u2 (baton-grants.output.txt)");
    let grant: proto::Grant = roundtrip(&grants[0]);
    assert_eq!(grant.id, "group:g1:member:user:u1");
    let ge = grant.entitlement.as_ref().expect("entitlement");
    assert_eq!(ge.id, "group:g1:member");
    assert_eq!(ge.resource.as_ref(), Some(&group));
    let pid = grant
        .principal
        .as_ref()
        .and_then(|p| p.id.as_ref())
        .expect("principal");
    assert_eq!(
        (pid.resource_type.as_str(), pid.resource.as_str()),
        ("user", "u1")
    );
    assert!(grant.sources.is_none() && grant.annotations.is_empty());
}

#[test]
fn failed_write_leaves_nothing_and_keeps_an_existing_file() {
    let graph = small_graph();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("org.c1z");
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
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("org.c1z");
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
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("org.c1z");
    std::fs::write(&path, b"C1Z3\0pebble").expect("write");
    let err = write_c1z(&small_graph(), &path, &opts_at(1_800_000_000, true)).expect_err("v3");
    assert!(matches!(err, C1zError::NotV1 { .. }), "{err}");
    assert_eq!(std::fs::read(&path).expect("read"), b"C1Z3\0pebble");
}

// ---- performance -----------------------------------------------------------------------------------

/// ~1M grants: `cargo test --release --test it c1z::large -- --ignored --nocapture`.
#[test]
#[ignore = "builds a ~1M-grant graph; run in release"]
fn large_graph_write_time_and_size() {
    use ResourceType as T;
    let (users, groups, per_group, projects, groups_per_project, direct_per_project) =
        (50_000usize, 500usize, 100usize, 500usize, 10usize, 700usize);
    let t0 = Instant::now();
    let mut g = GrantGraph::new("org-1");
    g.add_resource(plain(T::Organization, "org-1", "Acme", None));
    g.add_resource(plain(T::Role, "owner", "Owner", Some(org())));

    for u in 0..users {
        let id = format!("user-{u:06}");
        g.add_resource(user(
            T::User,
            &id,
            &format!("{id}@acme.test"),
            AccountType::Human,
        ));
        g.add_grant(
            &ent("organization:org-1:member"),
            &key(T::User, &id),
            Origin::Direct,
        );
    }
    for u in 0..10 {
        let owner = key(T::User, &format!("user-{u:06}"));
        g.add_grant(&ent("role:owner:assigned"), &owner, Origin::Direct);
    }
    for gi in 0..groups {
        let gid = format!("group-{gi:04}");
        g.add_resource(plain(T::Group, &gid, &gid, Some(org())));
        for m in 0..per_group {
            let u = key(
                T::User,
                &format!("user-{:06}", (gi * per_group + m) % users),
            );
            g.add_grant(&ent(&format!("group:{gid}:member")), &u, Origin::Direct);
        }
    }
    for p in 0..projects {
        let pid = format!("proj-{p:04}");

        g.add_resource(plain(T::Project, &pid, &pid, Some(org())));
        for k in 0..groups_per_project {
            let gk = key(T::Group, &format!("group-{:04}", (p * 7 + k) % groups));
            g.add_grant(&ent(&format!("project:{pid}:member")), &gk, Origin::Direct);
        }
        for d in 0..direct_per_project {
            let u = key(T::User, &format!("user-{:06}", (p * 97 + d * 13) % users));
            g.add_grant(&ent(&format!("project:{pid}:viewer")), &u, Origin::Direct);
        }
    }
    g.finish();
    let built = t0.elapsed();

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let path = dir.path().join("large.c1z");
    let report = write_c1z(&g, &path, &C1zOptions::default()).expect("write");
    eprintln!(
        "large: {} resources, {} entitlements, {} grants ({} with sources); graph built in {:.2?}; \
         c1z written in {:.2?}: db {:.1} MiB -> file {:.1} MiB",
        report.rows.resources,
        report.rows.entitlements,
        report.rows.grants,
        report.rows.grants_with_sources,
        built,
        report.elapsed,
        report.db_bytes as f64 / (1 << 20) as f64,
        report.bytes_written as f64 / (1 << 20) as f64,
    );
    let c = open_c1z(&path).conn;
    let sync = latest_sync(&c);
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM v1_grants WHERE sync_id = ?1",
            &sync
        ),
        g.grant_count()
    );
}

// ---- through the CLI, against the mock ------------------------------------------------------------

fn cli_sync(args: &[&str]) -> std::process::Output {
    crate::support::bin()
        .args(["sync", "--mock", "tiny", "--no-progress"])
        .args(args)
        .output()
        .expect("run openai-access")
}

#[test]
fn tiny_sync_to_c1z_holds_every_id_of_the_json_golden_file() {
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/tiny.json"),
        )
        .expect("golden"),
    )
    .expect("json");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tiny.c1z");
    let o = cli_sync(&["--out", path.to_str().expect("utf8")]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let c = open_c1z(&path).conn;
    let sync = latest_sync(&c);
    let ids = |table: &str| -> BTreeSet<String> { blobs(&c, table, &sync).into_keys().collect() };
    let golden_ids = |key: &str, f: &dyn Fn(&serde_json::Value) -> String| -> BTreeSet<String> {
        golden[key]
            .as_array()
            .expect("array")
            .iter()
            .map(f)
            .collect()
    };
    assert_eq!(
        ids("v1_resources"),
        golden_ids("resources", &|r| format!(
            "{}:{}",
            r["resource_type"].as_str().unwrap_or(""),
            r["id"].as_str().unwrap_or("")
        ))
    );
    assert_eq!(
        ids("v1_entitlements"),
        golden_ids("entitlements", &|e| e["id"]
            .as_str()
            .unwrap_or("")
            .to_owned())
    );
    assert_eq!(
        ids("v1_grants"),
        golden_ids("grants", &|g| g["id"].as_str().unwrap_or("").to_owned())
    );
    // Expanded grants carry their sources and immutability.
    let grants = blobs(&c, "v1_grants", &sync);
    for g in golden["grants"].as_array().expect("grants") {
        let id = g["id"].as_str().expect("id");
        let decoded = proto::Grant::decode(grants[id].as_slice()).expect("grant decodes");
        let sources: BTreeSet<String> = decoded
            .sources
            .map(|s| s.sources.into_keys().collect())
            .unwrap_or_default();
        for s in g["sources"].as_array().expect("sources") {
            assert!(
                sources.contains(s.as_str().expect("str")),
                "{id}: source {s} missing from {sources:?}"
            );
        }
        let immutable = decoded
            .annotations
            .iter()
            .any(|a| a.type_url.ends_with("c1.connector.v2.GrantImmutable"));
        assert_eq!(immutable, g["immutable"] == true, "{id}: immutability");
    }
}

#[test]
fn two_cli_syncs_into_one_file_keep_two_finished_full_syncs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("org.c1z");
    let p = path.to_str().expect("utf8");
    assert_eq!(cli_sync(&["--out", p]).status.code(), Some(0));
    let o = cli_sync(&["--out", p, "--append"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let c = open_c1z(&path).conn;
    let finished: i64 = c
        .query_row(
            "select count(*) from v1_sync_runs where sync_type = 'full' and ended_at is not null",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(finished, 2);
    // --append without .c1z output is a usage error.
    let o = cli_sync(&[
        "--out",
        dir.path().join("x.json").to_str().expect("utf8"),
        "--append",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn exclusive_roles_carry_baton_s_exclusion_group_in_the_c1z_and_the_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tiny.c1z");
    let o = cli_sync(&["--out", path.to_str().expect("utf8")]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let c = open_c1z(&path).conn;
    let sync = latest_sync(&c);
    let rows = blobs(&c, "v1_entitlements", &sync);
    let group = |id: &str| -> Option<proto::EntitlementExclusionGroup> {
        let e = proto::Entitlement::decode(rows[id].as_slice()).expect("entitlement");
        e.annotations
            .iter()
            .find(|a| a.type_url.ends_with("EntitlementExclusionGroup"))
            .map(|a| decode_any(a, "EntitlementExclusionGroup"))
    };
    let member = group("project:proj-alpha:member").expect("project member is exclusive");
    assert_eq!(
        (
            member.exclusion_group_id.as_str(),
            member.order,
            member.is_default,
            member.scope_to_resource
        ),
        ("project_role", 1, true, true)
    );
    let owner = group("project:proj-alpha:owner").expect("owner");
    assert_eq!((owner.order, owner.is_default), (0, false));
    let reader = group("role:reader:assigned").expect("org reader is exclusive");
    assert_eq!(
        (
            reader.exclusion_group_id.as_str(),
            reader.order,
            reader.is_default,
            reader.scope_to_resource
        ),
        ("org_role", 1, true, false)
    );
    assert!(
        group("group:grp-eng:member").is_none(),
        "group membership is not a choice"
    );

    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/tiny.json"),
        )
        .expect("golden"),
    )
    .expect("json");
    let viewer = golden["entitlements"]
        .as_array()
        .expect("entitlements")
        .iter()
        .find(|e| e["id"] == "project:proj-alpha:viewer")
        .expect("viewer");
    assert_eq!(
        viewer["exclusion"],
        serde_json::json!({"group": "project:proj-alpha:role", "order": 2, "default": false})
    );
}
