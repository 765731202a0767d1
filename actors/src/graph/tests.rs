//! Provenance merging: how the reasons for one grant accumulate.

use super::*;
use crate::ids::literal;

fn key(rt: ResourceType, id: &str) -> ResourceKey {
    ResourceKey::new(rt, literal(id))
}

fn via(group: &str) -> Origin {
    Origin::Via {
        entitlement: key(ResourceType::Group, group).entitlement(Slug::Member),
        immutable: true,
    }
}

#[test]
fn every_reason_for_a_grant_is_kept_once_whatever_the_order() {
    let project = key(ResourceType::Project, "proj-1").entitlement(Slug::Member);
    let user = key(ResourceType::User, "user-1");
    let mut g = GrantGraph::new("org-1");
    // Three groups, one of them seen twice, then a direct assignment.
    for origin in [via("grp-b"), via("grp-a"), via("grp-b"), via("grp-c")] {
        g.add_grant(&project, &user, origin);
    }
    let id = GrantId {
        entitlement: project.clone(),
        principal: user.clone(),
    };
    let held = g.grant_by_id(&id).expect("the grant");
    let names: Vec<String> = held.sources.iter().map(ToString::to_string).collect();
    assert_eq!(
        names,
        [
            "group:grp-a:member",
            "group:grp-b:member",
            "group:grp-c:member"
        ]
    );
    assert!(!held.direct && held.immutable);
    assert_eq!(held.resource, key(ResourceType::Project, "proj-1"));

    g.add_grant(&project, &user, Origin::Direct);
    let held = g.grant_by_id(&id).expect("the grant");
    assert!(
        held.direct && !held.immutable,
        "a direct reason can be revoked"
    );
    assert_eq!(held.sources.len(), 3, "and the inherited ones stay");
    assert_eq!(g.grant_count(), 1);
}
