//! BatonService's unary RPCs on the fake. Every call goes the same way: availability, then the
//! bearer token, then the .proto's rules, then the work; and every call, refused or not, lands
//! in the transcript with its task id, outcome and gist.
//!
//! Choices where the real service is unknown: a task the fake never handed out is NOT_FOUND for
//! Heartbeat, FinishTask and UploadAsset; finishing a task twice is FAILED_PRECONDITION; an idle
//! GetTask answers no task at all (not a `none` task) with the configured `next_poll`.

use super::rpc::{Handle, admit, handed_out, outcome};
use super::state::{FinishedTask, State, TaskState};
use super::{Shared, upload, validate};
use crate::c1::proto::{
    BatonServiceFinishTaskRequest, BatonServiceFinishTaskResponse, BatonServiceGetTaskRequest,
    BatonServiceGetTaskResponse, BatonServiceGetTasksRequest, BatonServiceGetTasksResponse,
    BatonServiceHeartbeatRequest, BatonServiceHeartbeatResponse, BatonServiceHelloRequest,
    BatonServiceHelloResponse, Capability, Duration, StartDebuggingRequest, StartDebuggingResponse,
    Task, finish_request::FinalState,
};
use crate::c1::wire::Rpc;
use http::{Request, Response};
use hyper::body::Incoming;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::SystemTime;
use tonic::body::Body;
use tonic::{Code, Status};

pub(crate) async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Response<Body> {
    let Some(rpc) = Rpc::from_path(request.uri().path()) else {
        shared.state.lock().record(
            SystemTime::now(),
            request.uri().path(),
            None,
            "Unimplemented".into(),
            json!({}),
        );
        return Status::unimplemented("unknown method").into_http();
    };
    match rpc {
        Rpc::Hello => unary::<BatonServiceHelloRequest>(shared, request).await,
        Rpc::GetTask => unary::<BatonServiceGetTaskRequest>(shared, request).await,
        Rpc::GetTasks => unary::<BatonServiceGetTasksRequest>(shared, request).await,
        Rpc::Heartbeat => unary::<BatonServiceHeartbeatRequest>(shared, request).await,
        Rpc::FinishTask => unary::<BatonServiceFinishTaskRequest>(shared, request).await,
        Rpc::StartDebugging => unary::<StartDebuggingRequest>(shared, request).await,
        Rpc::UploadAsset => upload::handle(shared, request).await,
    }
}

/// What one call is doing, for its handler and its transcript entry.
pub(crate) struct Call<'a> {
    pub shared: &'a Shared,
    pub state: &'a mut State,
    pub task_id: Option<String>,
    pub summary: Value,
}

/// A unary request the fake answers.
pub(crate) trait Handled: prost::Message + Default + Send + Sync + 'static {
    const RPC: Rpc;
    type Response: prost::Message + Send + Sync + 'static;

    /// The task id and gist for the transcript, known before the work is done.
    fn describe(&self) -> (Option<String>, Value);

    fn act(self, call: &mut Call<'_>) -> Result<Self::Response, Status>;
}

async fn unary<R: Handled>(shared: Arc<Shared>, request: Request<Incoming>) -> Response<Body> {
    let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::<R::Response, R>::default());
    let service = Handle(move |request: tonic::Request<R>| {
        std::future::ready(answer(&shared, request).map(tonic::Response::new))
    });
    grpc.unary(service, request).await
}

fn answer<R: Handled>(shared: &Shared, request: tonic::Request<R>) -> Result<R::Response, Status> {
    let now = SystemTime::now();
    let (task_id, summary) = request.get_ref().describe();
    let mut state = shared.state.lock();
    let admitted = admit(&state, request.metadata(), now);
    let mut call = Call {
        shared,
        state: &mut state,
        task_id,
        summary,
    };
    let result = admitted.and_then(|()| request.into_inner().act(&mut call));
    let (task_id, summary) = (call.task_id, call.summary);
    state.record(now, R::RPC.name(), task_id, outcome(&result), summary);
    result
}

fn duration(d: std::time::Duration) -> Option<Duration> {
    Some(Duration::from_std(d))
}

impl Handled for BatonServiceHelloRequest {
    const RPC: Rpc = Rpc::Hello;
    type Response = BatonServiceHelloResponse;

    fn describe(&self) -> (Option<String>, Value) {
        let metadata = self.connector_metadata.as_ref();
        let capabilities: Vec<String> = metadata
            .and_then(|m| m.capabilities.as_ref())
            .map(|c| {
                c.connector_capabilities
                    .iter()
                    .map(|&n| {
                        Capability::try_from(n).map_or_else(|_| n.to_string(), |c| format!("{c:?}"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let summary = json!({
            "host_id": self.host_id,
            "display_name": metadata.map(|m| m.display_name.clone()),
            "capabilities": capabilities,
            "resource_types": metadata
                .and_then(|m| m.capabilities.as_ref())
                .map_or(0, |c| c.resource_type_capabilities.len()),
            "package": self.build_info.as_ref().map(|b| format!("{} {}", b.package, b.package_version)),
            "os": self.os_info.as_ref().map(|o| format!("{} {}", o.platform, o.platform_version)),
        });
        (
            (!self.task_id.is_empty()).then(|| self.task_id.clone()),
            summary,
        )
    }

    fn act(self, call: &mut Call<'_>) -> Result<Self::Response, Status> {
        validate::hello(&self)?;
        // Answering a HelloTask ends it: the SDK sends no FinishTask for one.
        if let Some(entry) = call.state.tasks.get_mut(&self.task_id)
            && entry.task_type == "hello"
            && entry.state == TaskState::HandedOut
        {
            entry.state = TaskState::Finished;
        }
        call.state.hellos.push(self);
        Ok(BatonServiceHelloResponse::default())
    }
}

/// The next queued task, marked handed out.
fn hand_out(state: &mut State) -> Option<Task> {
    let task = state.queue.pop_front()?;
    if let Some(entry) = state.tasks.get_mut(&task.id) {
        entry.state = TaskState::HandedOut;
    }
    Some(task)
}

impl Handled for BatonServiceGetTaskRequest {
    const RPC: Rpc = Rpc::GetTask;
    type Response = BatonServiceGetTaskResponse;

    fn describe(&self) -> (Option<String>, Value) {
        (None, json!({"host_id": self.host_id}))
    }

    fn act(self, call: &mut Call<'_>) -> Result<Self::Response, Status> {
        validate::host_id(&self.host_id)?;
        let task = hand_out(call.state);
        if let Some(task) = &task {
            call.task_id = Some(task.id.clone());
            call.summary["task_type"] = json!(task.type_name());
        }
        Ok(BatonServiceGetTaskResponse {
            task,
            next_poll: duration(call.shared.next_poll),
            next_heartbeat: duration(call.shared.next_heartbeat),
            annotations: Vec::new(),
        })
    }
}

impl Handled for BatonServiceGetTasksRequest {
    const RPC: Rpc = Rpc::GetTasks;
    type Response = BatonServiceGetTasksResponse;

    fn describe(&self) -> (Option<String>, Value) {
        (
            None,
            json!({"host_id": self.host_id, "page_size": self.page_size, "known": self.known_task_ids.len()}),
        )
    }

    fn act(self, call: &mut Call<'_>) -> Result<Self::Response, Status> {
        validate::host_id(&self.host_id)?;
        validate::page_size(self.page_size)?;
        validate::task_ids("known_task_ids", &self.known_task_ids)?;
        validate::annotations("annotations", &self.annotations)?;
        let mut tasks = Vec::new();
        while tasks.len() < self.page_size as usize {
            match hand_out(call.state) {
                Some(task) => tasks.push(task),
                None => break,
            }
        }
        call.summary["tasks"] = json!(tasks.iter().map(|t| t.id.clone()).collect::<Vec<_>>());
        Ok(BatonServiceGetTasksResponse {
            tasks,
            next_poll: duration(call.shared.next_poll),
            next_heartbeat: duration(call.shared.next_heartbeat),
            annotations: Vec::new(),
        })
    }
}

impl Handled for BatonServiceHeartbeatRequest {
    const RPC: Rpc = Rpc::Heartbeat;
    type Response = BatonServiceHeartbeatResponse;

    fn describe(&self) -> (Option<String>, Value) {
        (Some(self.task_id.clone()), json!({"host_id": self.host_id}))
    }

    fn act(self, call: &mut Call<'_>) -> Result<Self::Response, Status> {
        validate::host_id(&self.host_id)?;
        validate::task_id("task_id", &self.task_id)?;
        validate::annotations("annotations", &self.annotations)?;
        validate::task_ids("task_ids", &self.task_ids)?;
        handed_out(call.state, &self.task_id)?;
        let cancelled_of = |id: &str| call.state.tasks.get(id).is_some_and(|t| t.cancelled);
        let cancelled = cancelled_of(&self.task_id);
        let cancelled_task_ids = self
            .task_ids
            .iter()
            .filter(|id| cancelled_of(id))
            .cloned()
            .collect();
        call.summary["cancelled"] = json!(cancelled);
        Ok(BatonServiceHeartbeatResponse {
            next_heartbeat: duration(call.shared.next_heartbeat),
            cancelled,
            annotations: Vec::new(),
            cancelled_task_ids,
        })
    }
}

impl Handled for BatonServiceFinishTaskRequest {
    const RPC: Rpc = Rpc::FinishTask;
    type Response = BatonServiceFinishTaskResponse;

    fn describe(&self) -> (Option<String>, Value) {
        let (outcome, non_retryable, annotations, response) = match &self.final_state {
            Some(FinalState::Success(s)) => {
                ("success", false, s.annotations.len(), s.response.as_ref())
            }
            Some(FinalState::Error(e)) => (
                "error",
                e.non_retryable,
                e.annotations.len(),
                e.response.as_ref(),
            ),
            None => ("none", false, 0, None),
        };
        let summary = json!({
            "host_id": self.host_id,
            "outcome": outcome,
            "code": self.status.as_ref().map(|s| format!("{:?}", Code::from(s.code))),
            "message": self.status.as_ref().map(|s| s.message.clone()),
            "non_retryable": non_retryable,
            "annotations": annotations,
            "response_type": response.map(crate::c1::proto::any_message_name),
        });
        (Some(self.task_id.clone()), summary)
    }

    fn act(self, call: &mut Call<'_>) -> Result<Self::Response, Status> {
        validate::host_id(&self.host_id)?;
        validate::task_id("task_id", &self.task_id)?;
        match &self.final_state {
            Some(FinalState::Success(s)) => {
                validate::annotations("success.annotations", &s.annotations)?
            }
            Some(FinalState::Error(e)) => {
                validate::annotations("error.annotations", &e.annotations)?
            }
            None => return Err(Status::invalid_argument("final_state is required")),
        }
        handed_out(call.state, &self.task_id)?;
        let Some(entry) = call.state.tasks.get_mut(&self.task_id) else {
            return Err(Status::not_found("unknown task"));
        };
        if entry.state == TaskState::Finished {
            return Err(Status::failed_precondition("the task is already finished"));
        }
        entry.state = TaskState::Finished;
        let task_type = entry.task_type.to_owned();
        call.state.finished.push(FinishedTask {
            task_id: self.task_id.clone(),
            task_type,
            request: self,
        });
        Ok(BatonServiceFinishTaskResponse::default())
    }
}

impl Handled for StartDebuggingRequest {
    const RPC: Rpc = Rpc::StartDebugging;
    type Response = StartDebuggingResponse;

    fn describe(&self) -> (Option<String>, Value) {
        (None, json!({}))
    }

    fn act(self, _call: &mut Call<'_>) -> Result<Self::Response, Status> {
        Err(Status::unimplemented("StartDebugging is not served"))
    }
}
