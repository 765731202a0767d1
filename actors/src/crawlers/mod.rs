//! Crawler actors: one per resource type, each a [`Crawler`] over a [`ListKind`].
//!
//! | receives           | from            | sends                               | to (a `Recipient`) |
//! |--------------------|-----------------|-------------------------------------|--------------------|
//! | `Crawl<K>`         | coordinator     | `FactsDiscovered` (per page)        | the collector      |
//! | `SkipPending`      | coordinator     | `WorkFound` (per page, at the end)  | the coordinator    |
//! | `SlotFreed` (self) | its crawl tasks | `CrawlFinished` (per crawl)         | the coordinator    |
//!
//! A crawler holds only the capabilities to send those three messages ([`Sinks`]), so a test
//! can stand a probe in the coordinator's or the collector's place. Every kind is registered
//! once, by the list it reads (`registry`), which is how the coordinator finds its crawler.
//!
//! A crawl pages one list to its end on the tokio worker pool (so HTTP and JSON decoding use
//! every core) and converts each page to facts as soon as it arrives, so children start while
//! the parent list is still paging. Each crawler runs at most `max_in_flight` crawls at once and
//! queues the rest: the queue holds ids only, the in-flight work is bounded.

mod admin_keys;
mod assignments;
mod facts;
mod groups;
mod org;
mod projects;
mod registry;

pub(crate) use crate::fanout::{InProject, Org};
pub(crate) use admin_keys::AdminKeys;
pub(crate) use assignments::{ProjectGroupRoles, ProjectUserRoles, UserRoles};
pub(crate) use groups::{GroupMembers, GroupRoles, Groups};
pub(crate) use org::{Invites, OrgRoles, OrgUsers};
pub(crate) use projects::{
    ProjectApiKeys, ProjectGroups, ProjectRoles, ProjectServiceAccounts, ProjectUsers, Projects,
};
pub(crate) use registry::Crawlers;

use crate::api::{AdminClient, ApiError, Call, Endpoint};
use crate::graph::Resource;
use crate::messages::{CrawlFinished, CrawlOutcome, FactsDiscovered, GrantFact, Work, WorkFound};
use crate::state::{ListKey, ListRead, ListRecord};
use actix::prelude::*;
use serde::de::DeserializeOwned;
use std::collections::VecDeque;
use std::fmt::Display;
use std::marker::PhantomData;

/// What a crawler learns from its pages.
#[derive(Default, Debug)]
pub(crate) struct Findings {
    pub resources: Vec<Resource>,
    pub grants: Vec<GrantFact>,
    pub work: Vec<Work>,
    pub org_id: Option<crate::ids::OrgId>,
}

/// One kind of list: how to request it and what its items mean.
pub(crate) trait ListKind: Unpin + 'static {
    type Item: DeserializeOwned + Send + 'static;
    /// What one list is read for; the fan-out names it as a [`crate::fanout::Scope`].
    type Scope: Clone + Display + Send + Unpin + TryFrom<crate::fanout::Scope> + 'static;
    /// Carried across the pages of one crawl (e.g. "saw a custom role").
    type State: Default + Send + 'static;
    /// Stable name in logs, progress and reports, e.g. `project_users`.
    const NAME: &'static str;
    /// The list endpoint `request` pages: the kind's name in the fan-out rules
    /// (`fanout::rules`) and in the registry of crawlers (`registry`).
    const LIST: Endpoint;

    fn request(scope: &Self::Scope) -> Call;
    fn on_page(
        scope: &Self::Scope,
        state: &mut Self::State,
        items: Vec<Self::Item>,
        out: &mut Findings,
    );
    fn on_end(_scope: &Self::Scope, _state: Self::State, _out: &mut Findings) {}

    /// What only the client can tell about a page's findings (e.g. which admin key is the
    /// one it runs with), added after `on_page`.
    fn mark(_client: &AdminClient, _out: &mut Findings) {}
    /// The list failed after every retry: what the coordinator should still know.
    fn on_failure(_scope: &Self::Scope, _error: &ApiError, _out: &mut Findings) {}
}

/// Crawl one list of kind `K`. Sent by the coordinator.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct Crawl<K: ListKind> {
    pub scope: K::Scope,
}

/// Drop every queued crawl (each is reported as skipped). Sent by the coordinator.
#[derive(Message)]
#[rtype(result = "()")]
pub(crate) struct SkipPending;

/// A crawl task ended; its slot is free. Sent by the crawler's own tasks.
#[derive(Message)]
#[rtype(result = "()")]
struct SlotFreed;

/// Where a crawler's messages go: facts to whoever assembles the graph, work found and crawls
/// finished to whoever decides what to crawl.
#[derive(Clone)]
pub(crate) struct Sinks {
    pub facts: Recipient<FactsDiscovered>,
    pub work: Recipient<WorkFound>,
    pub finished: Recipient<CrawlFinished>,
    /// Where each completed list goes whole (the state journal), if anywhere.
    pub record: Option<Recipient<ListRead>>,
}

/// The actor for one list kind.
pub(crate) struct Crawler<K: ListKind> {
    client: AdminClient,
    sinks: Sinks,
    queue: VecDeque<K::Scope>,
    running: usize,
    limit: usize,
    _kind: PhantomData<K>,
}

impl<K: ListKind> Crawler<K> {
    pub(crate) fn new(client: AdminClient, sinks: Sinks) -> Self {
        let limit = client.throttle().max_in_flight().max(1);
        Self {
            client,
            sinks,
            queue: VecDeque::new(),
            running: 0,
            limit,
            _kind: PhantomData,
        }
    }

    fn pump(&mut self, ctx: &mut Context<Self>) {
        while self.running < self.limit {
            let Some(scope) = self.queue.pop_front() else {
                break;
            };
            self.running += 1;
            let me = ctx.address();
            let task = crawl::<K>(self.client.clone(), self.sinks.clone(), scope);
            tokio::spawn(async move {
                task.await;
                me.do_send(SlotFreed);
            });
        }
    }
}

impl<K: ListKind> Actor for Crawler<K> {
    type Context = Context<Self>;
}

impl<K: ListKind> Handler<Crawl<K>> for Crawler<K> {
    type Result = ();
    fn handle(&mut self, msg: Crawl<K>, ctx: &mut Context<Self>) {
        self.queue.push_back(msg.scope);
        self.pump(ctx);
    }
}

impl<K: ListKind> Handler<SlotFreed> for Crawler<K> {
    type Result = ();
    fn handle(&mut self, _: SlotFreed, ctx: &mut Context<Self>) {
        self.running = self.running.saturating_sub(1);
        self.pump(ctx);
    }
}

impl<K: ListKind> Handler<SkipPending> for Crawler<K> {
    type Result = ();
    fn handle(&mut self, _: SkipPending, _: &mut Context<Self>) {
        for scope in self.queue.drain(..) {
            let req = K::request(&scope);
            self.sinks.finished.do_send(CrawlFinished {
                crawler: K::NAME,
                endpoint: req.endpoint,
                path: req.path,
                items: 0,
                pages: 0,
                outcome: CrawlOutcome::Skipped,
            });
        }
    }
}

/// Pages one list to its end, sending facts and work page by page.
async fn crawl<K: ListKind>(client: AdminClient, sinks: Sinks, scope: K::Scope) {
    let req = K::request(&scope);
    let mut state = K::State::default();
    let (mut items, mut pages) = (0, 0);
    // The whole list, kept only when it is to be recorded.
    let mut record = sinks.record.is_some().then(|| ListRecord {
        key: ListKey::of(&req),
        crawler: K::NAME.to_owned(),
        pages: 0,
        items: 0,
        resources: Vec::new(),
        grants: Vec::new(),
        work: Vec::new(),
        org_id: None,
        read_at: crate::state::unix_now(),
    });
    let mut pager = client.pager(&req);
    let outcome = loop {
        let mut out = Findings::default();
        match pager.next::<K::Item>().await {
            Ok(Some(page)) => {
                pages += 1;
                items += page.items.len();
                K::on_page(&scope, &mut state, page.items, &mut out);
                K::mark(&client, &mut out);
                if page.last {
                    K::on_end(&scope, std::mem::take(&mut state), &mut out);
                }
                if let Some(r) = record.as_mut() {
                    r.resources.extend_from_slice(&out.resources);
                    r.grants.extend_from_slice(&out.grants);
                    r.work.extend_from_slice(&out.work);
                    r.org_id = r.org_id.take().or_else(|| out.org_id.clone());
                }
                deliver(&sinks, out).await;
            }
            Ok(None) => break CrawlOutcome::Done,
            Err(e) => {
                K::on_failure(&scope, &e, &mut out);
                deliver(&sinks, out).await;
                break CrawlOutcome::Failed(e);
            }
        }
    };
    match &outcome {
        // The plan's refusal is said once, by the sync's warning, not once per group.
        CrawlOutcome::Failed(e) if e.refused_by_plan() => {
            tracing::debug!(crawler = K::NAME, scope = %scope, error = %e, "Crawl refused by the plan.")
        }
        CrawlOutcome::Failed(e) => {
            tracing::warn!(crawler = K::NAME, scope = %scope, error = %e, "Crawl failed.")
        }
        _ => tracing::debug!(crawler = K::NAME, scope = %scope, pages, items, "Crawl finished."),
    }
    if let (CrawlOutcome::Done, Some(mut r), Some(to)) = (&outcome, record, &sinks.record) {
        (r.pages, r.items) = (pages, items);
        to.do_send(ListRead(r));
    }
    sinks.finished.do_send(CrawlFinished {
        crawler: K::NAME,
        endpoint: req.endpoint,
        path: req.path,
        items,
        pages,
        outcome,
    });
}

/// Facts first, then work: a child's facts can never overtake its parent's.
async fn deliver(sinks: &Sinks, out: Findings) {
    let facts = FactsDiscovered {
        resources: out.resources,
        grants: out.grants,
        org_id: out.org_id,
    };
    if !facts.is_empty() {
        // `send().await` is the backpressure: a crawl waits while the collector is behind.
        if sinks.facts.send(facts).await.is_err() {
            tracing::error!("Grant collector stopped; facts lost.");
        }
    }
    if !out.work.is_empty() && sinks.work.send(WorkFound(out.work)).await.is_err() {
        tracing::error!("Sync coordinator stopped; work lost.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::Endpoint;
    use crate::ids::ProjectId;

    fn status(status: u16) -> ApiError {
        ApiError::Status {
            endpoint: Endpoint::ListUsers,
            status,
            message: String::new(),
            code: None,
        }
    }

    #[test]
    fn failed_lists_still_tell_the_coordinator_what_it_must_not_wait_for() {
        let mut out = Findings::default();
        OrgUsers::on_failure(&Org, &status(401), &mut out);
        assert!(out.work.is_empty(), "a rejected key starts nothing");
        OrgUsers::on_failure(&Org, &status(500), &mut out);
        assert_eq!(out.work, vec![Work::KeyAccepted]);

        let mut out = Findings::default();
        OrgRoles::on_failure(&Org, &status(500), &mut out);
        ProjectRoles::on_failure(
            &crate::ids::literal::<ProjectId>("p1"),
            &status(500),
            &mut out,
        );
        assert_eq!(
            out.work,
            vec![
                Work::OrgRolesKnown { has_custom: true },
                Work::ProjectRolesKnown {
                    project: crate::ids::literal("p1"),
                    has_custom: true
                },
            ],
            "unknown role lists are crawled conservatively"
        );
    }
}
