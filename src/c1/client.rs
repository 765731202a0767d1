//! `C1Client`: the connector's side of `c1.connectorapi.baton.v1.BatonService` (baton-sdk
//! `pkg/tasks/c1api/service_client.go`), over the TLS channel of `transport.rs` with a token
//! from `token.rs` in every call's `authorization` metadata.
//!
//! What the client decides on its own, the SDK's way: `host_id` on every request, the clamps of
//! `next_poll` and `next_heartbeat`, FinishTask's 30-second deadline, the upload's chunking and
//! retries (`upload.rs`). What it leaves to its caller (the task runner): the startup Hello's
//! backoff, the polling loop, the heartbeat loop, and what a task means.

use super::api_host::ApiHost;
use super::config::C1Config;
use super::credentials::{ClientId, ClientSecret};
use super::error::C1Error;
use super::proto::{
    Any, AnyType, BatonServiceFinishTaskRequest, BatonServiceFinishTaskResponse,
    BatonServiceGetTaskRequest, BatonServiceGetTaskResponse, BatonServiceGetTasksRequest,
    BatonServiceGetTasksResponse, BatonServiceHeartbeatRequest, BatonServiceHeartbeatResponse,
    BatonServiceHelloRequest, BatonServiceHelloResponse, ConnectorMetadata, RpcStatus, Task,
    finish_request,
};
use super::token::TokenSource;
use super::transport::Channel;
use super::wire::{self, AUTHORIZATION, FINISH_TIMEOUT, Rpc, TOKEN_PATH};
use super::{host, tls};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tonic::Code;
use tonic::metadata::AsciiMetadataValue;

/// The User-Agent of the SDK's token requests.
const TOKEN_USER_AGENT: &str = "baton-c1-credential-provider";
/// How long the token request may take (the SDK's HTTP client has no bound of its own).
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// A BatonService client. Cheap to clone; clones share the connection and the token.
#[derive(Clone)]
pub struct C1Client {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) channel: Channel,
    tokens: TokenSource,
    pub(super) host_id: String,
}

/// What GetTask answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Polled {
    /// `None` when ConductorOne has nothing (no task, or a `none` task).
    pub task: Option<Task>,
    /// When to poll again: `next_poll` clamped to [0, 5 min].
    pub next_poll: Duration,
    /// `next_heartbeat`, clamped as a heartbeat's (0 ⇒ 30 s, else [1 s, 5 min]).
    pub next_heartbeat: Duration,
}

/// What GetTasks (the batch path) answered.
#[derive(Clone, Debug, PartialEq)]
pub struct PolledBatch {
    /// The tasks, `none` tasks left out.
    pub tasks: Vec<Task>,
    pub next_poll: Duration,
    pub next_heartbeat: Duration,
}

/// What a heartbeat answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Beat {
    /// When to beat again: 0 ⇒ 30 s, else clamped to [1 s, 5 min].
    pub next_heartbeat: Duration,
    /// ConductorOne wants the work stopped.
    pub cancelled: bool,
}

/// How a task ended, for FinishTask.
#[derive(Clone, Debug, PartialEq)]
pub enum Finish {
    /// The work was done; `response` is the connector's response packed as `Any` (none for a
    /// sync), `annotations` the response's annotations.
    Success {
        response: Option<Any>,
        annotations: Vec<Any>,
    },
    /// The work failed: `code` and `message` become the request's `google.rpc.Status`;
    /// `non_retryable` tells ConductorOne not to schedule the task again.
    Error {
        code: Code,
        message: String,
        details: Vec<Any>,
        non_retryable: bool,
        annotations: Vec<Any>,
        response: Option<Any>,
    },
}

impl Finish {
    /// Success with `response` packed as `Any` and its annotations.
    pub fn success<M: AnyType>(response: &M, annotations: Vec<Any>) -> Finish {
        Finish::Success {
            response: Some(response.to_any()),
            annotations,
        }
    }

    /// Success with nothing to report (a full sync).
    pub fn done() -> Finish {
        Finish::Success {
            response: None,
            annotations: Vec::new(),
        }
    }

    pub fn error(code: Code, message: impl Into<String>, non_retryable: bool) -> Finish {
        Finish::Error {
            code,
            message: message.into(),
            details: Vec::new(),
            non_retryable,
            annotations: Vec::new(),
            response: None,
        }
    }

    /// What the SDK answers a task type it does not handle: UNKNOWN, retryable.
    pub fn unsupported() -> Finish {
        Finish::error(Code::Unknown, "unsupported task type", false)
    }

    fn into_request(self, host_id: String, task_id: String) -> BatonServiceFinishTaskRequest {
        let (status, final_state) = match self {
            Finish::Success {
                response,
                annotations,
            } => (
                None,
                finish_request::FinalState::Success(finish_request::Success {
                    annotations,
                    response,
                }),
            ),
            Finish::Error {
                code,
                message,
                details,
                non_retryable,
                annotations,
                response,
            } => (
                Some(RpcStatus {
                    code: code as i32,
                    message,
                    details,
                }),
                finish_request::FinalState::Error(finish_request::Error {
                    non_retryable,
                    annotations,
                    response,
                }),
            ),
        };
        BatonServiceFinishTaskRequest {
            host_id,
            task_id,
            status,
            final_state: Some(final_state),
        }
    }
}

impl C1Client {
    /// Checks the credentials and settings and prepares the connection; connects on first use.
    pub fn new(config: C1Config) -> Result<C1Client, C1Error> {
        let client = ClientId::parse(&config.client_id)?;
        let secret = ClientSecret::parse(config.client_secret.expose())?;
        let api = ApiHost::resolve(config.api_host.as_deref(), &client)?;
        if config.host_id.is_empty() || config.host_id.chars().count() > wire::HOST_ID_MAX {
            return Err(C1Error::Config(format!(
                "host id must be 1..{} characters",
                wire::HOST_ID_MAX
            )));
        }
        let proxy = config.proxy.route(&api)?;
        let roots = tls::root_store(config.extra_ca_file.as_deref())?;

        let mut http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls::client_config(roots.clone(), Some(tls::ALPN_HTTP1))?)
            .https_only(true)
            .timeout(TOKEN_TIMEOUT)
            .connect_timeout(wire::DIAL_TIMEOUT)
            .user_agent(TOKEN_USER_AGENT)
            // The proxy decision is ours (Go's rules), not reqwest's reading of the environment.
            .no_proxy();
        if let Some(route) = &proxy {
            http = http.proxy(
                reqwest::Proxy::https(route.url.expose())
                    .map_err(|_| C1Error::Config("HTTPS_PROXY is not a valid proxy URL".into()))?,
            );
        }
        let http = http
            .build()
            .map_err(|e| C1Error::Config(format!("token HTTP client: {e}")))?;
        let token_url = format!("https://{}{TOKEN_PATH}", api.authority());

        let user_agent = format!(
            "{} {}/{}",
            client.name(),
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION")
        );
        let channel = Channel::new(
            &api,
            // No ALPN here: the channel's connector offers h2 itself.
            tls::client_config(roots, None)?,
            proxy.as_ref(),
            &user_agent,
        )?;
        tracing::debug!(
            api_host = %api.authority(),
            host_id = %config.host_id,
            proxied = proxy.is_some(),
            "ConductorOne client ready"
        );
        Ok(C1Client {
            inner: Arc::new(Inner {
                channel,
                tokens: TokenSource::new(http, token_url, client, secret),
                host_id: config.host_id,
            }),
        })
    }

    /// The `host_id` sent with every request.
    pub fn host_id(&self) -> &str {
        &self.inner.host_id
    }

    /// `host:port` of the service (and of the token endpoint).
    pub fn api_host(&self) -> &str {
        self.inner.channel.authority()
    }

    /// Hello: at startup (`task_id` None) or answering a HelloTask. Build and OS information
    /// are collected here, as the SDK does.
    pub async fn hello(
        &self,
        task_id: Option<&str>,
        metadata: ConnectorMetadata,
    ) -> Result<(), C1Error> {
        let request = BatonServiceHelloRequest {
            host_id: self.inner.host_id.clone(),
            task_id: task_id.unwrap_or_default().to_owned(),
            build_info: Some(host::build_info()),
            os_info: Some(host::os_info()),
            connector_metadata: Some(metadata),
            annotations: Vec::new(),
        };
        let _: BatonServiceHelloResponse = self.unary(Rpc::Hello, request, None).await?;
        tracing::info!(
            task_id = task_id.unwrap_or_default(),
            "said Hello to ConductorOne"
        );
        Ok(())
    }

    /// GetTask: the next task, if any, and when to ask again.
    pub async fn get_task(&self) -> Result<Polled, C1Error> {
        let request = BatonServiceGetTaskRequest {
            host_id: self.inner.host_id.clone(),
        };
        let response: BatonServiceGetTaskResponse = self.unary(Rpc::GetTask, request, None).await?;
        let polled = Polled {
            task: response.task.filter(|t| !t.is_none()),
            next_poll: wire::next_poll(response.next_poll.as_ref()),
            next_heartbeat: wire::heartbeat_interval(response.next_heartbeat.as_ref()),
        };
        if let Some(task) = &polled.task {
            tracing::debug!(task_id = %task.id, task_type = task.type_name(), "got a task");
        }
        Ok(polled)
    }

    /// GetTasks (the SDK's batch path, `BATON_GET_TASKS=true`): up to `page_size` tasks
    /// (1..100) other than `known_task_ids`.
    pub async fn get_tasks(
        &self,
        page_size: u32,
        known_task_ids: Vec<String>,
    ) -> Result<PolledBatch, C1Error> {
        let request = BatonServiceGetTasksRequest {
            host_id: self.inner.host_id.clone(),
            page_size,
            known_task_ids,
            annotations: Vec::new(),
        };
        let response: BatonServiceGetTasksResponse =
            self.unary(Rpc::GetTasks, request, None).await?;
        Ok(PolledBatch {
            tasks: response
                .tasks
                .into_iter()
                .filter(|t| !t.is_none())
                .collect(),
            next_poll: wire::next_poll(response.next_poll.as_ref()),
            next_heartbeat: wire::heartbeat_interval(response.next_heartbeat.as_ref()),
        })
    }

    /// Heartbeat for a running task.
    pub async fn heartbeat(&self, task_id: &str) -> Result<Beat, C1Error> {
        let request = BatonServiceHeartbeatRequest {
            host_id: self.inner.host_id.clone(),
            task_id: task_id.to_owned(),
            annotations: Vec::new(),
            task_ids: Vec::new(),
        };
        let response: BatonServiceHeartbeatResponse =
            self.unary(Rpc::Heartbeat, request, None).await?;
        let beat = Beat {
            next_heartbeat: wire::heartbeat_interval(response.next_heartbeat.as_ref()),
            cancelled: response.cancelled,
        };
        if beat.cancelled {
            tracing::info!(task_id, "ConductorOne cancelled the task");
        }
        Ok(beat)
    }

    /// FinishTask, on its own 30-second deadline.
    pub async fn finish_task(&self, task_id: &str, finish: Finish) -> Result<(), C1Error> {
        let outcome = match &finish {
            Finish::Success { .. } => "success",
            Finish::Error { .. } => "error",
        };
        let request = finish.into_request(self.inner.host_id.clone(), task_id.to_owned());
        let _: BatonServiceFinishTaskResponse = self
            .unary(Rpc::FinishTask, request, Some(FINISH_TIMEOUT))
            .await?;
        tracing::info!(task_id, outcome, "finished task");
        Ok(())
    }

    /// A request carrying the current token.
    pub(super) async fn authorized<T>(&self, message: T) -> Result<tonic::Request<T>, C1Error> {
        let authorization = self.inner.tokens.authorization(SystemTime::now()).await?;
        let mut value: AsciiMetadataValue = authorization.expose().parse().map_err(|_| {
            C1Error::TokenRefused("the access token is not a valid header value".into())
        })?;
        value.set_sensitive(true);
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(AUTHORIZATION, value);
        Ok(request)
    }

    /// `status` as this crate's error; an UNAUTHENTICATED answer also drops the cached token,
    /// so the next call exchanges a new one (the SDK keeps using it until it expires).
    pub(super) async fn failed(&self, rpc: Rpc, status: tonic::Status) -> C1Error {
        let error = self.inner.channel.error(rpc, status);
        if error.code() == Code::Unauthenticated {
            self.inner.tokens.invalidate().await;
        }
        tracing::debug!(rpc = %rpc, code = ?error.code(), error = %error, "ConductorOne call failed");
        error
    }

    async fn unary<Req, Resp>(
        &self,
        rpc: Rpc,
        message: Req,
        deadline: Option<Duration>,
    ) -> Result<Resp, C1Error>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        // The deadline covers getting a token too, as the SDK's context covers its credentials.
        let call = async {
            let mut request = self.authorized(message).await?;
            if let Some(deadline) = deadline {
                // Sent as `grpc-timeout` too, so the server gives up when the client does.
                request.set_timeout(deadline);
            }
            let result = self
                .inner
                .channel
                .grpc()
                .unary(
                    request,
                    http::uri::PathAndQuery::from_static(rpc.path()),
                    tonic_prost::ProstCodec::<Req, Resp>::default(),
                )
                .await;
            match result {
                Ok(response) => Ok(response.into_inner()),
                Err(status) => Err(self.failed(rpc, status).await),
            }
        };
        match deadline {
            Some(after) => tokio::time::timeout(after, call)
                .await
                .map_err(|_| C1Error::Timeout { rpc, after })?,
            None => call.await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c1::proto::GrantManagerServiceRevokeResponse;

    #[test]
    fn success_leaves_the_status_unset_and_error_fills_it() {
        let ok = Finish::success(&GrantManagerServiceRevokeResponse::default(), Vec::new())
            .into_request("h".into(), "t".into());
        assert!(ok.status.is_none());
        let Some(finish_request::FinalState::Success(success)) = ok.final_state else {
            panic!("success expected");
        };
        assert_eq!(
            success.response.map(|a| a.type_url),
            Some("type.googleapis.com/c1.connector.v2.GrantManagerServiceRevokeResponse".into())
        );

        let failed = Finish::unsupported().into_request("h".into(), "t".into());
        let status = failed.status.expect("status");
        assert_eq!(
            (status.code, status.message.as_str()),
            (2, "unsupported task type")
        );
        let Some(finish_request::FinalState::Error(error)) = failed.final_state else {
            panic!("error expected");
        };
        assert!(!error.non_retryable);
    }
}
