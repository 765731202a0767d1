//! `openai-access serve`: the long-running connector. One engine for the whole process (one
//! client, one throttle that keeps what it learned), a `Refresher` that keeps the grant graph
//! fresh, and an HTTP API that answers questions about it and takes provisioning requests.
//!
//! Start: the flags are checked and the address bound before anything is synced (exit 2 on
//! a bad one); a complete graph already in `--out` is served at once; the first sync resumes
//! an interrupted one, or is incremental from the state, or full. Stop (SIGTERM/SIGINT): the
//! refresher stops scheduling and stores the learned limits, the HTTP server stops taking
//! connections and lets requests in flight finish for up to `--shutdown-timeout`, then the
//! process exits 0. A sync under way stops with the process: every list it read is already in
//! the state's journal, so the next start resumes it.

pub mod c1;
mod history;
mod http;
mod ledger;
mod metrics;
pub(crate) mod refresher;
pub(crate) mod run;
pub mod schedule;
pub(crate) mod served;

use crate::cli::ServeArgs;
use crate::cli::serve::API_TOKEN_ENV;
use crate::console;
use crate::exit::CliError;
use crate::interrupt::Signals;
use crate::output::saved::load_file;
use crate::output::target::Target;
use crate::settings;
use actix::prelude::*;
use actix_web::{App, HttpServer, web};
use http::AppState;
use http::auth::Token;
use openai_access_actors::provisioner::{Overrides, Provisioner};
use openai_access_actors::review::Snapshot;
use openai_access_actors::state::StateDir;
use openai_access_actors::stateful::StateOptions;
use openai_access_actors::{AdminClient, atomic, block_on};
use refresher::{Refresher, Shutdown};
use run::SyncSetup;
use schedule::Schedule;
use served::{Served, Shared};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// `--listen` that turns the local HTTP API off (ConductorOne's tasks alone).
pub const LISTEN_OFF: &str = "off";

/// `--state`, else the earlier variable BATON_STATE_DIR (said once), else the default: a
/// deployment written for the earlier name must not start afresh in another directory.
fn state_dir(given: Option<std::path::PathBuf>) -> std::path::PathBuf {
    if let Some(dir) = given {
        return dir;
    }
    match std::env::var_os("BATON_STATE_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => {
            tracing::warn!(
                "BATON_STATE_DIR is the earlier name of BATON_STATE (as `sync` names it); it is read, but rename it."
            );
            dir.into()
        }
        None => crate::cli::serve::DEFAULT_STATE_DIR.into(),
    }
}

pub fn run(args: ServeArgs) -> Result<crate::exit::Exit, CliError> {
    let c1 = c1::setup(&args.c1)?;
    let token = load_token(&args)?;
    let addr = match args.listen.as_str() {
        LISTEN_OFF if c1.is_some() => None,
        LISTEN_OFF => {
            return Err(CliError::usage(
                "--listen off leaves nothing to do without ConductorOne (--client-id and --client-secret)",
            ));
        }
        listen => Some(resolve(listen)?),
    };
    let access = addr
        .map(|addr| api_access(addr, token.is_some(), args.provisioning, c1.is_some()))
        .transpose()?
        .unwrap_or(ApiAccess::Closed);
    let target = args
        .out
        .as_deref()
        .map(|p| Target::check(Some(p), args.format, false, false))
        .transpose()?;
    if target.as_ref().is_some_and(|t| t.path.is_none()) {
        return Err(CliError::usage(
            "serve writes its snapshot to a file: --out FILE.json or FILE.c1z, not -",
        ));
    }
    let state = crate::state::open(&state_dir(args.state_dir.clone()))?;
    let conn = settings::connect(&args.connect)?;
    let server = if conn.mock.is_some() {
        "mock".to_owned()
    } else {
        conn.client.base_url.clone()
    };
    let mut client_config = conn.client.clone();
    match state.meta() {
        Ok(Some(m)) if m.server != server => {
            return Err(CliError::usage(format!(
                "--state-dir {}: it holds the state of {}, not of {server}; use another directory",
                state.path().display(),
                m.server
            )));
        }
        Ok(Some(m)) => client_config.throttle.known = m.limits,
        Ok(None) => {}
        Err(e) => {
            return Err(CliError::usage(format!(
                "--state-dir {}: {e}; remove the directory to start afresh",
                state.path().display()
            )));
        }
    }
    let listener = addr
        .map(|addr| {
            std::net::TcpListener::bind(addr)
                .map_err(|e| CliError::usage(format!("cannot listen on {addr}: {e}")))
        })
        .transpose()?;
    let loaded = target
        .as_ref()
        .and_then(|t| t.path.as_deref())
        .filter(|p| p.exists())
        .and_then(|p| match load_file(p) {
            Ok(s) if !s.partial => Some(s),
            Ok(_) => None,
            Err(e) => {
                console::warn(&format!("{e}; the first sync makes a new one"));
                None
            }
        });
    let opts = StateOptions {
        full: false,
        // Read by passes of their own beside the syncs (see `Refresher`), never by a sync.
        group_rescan: None,
        audit_retention: args.audit_retention,
        touched: Vec::new(),
        need_graph: true,
    };
    let result = block_on(serve(
        args,
        Start {
            client_config,
            server,
            org_id: conn.org_id.clone(),
            state,
            opts,
            target,
            token,
            access,
            listener,
            loaded,
            c1,
        },
    ));
    drop(conn.mock);
    result
}

/// What the local API offers, given the address, the token and ConductorOne.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiAccess {
    /// Every route; `/api/` needs the token; provisioning as `--provisioning` says.
    Token,
    /// No token, on loopback: `/api/` answers local clients that name it by a loopback
    /// address; provisioning over HTTP is off.
    Loopback,
    /// No token, reachable from other machines, connected to ConductorOne (the product
    /// documentation's Deployment sets no token): only the probes and metrics answer.
    Closed,
}

/// The access `serve` gives, or why it refuses to start: a token-less API reachable from other
/// machines serves nothing unless ConductorOne is what the service is for, and provisioning
/// over HTTP needs a token (else any local program, or a web page through DNS rebinding,
/// could change access).
pub fn api_access(
    addr: SocketAddr,
    token: bool,
    provisioning: bool,
    c1: bool,
) -> Result<ApiAccess, CliError> {
    if token {
        return Ok(ApiAccess::Token);
    }
    if !addr.ip().is_loopback() {
        if c1 {
            console::warn(&format!(
                "no API token is set: on {addr} the local API answers only /healthz, /readyz and /metrics; give one with --api-token-file FILE or {API_TOKEN_ENV} to use /api/"
            ));
            return Ok(ApiAccess::Closed);
        }
        return Err(CliError::usage(format!(
            "--listen {addr} is reachable from other machines, and no API token is set: give one with --api-token-file FILE or {API_TOKEN_ENV}, or listen on 127.0.0.1"
        )));
    }
    if provisioning && !c1 {
        return Err(CliError::usage(format!(
            "--provisioning lets HTTP requests change access, and no API token is set: give one with --api-token-file FILE or {API_TOKEN_ENV} (any local program, or a web page through DNS rebinding, could otherwise make changes)"
        )));
    }
    console::warn(&format!(
        "no API token is set: every local user and program can read the organization's access through {addr}{}; give one with --api-token-file FILE or {API_TOKEN_ENV}",
        if provisioning {
            " (provisioning over HTTP needs a token: only ConductorOne's tasks provision)"
        } else {
            ""
        }
    ));
    Ok(ApiAccess::Loopback)
}

/// What `run` checked and prepared before the runtime starts.
struct Start {
    client_config: openai_access_actors::ClientConfig,
    server: String,
    org_id: Option<openai_access_actors::ids::OrgId>,
    state: StateDir,
    opts: StateOptions,
    target: Option<Target>,
    token: Option<Token>,
    access: ApiAccess,
    /// `None`: no local API (`--listen off`).
    listener: Option<std::net::TcpListener>,
    loaded: Option<Snapshot>,
    c1: Option<c1::C1Setup>,
}

async fn serve(args: ServeArgs, s: Start) -> Result<crate::exit::Exit, CliError> {
    let client = AdminClient::new(s.client_config).map_err(|e| CliError::usage(e.to_string()))?;
    let shared = Arc::new(Shared::default());
    let answer_budget = args.answer_cache_mb as usize * (1 << 20);
    let restored = history::load(&s.state);
    // Ids only grow, even if the ledger was lost and the history kept.
    let mut first_id =
        Refresher::reserve_id(&s.state).max(restored.last().map_or(0, |r| ledger::next_id(r.id)));
    shared.restore(restored, first_id);
    if let Some(snap) = s.loaded {
        let at = snap
            .sync
            .as_ref()
            .and_then(|i| i.synced_at.as_deref())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or(SystemTime::UNIX_EPOCH, SystemTime::from);
        tracing::info!(grants = snap.grants().len(), synced_at = %run::rfc3339(at), "Serving the graph in --out until the first sync ends.");
        shared.loaded(Served::new(snap, first_id, at, answer_budget));
        first_id = ledger::next_id(first_id);
    }
    let setup = SyncSetup {
        client: client.clone(),
        server: s.server,
        org_id: s.org_id.clone(),
        state: s.state,
        opts: s.opts,
        target: s.target,
        shared: shared.clone(),
        answer_budget,
        usage: args.usage.options(),
    };
    let schedule = Schedule {
        interval: args.interval,
        full_interval: args.full_sync_interval,
        group_interval: args.group_rescan_interval,
    };
    let refresher = Refresher::new(setup, schedule, first_id).start();
    let provisioners =
        [(false, false), (false, true), (true, false), (true, true)].map(|(self_lockout, scim)| {
            Provisioner::new(&client)
                .with_overrides(Overrides { self_lockout, scim })
                .with_org(s.org_id.clone())
                .start()
        });
    let tasks = s.c1.as_ref().map(|_| Arc::new(c1::TaskLog::default()));
    let (fatal_tx, fatal_rx) = tokio::sync::oneshot::channel();
    let runner = match s.c1 {
        Some(setup) => {
            let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
            let cx = c1::TaskContext {
                client: setup.client,
                refresher: refresher.clone(),
                // ConductorOne's requests pass no guard on purpose.
                provisioner: provisioners[0].clone(),
                provisioning: args.provisioning,
                temp_dir: setup.temp_dir,
                stopping: stopping_rx,
            };
            let log = tasks.clone().unwrap_or_default();
            Some(c1::TaskRunner::new(cx, stopping_tx, log, setup.concurrency, fatal_tx).start())
        }
        None => None,
    };
    let data = web::Data::new(AppState {
        shared,
        refresher: refresher.clone(),
        provisioners,
        client,
        token: s.token,
        access: s.access,
        provisioning: args.provisioning && s.access == ApiAccess::Token,
        refresh_wait: args.refresh_wait,
        max_staleness: args.max_staleness(),
        tasks,
    });
    let server = match s.listener {
        Some(listener) => {
            let addr = listener.local_addr().ok();
            let mut server =
                HttpServer::new(move || App::new().configure(http::routes(data.clone())))
                    .disable_signals()
                    .shutdown_timeout(args.shutdown_timeout);
            if let Some(n) = args.http_workers {
                server = server.workers(usize::from(n));
            }
            let server = server
                .listen(listener)
                .map_err(|e| CliError::io("cannot serve on the bound address", e))?
                .run();
            tracing::info!(
                listen = %addr.map(|a| a.to_string()).unwrap_or_default(),
                provisioning = args.provisioning,
                interval_s = args.interval.as_secs(),
                conductorone = runner.is_some(),
                "Serving."
            );
            Some(server)
        }
        None => {
            tracing::info!(
                provisioning = args.provisioning,
                interval_s = args.interval.as_secs(),
                "Serving ConductorOne's tasks (no local API)."
            );
            None
        }
    };
    let handle = server.as_ref().map(actix_web::dev::Server::handle);
    let timeout = args.shutdown_timeout;
    // The end: a signal, or ConductorOne refusing the connector for good.
    let ended = actix::spawn(async move {
        let Some(mut signals) = Signals::register() else {
            tracing::warn!("Cannot watch for signals: stop the service with SIGKILL.");
            return std::future::pending().await;
        };
        let fatal = tokio::select! {
            code = signals.next() => {
                let signal = if code == 143 { "SIGTERM" } else { "SIGINT" };
                tracing::info!(
                    signal,
                    shutdown_timeout_s = timeout,
                    "Stopping: no new requests; those in flight may finish."
                );
                None
            }
            Ok(e) = fatal_rx => Some(e),
        };
        if let Some(r) = &runner {
            let bound = Duration::from_secs(timeout);
            if tokio::time::timeout(bound, r.send(c1::StopTasks))
                .await
                .is_err()
            {
                tracing::warn!(
                    "ConductorOne tasks still running at the shutdown timeout are abandoned."
                );
            }
        }
        let _ = refresher.send(Shutdown).await;
        if let Some(h) = handle {
            h.stop(true).await;
        }
        fatal
    });
    if let Some(server) = server {
        server
            .await
            .map_err(|e| CliError::io("the HTTP server stopped", e))?;
    }
    let fatal = ended.await.ok().flatten();
    // A snapshot being written when the signal came is left unwritten, not half-written; and
    // the process ends now rather than when that write would (dropping the runtime waits for
    // blocking work), so it stops within the documented bound.
    let removed = atomic::abandon_in_progress();
    tracing::info!(removed_temp_files = removed.len(), "Stopped.");
    if let Some(e) = fatal {
        console::error(&format!(
            "ConductorOne refused the connector ({e}); check --client-id and --client-secret (BATON_CLIENT_ID, BATON_CLIENT_SECRET)"
        ));
        std::process::exit(crate::exit::FATAL as i32);
    }
    std::process::exit(crate::exit::OK as i32)
}

/// The API token: `--api-token-file`, else `BATON_API_TOKEN`; `None` if neither is set.
fn load_token(args: &ServeArgs) -> Result<Option<Token>, CliError> {
    let (raw, from) = match &args.api_token_file {
        Some(path) => (
            {
                crate::settings::warn_if_others_can_read(path, "API token");
                std::fs::read_to_string(path)
            }
            .map_err(|e| {
                CliError::usage(format!(
                    "cannot read --api-token-file {}: {e}",
                    path.display()
                ))
            })?,
            format!("--api-token-file {}", path.display()),
        ),
        None => match std::env::var(API_TOKEN_ENV) {
            Ok(t) => (t, API_TOKEN_ENV.to_owned()),
            Err(_) => return Ok(None),
        },
    };
    Token::new(&raw)
        .map(Some)
        .map_err(|why| CliError::usage(format!("the API token in {from} {why}")))
}

fn resolve(listen: &str) -> Result<SocketAddr, CliError> {
    listen
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| {
            CliError::usage(format!(
                "--listen {listen:?} is not ADDRESS:PORT (e.g. 127.0.0.1:8080 or 0.0.0.0:8080)"
            ))
        })
}
