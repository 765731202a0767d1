//! What a sync hands back: the graph and everything about how it was read.

use crate::api::{Endpoint, EndpointCounts};
use crate::graph::{FinishReport, GrantGraph};
use crate::plan::SyncPlan;
use crate::throttle::{EndpointRate, KnownLimits};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Why a sync could not finish at all.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "the admin key was rejected (HTTP 401): {}. Check OPENAI_ADMIN_KEY / --admin-key-file.",
        .0.trim_end_matches('.')
    )]
    Unauthorized(String),
    #[error("the sync coordinator stopped before the sync finished")]
    Stopped,
    #[error("the server could not be reached, so nothing was read: {0}")]
    Unreachable(String),
    #[error(
        "refused: the sync would take longer than the {} allowed: {}. Nothing was read beyond the top-level lists.",
        crate::human::duration(*max),
        plan.describe()
    )]
    TooLong { max: Duration, plan: Box<SyncPlan> },
    /// The plan fitted the bound it could defend, but the sync did not finish in time.
    #[error(
        "stopped: the sync had not finished after the {} allowed (--max-duration), so nothing was written. With --state DIR the lists read so far are kept, and the same command resumes.",
        crate::human::duration(*max)
    )]
    Deadline { max: Duration },
}

/// One list that could not be read after every retry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListFailure {
    pub crawler: &'static str,
    /// Written as its template (`GET /organization/users`), as everywhere in the output.
    #[serde(serialize_with = "crate::endpoint::as_template")]
    pub endpoint: Endpoint,
    pub path: String,
    pub status: Option<u16>,
    pub message: String,
    /// The key lacks a permission (HTTP 403).
    pub permission_denied: bool,
}

/// Progress per crawler.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CrawlerProgress {
    pub crawls_done: u64,
    /// Pages read (a request each, retries aside).
    pub pages: u64,
    pub items: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Progress {
    pub outstanding: usize,
    pub crawlers: BTreeMap<String, CrawlerProgress>,
    /// Lists replayed from the state instead of read.
    pub replayed: usize,
    /// Of those, lists an interrupted sync had read (a resume), and their pages.
    pub resumed: usize,
    pub resumed_pages: u64,
    /// Lists known so far (each list of the fan-out is known once its parent is read) and
    /// lists ended (read, failed or replayed).
    pub lists_known: u64,
    pub lists_done: u64,
    /// Requests sent and 429s met so far.
    pub requests: u64,
    pub rate_limited: u64,
    /// Once the top-level lists are read: how long the rest should take, and the endpoint
    /// that decides it (at its known rate; with no limit known, at the pace so far).
    #[serde(serialize_with = "crate::plan::seconds")]
    pub eta: Option<Duration>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::plan::template"
    )]
    pub bottleneck: Option<Endpoint>,
}

/// The result of a finished sync.
#[derive(Debug)]
pub struct SyncOutcome {
    pub graph: GrantGraph,
    pub report: FinishReport,
    pub failures: Vec<ListFailure>,
    pub warnings: Vec<String>,
    pub requests: BTreeMap<Endpoint, EndpointCounts>,
    pub rates: Vec<EndpointRate>,
    /// The request plan made once the top-level lists were read.
    pub plan: Option<SyncPlan>,
    /// The server's limits as learned (merged with those the sync started from).
    pub limits: KnownLimits,
    pub progress: Progress,
    pub duration: Duration,
    pub merge_time: Duration,
    pub finish_time: Duration,
    pub facts_received: u64,
    /// Every list the sync went through (read, or replayed from the state), by path.
    pub visited: std::collections::HashSet<String>,
    /// What it stored in the state, when it kept one.
    pub recorded: Option<crate::state::Recorded>,
}

impl SyncOutcome {
    pub fn is_partial(&self) -> bool {
        !self.failures.is_empty()
    }
    pub fn permission_denied(&self) -> bool {
        self.failures.iter().any(|f| f.permission_denied)
    }
    /// Why this is no sync of an organization, if it is not: not one list could be read, or
    /// a complete sync saw no user or no owner, which every organization has (its creator
    /// owns it, and the last owner cannot leave). An everything-empty server gives that; its
    /// graph must not replace a real one, nor be served.
    pub fn unusable(&self) -> Option<&'static str> {
        if self.read_nothing() {
            return Some("not one list could be read");
        }
        if self.is_partial() {
            return None;
        }
        let users = || {
            self.graph
                .resources()
                .filter(|r| r.resource_type == crate::graph::ResourceType::User)
        };
        if users().next().is_none() {
            return Some(
                "the server listed no user at all, which no organization has (an empty or hollow answer, not a sync)",
            );
        }
        if !users().any(|u| u.profile.get("role").and_then(|r| r.as_str()) == Some("owner")) {
            return Some(
                "the server listed no owner, which no organization has (an empty or hollow answer, not a sync)",
            );
        }
        None
    }

    /// Not one list could be read (or replayed): there is no result to write.
    pub fn read_nothing(&self) -> bool {
        self.progress
            .crawlers
            .values()
            .all(|c| c.crawls_done <= c.failed)
    }
}
