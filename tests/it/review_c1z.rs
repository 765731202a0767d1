//! Reviews read a `.c1z` as they read the JSON: the same answers for every principal and
//! project, the same spreadsheet, and `diff` of the last two syncs appended to one file.

use crate::support::*;
use openai_access_mock::Preset;
use serde_json::Value;
use std::path::Path;

fn run(args: &[&str]) -> std::process::Output {
    bin().args(args).output().expect("run openai-access")
}

fn ok(args: &[&str]) -> Vec<u8> {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

#[test]
fn a_c1z_answers_every_question_as_the_json_of_the_same_sync() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = mock(Preset::Small);
    let url = m.base_url();
    let (json, c1z) = (dir.path().join("s.json"), dir.path().join("s.c1z"));
    for out in [&json, &c1z] {
        let o = bin()
            .env("OPENAI_ADMIN_KEY", KEY)
            .args(["sync", "--no-progress", "--base-url", &url, "--out", s(out)])
            .output()
            .expect("sync");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let v: Value = serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("json");
    let mut asked = 0;
    for r in v["resources"].as_array().expect("resources") {
        let id = r["id"].as_str().expect("id");
        let (q, flag) = match r["resource_type"].as_str() {
            Some("user") => ("access", "--user"),
            Some("group") => ("access", "--group"),
            Some("service_account") => ("access", "--service-account"),
            Some("invite") => ("access", "--invite"),
            Some(t @ ("project" | "role" | "organization")) => {
                let key = format!("{t}:{id}");
                let a = ok(&["who", "--json", "--resource", &key, "--from", s(&json)]);
                let b = ok(&["who", "--json", "--resource", &key, "--from", s(&c1z)]);
                assert_eq!(a, b, "who {key}");
                asked += 1;
                continue;
            }
            _ => continue,
        };
        let a = ok(&[q, "--json", flag, id, "--from", s(&json)]);
        let b = ok(&[q, "--json", flag, id, "--from", s(&c1z)]);
        assert_eq!(a, b, "{q} {flag} {id}");
        asked += 1;
    }
    assert!(asked > 100, "{asked} questions");
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    ok(&["export", "--from", s(&json), "--out", s(&a)]);
    ok(&["export", "--from", s(&c1z), "--out", s(&b)]);
    assert_eq!(std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
    let same = run(&["diff", s(&json), s(&c1z)]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );
}

#[test]
fn diff_of_one_c1z_compares_its_last_two_syncs() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    let c1z = dir.path().join("t.c1z");
    let cli = |args: &[&str]| {
        let o = bin()
            .env("OPENAI_ADMIN_KEY", KEY)
            .args(args)
            .args(["--base-url", &url])
            .output()
            .expect("run");
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    cli(&["sync", "--no-progress", "--out", s(&c1z)]);
    let one = run(&["diff", s(&c1z)]);
    assert_eq!(one.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&one.stderr).contains("holds one sync"));

    cli(&[
        "grant",
        "-p",
        "--entitlement",
        "role:owner:assigned",
        "--principal",
        "user:user-bob",
    ]);
    cli(&["sync", "--no-progress", "--append", "--out", s(&c1z)]);
    let o = run(&["diff", "--json", s(&c1z)]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("changes");
    let swap = &v["role_changes"][0];
    assert_eq!(swap["principal"]["key"]["id"], "user-bob");
    assert_eq!(swap["from"], "role:reader:assigned");
    assert_eq!(swap["to"], "role:owner:assigned");
    // An owner owns every project: the implicit ownerships are new grants (or role changes
    // from what Bob held there before), all of them Bob's.
    for list in ["grants_added", "grants_removed"] {
        for g in v[list].as_array().expect(list) {
            assert_eq!(g["principal"]["key"]["id"], "user-bob", "{g}");
        }
    }
}
