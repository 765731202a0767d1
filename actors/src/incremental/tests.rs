//! The planner on its own: events in, dirty lists out.

use super::*;
use crate::ids::{GroupId, ProjectId, UserId};
use crate::messages::Work;
use serde_json::json;

fn record(call: Call, read_at: i64, work: Vec<Work>) -> ListRecord {
    ListRecord {
        key: ListKey::of(&call),
        crawler: "test".into(),
        pages: 1,
        items: work.len(),
        resources: Vec::new(),
        grants: Vec::new(),
        work,
        org_id: None,
        read_at,
    }
}

fn event(
    id: &str,
    kind: &str,
    at: i64,
    project: Option<&str>,
    payload: serde_json::Value,
) -> AuditEvent {
    serde_json::from_value(json!({
        "id": id, "type": kind, "effective_at": at,
        "project": project.map(|p| json!({"id": p})),
        kind: payload,
    }))
    .expect("event")
}

fn p(id: &str) -> ProjectId {
    ProjectId::new(id).expect("id")
}

fn base() -> Vec<ListRecord> {
    let alice = UserId::new("user-alice").expect("id");
    let eng = GroupId::new("group-eng").expect("id");
    vec![
        record(Call::users(), 100, vec![Work::User(alice.clone())]),
        record(Call::projects(), 100, vec![]),
        record(
            Call::project_users(&p("proj-1")),
            100,
            vec![Work::ProjectMember {
                project: p("proj-1"),
                user: alice.clone(),
            }],
        ),
        record(Call::project_users(&p("proj-2")), 100, vec![]),
        record(Call::project_api_keys(&p("proj-1")), 100, vec![]),
        record(Call::group_users(&eng), 100, vec![]),
        record(Call::user_roles(&alice), 100, vec![]),
    ]
}

const DAY: Duration = Duration::from_secs(86_400);

#[test]
fn duplicated_and_reordered_events_dirty_the_same_lists_once() {
    let added = event(
        "a1",
        "user.added",
        200,
        Some("proj-1"),
        json!({"id": "user-bob"}),
    );
    let deleted = event("a2", "user.deleted", 201, None, json!({"id": "user-alice"}));
    let once = plan(&base(), &[added.clone(), deleted.clone()], 300, Some(DAY)).expect("plan");
    let again = plan(
        &base(),
        &[deleted.clone(), added.clone(), deleted, added],
        300,
        Some(DAY),
    )
    .expect("plan");
    assert_eq!(
        once.lists.keys().collect::<Vec<_>>(),
        again.lists.keys().collect::<Vec<_>>()
    );
    // The deleted user: the org list, and every list that names her.
    for k in [
        "/organization/users",
        "/organization/projects/proj-1/users",
        "/organization/users/user-alice/roles",
    ] {
        assert!(
            once.lists.keys().any(|l| l.as_str() == k),
            "{k}: {:?}",
            once.lists
        );
    }
    assert!(
        !once
            .lists
            .keys()
            .any(|l| l.as_str() == "/organization/projects/proj-2/users")
    );
}

#[test]
fn an_event_of_unknown_scope_never_makes_the_sync_full_and_irrelevant_ones_dirty_nothing() {
    // Naming nothing the state holds: counted, left to the reconciliation.
    let unknown = event("u1", "widget.frobbed", 200, None, json!({"id": "widget-9"}));
    let d = plan(&base(), &[unknown], 300, Some(DAY)).expect("never a full sync");
    assert!(d.lists.is_empty(), "{:?}", d.lists);
    assert_eq!(d.unknown.get("widget.frobbed"), Some(&1));
    // Naming what it holds: the lists that name it are read again.
    let names = event(
        "u2",
        "widget.frobbed",
        200,
        None,
        json!({"user": "user-alice"}),
    );
    let d = plan(&base(), &[names], 300, Some(DAY)).expect("plan");
    assert!(d.unknown.is_empty());
    assert!(
        d.lists
            .keys()
            .any(|k| k.as_str() == "/organization/users/user-alice/roles"),
        "{:?}",
        d.lists
    );
    let login = event("l1", "login.succeeded", 200, None, json!({}));
    assert!(
        plan(&base(), &[login], 300, Some(DAY))
            .expect("plan")
            .lists
            .is_empty()
    );
    let in_project = event(
        "u2",
        "project.someday_new_event",
        200,
        Some("proj-1"),
        json!({}),
    );
    let d = plan(&base(), &[in_project], 300, Some(DAY)).expect("plan");
    let keys: Vec<&str> = d.lists.keys().map(ListKey::as_str).collect();
    assert!(
        keys.contains(&"/organization/projects/proj-1/users"),
        "{keys:?}"
    );
    assert!(
        keys.contains(&"/organization/projects/proj-1/api_keys"),
        "{keys:?}"
    );
    assert!(keys.contains(&"/organization/projects"), "{keys:?}");
    assert!(
        !keys.contains(&"/organization/projects/proj-2/users"),
        "{keys:?}"
    );
}

#[test]
fn group_members_are_read_again_once_due_and_not_before() {
    let fresh = plan(&base(), &[], 100 + 60, Some(DAY)).expect("plan");
    assert!(fresh.lists.is_empty());
    let due = plan(&base(), &[], 100 + DAY.as_secs() as i64, Some(DAY)).expect("plan");
    assert_eq!(due.group_rescans, 1);
    assert!(
        due.lists
            .keys()
            .any(|k| k.as_str() == "/organization/groups/group-eng/users")
    );
}

#[test]
fn an_accepted_invite_reads_every_project_s_members() {
    let accepted = event(
        "i1",
        "invite.accepted",
        200,
        None,
        json!({"id": "invite-1"}),
    );
    let d = plan(&base(), &[accepted], 300, Some(DAY)).expect("plan");
    let keys: Vec<&str> = d.lists.keys().map(ListKey::as_str).collect();
    assert!(keys.contains(&"/organization/projects/proj-1/users"));
    assert!(keys.contains(&"/organization/projects/proj-2/users"));
    assert!(keys.contains(&"/organization/invites"));
}

#[test]
fn a_cursor_older_than_the_retention_falls_back() {
    let c = AuditCursor {
        from: 0,
        anchor: None,
        seen: vec![],
    };
    assert!(check_age(&c, 10, DAY).is_ok());
    assert!(matches!(
        check_age(&c, 2 * 86_400, DAY),
        Err(Fallback::TooOld { .. })
    ));
}

#[test]
fn a_mutation_made_here_dirties_its_list_even_before_the_log_shows_it() {
    let alice = UserId::new("user-alice").expect("id");
    let add = Call::new(Endpoint::AddProjectUser, &[&p("proj-2")]);
    let modify = Call::new(Endpoint::ModifyProjectUser, &[&p("proj-1"), &alice]);
    let role = Call::new(Endpoint::ModifyUser, &[&alice]);
    let d = plan_with(&base(), &[], &[add, modify, role], 300, Some(DAY)).expect("plan");
    let lists: Vec<&str> = d.lists.keys().map(ListKey::as_str).collect();
    assert_eq!(
        lists,
        [
            "/organization/projects/proj-1/users",
            "/organization/projects/proj-2/users",
            "/organization/users",
        ],
        "the collection posted to, the one the modified member is in, and (for the user's own change) the user list, which is one page here; no key that is not a list of the state"
    );
    assert!(
        d.lists[&ListKey::from_path("/organization/projects/proj-1/users")]
            .starts_with("made here: POST "),
        "{d:?}"
    );
    assert!(
        d.lists[&ListKey::from_path("/organization/users")].contains("costs no more"),
        "{d:?}"
    );
    // With a user list of many pages, the user is read alone.
    let mut big = base();
    big[0].pages = 200;
    let role = Call::new(Endpoint::ModifyUser, &[&alice]);
    let d = plan_with(&big, &[], &[role], 300, Some(DAY)).expect("plan");
    assert!(d.lists.is_empty(), "{d:?}");
    assert_eq!(
        d.items.keys().cloned().collect::<Vec<_>>(),
        [patch::Item::User("user-alice".into())]
    );
    // Deleting a user also reads again every list that names them.
    let deleted = Call::new(Endpoint::DeleteUser, &[&alice]);
    let d = plan_with(&base(), &[], &[deleted], 300, Some(DAY)).expect("plan");
    assert!(
        d.lists
            .contains_key(&ListKey::of(&Call::project_users(&p("proj-1"))))
    );
    assert!(
        d.lists
            .contains_key(&ListKey::of(&Call::user_roles(&alice)))
    );
    // Nothing touched: the plan of the events alone.
    assert_eq!(
        plan_with(&base(), &[], &[], 300, Some(DAY)).expect("plan"),
        plan(&base(), &[], 300, Some(DAY)).expect("plan")
    );
}
