//! What became of ConductorOne's tasks: the last ones (for `/api/v1/tasks`), counts by type and
//! result (for `/metrics`), and whether the service is connected.

use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// How many tasks `/api/v1/tasks` lists.
pub const KEPT: usize = 100;

/// How a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskResult {
    /// Done; FinishTask said success.
    Succeeded,
    /// Not done; FinishTask said why (and whether ConductorOne may try again).
    Failed,
    /// A task type this connector does not carry out (finished as the SDK does).
    Unsupported,
    /// ConductorOne cancelled it, or the service stopped while it ran (finished CANCELLED).
    Cancelled,
    /// Given up without FinishTask, as the SDK does when the first heartbeat fails.
    Abandoned,
}

impl TaskResult {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskResult::Succeeded => "succeeded",
            TaskResult::Failed => "failed",
            TaskResult::Unsupported => "unsupported",
            TaskResult::Cancelled => "cancelled",
            TaskResult::Abandoned => "abandoned",
        }
    }
}

/// One task, as `/api/v1/tasks` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct TaskRecord {
    pub id: String,
    /// The task's type as the protocol names it (`sync_full`, `grant`, …).
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub result: TaskResult,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub ended_at: String,
    pub duration_s: f64,
    /// What was done, or why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Whether ConductorOne was told not to try again.
    pub non_retryable: bool,
    /// For a sync task: the sync whose graph was uploaded, its kind, and the upload's size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uploaded_bytes: Option<u64>,
    /// FinishTask itself failed (the SDK only logs this too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_error: Option<String>,
}

#[derive(Default)]
pub struct TaskLog {
    recent: Mutex<VecDeque<TaskRecord>>,
    counts: Mutex<BTreeMap<(&'static str, TaskResult), u64>>,
    connected: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl TaskLog {
    pub fn ended(&self, r: TaskRecord) {
        *lock(&self.counts).entry((r.kind, r.result)).or_insert(0) += 1;
        let mut recent = lock(&self.recent);
        if recent.len() == KEPT {
            recent.pop_front();
        }
        recent.push_back(r);
    }

    /// The last tasks, oldest first.
    pub fn recent(&self) -> Vec<TaskRecord> {
        lock(&self.recent).iter().cloned().collect()
    }

    pub fn counts(&self) -> BTreeMap<(&'static str, TaskResult), u64> {
        lock(&self.counts).clone()
    }

    /// Hello was answered (and polling goes on).
    pub fn set_connected(&self, yes: bool) {
        self.connected.store(yes, Ordering::Relaxed);
    }

    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }
}
