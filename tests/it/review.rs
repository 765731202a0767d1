//! Access reviews (`access`, `who`, `explain`) against tiny's reviewed golden graph: the exact
//! text a reviewer reads, the JSON answers against the sync output they come from, and bad
//! input refused with exit 2 and a message that names what was wrong.

use crate::support::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Output;

fn tiny() -> PathBuf {
    golden_path("tiny.json")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run openai-access")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The answer to `args` (with `--from` the golden graph) equals `review/<name>.txt`
/// (`UPDATE_GOLDEN=1` writes it; review the diff before committing it).
fn answers_as_reviewed(name: &str, args: &[&str]) {
    let from = tiny();
    let mut all = args.to_vec();
    all.extend(["--from", from.to_str().expect("utf-8 path")]);
    let o = run(&all);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    let got = stdout(&o);
    let path = golden_path(&format!("review/{name}.txt"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, &got).expect("write golden");
    }
    let want = std::fs::read_to_string(&path).expect("golden file (UPDATE_GOLDEN=1 writes it)");
    assert_eq!(got, want, "{args:?} differs from {}", path.display());
}

#[test]
fn access_of_every_kind_of_principal_reads_as_reviewed() {
    answers_as_reviewed("access-user-bob", &["access", "--user", "bob@tiny.example"]);
    answers_as_reviewed("access-user-erin", &["access", "--user", "user-erin"]);
    answers_as_reviewed("access-group-eng", &["access", "--group", "Engineering"]);
    answers_as_reviewed(
        "access-service-account-build",
        &["access", "--service-account", "proj-alpha/svc_acct_build"],
    );
    answers_as_reviewed(
        "access-invite-frank",
        &["access", "--invite", "frank@tiny.example"],
    );
}

#[test]
fn who_can_access_each_project_reads_as_reviewed() {
    for p in ["proj-alpha", "proj-beta", "proj-archived"] {
        answers_as_reviewed(
            &format!("who-{p}"),
            &["who", "--resource", &format!("project:{p}")],
        );
    }
}

#[test]
fn explain_follows_a_group_and_an_org_owner_to_the_grant_they_rest_on() {
    answers_as_reviewed(
        "explain-through-group",
        &[
            "explain",
            "--grant",
            "project_role:proj-beta/role_beta_analyst:assigned:user:user-dave",
        ],
    );
    answers_as_reviewed(
        "explain-implicit-owner",
        &[
            "explain",
            "--grant",
            "project:proj-beta:owner:user:user-alice",
        ],
    );
}

fn golden() -> Value {
    serde_json::from_str(&std::fs::read_to_string(tiny()).expect("golden")).expect("json")
}

fn json_answer(args: &[&str]) -> Value {
    let from = tiny();
    let mut all = args.to_vec();
    all.extend(["--json", "--from", from.to_str().expect("utf-8 path")]);
    let o = run(&all);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("a JSON answer")
}

#[test]
fn every_answer_is_the_sync_outputs_grants_with_names() {
    let g = golden();
    let grants = g["grants"].as_array().expect("grants");
    let ids = |f: &dyn Fn(&Value) -> bool| -> Vec<String> {
        grants
            .iter()
            .filter(|x| f(x))
            .map(|x| x["id"].as_str().expect("id").to_owned())
            .collect()
    };
    // Every user: exactly the grants the sync output gives it, with its name and email.
    for u in g["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| r["resource_type"] == "user")
    {
        let id = u["id"].as_str().expect("id");
        let a = json_answer(&["access", "--user", id]);
        let got: Vec<String> = a["grants"]
            .as_array()
            .expect("grants")
            .iter()
            .map(|h| h["grant"].as_str().expect("grant").to_owned())
            .collect();
        let want = ids(&|x: &Value| {
            x["principal"]["id"] == id && x["principal"]["resource_type"] == "user"
        });
        assert_eq!(got, want, "access of {id}");
        assert_eq!(a["principal"]["name"], u["display_name"]);
    }
    // Every project: exactly the grants on it and on the roles scoped to it (the sync
    // output's resources name each role's project as its parent).
    for p in ["proj-alpha", "proj-beta", "proj-archived"] {
        let scoped: Vec<&Value> = g["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .filter(|r| r["resource_type"] == "project_role" && r["parent"]["id"] == p)
            .map(|r| &r["id"])
            .collect();
        let w = json_answer(&["who", "--resource", &format!("project:{p}")]);
        let mut got: Vec<String> = Vec::new();
        for role in w["roles"].as_array().expect("roles") {
            for h in role["holders"].as_array().expect("holders") {
                got.push(format!(
                    "{}:{}:{}",
                    role["entitlement"].as_str().expect("ent"),
                    h["principal"]["key"]["resource_type"]
                        .as_str()
                        .expect("type"),
                    h["principal"]["key"]["id"].as_str().expect("id")
                ));
            }
        }
        let want = ids(&|x: &Value| {
            let on = &x["resource"];
            on["id"] == p && on["resource_type"] == "project"
                || on["resource_type"] == "project_role" && scoped.contains(&&on["id"])
        });
        assert_eq!(got, want, "who can access {p}");
    }
}

#[test]
fn a_live_sync_of_the_mock_answers_as_the_saved_one() {
    // Saved by `sync` now (the golden graph holds no usage, which both runs read).
    let dir = tempfile::tempdir().expect("tmp");
    let from = mock_sync_json("tiny", dir.path());
    let saved = run(&[
        "access",
        "--user",
        "user-carol",
        "--from",
        from.to_str().expect("utf-8"),
    ]);
    let live = run(&["access", "--user", "user-carol", "--mock", "tiny"]);
    assert!(live.status.success(), "{}", stderr(&live));
    assert_eq!(stdout(&live), stdout(&saved));
}

#[test]
fn bad_input_is_refused_with_exit_2_naming_what_was_wrong() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").expect("write");
    let other_json = dir.path().join("other.json");
    std::fs::write(&other_json, r#"{"format":"something-else","grants":[]}"#).expect("write");
    let truncated = dir.path().join("cut.json");
    let full = std::fs::read(tiny()).expect("golden");
    std::fs::write(&truncated, &full[..full.len() / 2]).expect("write");
    // A sync whose third grant lost its principal: named by its place among the grants.
    let mut broken: serde_json::Value = serde_json::from_slice(&full).expect("golden");
    let grants = broken["grants"].as_array_mut().expect("grants");
    let count = grants.len();
    grants[2]
        .as_object_mut()
        .expect("a grant")
        .remove("principal");
    let broken_grant = dir.path().join("broken.json");
    std::fs::write(&broken_grant, broken.to_string()).expect("write");
    let third = format!("grant 3 of {count}: missing field `principal`");
    // A .c1z cut short: its header, then half of its compressed database.
    let whole = dir.path().join("whole.c1z");
    let o = run(&[
        "sync",
        "--mock",
        "tiny",
        "--no-progress",
        "--out",
        whole.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&whole).expect("c1z");
    let c1z = dir.path().join("sync.c1z");
    std::fs::write(&c1z, &bytes[..bytes.len() / 2]).expect("write");
    let tiny = tiny();
    let tiny = tiny.to_str().expect("utf-8");
    let path = |p: &PathBuf| p.to_str().expect("utf-8").to_owned();
    let given = |args: &[&str]| args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    let mut cases: Vec<(Vec<String>, &str)> = vec![
        (
            given(&["access", "--user", "nobody@tiny.example", "--from", tiny]),
            "no user matches \"nobody@tiny.example\"",
        ),
        (
            given(&["who", "--resource", "project:proj-gone", "--from", tiny]),
            "no resource \"project:proj-gone\"",
        ),
        (
            given(&[
                "explain",
                "--grant",
                "role:owner:assigned:user:user-bob",
                "--from",
                tiny,
            ]),
            "no grant matches \"role:owner:assigned:user:user-bob\"",
        ),
        (
            given(&[
                "access", "--user", "user-bob", "--from", tiny, "--mock", "tiny",
            ]),
            "give one or the other",
        ),
        (given(&["access", "--from", tiny]), "--user"),
        (
            given(&["access", "--user", "a", "--group", "b", "--from", tiny]),
            "cannot be used with",
        ),
    ];
    // Bob's access, read from each file that is not a sync.
    for (file, says) in [
        (path(&text), "not JSON"),
        (path(&other_json), "not a sync written by openai-access"),
        (path(&truncated), "not JSON"),
        (path(&broken_grant), &third),
        (path(&c1z), "decompressing"),
        (path(&dir.path().join("missing.json")), "cannot read"),
    ] {
        cases.push((
            given(&["access", "--user", "user-bob", "--from", &file]),
            says,
        ));
    }
    for (args, says) in cases {
        let o = bin().args(&args).output().expect("run");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(says),
            "{args:?} should say {says:?}: {}",
            stderr(&o)
        );
        assert!(o.stdout.is_empty(), "{args:?} printed an answer");
    }
}

fn export_rows(
    from: &std::path::Path,
    dir: &std::path::Path,
) -> Vec<std::collections::BTreeMap<String, String>> {
    let out = dir.join("access.csv");
    let o = run(&[
        "export",
        "--from",
        from.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut r = csv::Reader::from_path(&out).expect("the CSV");
    r.deserialize().map(|row| row.expect("a CSV row")).collect()
}

#[test]
fn the_csv_holds_every_grant_and_the_pending_invitations_grants() {
    let dir = tempfile::tempdir().expect("tmp");
    let rows = export_rows(&tiny(), dir.path());
    let g = golden();
    let resources: Vec<&Value> = g["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .collect();
    let find = |t: &str, id: &str| {
        resources
            .iter()
            .find(|r| r["resource_type"] == t && r["id"] == id)
            .copied()
    };
    // What the invitations will grant, from their own fields.
    let mut want: Vec<String> = g["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .map(|x| x["id"].as_str().expect("id").to_owned())
        .collect();
    let grants = want.len();
    for inv in resources
        .iter()
        .filter(|r| r["resource_type"] == "invite" && r["profile"]["status"] == "pending")
    {
        let id = inv["id"].as_str().expect("id");
        want.push(format!("organization:org-tiny:member:invite:{id}"));
        want.push(format!(
            "role:{}:assigned:invite:{id}",
            inv["profile"]["role"].as_str().expect("role")
        ));
        for p in inv["profile"]["projects"]
            .as_str()
            .unwrap_or_default()
            .split(',')
        {
            let (project, role) = p.split_once(':').expect("project:role");
            want.push(format!("project:{project}:{role}:invite:{id}"));
        }
    }
    let mut got: Vec<String> = rows.iter().map(|r| r["grant_id"].clone()).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert!(want.len() > grants, "tiny has a pending invitation");

    for r in &rows {
        let pending = r["pending"] == "true";
        assert_eq!(pending, r["principal_kind"] == "invite", "{r:?}");
        let ptype = match r["principal_kind"].as_str() {
            "human" => "user",
            other => other,
        };
        let p = find(ptype, &r["principal_id"]).expect("the principal is a synced resource");
        assert_eq!(
            r["principal_name"],
            p["display_name"].as_str().expect("name")
        );
        let email = p["traits"]["emails"][0].as_str().unwrap_or_default();
        assert_eq!(r["principal_email"], email);
        let res = find(&r["resource_type"], &r["resource_id"]).expect("the resource");
        assert_eq!(
            r["resource_name"],
            res["display_name"].as_str().expect("name")
        );
        if !pending {
            let grant = g["grants"]
                .as_array()
                .expect("grants")
                .iter()
                .find(|x| x["id"] == r["grant_id"].as_str())
                .expect("the grant");
            assert_eq!(r["immutable"], grant["immutable"].to_string());
            assert_eq!(
                r["held"].starts_with("direct"),
                grant["direct"] == true,
                "{r:?}"
            );
            assert_eq!(
                r["held"].matches("via group").count() + r["held"].matches("as org owner").count(),
                grant["sources"].as_array().expect("sources").len(),
                "{r:?}"
            );
        }
        // Dates a person reads: ISO-8601.
        for d in ["principal_since", "invite_expires_at"] {
            assert!(
                r[d].is_empty()
                    || (r[d].len() == 20 && r[d].ends_with('Z') && r[d].as_bytes()[10] == b'T'),
                "{d} = {:?}",
                r[d]
            );
        }
    }
}

#[test]
fn a_name_a_spreadsheet_would_run_as_a_formula_reaches_it_as_text() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = std::fs::read_to_string(tiny()).expect("golden");
    let hostile = text.replace("\"Bob Reader\"", "\"=HYPERLINK(\\\"http://x\\\")\"");
    assert_ne!(hostile, text);
    let from = dir.path().join("hostile.json");
    std::fs::write(&from, hostile).expect("write");
    let rows = export_rows(&from, dir.path());
    let bob: Vec<_> = rows
        .iter()
        .filter(|r| r["principal_id"] == "user-bob")
        .collect();
    assert!(!bob.is_empty());
    for r in bob {
        assert_eq!(r["principal_name"], "'=HYPERLINK(\"http://x\")");
    }
}

#[test]
fn an_export_target_that_cannot_be_written_is_refused_before_any_sync() {
    let dir = tempfile::tempdir().expect("tmp");
    // Nothing listens on port 1: had the sync started, the error would be about it.
    for (out, says) in [
        (dir.path().join("missing/access.csv"), "does not exist"),
        (dir.path().join("access.txt"), "cannot tell the format"),
    ] {
        let o = run(&[
            "export",
            "--base-url",
            "http://127.0.0.1:1",
            "--admin-key",
            "sk-admin-test",
            "--out",
            out.to_str().expect("utf-8"),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(says), "{}", stderr(&o));
        assert!(!out.exists());
    }
}

#[test]
fn stale_access_is_judged_as_of_the_day_asked() {
    answers_as_reviewed("stale-90-days", &["stale", "--as-of", "2023-12-20"]);
    // A shorter window: every key last used before 2023-12-10 (or never) is stale; the two
    // used since are not.
    let s = json_answer(&["stale", "--as-of", "2023-12-20", "--stale-days", "10"]);
    let keys: Vec<&str> = s["api_keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["key"]["key"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        keys,
        [
            "proj-alpha/key_bob_hidden",
            "proj-beta/key_idle",
            "key_admin_connector",
            "key_admin_erin"
        ]
    );
    // Before the invitation expired it is not overdue.
    let early = json_answer(&["stale", "--as-of", "2023-12-05T00:00:00Z"]);
    assert_eq!(early["invites"].as_array().map(Vec::len), Some(0));
    for bad in ["yesterday", "2023-13-01"] {
        let o = run(&[
            "stale",
            "--as-of",
            bad,
            "--from",
            tiny().to_str().expect("utf-8"),
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("--as-of"), "{}", stderr(&o));
    }
}
