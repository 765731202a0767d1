//! The state directory on disk: what a crash leaves is read back safely, a commit replaces
//! the last sync whole, and replay takes each list once from the right place.

use super::*;
use crate::ids::UserId;
use std::io::Write as _;

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
        read_at: 0,
    }
}

fn header(server: &str) -> JournalHeader {
    JournalHeader {
        journal: VERSION,
        server: server.to_owned(),
        kind: SyncKind::Full,
        started_at: 1,
        dirty: Vec::new(),
        audit: None,
    }
}

fn meta() -> StateMeta {
    StateMeta {
        version: VERSION,
        server: "mock".to_owned(),
        org_id: None,
        synced_at: 2,
        kind: SyncKind::Full,
        lists: 2,
        limits: Default::default(),
        audit: None,
        logins: Default::default(),
    }
}

fn user(id: &str) -> Work {
    Work::User(UserId::new(id).expect("id"))
}

#[test]
fn a_torn_last_line_is_dropped_and_the_journal_continues_after_the_last_whole_record() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = StateDir::open(&tmp.path().join("state")).expect("open");
    let mut j = dir.begin(&header("mock")).expect("begin");
    j.append(&record("/organization/users", vec![user("user-1")]))
        .expect("append");
    drop(j);
    // A crash in the middle of the next append.
    let path = dir.path().join("journal.jsonl");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    f.write_all(br#"{"key":"/organization/invites","crawl"#)
        .expect("write");
    drop(f);

    let loaded = dir.load().expect("load");
    let (h, records) = loaded.journal.expect("journal");
    assert_eq!(h, header("mock"));
    assert_eq!(records.len(), 1, "the torn record is not trusted");
    assert_eq!(records[0].work, vec![user("user-1")]);

    // The same sync continues: the torn bytes are cut before the next record.
    let mut j = dir.begin(&header("mock")).expect("begin again");
    j.append(&record("/organization/invites", Vec::new()))
        .expect("append");
    let (_, records) = dir.load().expect("load").journal.expect("journal");
    let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["/organization/users", "/organization/invites"]);
}

#[test]
fn a_journal_of_another_sync_is_started_afresh() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = StateDir::open(tmp.path()).expect("open");
    let mut j = dir.begin(&header("http://127.0.0.1:1/v1")).expect("begin");
    j.append(&record("/organization/users", Vec::new()))
        .expect("append");
    drop(dir.begin(&header("mock")).expect("begin other"));
    let (h, records) = dir.load().expect("load").journal.expect("journal");
    assert_eq!(h.server, "mock");
    assert!(records.is_empty());
}

#[test]
fn a_commit_makes_the_journal_the_last_sync_and_removes_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = StateDir::open(tmp.path()).expect("open");
    let mut j = dir.begin(&header("mock")).expect("begin");
    let a = record("/organization/users", vec![user("user-1"), user("user-2")]);
    let b = record("/organization/invites", Vec::new());
    j.append(&a).expect("append");
    j.append(&b).expect("append");
    drop(j);
    dir.commit(&meta()).expect("commit");
    let loaded = dir.load().expect("load");
    assert_eq!(loaded.meta, Some(meta()));
    assert_eq!(loaded.base, vec![a, b]);
    assert!(loaded.journal.is_none());
    assert!(!dir.path().join("journal.jsonl").exists());
}

#[test]
fn a_state_of_another_version_is_not_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = StateDir::open(tmp.path()).expect("open");
    let mut old = meta();
    old.version = VERSION + 1;
    dir.write_meta(&old).expect("write");
    assert!(dir.load().expect("load").meta.is_none());
    std::fs::write(dir.path().join("state.json"), b"{ not json").expect("write");
    assert!(matches!(dir.load(), Err(StateError::Corrupt { .. })));
}

#[cfg(unix)]
#[test]
fn the_state_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = StateDir::open(&tmp.path().join("state")).expect("open");
    drop(dir.begin(&header("mock")).expect("begin"));
    dir.commit(&meta()).expect("commit");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(dir.path()), 0o700);
    assert_eq!(mode(&dir.path().join("state.json")), 0o600);
    assert_eq!(mode(&dir.path().join("lists.jsonl")), 0o600);
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
