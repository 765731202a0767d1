//! What the service serves: the last complete grant graph (indexed for questions), the syncs
//! it has run and what each changed, and the counters `/metrics` shows. One writer (the
//! `Refresher`); HTTP workers only read. A finished graph replaces the served one in one
//! swap, so a query never sees half a sync.

use super::schedule::Freshness;
use actix_web::web::Bytes;
use dashmap::DashMap;
use openai_access_actors::graph::ResourceKey;
use openai_access_actors::review::Snapshot;
use openai_access_actors::stateful::Pass;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

/// How many syncs (and their changes) are remembered for `/api/v1/syncs` and `/changes`.
pub const HISTORY: usize = 100;

/// What kind of sync a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    Full,
    Incremental,
    /// An interrupted sync taken up again.
    Resumed,
}

impl std::fmt::Display for RunKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Full => "full",
            RunKind::Incremental => "incremental",
            RunKind::Resumed => "resumed",
        }
    }
}

impl From<openai_access_actors::state::SyncKind> for RunKind {
    fn from(k: openai_access_actors::state::SyncKind) -> Self {
        match k {
            openai_access_actors::state::SyncKind::Full => RunKind::Full,
            openai_access_actors::state::SyncKind::Incremental => RunKind::Incremental,
        }
    }
}

/// How a sync ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncResult {
    Ok,
    /// Some lists could not be read: the graph was not replaced.
    Partial,
    Failed,
}

impl std::fmt::Display for SyncResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl SyncResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncResult::Ok => "ok",
            SyncResult::Partial => "partial",
            SyncResult::Failed => "failed",
        }
    }
}

/// One sync the service ran.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SyncRecord {
    /// Increasing across restarts (kept in the state directory).
    pub id: u64,
    pub kind: RunKind,
    pub result: SyncResult,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub ended_at: String,
    pub duration_s: f64,
    pub requests: u64,
    /// What went wrong, for a sync that was not `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Grants and resources added, removed or changed against the graph served before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<usize>,
    /// Audit-log events of types this build does not know and that named nothing the state
    /// holds, by type: left to the background reconciliation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown_events: BTreeMap<String, usize>,
    /// What changed (the engine's `Changes`), serialized once when the sync ended: it is only
    /// ever sent on (`/changes`) or stored (`history.json`), never read back into fields.
    #[serde(skip)]
    pub changed: Option<Arc<RawValue>>,
}

/// A complete graph being served.
pub struct Served {
    pub snapshot: Snapshot,
    /// The sync it came from.
    pub sync_id: u64,
    pub synced_at: SystemTime,
    /// Resources per type, and grants: counted once, not per scrape.
    pub resources_by_type: BTreeMap<String, usize>,
    pub grants: usize,
    /// Answers already serialized, by question. The graph never changes while it is served
    /// (a sync replaces it whole, and this cache with it), so an answer is computed once: on a
    /// large org a project's "who" is ~85 KB of JSON, and serializing it per request was most
    /// of a query's cost. Bounded by `answer_budget` bytes (`serve --answer-cache-mb`);
    /// beyond it answers are computed each time.
    answers: DashMap<(&'static str, ResourceKey), Answer>,
    answer_bytes: AtomicUsize,
    answer_budget: usize,
}

impl Served {
    pub fn new(
        snapshot: Snapshot,
        sync_id: u64,
        synced_at: SystemTime,
        answer_budget: usize,
    ) -> Self {
        let mut resources_by_type = BTreeMap::new();
        for k in snapshot.resource_keys() {
            *resources_by_type
                .entry(k.resource_type.as_str().to_owned())
                .or_insert(0) += 1;
        }
        let grants = snapshot.grants().len();
        Self {
            snapshot,
            sync_id,
            synced_at,
            resources_by_type,
            grants,
            answers: DashMap::new(),
            answer_bytes: AtomicUsize::new(0),
            answer_budget,
        }
    }

    /// The answer to `question` about `key`, serialized: from the cache, or computed by
    /// `compute` (and kept, with its gzip form, while the cache has room).
    pub fn answer<E>(
        &self,
        question: &'static str,
        key: &ResourceKey,
        compute: impl FnOnce(&Snapshot) -> Result<Bytes, E>,
    ) -> Result<Answer, E> {
        let k = (question, key.clone());
        if let Some(hit) = self.answers.get(&k) {
            return Ok(hit.clone());
        }
        let json = compute(&self.snapshot)?;
        if self.answer_bytes.load(Ordering::Relaxed) + json.len() > self.answer_budget {
            return Ok(Answer { json, gzip: None });
        }
        let answer = Answer {
            gzip: gzip(&json),
            json,
        };
        let size = answer.json.len() + answer.gzip.as_ref().map_or(0, Bytes::len);
        self.answer_bytes.fetch_add(size, Ordering::Relaxed);
        self.answers.insert(k, answer.clone());
        Ok(answer)
    }
}

/// An answer as JSON, and (when cached) gzipped: the JSON of a large org repeats itself, so
/// gzip makes it about ten times smaller for a client that accepts it, compressed once.
#[derive(Clone)]
pub struct Answer {
    pub json: Bytes,
    pub gzip: Option<Bytes>,
}

fn gzip(json: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(
        Vec::with_capacity(json.len() / 8),
        flate2::Compression::fast(),
    );
    e.write_all(json).ok()?;
    e.finish().ok().map(Bytes::from)
}

/// Counters `/metrics` adds up.
#[derive(Default)]
pub struct Counters {
    /// (kind, result) → syncs.
    pub syncs: BTreeMap<(RunKind, SyncResult), u64>,
    /// kind → (seconds summed, syncs).
    pub sync_seconds: BTreeMap<RunKind, (f64, u64)>,
    /// (action, result) → provisioning requests.
    pub provisioning: BTreeMap<(&'static str, &'static str), u64>,
    /// Event type → audit-log events of a type this build does not know, naming nothing held.
    pub unknown_events: BTreeMap<String, u64>,
}

/// Shared between the `Refresher` (the writer) and the HTTP workers (readers).
#[derive(Default)]
pub struct Shared {
    graph: RwLock<Option<Arc<Served>>>,
    history: RwLock<VecDeque<SyncRecord>>,
    /// Every sync that ended with this id or a later one is in `history`: the first id a
    /// restored history holds (or this run's first id), moved on as old syncs are forgotten.
    recorded_from: AtomicU64,
    freshness: RwLock<Freshness>,
    counters: Mutex<Counters>,
    background: Mutex<Background>,
    usage: Mutex<Option<UsageStatus>>,
}

/// The last usage read, for `/metrics`.
#[derive(Clone, Debug, Default)]
pub struct UsageStatus {
    pub evidence: openai_access_actors::usage::Evidence,
    /// Usage API requests over every sync of this process.
    pub requests_total: u64,
    /// Of the served graph: keys, users, service accounts and projects by type, and how many
    /// of them had no API use in the window.
    pub principals: std::collections::BTreeMap<&'static str, (usize, usize)>,
}

/// One kind of background pass, for `/metrics`.
#[derive(Clone, Debug, Default)]
pub struct PassStats {
    pub running: bool,
    /// Passes that completed (every list they went through read or replayed).
    pub passes: u64,
    pub lists_read: u64,
    pub lists_changed: u64,
    /// How long the last pass took.
    pub last_duration_s: Option<f64>,
}

/// The background passes and the ages they bound, for `/metrics`.
#[derive(Clone, Debug, Default)]
pub struct Background {
    pub reconciliation: PassStats,
    pub group_rescan: PassStats,
    /// Lists the state holds, and when the least recently read of them (and of the group
    /// member lists) was read (Unix seconds), as of the last sync or pass.
    pub lists: usize,
    pub oldest_read: Option<i64>,
    pub oldest_group_members_read: Option<i64>,
}

impl Background {
    fn of(&mut self, pass: Pass) -> &mut PassStats {
        match pass {
            Pass::Lists { .. } => &mut self.reconciliation,
            Pass::GroupMembers { .. } => &mut self.group_rescan,
        }
    }
}

/// A poisoned lock means a panic elsewhere mid-write; the data is still the last whole value
/// written (every write below is one assignment), so it is read rather than given up on.
fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}
fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    /// The graph served now, if any.
    pub fn graph(&self) -> Option<Arc<Served>> {
        read(&self.graph).clone()
    }

    pub fn freshness(&self) -> Freshness {
        read(&self.freshness).clone()
    }

    pub fn history(&self) -> Vec<SyncRecord> {
        read(&self.history).iter().cloned().collect()
    }

    pub fn counters(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A sync started.
    pub fn started(&self) {
        write(&self.freshness).running = true;
    }

    /// A sync ended: recorded, counted, and its graph (if it made a complete one) served.
    pub fn ended(&self, record: SyncRecord, graph: Option<Served>) {
        {
            let mut c = self.counters();
            *c.syncs.entry((record.kind, record.result)).or_default() += 1;
            let d = c.sync_seconds.entry(record.kind).or_default();
            d.0 += record.duration_s;
            d.1 += 1;
            for (kind, n) in &record.unknown_events {
                *c.unknown_events.entry(kind.clone()).or_default() += *n as u64;
            }
        }
        // In this order: whoever sees readiness change (last) also sees the sync in the
        // history and its graph served.
        {
            let mut h = write(&self.history);
            if h.len() == HISTORY {
                h.pop_front();
            }
            h.push_back(record);
            if let Some(oldest) = h.front() {
                self.recorded_from.fetch_max(oldest.id, Ordering::Relaxed);
            }
        }
        let synced_at = graph.as_ref().map(|g| g.synced_at);
        if let Some(g) = graph {
            *write(&self.graph) = Some(Arc::new(g));
        }
        let mut f = write(&self.freshness);
        f.running = false;
        match synced_at {
            Some(at) => {
                f.served_synced_at = Some(at);
                f.failures = 0;
            }
            None => f.failures += 1,
        }
    }

    /// The syncs a previous run of the service recorded, oldest first (before any of this
    /// run's, the first of which gets `first_id`).
    pub fn restore(&self, records: Vec<SyncRecord>, first_id: u64) {
        let mut h = write(&self.history);
        h.extend(records);
        while h.len() > HISTORY {
            h.pop_front();
        }
        let from = h.front().map_or(first_id, |r| r.id);
        self.recorded_from.store(from, Ordering::Relaxed);
    }

    /// See `recorded_from`: the changes after a sync older than the one before this id may
    /// be missing from the history.
    pub fn recorded_from(&self) -> u64 {
        self.recorded_from.load(Ordering::Relaxed)
    }

    /// A sync ended finding the graph unchanged: recorded and counted, the served graph kept
    /// and confirmed current as of `now`.
    pub fn confirmed(&self, record: SyncRecord, now: SystemTime) {
        self.ended(record, None);
        let mut f = write(&self.freshness);
        if f.served_synced_at.is_some() {
            f.served_synced_at = Some(now);
            f.failures = 0;
        }
    }

    pub fn pass_started(&self, pass: Pass) {
        self.background_lock().of(pass).running = true;
    }

    pub fn pass_ended(
        &self,
        pass: Pass,
        done: Option<&openai_access_actors::stateful::Reconciled>,
        took: std::time::Duration,
    ) {
        let mut b = self.background_lock();
        let r = b.of(pass);
        r.running = false;
        if let Some(p) = done {
            r.passes += 1;
            r.lists_read += p.read as u64;
            r.lists_changed += p.changed as u64;
            r.last_duration_s = Some(took.as_secs_f64());
        }
    }

    /// A sync read usage into `graph` (annotated): kept for `/metrics`. Whether its evidence
    /// is the same as the last read's.
    pub fn usage_read(
        &self,
        r: &openai_access_actors::usage::UsageRead,
        graph: &openai_access_actors::graph::GrantGraph,
    ) -> bool {
        use openai_access_actors::graph::{ResourceType, usage::REQUESTS};
        let mut principals = std::collections::BTreeMap::new();
        for res in graph.resources() {
            let t = res.resource_type;
            if !matches!(
                t,
                ResourceType::ApiKey
                    | ResourceType::User
                    | ResourceType::ServiceAccount
                    | ResourceType::Project
            ) {
                continue;
            }
            let Some(n) = res
                .profile
                .get(REQUESTS)
                .and_then(serde_json::Value::as_u64)
            else {
                continue;
            };
            let e: &mut (usize, usize) = principals.entry(t.as_str()).or_default();
            e.0 += 1;
            e.1 += usize::from(n == 0);
        }
        let mut u = self
            .usage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let same = u.as_ref().is_some_and(|old| old.evidence == r.evidence);
        let requests_total = u.as_ref().map_or(0, |o| o.requests_total) + r.requests;
        *u = Some(UsageStatus {
            evidence: r.evidence.clone(),
            requests_total,
            principals,
        });
        same
    }

    /// Whether the usage served is of a day before today (or none was read yet).
    pub fn usage_behind(&self) -> bool {
        let today = openai_access_actors::clock::unix_now().div_euclid(86_400) * 86_400;
        self.usage().is_none_or(|u| u.evidence.through != today)
    }

    pub fn usage(&self) -> Option<UsageStatus> {
        self.usage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The state's lists as a sync or a pass left them.
    pub fn list_ages(&self, a: &openai_access_actors::state::Ages) {
        let mut b = self.background_lock();
        b.lists = a.lists;
        b.oldest_read = a.oldest_read;
        b.oldest_group_members_read = a.oldest_group_members_read;
    }

    pub fn background(&self) -> Background {
        self.background_lock().clone()
    }

    fn background_lock(&self) -> std::sync::MutexGuard<'_, Background> {
        self.background
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A graph read at start (from --out), served until the first sync replaces it.
    pub fn loaded(&self, graph: Served) {
        let at = graph.synced_at;
        *write(&self.graph) = Some(Arc::new(graph));
        write(&self.freshness).served_synced_at = Some(at);
    }

    pub fn count_provisioning(&self, action: &'static str, result: &'static str) {
        *self
            .counters()
            .provisioning
            .entry((action, result))
            .or_default() += 1;
    }
}
