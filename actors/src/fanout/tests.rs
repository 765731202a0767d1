//! The rules one by one, each gate with its answer before and after the facts it gates, and
//! the whole table over every order its facts can arrive in.

use super::rules::{Gate, On, RULES, roots};
use super::*;
use crate::endpoint::Endpoint::{self, *};
use crate::ids::{GroupId, ProjectId, UserId, literal};
use crate::messages::Work;
use std::collections::BTreeSet;

fn user(id: &str) -> UserId {
    literal(id)
}
fn group(id: &str) -> GroupId {
    literal(id)
}
fn project(id: &str) -> ProjectId {
    literal(id)
}

fn req(list: Endpoint, scope: impl Into<Scope>) -> ListRequest {
    ListRequest {
        list,
        scope: scope.into(),
    }
}

fn in_project<T>(p: &str, principal: T) -> InProject<T> {
    InProject {
        project: project(p),
        principal,
    }
}

fn member(p: &str, u: &str) -> Work {
    Work::ProjectMember {
        project: project(p),
        user: user(u),
    }
}

fn project_roles(p: &str, has_custom: bool) -> Work {
    Work::ProjectRolesKnown {
        project: project(p),
        has_custom,
    }
}

fn live(p: &str) -> Work {
    Work::Project {
        project: project(p),
        archived: false,
    }
}

/// Feeds `facts` in order, collecting everything returned.
fn feed(fan: &mut FanOut, facts: impl IntoIterator<Item = Work>) -> Vec<ListRequest> {
    facts.into_iter().flat_map(|w| fan.found(w)).collect()
}

#[test]
fn the_user_list_starts_alone_and_its_first_page_starts_the_other_roots_admin_keys_last() {
    let mut fan = FanOut::default();
    assert_eq!(fan.start(), vec![req(ListUsers, Org)]);
    assert_eq!(fan.start(), vec![], "a list is returned once");
    assert_eq!(
        fan.found(Work::KeyAccepted),
        [
            ListInvites,
            ListOrgRoles,
            ListGroups,
            ListProjects,
            ListAdminApiKeys
        ]
        .map(|l| req(l, Org))
    );
    assert_eq!(fan.found(Work::KeyAccepted), vec![], "the roots start once");
    assert_eq!(
        roots().collect::<Vec<_>>(),
        [
            ListUsers,
            ListInvites,
            ListOrgRoles,
            ListGroups,
            ListProjects,
            ListAdminApiKeys
        ]
    );
    assert!(rules::is_root(ListAdminApiKeys) && !rules::is_root(ListGroupUsers));
}

/// Each rule with its gate open: what one fact unlocks, in order.
#[test]
fn each_fact_unlocks_its_lists_in_table_order() {
    let cases: Vec<(Work, Vec<ListRequest>)> = vec![
        (Work::User(user("u1")), vec![req(ListUserRoles, user("u1"))]),
        (
            Work::Group(group("g1")),
            vec![
                req(ListGroupUsers, group("g1")),
                req(ListGroupRoles, group("g1")),
            ],
        ),
        (
            live("p1"),
            [
                ListProjectUsers,
                ListProjectServiceAccounts,
                ListProjectApiKeys,
                ListProjectGroups,
                ListProjectRoles,
            ]
            .map(|l| req(l, project("p1")))
            .to_vec(),
        ),
        (
            member("p1", "u1"),
            vec![req(ListProjectUserRoles, in_project("p1", user("u1")))],
        ),
        (
            Work::ProjectGroup {
                project: project("p1"),
                group: group("g1"),
            },
            vec![req(ListProjectGroupRoles, in_project("p1", group("g1")))],
        ),
    ];
    for (fact, expected) in cases {
        let mut fan = FanOut::default();
        feed(
            &mut fan,
            [
                Work::OrgRolesKnown { has_custom: true },
                project_roles("p1", true),
            ],
        );
        assert_eq!(fan.found(fact.clone()), expected, "{fact:?}");
        assert_eq!(fan.found(fact.clone()), vec![], "{fact:?} again");
    }
}

/// A gate's answer before its facts, after them, and both ways: `(answer first, yes)` →
/// what the gated facts unlock, over the whole exchange.
#[test]
fn org_role_lists_wait_for_the_org_role_list_in_either_order() {
    let users = || [Work::User(user("u1")), Work::User(user("u2"))];
    let read = vec![
        req(ListUserRoles, user("u1")),
        req(ListUserRoles, user("u2")),
    ];
    for (answer_first, yes, expected) in [
        (true, true, read.clone()),
        (false, true, read.clone()),
        (true, false, vec![]),
        (false, false, vec![]),
    ] {
        let mut fan = FanOut::default();
        let answer = Work::OrgRolesKnown { has_custom: yes };
        let got = if answer_first {
            let mut got = fan.found(answer);
            got.extend(feed(&mut fan, users()));
            got
        } else {
            let held = feed(&mut fan, users());
            assert_eq!(held, vec![], "held until the org role list ends");
            fan.found(answer)
        };
        assert_eq!(got, expected, "answer first {answer_first}, custom {yes}");
        // Users found after the answer follow it at once.
        let later = fan.found(Work::User(user("u3")));
        let expected = if yes {
            vec![req(ListUserRoles, user("u3"))]
        } else {
            vec![]
        };
        assert_eq!(later, expected);
    }
}

#[test]
fn project_member_role_lists_wait_for_their_own_projects_role_list() {
    let mut fan = FanOut::default();
    let held = feed(
        &mut fan,
        [member("p1", "u1"), member("p2", "u1"), member("p1", "u2")],
    );
    assert_eq!(held, vec![]);
    assert_eq!(
        fan.found(project_roles("p2", false)),
        vec![],
        "no custom roles in p2"
    );
    assert_eq!(
        fan.found(project_roles("p1", true)),
        vec![
            req(ListProjectUserRoles, in_project("p1", user("u1"))),
            req(ListProjectUserRoles, in_project("p1", user("u2"))),
        ],
        "p1's members, in the order they were found"
    );
    assert_eq!(fan.found(member("p2", "u3")), vec![]);
    assert_eq!(
        fan.found(member("p1", "u3")),
        vec![req(ListProjectUserRoles, in_project("p1", user("u3")))]
    );
    assert_eq!(
        fan.found(member("p3", "u1")),
        vec![],
        "a project whose role list has not ended holds its members"
    );
}

#[test]
fn a_member_found_twice_while_held_is_read_once() {
    let mut fan = FanOut::default();
    feed(&mut fan, [member("p1", "u1"), member("p1", "u1")]);
    assert_eq!(
        fan.found(project_roles("p1", true)),
        vec![req(ListProjectUserRoles, in_project("p1", user("u1")))]
    );
    assert_eq!(fan.found(member("p1", "u1")), vec![]);
}

#[test]
fn archived_projects_get_no_lists() {
    let mut fan = FanOut::default();
    let archived = Work::Project {
        project: project("p1"),
        archived: true,
    };
    assert_eq!(fan.found(archived), vec![]);
}

#[test]
fn once_the_plan_refuses_group_members_no_group_member_list_is_returned() {
    let mut fan = FanOut::default();
    assert_eq!(fan.found(Work::Group(group("g1"))).len(), 2);
    assert!(fan.refused(ListGroupUsers), "news the first time");
    assert!(!fan.refused(ListGroupUsers), "not the second");
    assert_eq!(
        fan.found(Work::Group(group("g2"))),
        vec![req(ListGroupRoles, group("g2"))]
    );
}

/// Whatever order the facts of a small org arrive in, the same lists are read, each once.
#[test]
fn every_order_of_the_facts_reads_the_same_lists() {
    let facts = [
        Work::KeyAccepted,
        Work::User(user("u1")),
        Work::OrgRolesKnown { has_custom: true },
        live("p1"),
        member("p1", "u1"),
        project_roles("p1", true),
        Work::ProjectGroup {
            project: project("p1"),
            group: group("g1"),
        },
    ];
    let mut expected: Option<BTreeSet<String>> = None;
    let mut orders = 0;
    permutations(facts.len(), &mut |order| {
        orders += 1;
        let mut fan = FanOut::default();
        let got = feed(&mut fan, order.iter().map(|&i| facts[i].clone()));
        let set: BTreeSet<String> = got.iter().map(ToString::to_string).collect();
        assert_eq!(set.len(), got.len(), "a list returned twice: {got:?}");
        match &expected {
            None => expected = Some(set),
            Some(e) => assert_eq!(&set, e, "order {order:?}"),
        }
    });
    assert_eq!(orders, 5040);
    let expected = expected.unwrap_or_default();
    // Every rule's list but the user list (started, not found) and the group's (no group here).
    let rules = RULES
        .iter()
        .filter(|r| !matches!(r.on, On::Start | On::Group));
    assert_eq!(expected.len(), rules.count(), "{expected:#?}");
}

/// Calls `f` with every order of `0..n` (Heap's algorithm).
fn permutations(n: usize, f: &mut impl FnMut(&[usize])) {
    fn go(k: usize, a: &mut Vec<usize>, f: &mut impl FnMut(&[usize])) {
        if k <= 1 {
            f(a);
            return;
        }
        for i in 0..k {
            go(k - 1, a, f);
            let j = if k.is_multiple_of(2) { i } else { 0 };
            a.swap(j, k - 1);
        }
    }
    go(n, &mut (0..n).collect(), f);
}

/// The table's own consistency: one row per list kind, one list to start with, and each
/// gate on rows whose subject it can judge.
#[test]
fn the_table_reads_each_list_from_one_rule_with_a_gate_that_fits_it() {
    let lists: BTreeSet<Endpoint> = RULES.iter().map(|r| r.read).collect();
    assert_eq!(lists.len(), RULES.len(), "a list kind in two rows");
    assert_eq!(RULES.iter().filter(|r| r.on == On::Start).count(), 1);
    for r in RULES {
        let fits = match r.gate {
            Gate::Open | Gate::NotRefusedByPlan | Gate::OrgHasCustomRoles => true,
            Gate::ProjectHasCustomRoles => {
                matches!(r.on, On::Project | On::ProjectMember | On::ProjectGroup)
            }
            Gate::ProjectNotArchived => r.on == On::Project,
        };
        assert!(fits, "{r:?}");
        assert!(
            r.read.list().is_some(),
            "{r:?} reads an endpoint that is not a list"
        );
        assert!(
            !r.on.is_root() || r.gate == Gate::Open,
            "roots are never gated: {r:?}"
        );
    }
}
