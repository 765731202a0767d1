//! `diff` of two syncs around provisioning changes made on a served mock: exactly those
//! changes, a role swap shown as one change, and the exit codes a drift check relies on.

use crate::support::*;
use openai_access_mock::Preset;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

fn cli(url: &str, args: &[&str]) -> Output {
    bin()
        .env("OPENAI_ADMIN_KEY", KEY)
        .args(args)
        .args(["--base-url", url])
        .output()
        .expect("run openai-access")
}

fn sync_to(url: &str, out: &Path) {
    let o = cli(
        url,
        &[
            "sync",
            "--no-progress",
            "--out",
            out.to_str().expect("utf-8"),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn changed(url: &str, args: &[&str]) {
    let o = cli(url, args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn diff(old: &Path, new: &Path, json: bool) -> Output {
    let mut c = bin();
    c.args([
        "diff",
        old.to_str().expect("utf-8"),
        new.to_str().expect("utf-8"),
    ]);
    if json {
        c.arg("--json");
    }
    c.output().expect("run diff")
}

fn ids(v: &Value, list: &str, field: &str) -> Vec<String> {
    v[list]
        .as_array()
        .expect(list)
        .iter()
        .map(|x| match &x[field] {
            Value::String(s) => s.clone(),
            other => format!(
                "{}:{}",
                other["resource_type"].as_str().expect("type"),
                other["id"].as_str().expect("id")
            ),
        })
        .collect()
}

#[test]
fn a_diff_shows_exactly_the_changes_made_and_a_role_swap_as_one_change() {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    let dir = tempfile::tempdir().expect("tmp");
    let (before, after) = (
        dir.path().join("before.json"),
        dir.path().join("after.json"),
    );
    sync_to(&url, &before);

    // Nothing changed: exit 0.
    let same = diff(&before, &before, false);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
    assert!(String::from_utf8_lossy(&same.stdout).starts_with("No changes"));

    // A role swap (Dave: project member -> owner on Beta), a new project member (Carol on
    // Beta), a revoked group membership (Bob leaves Engineering) and an invitation.
    changed(
        &url,
        &[
            "grant",
            "-p",
            "--entitlement",
            "project:proj-beta:owner",
            "--principal",
            "user:user-dave",
        ],
    );
    changed(
        &url,
        &[
            "grant",
            "-p",
            "--entitlement",
            "project:proj-beta:member",
            "--principal",
            "user:user-carol",
        ],
    );
    changed(
        &url,
        &[
            "revoke",
            "-p",
            "--grant",
            "group:grp-eng:member:user:user-bob",
        ],
    );
    changed(
        &url,
        &[
            "create-account",
            "-p",
            "--email",
            "zoe@tiny.example",
            "--role",
            "reader",
        ],
    );
    sync_to(&url, &after);

    let o = diff(&before, &after, true);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON changes");
    let swaps: Vec<(String, String, String)> = v["role_changes"]
        .as_array()
        .expect("role changes")
        .iter()
        .map(|r| {
            (
                r["principal"]["key"]["id"].as_str().expect("id").to_owned(),
                r["from"].as_str().expect("from").to_owned(),
                r["to"].as_str().expect("to").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        swaps,
        [(
            "user-dave".to_owned(),
            "project:proj-beta:member".to_owned(),
            "project:proj-beta:owner".to_owned()
        )]
    );
    assert_eq!(
        ids(&v, "grants_added", "grant"),
        ["project:proj-beta:member:user:user-carol"]
    );
    // Bob's membership, and what he held only through the group (his own direct grants stay).
    let removed = ids(&v, "grants_removed", "grant");
    assert!(
        removed.contains(&"group:grp-eng:member:user:user-bob".to_owned()),
        "{removed:?}"
    );
    assert_eq!(
        removed.len(),
        1,
        "Bob holds Alpha's grants directly too: {removed:?}"
    );
    // ... and those grants, still his, now rest on the direct grant alone: the same access
    // for other reasons, which a reviewer must see (revoking the direct grant now removes it).
    let tiny: Value =
        serde_json::from_slice(&std::fs::read(&before).expect("before")).expect("json");
    let mut through_eng: Vec<String> = tiny["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .filter(|g| g["principal"]["id"] == "user-bob" && g["direct"] == true)
        .filter(|g| {
            g["sources"]
                .as_array()
                .expect("sources")
                .iter()
                .any(|s| s.as_str().is_some_and(|s| s.starts_with("group:grp-eng:")))
        })
        .map(|g| g["id"].as_str().expect("id").to_owned())
        .collect();
    through_eng.sort();
    assert!(!through_eng.is_empty(), "Bob held grants both ways");
    assert_eq!(ids(&v, "held_changes", "grant"), through_eng);
    for h in v["held_changes"].as_array().expect("held") {
        let kinds = |p: &Value| -> Vec<String> {
            p.as_array()
                .expect("paths")
                .iter()
                .map(|x| x["kind"].as_str().expect("a path's kind").to_owned())
                .collect()
        };
        assert_eq!(kinds(&h["from"]), ["direct", "group"], "{h}");
        assert_eq!(kinds(&h["to"]), ["direct"], "{h}");
    }
    let added_resources: Vec<String> = v["resources_added"]
        .as_array()
        .expect("added")
        .iter()
        .map(|r| r["key"]["resource_type"].as_str().expect("type").to_owned())
        .collect();
    assert_eq!(added_resources, ["invite"]);
    assert_eq!(v["resources_removed"].as_array().map(Vec::len), Some(0));

    // The table a person reads says the same.
    let text = diff(&before, &after, false);
    assert_eq!(text.status.code(), Some(1));
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains(&format!(
            "1 role change, 1 grant added, 1 removed, {} held differently; resources: 1 added, 0 removed",
            through_eng.len()
        )),
        "{text}"
    );
    assert!(
        text.contains("project:proj-beta:member -> project:proj-beta:owner"),
        "{text}"
    );
    assert!(
        text.contains("+ project:proj-beta:member:user:user-carol"),
        "{text}"
    );
    assert!(
        text.contains("- group:grp-eng:member:user:user-bob"),
        "{text}"
    );
    assert!(
        text.contains(&format!("~ {}", through_eng[0])) && text.contains("-> direct\n"),
        "{text}"
    );

    // Bad input: exit 2, never 0 or 1.
    let missing = diff(&before, &dir.path().join("nope.json"), false);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope.json"));
}

fn embedded_sync(seed: &str, out: &Path, extra: &[&str]) -> Output {
    bin()
        .args([
            "sync",
            "--mock",
            "small",
            "--mock-seed",
            seed,
            "--no-progress",
        ])
        .args(extra)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run")
}

#[test]
fn syncs_of_two_organizations_are_neither_diffed_nor_appended_unless_asked() {
    let dir = tempfile::tempdir().expect("tmp");
    let (ours, theirs) = (dir.path().join("ours.json"), dir.path().join("theirs.json"));
    // Seeds name different organizations of the `small` preset.
    assert!(embedded_sync("0", &ours, &[]).status.success());
    assert!(embedded_sync("3", &theirs, &[]).status.success());
    let diff = |args: &[&str]| bin().arg("diff").args(args).output().expect("run diff");
    let (a, b) = (
        ours.to_str().expect("utf-8"),
        theirs.to_str().expect("utf-8"),
    );
    let o = diff(&[a, b]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("org-small-0 and org-small-3"),
        "{}",
        text(&o)
    );
    assert!(o.stdout.is_empty(), "no diff printed: {}", text(&o));
    let o = diff(&[a, b, "--across-orgs"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // A .c1z of one organization takes no sync of another: refused, the file unchanged.
    let c1z = dir.path().join("org.c1z");
    assert!(embedded_sync("0", &c1z, &[]).status.success());
    let before = std::fs::read(&c1z).expect("c1z");
    let o = embedded_sync("3", &c1z, &["--append"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("holds syncs of org-small-0, not of org-small-3"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read(&c1z).expect("c1z"), before);
    // The same organization appends as before.
    assert!(embedded_sync("0", &c1z, &["--append"]).status.success());
}

#[test]
fn syncs_given_newest_first_are_diffed_with_a_warning() {
    let dir = tempfile::tempdir().expect("tmp");
    let (older, newer) = (dir.path().join("older.json"), dir.path().join("newer.json"));
    assert!(embedded_sync("0", &older, &[]).status.success());
    // The second sync's time is later by at least a second (times are written in seconds).
    let mut v: Value =
        serde_json::from_slice(&std::fs::read(&older).expect("older")).expect("json");
    v["sync"]["synced_at"] = Value::from("2030-01-01T00:00:00Z");
    std::fs::write(&newer, serde_json::to_vec(&v).expect("json")).expect("newer");
    let (o_, n_) = (
        older.to_str().expect("utf-8"),
        newer.to_str().expect("utf-8"),
    );
    let right = bin().args(["diff", o_, n_]).output().expect("run");
    assert_eq!(right.status.code(), Some(0), "{}", text(&right));
    assert!(!text(&right).contains("newer than"), "{}", text(&right));
    let wrong = bin().args(["diff", n_, o_]).output().expect("run");
    assert_eq!(wrong.status.code(), Some(0), "{}", text(&wrong));
    assert!(
        text(&wrong).contains("the first sync (2030-01-01T00:00:00Z) is newer than the second"),
        "{}",
        text(&wrong)
    );
}
