//! What every BatonService call on the fake does first and last: admission (availability,
//! the bearer token), the task it names, its outcome in the transcript, and the closure tonic
//! serves it through.

use super::state::{Availability, State, TaskState};
use crate::c1::wire::AUTHORIZATION;
use std::future::Future;
use std::task::{Context, Poll};
use std::time::SystemTime;
use tonic::Status;
use tonic::metadata::MetadataMap;

/// Availability, then the bearer token: `authorization: Bearer <a token the fake issued and
/// that has not expired>`.
pub(crate) fn admit(state: &State, metadata: &MetadataMap, now: SystemTime) -> Result<(), Status> {
    if state.availability == Availability::Unavailable {
        return Err(Status::unavailable("fake ConductorOne is unavailable"));
    }
    let Some(header) = metadata.get(AUTHORIZATION) else {
        return Err(Status::unauthenticated("missing authorization"));
    };
    let token = header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| Status::unauthenticated("authorization must be a Bearer token"))?;
    match state.tokens.get(token) {
        Some(expires) if now < *expires => Ok(()),
        Some(_) => Err(Status::unauthenticated("the token has expired")),
        None => Err(Status::unauthenticated("unknown token")),
    }
}

/// `OK`, or the code's name and the message.
pub(crate) fn outcome<T>(result: &Result<T, Status>) -> String {
    match result {
        Ok(_) => "OK".into(),
        Err(status) => format!("{:?}: {}", status.code(), status.message()),
    }
}

/// The task `task_id` as handed out, or NOT_FOUND.
pub(crate) fn handed_out(state: &State, task_id: &str) -> Result<(), Status> {
    match state.tasks.get(task_id) {
        Some(entry) if entry.state != TaskState::Queued => Ok(()),
        _ => Err(Status::not_found(format!(
            "no task {task_id} was handed out"
        ))),
    }
}

/// A closure as the tower service tonic's server-side `Grpc` calls.
pub(crate) struct Handle<F>(pub F);

impl<F, Req, Resp, Fut> tower_service::Service<tonic::Request<Req>> for Handle<F>
where
    F: FnMut(tonic::Request<Req>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<Resp>, Status>>,
{
    type Response = tonic::Response<Resp>;
    type Error = Status;
    type Future = Fut;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: tonic::Request<Req>) -> Fut {
        (self.0)(request)
    }
}
