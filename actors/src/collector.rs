//! `GrantCollector`: the single owner of the grant graph while a sync runs.
//!
//! | receives          | from         | sends / replies                              |
//! |-------------------|--------------|----------------------------------------------|
//! | `FactsDiscovered` | crawlers     | —                                            |
//! | `TakeGraph`       | coordinator  | the finished graph, its `FinishReport`, timings |
//!
//! Facts are merged in arrival order with no locks; finishing (org membership, group
//! expansion, implicit project owners: `GrantGraph::finish_org`) happens once, when every
//! crawl has ended.

use crate::graph::{FinishReport, GrantGraph};
use crate::ids::OrgId;
use crate::messages::FactsDiscovered;
use actix::prelude::*;
use std::time::{Duration, Instant};

/// Move the finished graph out. Sent by the coordinator once no work is outstanding.
#[derive(Message)]
#[rtype(result = "CollectedGraph")]
pub(crate) struct TakeGraph;

/// What the collector hands back.
#[derive(Debug)]
pub(crate) struct CollectedGraph {
    pub graph: GrantGraph,
    pub report: FinishReport,
    /// Time spent merging facts, and finishing.
    pub merge_time: Duration,
    pub finish_time: Duration,
    pub facts_received: u64,
}

#[derive(Default)]
pub(crate) struct GrantCollector {
    graph: GrantGraph,
    configured_org_id: Option<OrgId>,
    discovered_org_id: Option<OrgId>,
    merge_time: Duration,
    facts_received: u64,
    /// Facts are counted, not kept (a sync that only refreshes stored lists).
    discard: bool,
}

impl GrantCollector {
    pub(crate) fn new(configured_org_id: Option<OrgId>) -> Self {
        Self {
            configured_org_id,
            ..Self::default()
        }
    }

    /// A collector that keeps nothing: its graph is empty.
    pub(crate) fn discarding() -> Self {
        Self {
            discard: true,
            ..Self::default()
        }
    }
}

impl Actor for GrantCollector {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        // Crawlers wait on `send()` when this mailbox is full: the collector paces them.
        ctx.set_mailbox_capacity(256);
    }
}

impl Handler<FactsDiscovered> for GrantCollector {
    type Result = ();

    fn handle(&mut self, msg: FactsDiscovered, _: &mut Context<Self>) {
        let started = Instant::now();
        self.facts_received += (msg.resources.len() + msg.grants.len()) as u64;
        if self.discovered_org_id.is_none() {
            self.discovered_org_id = msg.org_id;
        }
        if self.discard {
            return;
        }
        for r in msg.resources {
            self.graph.add_resource(r);
        }
        for g in msg.grants {
            self.graph.add_grant(&g.entitlement, &g.principal, g.origin);
        }
        self.merge_time += started.elapsed();
    }
}

impl Handler<TakeGraph> for GrantCollector {
    type Result = MessageResult<TakeGraph>;

    fn handle(&mut self, _: TakeGraph, _: &mut Context<Self>) -> Self::Result {
        let started = Instant::now();
        let org_id = self
            .configured_org_id
            .clone()
            .or_else(|| self.discovered_org_id.clone())
            .unwrap_or_else(|| crate::ids::literal("org"));
        let mut graph = std::mem::take(&mut self.graph);
        let report = graph.finish_org(&org_id);
        MessageResult(CollectedGraph {
            graph,
            report,
            merge_time: self.merge_time,
            finish_time: started.elapsed(),
            facts_received: self.facts_received,
        })
    }
}
