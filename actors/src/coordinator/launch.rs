//! Each list the fan-out returns becomes a crawl, sent to the crawler of its list, or a replay
//! from the state; a replayed list's work goes back to the fan-out like a crawled one's.

use super::SyncCoordinator;
use crate::fanout::{ListRequest, rules};
use crate::messages::{FactsDiscovered, Work};
use crate::state::ListKey;
use actix::prelude::*;

impl SyncCoordinator {
    /// Launches what `work` unlocks.
    pub(super) fn dispatch(&mut self, work: Work) {
        if work == Work::KeyAccepted {
            self.key_accepted = true;
        }
        for req in self.fan.found(work) {
            self.launch(req);
        }
    }

    /// Sends `req` to its crawler, or, when the state holds it, queues it to be replayed
    /// instead of read. With `--max-duration`, lists below the top-level ones wait for the
    /// plan (`deferred`).
    pub(super) fn launch(&mut self, req: ListRequest) {
        let Some(call) = self.crawlers.call(&req) else {
            tracing::error!(list = req.list.template(), scope = %req.scope, "No crawler reads this list; it is left out.");
            return;
        };
        let key = ListKey::of(&call);
        self.visited.insert(key.as_str().to_owned());
        if !self.replay.is_empty()
            && let Some(r) = self.replay.take(&key)
        {
            self.pending.push((req.list, r));
            return;
        }
        self.outstanding += 1;
        *self.planned.entry(call.endpoint).or_default() += 1;
        match self.deferred.as_mut() {
            Some(held) if !rules::is_root(req.list) => held.push(req),
            _ => self.crawl(req),
        }
    }

    /// Sends a counted list to its crawler (`launch` found that it has one).
    pub(super) fn crawl(&mut self, req: ListRequest) {
        let list = req.list;
        if !self.crawlers.crawl(req) {
            tracing::error!(list = list.template(), "No crawler took this list.");
            self.outstanding = self.outstanding.saturating_sub(1);
        }
    }

    /// Replays the queued lists: their facts to the collector, their work to `dispatch`
    /// (which may queue more), already stored, so not written again.
    pub(super) fn replay_pending(&mut self, ctx: &mut Context<Self>) {
        while let Some((list, r)) = self.pending.pop() {
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
            self.ended(list, false, ctx);
        }
        self.maybe_finish(ctx);
    }
}
