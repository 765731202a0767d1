//! What a written `.c1z` holds: every object and reference of the graph, read back.

use super::*;

#[test]
fn written_file_reads_back_with_every_object_and_reference() {
    let graph = small_graph();
    let (dir, path) = target("org.c1z");
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
    let (sync_type, started, ended, token, diff, parent): (
        String,
        String,
        Option<String>,
        String,
        i64,
        String,
    ) = c
        .query_row(
            "SELECT sync_type, started_at, ended_at, sync_token, supports_diff, \
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
                ))
            },
        )
        .expect("sync run");
    assert_eq!((sync_type.as_str(), diff, parent.as_str()), ("full", 1, ""));
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
    // The profile mirrored into the trait for old readers, with the User ID `baton export`
    // reads from there (no name to split here).
    let mut mirrored = u1.profile.clone().expect("profile");
    mirrored.fields.insert(
        "user_id".to_owned(),
        proto::Value {
            kind: Some(proto::value::Kind::StringValue("u1".into())),
        },
    );
    assert_eq!(trait_.profile, Some(mirrored));
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

/// `baton export` (csv, xlsx) fills First Name, Last Name and User ID from a user trait's
/// profile keys `first_name`, `last_name` and `user_id` (ConductorOne/baton `cmd/baton/csv.go`).
#[test]
fn baton_export_finds_first_and_last_name_and_user_id_in_the_user_trait() {
    use ResourceType as T;
    let mut g = GrantGraph::new("org-1");
    g.add_resource(plain(T::Organization, "org-1", "Acme", None));
    let mut ann = user(T::User, "user-ann", "ann@acme.test", AccountType::Human);
    ann.profile
        .insert("name".to_owned(), serde_json::json!("Ann  van der Berg"));
    g.add_resource(ann);
    let mut mono = user(T::User, "user-mono", "mono@acme.test", AccountType::Human);
    mono.profile
        .insert("name".to_owned(), serde_json::json!("Teller"));
    g.add_resource(mono);
    g.add_resource(user(
        T::User,
        "user-anon",
        "anon@acme.test",
        AccountType::Human,
    ));
    g.finish();
    let (_dir, path) = target("org.c1z");
    write_c1z(&g, &path, &opts_at(1_800_000_000, false)).expect("write");
    let c = open_c1z(&path).conn;
    let resources = blobs(&c, "v1_resources", &latest_sync(&c));
    let columns = |id: &str| -> [String; 3] {
        let r = proto::Resource::decode(resources[id].as_slice()).expect("resource");
        let t: proto::UserTrait = decode_any(&r.annotations[0], "UserTrait");
        let p = t.profile.expect("trait profile");
        ["first_name", "last_name", "user_id"].map(|k| {
            match p.fields.get(k).and_then(|v| v.kind.clone()) {
                Some(proto::value::Kind::StringValue(s)) => s,
                None => String::new(),
                Some(other) => panic!("{k}: {other:?}"),
            }
        })
    };
    assert_eq!(
        columns("user:user-ann"),
        ["Ann", "van der Berg", "user-ann"]
    );
    assert_eq!(columns("user:user-mono"), ["Teller", "", "user-mono"]);
    assert_eq!(columns("user:user-anon"), ["", "", "user-anon"]);
    // The resource's own profile is the JSON's: nothing added there.
    let r = proto::Resource::decode(resources["user:user-ann"].as_slice()).expect("resource");
    let keys: Vec<&String> = r.profile.as_ref().expect("profile").fields.keys().collect();
    assert_eq!(keys, ["added_at", "email", "name"]);
}
