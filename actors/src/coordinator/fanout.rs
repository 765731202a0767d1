//! What to crawl next: each list found becomes a crawl (or a replay from the state), once.
//!
//! Request minimality lives here: per-user org role lists only when the org has custom org
//! roles; per-member project role lists only in projects with custom roles; no lists of
//! archived projects; no more group member lists once the plan refused one; no list twice.

use super::SyncCoordinator;
use crate::api::Endpoint;
use crate::crawlers::*;
use crate::messages::{FactsDiscovered, Work};
use crate::state::{ListKey, Replay, Replayed};
use actix::prelude::*;
use std::collections::{BTreeMap, HashSet};

/// A crawl held back until the plan is approved (`--max-duration`).
pub(super) type Deferred = Box<dyn FnOnce()>;

/// What `crawl` needs: the outstanding count, the lists the state may replay, the queue of
/// lists to replay, the count of lists per endpoint, and where held-back crawls wait.
pub(super) struct Launch<'a> {
    pub(super) outstanding: &'a mut usize,
    /// Every list asked for so far: a server that repeats an id (in a page, or across pages)
    /// does not get the same list read twice.
    pub(super) launched: &'a mut HashSet<String>,
    pub(super) replay: &'a mut Replay,
    pub(super) pending: &'a mut Vec<Replayed>,
    pub(super) planned: &'a mut BTreeMap<Endpoint, u64>,
    pub(super) deferred: Option<&'a mut Vec<Deferred>>,
}

/// The top-level lists: once they are read, the sync knows its plan.
pub(super) const ROOTS: [&str; 6] = [
    "users",
    "invites",
    "org_roles",
    "groups",
    "projects",
    "admin_api_keys",
];

pub(super) struct Crawlers {
    pub(super) users: Addr<Crawler<OrgUsers>>,
    pub(super) invites: Addr<Crawler<Invites>>,
    pub(super) admin_keys: Addr<Crawler<AdminKeys>>,
    pub(super) org_roles: Addr<Crawler<OrgRoles>>,
    pub(super) groups: Addr<Crawler<Groups>>,
    pub(super) group_members: Addr<Crawler<GroupMembers>>,
    pub(super) group_roles: Addr<Crawler<GroupRoles>>,
    pub(super) user_roles: Addr<Crawler<UserRoles>>,
    pub(super) projects: Addr<Crawler<Projects>>,
    pub(super) project_users: Addr<Crawler<ProjectUsers>>,
    pub(super) service_accounts: Addr<Crawler<ProjectServiceAccounts>>,
    pub(super) api_keys: Addr<Crawler<ProjectApiKeys>>,
    pub(super) project_groups: Addr<Crawler<ProjectGroups>>,
    pub(super) project_roles: Addr<Crawler<ProjectRoles>>,
    pub(super) project_user_roles: Addr<Crawler<ProjectUserRoles>>,
    pub(super) project_group_roles: Addr<Crawler<ProjectGroupRoles>>,
}

impl SyncCoordinator {
    /// Sends `scope`'s list to its crawler, or, when the state holds it, queues it to be
    /// replayed instead of read.
    pub(super) fn crawl<K: ListKind>(n: &mut Launch<'_>, addr: &Addr<Crawler<K>>, scope: K::Scope) {
        let req = K::request(&scope);
        if !n.launched.insert(req.path.clone()) {
            return;
        }
        if !n.replay.is_empty()
            && let Some(r) = n.replay.take(&ListKey::of(&req))
        {
            n.pending.push(r);
            return;
        }
        *n.outstanding += 1;
        *n.planned.entry(req.endpoint).or_default() += 1;
        match n.deferred.as_deref_mut() {
            Some(held) => {
                let addr = addr.clone();
                held.push(Box::new(move || addr.do_send(Crawl::<K> { scope })));
            }
            None => addr.do_send(Crawl::<K> { scope }),
        }
    }

    /// Replays the queued lists: their facts to the collector, their work to `dispatch`
    /// (which may queue more), each recorded in the journal unless it is there already.
    pub(super) fn replay_pending(&mut self, ctx: &mut Context<Self>) {
        while let Some(r) = self.pending.pop() {
            let mut record = r.record;
            self.replayed += 1;
            if r.journaled {
                self.resumed += 1;
                self.resumed_pages += record.pages as u64;
            }
            let p = self
                .progress
                .crawlers
                .entry(record.crawler.clone())
                .or_default();
            p.crawls_done += 1;
            p.pages += record.pages as u64;
            p.items += record.items as u64;
            // Already stored: a replayed list is not written again.
            let work = std::mem::take(&mut record.work);
            self.collector.do_send(FactsDiscovered {
                resources: record.resources,
                grants: record.grants,
                org_id: record.org_id,
            });
            for w in work {
                self.dispatch(w);
            }
            let crawler = record.crawler;
            self.ended(&crawler, None, ctx);
        }
        self.maybe_finish(ctx);
    }

    pub(super) fn start_roots(&mut self) {
        let Some(c) = &self.crawlers else { return };
        // The top-level lists are never held back.
        let n = launch!(self, None);
        Self::crawl(n, &c.invites, Org);
        Self::crawl(n, &c.org_roles, Org);
        Self::crawl(n, &c.groups, Org);
        Self::crawl(n, &c.projects, Org);
        // Last, as the throttle simulation models it (`throttle::sim`).
        Self::crawl(n, &c.admin_keys, Org);
    }

    pub(super) fn dispatch(&mut self, work: Work) {
        let Some(c) = &self.crawlers else { return };
        let n = launch!(self, self.deferred.as_mut());
        match work {
            Work::KeyAccepted => {
                if !self.key_accepted {
                    self.key_accepted = true;
                    self.start_roots();
                }
            }
            Work::User(u) => match self.custom_org_roles {
                Some(true) => Self::crawl(n, &c.user_roles, u),
                Some(false) => {}
                None => self.pending_users.push(u),
            },
            Work::OrgRolesKnown { has_custom } => {
                self.custom_org_roles = Some(has_custom);
                for u in std::mem::take(&mut self.pending_users) {
                    if has_custom {
                        Self::crawl(n, &c.user_roles, u);
                    }
                }
            }
            Work::Group(g) => {
                if !self.group_members_refused {
                    Self::crawl(n, &c.group_members, g.clone());
                }
                Self::crawl(n, &c.group_roles, g);
            }
            Work::Project { project, archived } => {
                // Archived projects answer 400 on their membership lists and grant nothing.
                if !archived {
                    Self::crawl(n, &c.project_users, project.clone());
                    Self::crawl(n, &c.service_accounts, project.clone());
                    Self::crawl(n, &c.api_keys, project.clone());
                    Self::crawl(n, &c.project_groups, project.clone());
                    Self::crawl(n, &c.project_roles, project);
                }
            }
            Work::ProjectMember { project, user } => match self.project_roles.get(&project) {
                Some(true) => Self::crawl(
                    n,
                    &c.project_user_roles,
                    InProject {
                        project,
                        principal: user,
                    },
                ),
                Some(false) => {}
                None => self.pending_members.entry(project).or_default().push(user),
            },
            Work::ProjectRolesKnown {
                project,
                has_custom,
            } => {
                let pending = self.pending_members.remove(&project).unwrap_or_default();
                if has_custom {
                    for user in pending {
                        Self::crawl(
                            n,
                            &c.project_user_roles,
                            InProject {
                                project: project.clone(),
                                principal: user,
                            },
                        );
                    }
                }
                self.project_roles.insert(project, has_custom);
            }
            Work::ProjectGroup { project, group } => {
                Self::crawl(
                    n,
                    &c.project_group_roles,
                    InProject {
                        project,
                        principal: group,
                    },
                );
            }
        }
    }
}
