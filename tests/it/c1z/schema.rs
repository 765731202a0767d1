//! The database inside: the same tables as the Baton SDK's sample, and the sample itself
//! decoded to the documented values.

use super::*;

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

/// The sample was written by baton-sdk v0.25.0: a file for newer SDKs has its schema exactly; a
/// default file too, but for `v1_sync_runs`, which has v0.7.27's columns (`baton_v0727.rs`).
#[test]
fn schema_matches_the_sdk_sample_table_by_table() {
    let (_dir, path) = target("org.c1z");
    let newer = C1zOptions {
        readers: openai_access::output::c1z::Readers::NewerSdk,
        ..C1zOptions::default()
    };
    write_c1z(&small_graph(), &path, &newer).expect("write");
    let ours = open_c1z(&path).conn;
    let sample = open_c1z(&sample_path("sdk-sample.c1z")).conn;
    let (_dir2, default_path) = target("default.c1z");
    write_c1z(&small_graph(), &default_path, &C1zOptions::default()).expect("write");
    let default = open_c1z(&default_path).conn;
    let v0_7_27 = Connection::open_in_memory().expect("db");
    v0_7_27
        .execute_batch(
            &std::fs::read_to_string(sample_path("v0.7.27-tables.sql")).expect("v0.7.27 tables"),
        )
        .expect("v0.7.27's tables");
    for table in V1_TABLES {
        let (_, cols_d, idx_d) = table_schema(&default, table);
        let (_, cols_s, idx_s) = table_schema(&sample, table);
        assert_eq!(idx_d, idx_s, "{table}: indexes");
        if table == "v1_sync_runs" {
            assert_eq!(
                cols_d,
                table_schema(&v0_7_27, table).1,
                "{table}: v0.7.27's"
            );
        } else {
            assert_eq!(cols_d, cols_s, "{table}: columns");
        }
    }

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
