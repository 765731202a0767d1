//! Every list kind's crawler, found by the list it reads. The coordinator starts them all once
//! per sync and sends each list the fan-out returns to the crawler of its list.
//!
//! Adding a list kind is one line in [`kinds`] (and its row in `fanout::rules`).

use super::*;
use crate::fanout::{ListRequest, Scope};
use std::collections::BTreeMap;

/// What [`kinds`] registers with.
pub(super) trait Register {
    fn add<K: ListKind>(&mut self);
}

/// Every list kind a sync reads, in the order their crawlers start.
pub(super) fn kinds(r: &mut impl Register) {
    r.add::<OrgUsers>();
    r.add::<Invites>();
    r.add::<AdminKeys>();
    r.add::<OrgRoles>();
    r.add::<Groups>();
    r.add::<GroupMembers>();
    r.add::<GroupRoles>();
    r.add::<UserRoles>();
    r.add::<Projects>();
    r.add::<ProjectUsers>();
    r.add::<ProjectServiceAccounts>();
    r.add::<ProjectApiKeys>();
    r.add::<ProjectGroups>();
    r.add::<ProjectRoles>();
    r.add::<ProjectUserRoles>();
    r.add::<ProjectGroupRoles>();
}

/// A started crawler, its kind erased so crawlers of every kind sit in one map.
trait Started {
    /// The call `scope` names, or `None` when it is not this kind's scope.
    fn call(&self, scope: &Scope) -> Option<Call>;
    /// Sends the crawl of `scope`; `false` when it is not this kind's scope.
    fn crawl(&self, scope: Scope) -> bool;
    fn skip_pending(&self);
}

impl<K: ListKind> Started for Addr<Crawler<K>> {
    fn call(&self, scope: &Scope) -> Option<Call> {
        let scope = K::Scope::try_from(scope.clone()).ok()?;
        Some(K::request(&scope))
    }

    fn crawl(&self, scope: Scope) -> bool {
        match K::Scope::try_from(scope) {
            Ok(scope) => {
                self.do_send(Crawl::<K> { scope });
                true
            }
            Err(_) => false,
        }
    }

    fn skip_pending(&self) {
        self.do_send(SkipPending);
    }
}

/// The crawlers of one sync, by list.
#[derive(Default)]
pub(crate) struct Crawlers {
    by_list: BTreeMap<Endpoint, Box<dyn Started>>,
}

impl Crawlers {
    /// Starts a crawler of every kind (inside an actix system), each sending to `sinks`.
    pub(crate) fn start(client: &AdminClient, sinks: &Sinks) -> Self {
        struct Starting<'a> {
            client: &'a AdminClient,
            sinks: &'a Sinks,
            by_list: BTreeMap<Endpoint, Box<dyn Started>>,
        }
        impl Register for Starting<'_> {
            fn add<K: ListKind>(&mut self) {
                let crawler = Crawler::<K>::new(self.client.clone(), self.sinks.clone()).start();
                self.by_list.insert(K::LIST, Box::new(crawler));
            }
        }
        let mut starting = Starting {
            client,
            sinks,
            by_list: BTreeMap::new(),
        };
        kinds(&mut starting);
        Self {
            by_list: starting.by_list,
        }
    }

    /// The call `req` names, or `None` when no crawler reads it.
    pub(crate) fn call(&self, req: &ListRequest) -> Option<Call> {
        self.by_list.get(&req.list)?.call(&req.scope)
    }

    /// Sends `req` to the crawler of its list; `false` when there is none.
    pub(crate) fn crawl(&self, req: ListRequest) -> bool {
        self.by_list
            .get(&req.list)
            .is_some_and(|c| c.crawl(req.scope))
    }

    /// Drops the crawls of `list` still queued (each reported as skipped).
    pub(crate) fn skip_pending(&self, list: Endpoint) {
        if let Some(c) = self.by_list.get(&list) {
            c.skip_pending();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fanout::FanOut;
    use crate::fanout::rules::RULES;
    use crate::ids::literal;
    use crate::messages::Work;

    /// Per registered list: the endpoint its kind's `request` calls for a scope, if it takes it.
    #[derive(Default)]
    struct Calls(BTreeMap<Endpoint, fn(Scope) -> Option<Endpoint>>);

    impl Register for Calls {
        fn add<K: ListKind>(&mut self) {
            let call: fn(Scope) -> Option<Endpoint> =
                |s| Some(K::request(&K::Scope::try_from(s).ok()?).endpoint);
            assert!(self.0.insert(K::LIST, call).is_none(), "{} twice", K::NAME);
        }
    }

    /// Every list the rules can ask for has one crawler, which takes the scope the rules give
    /// it and calls the list it is registered for; and every crawler has its rule.
    #[test]
    fn every_list_the_rules_read_has_its_crawler_and_every_crawler_its_rule() {
        let mut calls = Calls::default();
        kinds(&mut calls);
        let mut fan = FanOut::default();
        let p = literal::<crate::ids::ProjectId>("p1");
        let mut asked = fan.start();
        for w in [
            Work::OrgRolesKnown { has_custom: true },
            Work::ProjectRolesKnown {
                project: p.clone(),
                has_custom: true,
            },
            Work::KeyAccepted,
            Work::User(literal("u1")),
            Work::Group(literal("g1")),
            Work::Project {
                project: p.clone(),
                archived: false,
            },
            Work::ProjectMember {
                project: p.clone(),
                user: literal("u1"),
            },
            Work::ProjectGroup {
                project: p,
                group: literal("g1"),
            },
        ] {
            asked.extend(fan.found(w));
        }
        assert_eq!(asked.len(), RULES.len(), "one list per rule: {asked:#?}");
        for req in &asked {
            let call = calls.0.get(&req.list).map(|c| c(req.scope.clone()));
            assert_eq!(call, Some(Some(req.list)), "{req}");
        }
        assert_eq!(calls.0.len(), RULES.len(), "a crawler no rule reads");
    }
}
