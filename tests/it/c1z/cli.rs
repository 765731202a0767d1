//! Through the CLI, against the mock: a sync written as `.c1z` against the JSON golden file,
//! appended syncs, and Baton's exclusion groups.

use super::*;

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
    let (_dir, path) = target("tiny.c1z");
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
    let (dir, path) = target("org.c1z");
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
    // --append and --c1z-newer-sdk without .c1z output are usage errors naming the flag.
    for flag in ["--append", "--c1z-newer-sdk"] {
        let o = cli_sync(&[
            "--out",
            dir.path().join("x.json").to_str().expect("utf8"),
            flag,
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains(flag));
    }
}

/// The exclusion groups of a `.c1z` written by `sync --mock tiny` with `flags`.
fn exclusion_groups(flags: &[&str]) -> BTreeMap<String, proto::EntitlementExclusionGroup> {
    let (_dir, path) = target("tiny.c1z");
    let o = cli_sync(&[&["--out", path.to_str().expect("utf8")], flags].concat());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let c = open_c1z(&path).conn;
    let sync = latest_sync(&c);
    blobs(&c, "v1_entitlements", &sync)
        .into_iter()
        .filter_map(|(id, data)| {
            let e = proto::Entitlement::decode(data.as_slice()).expect("entitlement");
            e.annotations
                .iter()
                .find(|a| a.type_url.ends_with("EntitlementExclusionGroup"))
                .map(|a| (id, decode_any(a, "EntitlementExclusionGroup")))
        })
        .collect()
}

#[test]
fn exclusive_roles_carry_baton_s_exclusion_group_when_asked_and_in_the_json() {
    // By default the file is for every `baton` release: v0.7.27's cannot resolve the type.
    assert!(exclusion_groups(&[]).is_empty());
    let groups = exclusion_groups(&["--c1z-newer-sdk"]);
    let group = |id: &str| groups.get(id).cloned();
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
