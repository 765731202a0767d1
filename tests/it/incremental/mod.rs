//! Incremental syncs from the audit log, as a user runs them (`sync --state DIR`): after any
//! sequence of changes, through the API or out of band, the output equals a fresh full sync's;
//! they read only what changed; and they fall back to full syncs, saying why, when the log
//! cannot be trusted.

mod fallback;
mod outputs;

use crate::support::*;
use openai_access_actors::api::Endpoint;
use openai_access_mock::random_changes::{self, KINDS};
use openai_access_mock::rng::SplitMix64;
use openai_access_mock::{AuditConfig, Change, MockConfig, MockServer, MockStats, Preset};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

fn server(preset: Preset, seed: u64) -> MockServer {
    mock_with(MockConfig {
        preset,
        seed,
        ..MockConfig::default()
    })
}

/// `sync` of `server` into `out` (JSON), with `extra` flags.
fn sync(server: &MockServer, out: &Path, extra: &[&str]) -> (Value, String) {
    let o = run_bounded(
        bin()
            .env("OPENAI_ADMIN_KEY", KEY)
            .args(["sync", "--no-progress", "--base-url"])
            .arg(server.base_url())
            .arg("--out")
            .arg(out)
            .args(extra),
        Duration::from_secs(120),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&std::fs::read(out).expect("out")).expect("json");
    (v, text(&o))
}

fn graph(mut v: Value) -> Value {
    strip_run(&mut v);
    v
}

/// An incremental sync with `state` (and `extra` flags), then a fresh full sync: their
/// graphs, the first's `sync.state`, and what the mock counted of the incremental sync alone.
fn incremental_then_fresh(
    server: &MockServer,
    dir: &Path,
    state: &Path,
    extra: &[&str],
) -> (Value, Value, Value, MockStats) {
    server.reset_stats();
    let st = state.to_str().expect("utf-8");
    let args: Vec<&str> = ["--state", st]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    let (inc, said) = sync(server, &dir.join("inc.json"), &args);
    let run = inc["sync"]["state"].clone();
    assert_eq!(run["kind"], "incremental", "{said}");
    let counted = server.stats();
    let (fresh, _) = sync(server, &dir.join("fresh.json"), &[]);
    (graph(inc), graph(fresh), run, counted)
}

/// A working directory whose `state` holds a first, full sync of `server`.
fn first_sync(server: &MockServer) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("state");
    let st = state.to_str().expect("utf-8");
    sync(server, &dir.path().join("full.json"), &["--state", st]);
    (dir, state)
}

/// As [`incremental_then_fresh`], with every group's members read again (the audit log does
/// not record membership), so that the graphs must be equal.
fn incremental_and_fresh(server: &MockServer, dir: &Path, state: &Path) -> (Value, Value, Value) {
    let (inc, fresh, run, _) =
        incremental_then_fresh(server, dir, state, &["--group-rescan-interval", "0"]);
    (inc, fresh, run)
}

/// What one graph has that the other lacks, array by array (for a failing comparison).
fn differences(a: &Value, b: &Value) -> String {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return "not objects".into();
    };
    let mut out = String::new();
    for (name, av) in a {
        let bv = &b[name];
        let items = |v: &Value| -> BTreeSet<String> {
            v.as_array()
                .map(|x| x.iter().map(Value::to_string).collect())
                .unwrap_or_default()
        };
        if av == bv {
            continue;
        }
        let (ai, bi) = (items(av), items(bv));
        if ai.is_empty() && bi.is_empty() {
            out += &format!("\n{name}: {av} / full {bv}");
            continue;
        }
        for x in ai.difference(&bi).take(5) {
            out += &format!("\n{name} only incremental: {x}");
        }
        for x in bi.difference(&ai).take(5) {
            out += &format!("\n{name} only full: {x}");
        }
    }
    out
}

/// Applies `n` random changes; returns the kinds applied.
fn apply_random(server: &MockServer, rng: &mut SplitMix64, n: usize) -> Vec<usize> {
    let mut applied = Vec::new();
    let mut tries = 0;
    while applied.len() < n && tries < n * 20 {
        tries += 1;
        let (kind, change) = random_changes::draw(&server.org(), rng);
        if let Some(c) = change
            && server.change(&c).is_ok()
        {
            applied.push(kind);
        }
    }
    applied
}

/// Kinds that act on what other kinds create, and those kinds (in order).
const PREREQUISITES: [(usize, &[usize]); 1] = [
    // Deleting a group's project role needs a project with a group and a custom role.
    (19, &[33, 14, 18]),
];

/// A change of `kind`, if one can be drawn from the org as it is.
fn draw_kind(server: &MockServer, rng: &mut SplitMix64, kind: usize) -> Option<Change> {
    (0..500)
        .map(|_| random_changes::draw(&server.org(), rng))
        .find_map(|(k, c)| c.filter(|_| k == kind))
}

/// Applies one change of `kind`, if one can be drawn (a refused one is simply not made).
fn apply_kind(server: &MockServer, rng: &mut SplitMix64, kind: usize) {
    if let Some(c) = draw_kind(server, rng, kind) {
        let _ = server.change(&c);
    }
}

#[test]
fn after_random_changes_an_incremental_sync_equals_a_full_one() {
    let mut kinds = BTreeSet::new();
    for seed in 0..40u64 {
        let server = server(Preset::Small, seed);
        let (dir, state) = first_sync(&server);
        let mut rng = SplitMix64::new(seed);
        let n = 1 + rng.below(50);
        let applied = apply_random(&server, &mut rng, n);
        kinds.extend(applied.iter().copied());
        let (inc, fresh, run) = incremental_and_fresh(&server, dir.path(), &state);
        assert!(
            inc == fresh,
            "seed {seed}: {} changes {applied:?}; incremental differs from full: {}\n({run})",
            applied.len(),
            differences(&inc, &fresh)
        );
    }
    let missing: Vec<usize> = (0..KINDS).filter(|k| !kinds.contains(k)).collect();
    assert!(missing.is_empty(), "kinds never drawn: {missing:?}");
}

#[test]
fn each_kind_of_change_alone_is_found_and_read_at_a_cost_in_proportion() {
    for kind in 0..KINDS {
        let server = server(Preset::Small, 7);
        let dir = tempfile::tempdir().expect("tmp");
        let state = dir.path().join("state");
        let mut rng = SplitMix64::new(kind as u64);
        // Some kinds need something to act on first (a group holding a project role, say):
        // other changes, made before the full sync, until one of this kind can be drawn.
        let mut change = None;
        for _ in 0..100 {
            change = draw_kind(&server, &mut rng, kind);
            if change.is_some() {
                break;
            }
            match PREREQUISITES.iter().find(|(k, _)| *k == kind) {
                Some((_, before)) => {
                    for &b in *before {
                        apply_kind(&server, &mut rng, b);
                    }
                }
                None => {
                    apply_random(&server, &mut rng, 1);
                }
            }
        }
        let change = change.unwrap_or_else(|| panic!("kind {kind} never drawn"));
        sync(
            &server,
            &dir.path().join("full.json"),
            &["--state", state.to_str().expect("utf-8")],
        );
        if server.change(&change).is_err() {
            continue;
        }
        server.reset_stats();
        let (inc, fresh, run) = incremental_and_fresh(&server, dir.path(), &state);
        assert!(
            inc == fresh,
            "kind {kind} ({change:?}): incremental differs from full ({run})"
        );
        let read_again = run["lists_read_again"].as_u64().expect("count");
        assert!(
            read_again < 120,
            "kind {kind}: {read_again} lists for one change ({run})"
        );
    }
}

#[test]
fn with_nothing_changed_an_incremental_sync_reads_one_page_of_the_log_and_nothing_else() {
    let server = server(Preset::Small, 1);
    let (dir, state) = first_sync(&server);
    let st = state.to_str().expect("utf-8");
    server.reset_stats();
    let (v, said) = sync(&server, &dir.path().join("inc.json"), &["--state", st]);
    let stats = server.stats();
    assert_eq!(
        stats.requests.get(&Endpoint::ListAuditLogs),
        Some(&1),
        "{said}"
    );
    let others: u64 = stats
        .requests
        .iter()
        .filter(|(e, _)| **e != Endpoint::ListAuditLogs && !e.is_usage())
        .map(|(_, n)| n)
        .sum();
    assert_eq!(others, 0, "no list was read: {:?}", stats.requests);
    // Usage: today again, one page for each of the ten types.
    let usage: u64 = stats
        .requests
        .iter()
        .filter(|(e, _)| e.is_usage())
        .map(|(_, n)| n)
        .sum();
    assert_eq!(usage, 10, "{:?}", stats.requests);
    assert_eq!(v["sync"]["kind"], "incremental");
    assert_eq!(v["sync"]["state"]["lists_read_again"], 0);

    // k changes: the log's pages and the pages of the lists read, nothing more; and those
    // lists are the dirty ones plus the few the changes created.
    let mut rng = SplitMix64::new(99);
    let k = apply_random(&server, &mut rng, 10).len() as u64;
    server.reset_stats();
    let (v, _) = sync(&server, &dir.path().join("inc2.json"), &["--state", st]);
    let stats = server.stats();
    let audit = stats
        .requests
        .get(&Endpoint::ListAuditLogs)
        .copied()
        .unwrap_or(0);
    let list_requests: u64 = stats
        .requests
        .iter()
        .filter(|(e, _)| **e != Endpoint::ListAuditLogs && !e.is_usage())
        .map(|(_, n)| n)
        .sum();
    let s = &v["summary"];
    assert_eq!(
        audit,
        v["sync"]["state"]["audit_pages"].as_u64().expect("pages")
    );
    let alone = v["sync"]["state"]["objects_read_alone"]
        .as_u64()
        .expect("alone");
    assert_eq!(
        list_requests,
        s["requests_total"].as_u64().expect("total") + alone,
        "each page once, and each object read alone once"
    );
    let read = s["lists_read"].as_u64().expect("read");
    let dirty = v["sync"]["state"]["lists_read_again"]
        .as_u64()
        .expect("dirty");
    assert!(
        read <= dirty + 6 * k,
        "{read} lists read for {dirty} dirty lists and {k} changes"
    );
    assert!(
        s["lists_from_state"].as_u64().expect("replayed") > read,
        "most lists come from the state"
    );
}

#[test]
fn group_membership_is_not_in_the_log_and_is_read_again_on_its_schedule() {
    let server = server(Preset::Small, 2);
    let (dir, state) = first_sync(&server);
    let st = state.to_str().expect("utf-8");
    let org = server.org();
    let group = &org.groups[0];
    let outsider = org
        .users
        .iter()
        .find(|u| !u.is_service_account() && !group.members.iter().any(|m| m.user_id == u.id))
        .expect("a user outside the group");
    server
        .change(&Change::Request {
            method: "POST".into(),
            path: format!("/organization/groups/{}/users", group.group.id),
            body: serde_json::json!({"user_id": outsider.id}),
        })
        .expect("added");
    let entries_before = server.audit_entries().len();
    // Not due yet: the change is not seen, and the output says how old the data is.
    let (stale, _) = sync(&server, &dir.path().join("stale.json"), &["--state", st]);
    assert_eq!(
        server.audit_entries().len(),
        entries_before,
        "no org-scoped entry"
    );
    let read_at = &stale["sync"]["state"]["group_members_read_at"];
    assert!(read_at[group.group.id.as_str()].is_string(), "{read_at}");
    let (fresh, _) = sync(&server, &dir.path().join("fresh.json"), &[]);
    assert!(
        graph(stale.clone()) != graph(fresh.clone()),
        "a membership change waits for its rescan"
    );
    // Due: read again, and equal.
    let (due, _) = sync(
        &server,
        &dir.path().join("due.json"),
        &["--state", st, "--group-rescan-interval", "0"],
    );
    assert!(due["sync"]["state"]["group_rescans"].as_u64().expect("n") > 0);
    assert!(graph(due) == graph(fresh));
}

#[test]
fn archived_in_between_and_deleted_then_reinvited_are_followed() {
    let server = server(Preset::Small, 3);
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("state");
    sync(
        &server,
        &dir.path().join("full.json"),
        &["--state", state.to_str().expect("utf-8")],
    );
    let org = server.org();
    let project = org
        .projects
        .iter()
        .find(|p| !p.is_archived())
        .expect("active");
    let user = org
        .users
        .iter()
        .find(|u| {
            !u.is_service_account()
                && u.role.as_deref() == Some("reader")
                && !project.users.iter().any(|m| m.user_id == u.id)
        })
        .expect("a reader");
    let email = user.email.clone().expect("email");
    let changes = [
        Change::Request {
            method: "POST".into(),
            path: format!("/organization/projects/{}/users", project.project.id),
            body: serde_json::json!({"user_id": user.id, "role": "member"}),
        },
        Change::ArchiveProject {
            project: project.project.id.to_string(),
        },
        Change::Request {
            method: "DELETE".into(),
            path: format!("/organization/users/{}", user.id),
            body: Value::Null,
        },
        Change::Request {
            method: "POST".into(),
            path: "/organization/invites".into(),
            body: serde_json::json!({"email": email, "role": "reader", "projects": []}),
        },
    ];
    for c in &changes {
        server
            .change(c)
            .unwrap_or_else(|e| panic!("{c:?}: {}", e.message));
    }
    let invite = server
        .org()
        .invites
        .into_iter()
        .find(|i| {
            i.email.as_deref() == Some(email.as_str()) && i.status.as_deref() == Some("pending")
        })
        .expect("invited again");
    server
        .change(&Change::AcceptInvite {
            invite: invite.id.to_string(),
        })
        .expect("accepted");
    let (inc, fresh, run) = incremental_and_fresh(&server, dir.path(), &state);
    assert!(inc == fresh, "{run}");
}

#[test]
fn a_changed_user_or_invite_is_read_alone_not_the_whole_list() {
    // `medium`: 2,000 users, 20 pages; 10 rpm would make the list two minutes of reads.
    let server = server(Preset::Medium, 4);
    let (dir, state) = first_sync(&server);
    let org = server.org();
    let user = org
        .users
        .iter()
        .find(|u| !u.is_service_account() && u.role.as_deref() == Some("reader"))
        .expect("a reader");
    let invite = org
        .invites
        .iter()
        .find(|i| i.status.as_deref() == Some("pending") && !i.projects.is_empty())
        .expect("a pending invite with projects");
    let changes = [
        Change::Request {
            method: "POST".into(),
            path: format!("/organization/users/{}", user.id),
            body: serde_json::json!({"role": "owner"}),
        },
        Change::AcceptInvite {
            invite: invite.id.to_string(),
        },
    ];
    for c in &changes {
        server.change(c).expect("change");
    }
    let (inc, fresh, run, stats) = incremental_then_fresh(&server, dir.path(), &state, &[]);
    let n = |e: Endpoint| stats.requests.get(&e).copied().unwrap_or(0);
    assert_eq!(n(Endpoint::ListInvites), 0, "{run}");
    assert_eq!(n(Endpoint::RetrieveInvite), 1, "the accepted invite, alone");
    assert_eq!(
        n(Endpoint::ListUsers),
        1,
        "one page: the user the invite became, by email"
    );
    assert_eq!(
        n(Endpoint::RetrieveUser),
        2,
        "the promoted user and the new one"
    );
    assert_eq!(run["objects_read_alone"], 4, "{run}");
    // The invite's projects' members, not every project's.
    assert_eq!(
        n(Endpoint::ListProjectUsers),
        invite.projects.len() as u64,
        "{run}"
    );
    assert!(inc == fresh, "{}", differences(&inc, &fresh));
}
