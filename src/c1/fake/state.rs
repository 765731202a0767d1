//! Everything the fake remembers: the task queue and each task's fate, the tokens it issued,
//! the switches tests flip, and the records tests read (transcript, Hellos, finished tasks,
//! uploads). One mutex, held briefly and never across an `.await`.

use crate::c1::proto::{
    Any, BatonServiceFinishTaskRequest, BatonServiceHelloRequest, RpcStatus, Task,
    any_message_name, finish_request::FinalState,
};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// Whether the fake is reachable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Serving.
    #[default]
    Up,
    /// Every RPC answers UNAVAILABLE and the token endpoint 503 (the control API still works).
    Unavailable,
    /// New connections are closed at once and open ones are cut: nothing answers, not even
    /// the control API.
    Refusing,
}

/// What the token endpoint does with a valid request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenMode {
    /// Issue a token.
    #[default]
    Issue,
    /// 401, as for bad credentials.
    Reject,
    /// 500.
    Fail,
}

/// One request, as the fake saw it.
#[derive(Clone, Debug, Serialize)]
pub struct Exchange {
    /// Order of arrival, from 1.
    pub seq: u64,
    pub at_unix_ms: u64,
    /// `token`, or the RPC name (`Hello`, `GetTask`, …).
    pub rpc: String,
    pub task_id: Option<String>,
    /// `OK`, or the gRPC code (token requests: `OK` or the HTTP status) and why.
    pub outcome: String,
    /// The request's decoded gist (never a token or an assertion).
    pub summary: Value,
}

/// A FinishTask the fake accepted.
#[derive(Clone, Debug)]
pub struct FinishedTask {
    pub task_id: String,
    /// The task's type name (`grant`, `sync_full`, …).
    pub task_type: String,
    pub request: BatonServiceFinishTaskRequest,
}

impl FinishedTask {
    pub fn is_success(&self) -> bool {
        matches!(self.request.final_state, Some(FinalState::Success(_)))
    }

    /// The response packed into `success.response` or `error.response`.
    pub fn response(&self) -> Option<&Any> {
        match &self.request.final_state {
            Some(FinalState::Success(s)) => s.response.as_ref(),
            Some(FinalState::Error(e)) => e.response.as_ref(),
            None => None,
        }
    }

    /// The response's message name (`c1.connector.v2.GrantManagerServiceGrantResponse`).
    pub fn response_type(&self) -> Option<&str> {
        self.response().map(any_message_name)
    }

    pub fn non_retryable(&self) -> bool {
        matches!(&self.request.final_state, Some(FinalState::Error(e)) if e.non_retryable)
    }

    pub fn status(&self) -> Option<&RpcStatus> {
        self.request.status.as_ref()
    }

    pub fn to_json(&self) -> Value {
        json!({
            "task_id": self.task_id,
            "task_type": self.task_type,
            "outcome": if self.is_success() { "success" } else { "error" },
            "code": self.status().map(|s| format!("{:?}", tonic::Code::from(s.code))),
            "message": self.status().map(|s| s.message.clone()),
            "non_retryable": self.non_retryable(),
            "response_type": self.response_type(),
        })
    }
}

/// One completed upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRecord {
    pub data: Vec<u8>,
    pub sha256: [u8; 32],
}

impl UploadRecord {
    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a task is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Queued,
    HandedOut,
    Finished,
}

#[derive(Clone, Debug)]
pub(crate) struct TaskEntry {
    pub task_type: &'static str,
    pub state: TaskState,
    pub cancelled: bool,
}

#[derive(Default)]
pub(crate) struct State {
    pub queue: VecDeque<Task>,
    pub tasks: HashMap<String, TaskEntry>,
    /// Issued tokens and when they expire.
    pub tokens: HashMap<String, SystemTime>,
    /// Assertion nonces already used (a replayed assertion is refused).
    pub nonces: HashSet<String>,
    pub transcript: Vec<Exchange>,
    pub hellos: Vec<BatonServiceHelloRequest>,
    pub finished: Vec<FinishedTask>,
    pub uploads: BTreeMap<String, Vec<UploadRecord>>,
    pub availability: Availability,
    pub token_mode: TokenMode,
    /// Uploads still to fail (after being read in full) with UNAVAILABLE.
    pub failing_uploads: u32,
}

impl State {
    pub fn record(
        &mut self,
        now: SystemTime,
        rpc: &str,
        task_id: Option<String>,
        outcome: String,
        summary: Value,
    ) {
        let at_unix_ms = now
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let seq = self.transcript.len() as u64 + 1;
        self.transcript.push(Exchange {
            seq,
            at_unix_ms,
            rpc: rpc.to_owned(),
            task_id,
            outcome,
            summary,
        });
    }

    pub fn enqueue(&mut self, task: Task) -> String {
        let id = task.id.clone();
        self.tasks.insert(
            id.clone(),
            TaskEntry {
                task_type: task.type_name(),
                state: TaskState::Queued,
                cancelled: false,
            },
        );
        self.queue.push_back(task);
        id
    }

    /// Marks `task_id` cancelled; a queued task is never handed out. False if unknown.
    pub fn cancel(&mut self, task_id: &str) -> bool {
        let Some(entry) = self.tasks.get_mut(task_id) else {
            return false;
        };
        entry.cancelled = true;
        if entry.state == TaskState::Queued {
            self.queue.retain(|t| t.id != task_id);
        }
        true
    }

    /// The tasks, in no particular order, as JSON.
    pub fn tasks_json(&self) -> Value {
        let mut tasks: Vec<Value> = self
            .tasks
            .iter()
            .map(|(id, e)| {
                json!({"id": id, "type": e.task_type, "state": e.state, "cancelled": e.cancelled})
            })
            .collect();
        tasks.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        Value::Array(tasks)
    }
}

/// The state behind its mutex.
#[derive(Default)]
pub(crate) struct Locked(Mutex<State>);

impl Locked {
    /// The state; a panic elsewhere while it was held does not make it unreadable.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
