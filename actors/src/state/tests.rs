//! The state database: a stored list reads back, the newest read wins, an open run is found
//! again, lists no longer part of the org go, a newer format is refused, the files are its
//! owner's alone, the file format before it is converted; and replay takes each list once
//! from the right place.

use super::*;
use crate::ids::UserId;

fn record(path: &str, work: Vec<Work>) -> ListRecord {
    ListRecord {
        key: ListKey(path.to_owned()),
        crawler: "users".to_owned(),
        pages: 2,
        items: work.len(),
        resources: Vec::new(),
        grants: Vec::new(),
        work,
        org_id: None,
        read_at: 10,
    }
}

fn at(mut r: ListRecord, read_at: i64) -> ListRecord {
    r.read_at = read_at;
    r
}

fn user(id: &str) -> Work {
    Work::User(UserId::new(id).expect("id"))
}

fn open() -> (tempfile::TempDir, StateDir) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = StateDir::open(&tmp.path().join("state")).expect("open");
    (tmp, dir)
}

/// A list as the file format wrote it: its read time inside.
fn legacy_line(r: &ListRecord) -> String {
    let mut v = serde_json::to_value(r).expect("record");
    v["read_at"] = r.read_at.into();
    v.to_string()
}

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct Header {
    server: String,
}

#[test]
fn a_stored_list_reads_back_and_the_newest_read_wins() {
    let (_t, dir) = open();
    let a = record("/organization/users", vec![user("user-1")]);
    assert_eq!(dir.put_list(1, &a, 100).expect("put"), Stored::Changed);
    assert_eq!(dir.put_list(1, &a, 101).expect("put"), Stored::Same);
    // Read again later with the same content: the same, only its read time moves on.
    let again = at(
        record("/organization/users", vec![user("user-1")]),
        a.read_at + 7,
    );
    assert_eq!(dir.put_list(2, &again, 102).expect("put"), Stored::Same);
    assert_eq!(dir.lists().expect("lists"), vec![again]);
    assert_eq!(
        dir.ages().expect("ages").newest_change,
        Some(100),
        "unchanged content"
    );
    // A copy read earlier than the stored one is dropped; one read later replaces it.
    let older = at(record("/organization/users", vec![user("user-0")]), 5);
    assert_eq!(dir.put_list(2, &older, 102).expect("put"), Stored::Older);
    let newer = at(record("/organization/users", vec![user("user-2")]), 20);
    assert_eq!(dir.put_list(3, &newer, 103).expect("put"), Stored::Changed);
    assert_eq!(dir.lists().expect("lists"), vec![newer]);
    let ages = dir.ages().expect("ages");
    assert_eq!(
        (ages.lists, ages.oldest_read, ages.newest_change),
        (1, Some(20), Some(103))
    );
}

#[test]
fn an_open_run_is_found_again_with_its_lists_and_a_background_one_never() {
    let (_t, dir) = open();
    assert!(dir.open_run::<Header>().expect("none").is_none());
    let bg = dir
        .begin_background_run(
            &Header {
                server: "bg".into(),
            },
            1,
        )
        .expect("bg");
    dir.put_list(bg, &record("/organization/groups", Vec::new()), 1)
        .expect("put");
    assert!(
        dir.open_run::<Header>().expect("none").is_none(),
        "a background run is not a sync"
    );
    let run = dir
        .begin_run(
            &Header {
                server: "mock".into(),
            },
            2,
        )
        .expect("begin");
    let a = record("/organization/users", Vec::new());
    dir.put_list(run, &a, 2).expect("put");
    let (id, header, lists) = dir.open_run::<Header>().expect("open").expect("there");
    assert_eq!((id, header.server.as_str(), lists), (run, "mock", vec![a]));
    dir.transaction(|t| t.end_run(run, 3)).expect("end");
    assert!(dir.open_run::<Header>().expect("none").is_none());
    // A run begun ends the one left open before it: that one is not resumed then.
    let first = dir.begin_run(&Header { server: "a".into() }, 4).expect("a");
    let second = dir.begin_run(&Header { server: "b".into() }, 5).expect("b");
    assert_ne!(first, second);
    let (id, h, _) = dir.open_run::<Header>().expect("open").expect("there");
    assert_eq!((id, h.server.as_str()), (second, "b"));
}

#[test]
fn lists_a_complete_sync_did_not_go_through_are_removed_unless_read_since_it_began() {
    let (_t, dir) = open();
    for (path, read_at) in [("/a", 10), ("/gone", 10), ("/read-meanwhile", 60)] {
        dir.put_list(1, &at(record(path, Vec::new()), read_at), 1)
            .expect("put");
    }
    let visited: std::collections::HashSet<String> = ["/a".to_owned()].into();
    let removed = dir
        .transaction(|t| t.keep_only_since(&visited, 50))
        .expect("gc");
    assert_eq!(removed, 1);
    let keys: Vec<String> = dir
        .lists()
        .expect("lists")
        .into_iter()
        .map(|r| r.key.to_string())
        .collect();
    assert_eq!(keys, ["/a", "/read-meanwhile"]);
}

#[test]
fn meta_reads_back_and_a_database_of_a_newer_format_is_refused() {
    let (_t, dir) = open();
    assert!(dir.meta().expect("meta").is_none());
    let meta = StateMeta {
        server: "mock".into(),
        org_id: None,
        synced_at: 2,
        kind: SyncKind::Full,
        lists: 2,
        limits: Default::default(),
        audit: Some(serde_json::json!({"from": 1})),
        logins: Default::default(),
    };
    dir.transaction(|t| t.write_meta(&meta)).expect("write");
    assert_eq!(dir.meta().expect("meta"), Some(meta));
    let path = dir.path().to_owned();
    drop(dir);
    let conn = rusqlite::Connection::open(path.join(db::FILE)).expect("sqlite");
    conn.pragma_update(None, "user_version", db::SCHEMA + 1)
        .expect("bump");
    drop(conn);
    match StateDir::open(&path) {
        Err(StateError::Newer { found, .. }) => assert_eq!(found, db::SCHEMA + 1),
        other => panic!("{other:?}"),
    }
}

#[cfg(unix)]
#[test]
fn the_state_is_readable_by_its_owner_only_and_never_opened_through_a_link() {
    use std::os::unix::fs::PermissionsExt;
    let (_t, dir) = open();
    dir.put_list(1, &record("/a", Vec::new()), 1).expect("put");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(dir.path()), 0o700);
    for f in ["state.db", "state.db-wal"] {
        assert_eq!(mode(&dir.path().join(f)), 0o600, "{f}");
    }
    let other = tempfile::tempdir().expect("tmp");
    let victim = other.path().join("victim.db");
    std::fs::write(&victim, b"precious").expect("victim");
    let linked = other.path().join("state");
    std::fs::create_dir(&linked).expect("mkdir");
    std::os::unix::fs::symlink(&victim, linked.join(db::FILE)).expect("link");
    assert!(StateDir::open(&linked).is_err());
    assert_eq!(std::fs::read(&victim).expect("victim"), b"precious");
}

#[test]
fn a_state_directory_of_the_file_format_is_converted_and_its_files_removed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    let a = record("/organization/users", vec![user("user-1")]);
    let b = record("/organization/invites", Vec::new());
    std::fs::write(
        d.join("state.json"),
        serde_json::json!({"version": 1, "server": "mock", "org_id": "org-x", "synced_at": 7,
            "kind": "full", "lists": 2, "audit": {"from": 3}})
        .to_string(),
    )
    .expect("meta");
    std::fs::write(
        d.join("lists.jsonl"),
        format!("{}\n{}\n", legacy_line(&a), legacy_line(&b)),
    )
    .expect("lists");
    let journaled = record("/organization/groups", Vec::new());
    std::fs::write(
        d.join("journal.jsonl"),
        format!(
            "{}\n{}\n{{\"key\":\"/torn",
            serde_json::json!({"journal": 1, "server": "mock", "kind": "full", "started_at": 8}),
            legacy_line(&journaled)
        ),
    )
    .expect("journal");
    std::fs::write(d.join("service.json"), r#"{"next_sync_id": 9}"#).expect("ledger");
    std::fs::write(
        d.join("history.json"),
        r#"{"format":"x","syncs":[{"sync":{"id":4,"kind":"full"},"changed":{"n":1}}]}"#,
    )
    .expect("history");
    let dir = StateDir::open(d).expect("open");
    let meta = dir.meta().expect("meta").expect("converted");
    assert_eq!((meta.server.as_str(), meta.synced_at), ("mock", 7));
    assert_eq!(meta.audit, Some(serde_json::json!({"from": 3})));
    let mut keys: Vec<String> = dir
        .lists()
        .expect("lists")
        .into_iter()
        .map(|r| r.key.to_string())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "/organization/groups",
            "/organization/invites",
            "/organization/users"
        ]
    );
    let (_, header, lists) = dir
        .open_run::<serde_json::Value>()
        .expect("open")
        .expect("the interrupted sync");
    assert_eq!(header["started_at"], 8);
    assert_eq!(lists, vec![journaled], "the torn record is not trusted");
    assert_eq!(
        dir.get::<serde_json::Value>(LEDGER).expect("ledger"),
        Some(serde_json::json!({"next_sync_id": 9}))
    );
    assert_eq!(dir.history().expect("history").len(), 1);
    for f in [
        "state.json",
        "lists.jsonl",
        "journal.jsonl",
        "service.json",
        "history.json",
    ] {
        assert!(!d.join(f).exists(), "{f} is removed once converted");
    }
}

#[test]
fn replay_takes_each_list_once_preferring_the_journal_and_never_a_dirty_one() {
    let journaled = record("/organization/users", vec![user("user-new")]);
    let stale = record("/organization/users", vec![user("user-old")]);
    let clean = record("/organization/invites", Vec::new());
    let dirty = record("/organization/groups", Vec::new());
    let mut replay = Replay::new(
        vec![journaled.clone()],
        vec![stale, clean.clone(), dirty.clone()],
        [dirty.key.clone()],
    );
    let r = replay.take(&journaled.key).expect("journaled");
    assert!(r.journaled);
    assert_eq!(r.record.work, vec![user("user-new")]);
    let c = replay.take(&clean.key).expect("clean");
    assert!(!c.journaled);
    assert!(replay.take(&clean.key).is_none(), "once");
    assert!(replay.take(&dirty.key).is_none(), "a dirty list is read");
}

#[test]
fn a_replayed_role_list_leaves_grants_held_through_a_group_to_the_group_s_own_lists() {
    use crate::baton::{ResourceId, ResourceKey, ResourceType, Slug};
    use crate::graph::Origin;
    let key = |t, id: &str| ResourceKey::new(t, id.parse::<ResourceId>().expect("id"));
    let role = key(ResourceType::Role, "role-auditor").entitlement(Slug::Assigned);
    let via = |g: &str| Origin::Via {
        entitlement: key(ResourceType::Group, g).entitlement(Slug::Member),
        immutable: true,
    };
    let alice = key(ResourceType::User, "user-alice");
    let grant = |origin| GrantFact {
        entitlement: role.clone(),
        principal: alice.clone(),
        origin,
    };
    let mut roles = record("/organization/users/user-alice/roles", Vec::new());
    roles.crawler = "user_roles".to_owned();
    roles.grants = vec![
        grant(Origin::Direct),
        grant(via("grp-eng")),
        grant(via("grp-gone")),
    ];
    let members = record("/organization/groups/grp-eng/users", Vec::new());
    let mut replay = Replay::new(Vec::new(), vec![roles.clone(), members], []);
    let got = replay.take(&roles.key).expect("replayed").record.grants;
    // Through grp-eng: derived again from grp-eng's members and roles, which the sync reads
    // or replays as they are now. Through a group whose members the state lacks: kept.
    assert_eq!(got, vec![grant(Origin::Direct), grant(via("grp-gone"))]);
}
