//! `GrantCollector`: the single owner of the grant graph while a sync runs.
//!
//! | receives          | from         | sends / replies                              |
//! |-------------------|--------------|----------------------------------------------|
//! | `FactsDiscovered` | crawlers     | —                                            |
//! | `TakeGraph`       | coordinator  | the finished graph, its `FinishReport`, timings |
//!
//! Facts are merged in arrival order with no locks; finishing (org membership, group
//! expansion, implicit project owners) happens once, when every crawl has ended.

use crate::graph::{
    AccountType, FinishReport, GrantGraph, Origin, Resource, ResourceKey, ResourceType, Traits,
    UserStatus,
};
use crate::ids::OrgId;
use crate::messages::FactsDiscovered;
use actix::prelude::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Move the finished graph out. Sent by the coordinator once no work is outstanding.
#[derive(Message)]
#[rtype(result = "CollectedGraph")]
pub struct TakeGraph;

/// What the collector hands back.
#[derive(Debug)]
pub struct CollectedGraph {
    pub graph: GrantGraph,
    pub report: FinishReport,
    /// Time spent merging facts, and finishing.
    pub merge_time: Duration,
    pub finish_time: Duration,
    pub facts_received: u64,
}

#[derive(Default)]
pub struct GrantCollector {
    graph: GrantGraph,
    configured_org_id: Option<OrgId>,
    discovered_org_id: Option<OrgId>,
    merge_time: Duration,
    facts_received: u64,
}

impl GrantCollector {
    pub fn new(configured_org_id: Option<OrgId>) -> Self {
        Self {
            configured_org_id,
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
        for r in msg.resources {
            self.graph.add_resource(r);
        }
        for g in msg.grants {
            self.graph
                .add_grant(&g.entitlement, &g.resource, &g.principal, g.origin);
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
            .map_or_else(|| "org".to_owned(), String::from);
        let mut graph = std::mem::take(&mut self.graph);
        let report = finish_graph(&mut graph, &org_id);
        MessageResult(CollectedGraph {
            graph,
            report,
            merge_time: self.merge_time,
            finish_time: started.elapsed(),
            facts_received: self.facts_received,
        })
    }
}

/// Adds what only the whole org tells: the organization itself, the predefined org roles,
/// every user's org membership; then expands (see [`GrantGraph::finish`]).
pub fn finish_graph(graph: &mut GrantGraph, org_id: &str) -> FinishReport {
    graph.org_id = org_id.to_owned();
    graph.set_org_id(org_id);
    let org = ResourceKey::new(ResourceType::Organization, org_id);
    let mut profile = BTreeMap::new();
    profile.insert("org_id".to_owned(), serde_json::Value::from(org_id));
    graph.add_resource(Resource {
        resource_type: ResourceType::Organization,
        id: org_id.to_owned(),
        parent: None,
        display_name: format!("OpenAI organization {org_id}"),
        description: String::new(),
        profile,
        traits: Traits::App,
    });
    for (id, name, what) in [
        ("owner", "Owner", "Can manage the organization"),
        ("reader", "Reader", "Can read the organization"),
    ] {
        let mut profile = BTreeMap::new();
        profile.insert("predefined".to_owned(), serde_json::Value::from(true));
        graph.add_resource(Resource {
            resource_type: ResourceType::Role,
            id: id.to_owned(),
            parent: Some(org.clone()),
            display_name: name.to_owned(),
            description: what.to_owned(),
            profile,
            traits: Traits::Role,
        });
    }
    let members: Vec<ResourceKey> = graph
        .resources()
        .filter(|r| r.resource_type == ResourceType::User)
        .filter(|r| {
            matches!(
                r.traits,
                Traits::User {
                    account_type: AccountType::Human,
                    status: UserStatus::Enabled,
                    ..
                }
            )
        })
        .map(Resource::key)
        .collect();
    let entitlement = org.entitlement_id("member");
    for m in members {
        graph.add_grant(&entitlement, &org, &m, Origin::Direct);
    }
    graph.finish()
}
