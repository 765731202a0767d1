//! Carrying out one ConductorOne task, as baton-sdk's `pkg/tasks/c1api` handlers do: a sync
//! heartbeats while the graph is brought up to date and uploaded, then finishes; grants,
//! revokes, accounts and deletions go to the same `Provisioner` (and guards) as the CLI and
//! the HTTP API and finish with the SDK's response messages; anything else is finished as
//! unsupported. Every task ends in a [`TaskRecord`].
//!
//! A sync task is answered with an incremental sync: the service keeps its state current
//! from the audit log, so the graph after one is complete and current, and a task need not
//! start a full read that takes a day on a large org at the API's limits.

use super::log::{TaskRecord, TaskResult};
use super::mapping::{self, Malformed};
use crate::c1::proto::task::{self, TaskType};
use crate::c1::proto::{DeleteResourceResponse, Task};
use crate::c1::{C1Client, Code, Finish};
use crate::service::refresher::{Refresher, SyncNow};
use actix::Addr;
use openai_access_actors::api::ApiError;
use openai_access_actors::graph::ResourceType;
use openai_access_actors::provisioner::{self as p, ProvisionError, ProvisionOutcome, Provisioner};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;

/// What every task may use.
pub struct TaskContext {
    pub client: C1Client,
    pub refresher: Addr<Refresher>,
    pub provisioner: Addr<Provisioner>,
    pub provisioning: bool,
    /// Where a sync task's `.c1z` is built.
    pub temp_dir: PathBuf,
    /// Turns true when the service stops: a task still waiting finishes as cancelled.
    pub stopping: watch::Receiver<bool>,
}

/// How a handler ended: finished with `Finish`, or given up without FinishTask.
enum Ended {
    Finish {
        finish: Finish,
        result: TaskResult,
        message: Option<String>,
    },
    Abandon(String),
}

impl Ended {
    fn ok(finish: Finish, message: impl Into<String>) -> Self {
        Ended::Finish {
            finish,
            result: TaskResult::Succeeded,
            message: Some(message.into()),
        }
    }

    fn failed(code: Code, message: impl Into<String>, non_retryable: bool) -> Self {
        let message = message.into();
        Ended::Finish {
            finish: Finish::error(code, message.clone(), non_retryable),
            result: TaskResult::Failed,
            message: Some(message),
        }
    }

    fn cancelled(why: &str) -> Self {
        Ended::Finish {
            finish: Finish::error(Code::Cancelled, why, false),
            result: TaskResult::Cancelled,
            message: Some(why.to_owned()),
        }
    }
}

impl From<Malformed> for Ended {
    /// A task that cannot be understood is not tried again (the SDK's `ErrTaskNonRetryable`).
    fn from(m: Malformed) -> Self {
        Ended::failed(Code::InvalidArgument, m.to_string(), true)
    }
}

/// What a sync task adds to its record.
#[derive(Default)]
struct SyncFacts {
    sync_id: Option<u64>,
    sync_kind: Option<String>,
    uploaded_bytes: Option<u64>,
}

/// Carries out `task` and finishes it; `None` for tasks that are not finished (hello).
pub async fn run(cx: &TaskContext, task: Task) -> Option<TaskRecord> {
    let started = openai_access_actors::clock::now();
    let id = task.id.clone();
    let kind = task.type_name();
    let mut facts = SyncFacts::default();
    let ended = match task.task_type {
        Some(TaskType::Hello(_)) => {
            // Answered with Hello naming the task; the SDK does not finish it.
            let metadata = super::metadata::connector_metadata();
            if let Err(e) = cx.client.hello(Some(&id), metadata).await {
                tracing::warn!(task_id = %id, error = %e, "Hello for a HelloTask failed.");
            }
            return None;
        }
        Some(TaskType::None(_)) | None => return None,
        Some(TaskType::SyncFull(t)) => sync_full(cx, &id, &t, &mut facts).await,
        Some(TaskType::Grant(t)) => grant(cx, &t).await,
        Some(TaskType::Revoke(t)) => revoke(cx, &t).await,
        Some(TaskType::CreateAccount(t)) => create_account(cx, &t).await,
        Some(TaskType::DeleteResource(t)) => delete_resource(cx, &t).await,
        Some(_) => Ended::Finish {
            finish: Finish::unsupported(),
            result: TaskResult::Unsupported,
            message: Some(format!(
                "{kind} tasks are not supported by this connector (it syncs, grants, revokes, creates accounts and deletes users, invitations and admin keys)"
            )),
        },
    };
    let (result, message, non_retryable, finish_error) = match ended {
        Ended::Abandon(why) => (TaskResult::Abandoned, Some(why), false, None),
        Ended::Finish {
            finish,
            result,
            message,
        } => {
            let non_retryable = matches!(
                finish,
                Finish::Error {
                    non_retryable: true,
                    ..
                }
            );
            let finished = cx.client.finish_task(&id, finish).await;
            (
                result,
                message,
                non_retryable,
                finished.err().map(|e| e.to_string()),
            )
        }
    };
    let now = openai_access_actors::clock::now();
    let record = TaskRecord {
        id,
        kind,
        result,
        started_at: crate::service::run::rfc3339(started),
        ended_at: crate::service::run::rfc3339(now),
        duration_s: now
            .duration_since(started)
            .unwrap_or_default()
            .as_secs_f64(),
        message,
        non_retryable,
        sync_id: facts.sync_id,
        sync_kind: facts.sync_kind,
        uploaded_bytes: facts.uploaded_bytes,
        finish_error,
    };
    Some(record)
}

/// Consecutive failed heartbeats after which a sync is cancelled (the SDK's attempt counter
/// reaching 10).
const HEARTBEAT_FAILURES: u32 = 9;

/// Why a heartbeat loop stopped the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Running,
    CancelledByConductorOne,
    HeartbeatsFailed,
}

async fn sync_full(
    cx: &TaskContext,
    id: &str,
    t: &task::SyncFullTask,
    facts: &mut SyncFacts,
) -> Ended {
    if t.storage_engine.eq_ignore_ascii_case("pebble") {
        tracing::info!(task_id = %id, storage_engine = %t.storage_engine, "The sync task asks for the Pebble storage engine (C1Z3); this connector uploads C1ZF (SQLite), which every reader of the SDK opens.");
    }
    if t.skip_grants
        || t.skip_entitlements_and_grants
        || t.skip_expand_grants
        || !t.targeted_sync_resources.is_empty()
        || !t.sync_resource_type_ids.is_empty()
    {
        tracing::info!(task_id = %id, "The sync task narrows the sync; the complete graph is uploaded (it is kept current anyway).");
    }
    // One heartbeat first: if ConductorOne does not hear it, the task is given up without
    // FinishTask, as the SDK does.
    let first = match cx.client.heartbeat(id).await {
        Ok(b) => b,
        Err(e) => return Ended::Abandon(format!("the first heartbeat failed: {e}")),
    };
    if first.cancelled {
        return Ended::cancelled("ConductorOne cancelled the task");
    }
    let (stop_tx, mut stop_rx) = watch::channel(Stop::Running);
    let beats = tokio::spawn(heartbeat(
        cx.client.clone(),
        id.to_owned(),
        first.next_heartbeat,
        stop_tx,
    ));
    let ended = sync_and_upload(cx, id, facts, &mut stop_rx).await;
    beats.abort();
    ended
}

/// Heartbeats every `interval` (as ConductorOne asks) until cancelled, or until the
/// heartbeats fail [`HEARTBEAT_FAILURES`] times in a row.
async fn heartbeat(
    client: C1Client,
    id: String,
    mut interval: Duration,
    stop: watch::Sender<Stop>,
) {
    let mut failures = 0;
    loop {
        tokio::time::sleep(interval).await;
        match client.heartbeat(&id).await {
            Ok(b) if b.cancelled => {
                let _ = stop.send(Stop::CancelledByConductorOne);
                return;
            }
            Ok(b) => {
                failures = 0;
                interval = b.next_heartbeat;
            }
            Err(e) => {
                failures += 1;
                tracing::warn!(task_id = %id, error = %e, failures, "A heartbeat failed.");
                if failures >= HEARTBEAT_FAILURES {
                    let _ = stop.send(Stop::HeartbeatsFailed);
                    return;
                }
            }
        }
    }
}

async fn sync_and_upload(
    cx: &TaskContext,
    id: &str,
    facts: &mut SyncFacts,
    stop: &mut watch::Receiver<Stop>,
) -> Ended {
    let path = cx.temp_dir.join(format!("openai-access-upload-{id}.c1z"));
    let asked = cx
        .refresher
        .send(SyncNow {
            full: false,
            why: format!("ConductorOne sync task {id}"),
            touched: Vec::new(),
            upload: Some(path.clone()),
        })
        .await;
    let Ok(done) = asked else {
        return Ended::failed(Code::Unavailable, "the service is stopping", false);
    };
    let mut stopping = cx.stopping.clone();
    let record = tokio::select! {
        r = done => r,
        why = stop.wait_for(|s| *s != Stop::Running) => {
            let why = match why.map(|s| *s) {
                Ok(Stop::HeartbeatsFailed) => "ConductorOne did not answer the heartbeats",
                _ => "ConductorOne cancelled the task",
            };
            return Ended::cancelled(why);
        }
        _ = stopping.wait_for(|s| *s) => return Ended::cancelled("the connector is stopping"),
    };
    let Ok(record) = record else {
        return Ended::cancelled("the connector is stopping");
    };
    facts.sync_id = Some(record.id);
    facts.sync_kind = Some(record.kind.to_string());
    if record.result != crate::service::served::SyncResult::Ok {
        let _ = std::fs::remove_file(&path);
        return Ended::failed(
            Code::Unknown,
            format!(
                "sync {} did not complete: {}",
                record.id,
                record.error.as_deref().unwrap_or(record.result.as_str())
            ),
            false,
        );
    }
    let uploaded = cx.client.upload(id, &path).await;
    let _ = std::fs::remove_file(&path);
    match uploaded {
        Ok(u) => {
            facts.uploaded_bytes = Some(u.bytes);
            Ended::ok(
                Finish::done(),
                format!(
                    "{} sync {} uploaded ({} bytes)",
                    record.kind, record.id, u.bytes
                ),
            )
        }
        Err(e) => Ended::failed(Code::Unknown, format!("the upload failed: {e}"), false),
    }
}

/// Sends a provisioning request through the service's `Provisioner` and reads back what it
/// changed; `respond` makes the SDK's response of its outcome.
async fn provision<M>(
    cx: &TaskContext,
    what: &str,
    msg: M,
    respond: impl FnOnce(&ProvisionOutcome) -> Finish,
) -> Ended
where
    M: actix::Message<Result = Result<ProvisionOutcome, ProvisionError>> + Send + 'static,
    Provisioner: actix::Handler<M>,
{
    if !cx.provisioning {
        // The SDK's connector without provisioning: its noop provisioner's refusal.
        return Ended::failed(
            Code::FailedPrecondition,
            "provisioning is not enabled",
            true,
        );
    }
    let outcome = match cx.provisioner.send(msg).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return Ended::failed(code_of(&e), e.to_string(), true),
        Err(_) => return Ended::failed(Code::Unavailable, "the provisioner stopped", true),
    };
    if outcome.result.changes() {
        // Read back at once: the change shows in the next answers and the next upload.
        cx.refresher.do_send(SyncNow {
            full: false,
            why: format!("ConductorOne task: {what}"),
            touched: outcome.calls.clone(),
            upload: None,
        });
    }
    let message = format!("{} ({})", outcome.action, outcome.result.as_str());
    Ended::ok(respond(&outcome), message)
}

/// The gRPC code of a provisioning failure (all are finished non-retryable, as the SDK does).
fn code_of(e: &ProvisionError) -> Code {
    match e {
        ProvisionError::InvalidId { .. } => Code::InvalidArgument,
        ProvisionError::Refused(_) => Code::FailedPrecondition,
        ProvisionError::NotFound { .. } | ProvisionError::NotFoundNear { .. } => Code::NotFound,
        ProvisionError::Api { source, .. } => match source.root() {
            e if e.is_forbidden() => Code::PermissionDenied,
            e if e.is_unauthorized() => Code::Unauthenticated,
            ApiError::Status { status: 404, .. } => Code::NotFound,
            _ => Code::Unknown,
        },
        ProvisionError::Stopped => Code::Unavailable,
    }
}

async fn grant(cx: &TaskContext, t: &task::GrantTask) -> Ended {
    let entitlement = match mapping::entitlement(t.entitlement.as_ref()) {
        Ok(e) => e,
        Err(m) => return m.into(),
    };
    let principal = match mapping::principal("grant", t.principal.as_ref()) {
        Ok(p) => p,
        Err(m) => return m.into(),
    };
    let (e2, p2) = (entitlement.clone(), principal.clone());
    provision(
        cx,
        "grant",
        p::Grant {
            entitlement,
            principal,
            dry_run: false,
        },
        move |o| {
            let r = mapping::grant_response(&e2, &p2, o);
            Finish::success(&r, r.annotations.clone())
        },
    )
    .await
}

async fn revoke(cx: &TaskContext, t: &task::RevokeTask) -> Ended {
    let grant = match mapping::grant(t.grant.as_ref()) {
        Ok(g) => g,
        Err(m) => return m.into(),
    };
    provision(
        cx,
        "revoke",
        p::Revoke {
            grant,
            dry_run: false,
        },
        |o| {
            let r = mapping::revoke_response(o);
            Finish::success(&r, r.annotations.clone())
        },
    )
    .await
}

async fn create_account(cx: &TaskContext, t: &task::CreateAccountTask) -> Ended {
    use crate::c1::proto::credential_options::Options;
    if !t.resource_type_id.is_empty() && t.resource_type_id != ResourceType::User.as_str() {
        return Ended::failed(
            Code::InvalidArgument,
            format!(
                "accounts are created as users, not {:?}",
                t.resource_type_id
            ),
            true,
        );
    }
    let options = t
        .credential_options
        .as_ref()
        .and_then(|c| c.options.as_ref());
    if !matches!(options, None | Some(Options::NoPassword(_))) {
        return Ended::failed(
            Code::InvalidArgument,
            "an OpenAI account is an invitation: its invitee signs in with their own login, so only the no-password credential option is supported",
            true,
        );
    }
    let (email, profile) = match mapping::account(t.account_info.as_ref()) {
        Ok(a) => a,
        Err(m) => return m.into(),
    };
    let shown = email.clone();
    provision(
        cx,
        "create account",
        p::CreateAccount {
            email,
            role: profile.role,
            projects: profile.projects,
            dry_run: false,
        },
        move |o| {
            let r = mapping::create_account_response(&shown, o);
            Finish::success(&r, Vec::new())
        },
    )
    .await
}

async fn delete_resource(cx: &TaskContext, t: &task::DeleteResourceTask) -> Ended {
    let key = match mapping::deleted(t.resource_id.as_ref()) {
        Ok(k) => k,
        Err(m) => return m.into(),
    };
    let respond =
        |_: &ProvisionOutcome| Finish::success(&DeleteResourceResponse::default(), Vec::new());
    let bad = |e: openai_access_actors::ids::UnsafeId| -> Ended {
        Ended::failed(Code::InvalidArgument, e.to_string(), true)
    };
    match key.resource_type {
        ResourceType::User => match key.id.as_str().parse() {
            Ok(user) => {
                provision(
                    cx,
                    "delete account",
                    p::DeleteAccount {
                        user,
                        dry_run: false,
                    },
                    respond,
                )
                .await
            }
            Err(e) => bad(e),
        },
        ResourceType::Invite => match key.id.as_str().parse() {
            Ok(invite) => {
                provision(
                    cx,
                    "delete invitation",
                    p::DeleteInvite {
                        invite,
                        dry_run: false,
                    },
                    respond,
                )
                .await
            }
            Err(e) => bad(e),
        },
        ResourceType::AdminApiKey => match key.id.as_str().parse() {
            Ok(key) => {
                provision(
                    cx,
                    "delete admin key",
                    p::DeleteAdminKey {
                        key,
                        dry_run: false,
                    },
                    respond,
                )
                .await
            }
            Err(e) => bad(e),
        },
        other => Ended::failed(
            Code::InvalidArgument,
            format!(
                "{other} resources cannot be deleted: users, invitations and admin API keys can"
            ),
            true,
        ),
    }
}
