//! `TaskRunner`: the service's connection to ConductorOne, as baton-sdk's task manager and
//! runner keep it (`pkg/connectorrunner/runner.go`, `pkg/tasks/c1api/manager.go`): Hello at
//! start (retried with a doubling backoff up to 5 minutes; a refusal that cannot heal stops
//! the service), then GetTask as often as ConductorOne's `next_poll` says, at most
//! `--task-concurrency` tasks at a time, each carried out by `tasks::run`.
//!
//! | receives    | from                     | does                                              | replies |
//! |-------------|--------------------------|---------------------------------------------------|---------|
//! | `StopTasks` | the service, on SIGTERM  | stops polling; tasks in flight finish (a sync as cancelled) | once they have |
//!
//! It sends the `Refresher` `SyncNow` and the `Provisioner` its messages (through
//! `tasks::run`), and ConductorOne Hello, GetTask, Heartbeat, UploadAsset and FinishTask.

use super::log::TaskLog;
use super::tasks::{self, TaskContext};
use crate::c1::proto::Task;
use crate::c1::{C1Error, wire};
use actix::prelude::*;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// Stop polling and let the tasks in flight end; resolves once they have.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StopTasks;

pub struct TaskRunner {
    cx: Arc<TaskContext>,
    log: Arc<TaskLog>,
    concurrency: usize,
    in_flight: usize,
    /// A GetTask under way.
    polling: bool,
    /// The next poll (or Hello), when one waits.
    timer: Option<SpawnHandle>,
    /// Failures in a row, for the backoffs.
    hello_failures: u32,
    poll_errors: u32,
    connected: bool,
    stopped: bool,
    stopping: watch::Sender<bool>,
    /// Told once if Hello is refused for good (bad credentials): the service stops.
    fatal: Option<oneshot::Sender<C1Error>>,
    /// `StopTasks` callers waiting for the tasks in flight.
    drained: Vec<oneshot::Sender<()>>,
}

impl TaskRunner {
    pub fn new(
        cx: TaskContext,
        stopping: watch::Sender<bool>,
        log: Arc<TaskLog>,
        concurrency: usize,
        fatal: oneshot::Sender<C1Error>,
    ) -> Self {
        Self {
            cx: Arc::new(cx),
            log,
            concurrency: concurrency.max(1),
            in_flight: 0,
            polling: false,
            timer: None,
            hello_failures: 0,
            poll_errors: 0,
            connected: false,
            stopped: false,
            stopping,
            fatal: Some(fatal),
            drained: Vec::new(),
        }
    }

    fn later(
        &mut self,
        wait: Duration,
        ctx: &mut Context<Self>,
        then: fn(&mut Self, &mut Context<Self>),
    ) {
        if let Some(t) = self.timer.take() {
            ctx.cancel_future(t);
        }
        self.timer = Some(ctx.run_later(wait, move |act, ctx| {
            act.timer = None;
            then(act, ctx);
        }));
    }

    fn hello(&mut self, ctx: &mut Context<Self>) {
        if self.stopped {
            return;
        }
        let client = self.cx.client.clone();
        let metadata = super::metadata::connector_metadata();
        ctx.spawn(
            async move { client.hello(None, metadata).await }
                .into_actor(self)
                .map(|said, act, ctx| match said {
                    Ok(()) => {
                        tracing::info!(
                            host = %act.cx.client.api_host(),
                            host_id = %act.cx.client.host_id(),
                            task_concurrency = act.concurrency,
                            "Connected to ConductorOne: polling for tasks."
                        );
                        act.connected = true;
                        act.log.set_connected(true);
                        act.poll(ctx);
                    }
                    Err(e) if !e.is_retryable() => {
                        tracing::error!(error = %e, code = ?e.code(), "ConductorOne refused the connector's Hello; check --client-id and --client-secret (BATON_CLIENT_ID, BATON_CLIENT_SECRET).");
                        act.stopped = true;
                        if let Some(tx) = act.fatal.take() {
                            let _ = tx.send(e);
                        }
                    }
                    Err(e) => {
                        act.hello_failures += 1;
                        let wait = wire::hello_backoff(act.hello_failures);
                        tracing::warn!(error = %e, failures = act.hello_failures, retry_in_s = wait.as_secs(), "Cannot reach ConductorOne; trying again (the local API keeps answering).");
                        act.later(wait, ctx, Self::hello);
                    }
                }),
        );
    }

    fn poll(&mut self, ctx: &mut Context<Self>) {
        if self.stopped || !self.connected || self.polling || self.in_flight >= self.concurrency {
            return;
        }
        if let Some(t) = self.timer.take() {
            ctx.cancel_future(t);
        }
        self.polling = true;
        let client = self.cx.client.clone();
        ctx.spawn(
            async move { client.get_task().await }
                .into_actor(self)
                .map(|polled, act, ctx| {
                    act.polling = false;
                    match polled {
                        Ok(p) => {
                            if act.poll_errors > 0 {
                                tracing::info!("ConductorOne answers again.");
                            }
                            act.poll_errors = 0;
                            act.log.set_connected(true);
                            match p.task.filter(|t| !t.is_none()) {
                                // Another may be waiting: ask again at once.
                                Some(task) => {
                                    act.launch(task, ctx);
                                    act.poll(ctx);
                                }
                                None => act.later(p.next_poll, ctx, Self::poll),
                            }
                        }
                        Err(e) => {
                            act.poll_errors += 1;
                            act.log.set_connected(false);
                            let wait = wire::poll_error_backoff(act.poll_errors);
                            tracing::warn!(error = %e, errors = act.poll_errors, retry_in_s = wait.as_secs(), "Polling ConductorOne for tasks failed.");
                            act.later(wait, ctx, Self::poll);
                        }
                    }
                }),
        );
    }

    fn launch(&mut self, task: Task, ctx: &mut Context<Self>) {
        self.in_flight += 1;
        tracing::info!(task_id = %task.id, task_type = task.type_name(), "Task started.");
        let cx = self.cx.clone();
        ctx.spawn(
            async move { tasks::run(&cx, task).await }
                .into_actor(self)
                .map(|record, act, ctx| {
                    act.in_flight -= 1;
                    if let Some(r) = record {
                        if r.result == super::log::TaskResult::Succeeded {
                            tracing::info!(task_id = %r.id, task_type = r.kind, result = r.result.as_str(), duration_s = r.duration_s, message = r.message.as_deref().unwrap_or(""), "Task ended.");
                        } else {
                            tracing::warn!(task_id = %r.id, task_type = r.kind, result = r.result.as_str(), non_retryable = r.non_retryable, message = r.message.as_deref().unwrap_or(""), "Task ended.");
                        }
                        if let Some(e) = &r.finish_error {
                            tracing::warn!(task_id = %r.id, error = %e, "FinishTask failed; ConductorOne will time the task out.");
                        }
                        act.log.ended(r);
                    }
                    if act.stopped {
                        if act.in_flight == 0 {
                            for tx in act.drained.drain(..) {
                                let _ = tx.send(());
                            }
                        }
                    } else if act.timer.is_none() {
                        // A slot freed while no poll was waiting (all were busy).
                        act.poll(ctx);
                    }
                }),
        );
    }
}

impl Actor for TaskRunner {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.hello(ctx);
    }
}

impl Handler<StopTasks> for TaskRunner {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: StopTasks, ctx: &mut Context<Self>) -> Self::Result {
        self.stopped = true;
        if let Some(t) = self.timer.take() {
            ctx.cancel_future(t);
        }
        let _ = self.stopping.send(true);
        let (tx, rx) = oneshot::channel();
        if self.in_flight == 0 {
            let _ = tx.send(());
        } else {
            tracing::info!(
                tasks = self.in_flight,
                "Stopping: the ConductorOne tasks in flight finish first."
            );
            self.drained.push(tx);
        }
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}
