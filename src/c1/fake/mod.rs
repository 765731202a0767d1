//! A fake ConductorOne, faithful to what a connector in service mode sees: one TLS listener on
//! 127.0.0.1 (HTTP/2 and HTTP/1.1 by ALPN) serving the token endpoint, `BatonService` and a JSON
//! control API on the same port, as the real service serves the first two on one host
//! (protocol notes §7; the SDK's own `ledger_rollback_test.go` fake does the same).
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | [`FakeC1`]: start, drive and read the fake in-process |
//! | `certs.rs` | the CA and leaf made at start |
//! | `server.rs` | TLS accept loop, connection cutting, routing by path and content type |
//! | `token.rs` | `POST /auth/v1/token`: the client assertion checked, tokens issued |
//! | `baton.rs`, `validate.rs` | the unary RPCs and the .proto's validation rules |
//! | `upload.rs` | the UploadAsset stream |
//! | `script.rs` | the JSON task scripts |
//! | `control.rs` | `/__fake/…`, the control API for a human or an external test |
//! | `state.rs` | what the fake remembers, and the records tests read |
//!
//! Served with hyper directly, each gRPC method decoded by a `tonic::server::Grpc` with a prost
//! codec: tonic's router would need its `transport`/`router` features (axum, tower layers) only
//! to dispatch seven paths, and could not share the port with plain HTTPS routes as simply.

mod baton;
mod certs;
mod control;
mod http;
mod rpc;
pub mod script;
mod server;
mod state;
mod token;
mod upload;
mod validate;

pub use script::{ScriptError, TaskScript};
pub use state::{Availability, Exchange, FinishedTask, TaskState, TokenMode, UploadRecord};

use crate::c1::config::C1Config;
use crate::c1::credentials::{ClientId, ClientSecret, Secret};
use crate::c1::proto::{BatonServiceHelloRequest, Task};
use crate::output::c1z::ksuid;
use ed25519_dalek::VerifyingKey;
use state::Locked;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// File names the fake writes into its directory.
pub const CA_FILE: &str = "ca.pem";
pub const CLIENT_ID_FILE: &str = "client-id";
pub const CLIENT_SECRET_FILE: &str = "client-secret";
/// The two unchecked leading fields of the client secrets the fake writes.
const SECRET_PREFIX: &str = "fake:fake";
/// The `host_id` of [`FakeC1::client_config`].
pub const TEST_HOST_ID: &str = "openai-access-test";

#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot make the fake's certificates: {0}")]
    Certificates(String),
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Script(#[from] ScriptError),
    #[error("{0}")]
    Options(String),
}

/// How to start the fake.
#[derive(Clone, Debug)]
pub struct FakeOptions {
    /// 0: any free port.
    pub port: u16,
    /// Where `ca.pem`, `client-id` and `client-secret` go; a temporary directory (removed with
    /// the fake) when `None`.
    pub dir: Option<PathBuf>,
    /// The client id's name part: the id is `<name>@127.0.0.1:<port>/test`, so its host is the
    /// fake itself and the assertion's audience `127.0.0.1`.
    pub client_name: String,
    /// The client's key; a new one when `None`.
    pub client_secret: Option<ClientSecret>,
    /// `next_poll` of every GetTask answer (make it non-zero, or a client polls in a loop).
    pub next_poll: Duration,
    /// `next_heartbeat` of GetTask and Heartbeat answers.
    pub next_heartbeat: Duration,
    /// `expires_in` of issued tokens.
    pub token_ttl: Duration,
    /// Tasks queued at start.
    pub tasks: Vec<TaskScript>,
    /// More names for the server certificate (besides 127.0.0.1 and localhost).
    pub extra_names: Vec<String>,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            port: 0,
            dir: None,
            client_name: "fake".into(),
            client_secret: None,
            next_poll: Duration::from_secs(1),
            next_heartbeat: Duration::from_secs(5),
            token_ttl: Duration::from_secs(3600),
            tasks: Vec::new(),
            extra_names: Vec::new(),
        }
    }
}

/// What the handlers share.
pub(crate) struct Shared {
    pub state: Locked,
    pub client_id: String,
    pub audience: String,
    pub client_key: VerifyingKey,
    pub next_poll: Duration,
    pub next_heartbeat: Duration,
    pub token_ttl: Duration,
    /// Bumped to cut every open connection.
    pub cut: watch::Sender<u64>,
}

impl Shared {
    pub fn cut_connections(&self) {
        self.cut.send_modify(|generation| *generation += 1);
    }

    pub fn set_availability(&self, availability: Availability) {
        self.state.lock().availability = availability;
        if availability == Availability::Refusing {
            self.cut_connections();
        }
    }
}

/// A running fake ConductorOne. Stops when dropped (or [`FakeC1::shutdown`]).
pub struct FakeC1 {
    shared: Arc<Shared>,
    addr: SocketAddr,
    dir: PathBuf,
    ca_pem: String,
    client_secret: Secret,
    _tempdir: Option<tempfile::TempDir>,
    stop: watch::Sender<bool>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl FakeC1 {
    /// Starts the fake on 127.0.0.1 and writes its files. Needs a Tokio runtime.
    pub async fn start(options: FakeOptions) -> Result<FakeC1, FakeError> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, options.port))
            .await
            .map_err(|source| FakeError::Bind {
                port: options.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| FakeError::Bind {
            port: options.port,
            source,
        })?;
        let name = &options.client_name;
        if name.is_empty() || name.contains(['@', '/']) {
            return Err(FakeError::Options(format!(
                "client name {name:?}: not empty, without '@' or '/'"
            )));
        }
        let certs = certs::make(&options.extra_names)?;
        let secret = options.client_secret.unwrap_or_else(ClientSecret::generate);
        let client_id = format!("{name}@{addr}/test");
        let audience = ClientId::parse(&client_id)
            .map_err(|e| FakeError::Options(e.to_string()))?
            .audience()
            .to_owned();

        let (tempdir, dir) = match options.dir {
            Some(dir) => (None, dir),
            None => {
                let tmp = tempfile::Builder::new()
                    .prefix("fake-c1-")
                    .tempdir()
                    .map_err(|source| FakeError::File {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                let path = tmp.path().to_owned();
                (Some(tmp), path)
            }
        };
        let client_secret = secret.encode(SECRET_PREFIX);
        write_file(&dir, CA_FILE, certs.ca_pem.as_bytes(), false)?;
        write_file(&dir, CLIENT_ID_FILE, client_id.as_bytes(), false)?;
        write_file(
            &dir,
            CLIENT_SECRET_FILE,
            client_secret.expose().as_bytes(),
            true,
        )?;

        let shared = Arc::new(Shared {
            state: Locked::default(),
            client_id,
            audience,
            client_key: secret.verifying_key(),
            next_poll: options.next_poll,
            next_heartbeat: options.next_heartbeat,
            token_ttl: options.token_ttl,
            cut: watch::channel(0).0,
        });
        {
            let mut state = shared.state.lock();
            for script in options.tasks {
                state.enqueue(script.to_task(new_task_id));
            }
        }
        let (stop, stopped) = watch::channel(false);
        let server = tokio::spawn(server::serve(
            listener,
            tokio_rustls::TlsAcceptor::from(certs.server),
            shared.clone(),
            stopped,
        ));
        tracing::info!(addr = %addr, dir = %dir.display(), "fake ConductorOne listening");
        Ok(FakeC1 {
            shared,
            addr,
            dir,
            ca_pem: certs.ca_pem,
            client_secret,
            _tempdir: tempdir,
            stop,
            server: Some(server),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1:<port>`: the value for `BATON_C1_API_HOST`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The directory holding `ca.pem`, `client-id` and `client-secret`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn ca_path(&self) -> PathBuf {
        self.dir.join(CA_FILE)
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn client_id(&self) -> &str {
        &self.shared.client_id
    }

    pub fn client_secret(&self) -> &Secret {
        &self.client_secret
    }

    /// A client configuration that reaches this fake: its credentials, its host, its CA.
    pub fn client_config(&self) -> C1Config {
        C1Config {
            api_host: Some(self.host()),
            extra_ca_file: Some(self.ca_path()),
            ..C1Config::new(self.client_id(), self.client_secret.clone(), TEST_HOST_ID)
        }
    }

    /// Queues a scripted task; returns its id.
    pub fn push(&self, script: TaskScript) -> String {
        self.push_task(script.to_task(new_task_id))
    }

    /// Queues a task as given (a new id if it has none); returns its id.
    pub fn push_task(&self, mut task: Task) -> String {
        if task.id.is_empty() {
            task.id = new_task_id();
        }
        self.shared.state.lock().enqueue(task)
    }

    /// Marks a task cancelled: heartbeats for it answer `cancelled`, and a queued one is never
    /// handed out. False if the fake does not know it.
    pub fn cancel(&self, task_id: &str) -> bool {
        self.shared.state.lock().cancel(task_id)
    }

    pub fn task_state(&self, task_id: &str) -> Option<TaskState> {
        self.shared.state.lock().tasks.get(task_id).map(|t| t.state)
    }

    /// Every request so far, in order of arrival.
    pub fn transcript(&self) -> Vec<Exchange> {
        self.shared.state.lock().transcript.clone()
    }

    /// Every accepted Hello.
    pub fn hellos(&self) -> Vec<BatonServiceHelloRequest> {
        self.shared.state.lock().hellos.clone()
    }

    /// Every accepted FinishTask.
    pub fn finished(&self) -> Vec<FinishedTask> {
        self.shared.state.lock().finished.clone()
    }

    /// The completed uploads of `task_id`, oldest first.
    pub fn uploads(&self, task_id: &str) -> Vec<UploadRecord> {
        self.shared
            .state
            .lock()
            .uploads
            .get(task_id)
            .cloned()
            .unwrap_or_default()
    }

    pub fn set_availability(&self, availability: Availability) {
        self.shared.set_availability(availability);
    }

    pub fn set_token_mode(&self, mode: TokenMode) {
        self.shared.state.lock().token_mode = mode;
    }

    /// The tokens issued and not revoked (for tests that check no token leaks anywhere).
    pub fn issued_tokens(&self) -> Vec<Secret> {
        self.shared
            .state
            .lock()
            .tokens
            .keys()
            .map(|t| Secret::new(t.clone()))
            .collect()
    }

    /// Forgets every issued token: the next RPC with one is UNAUTHENTICATED.
    pub fn revoke_tokens(&self) {
        self.shared.state.lock().tokens.clear();
    }

    /// The next `count` uploads are read in full and then answered UNAVAILABLE.
    pub fn fail_next_uploads(&self, count: u32) {
        self.shared.state.lock().failing_uploads = count;
    }

    /// Stops listening and cuts every connection.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        self.shared.cut_connections();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for FakeC1 {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.shared.cut_connections();
    }
}

/// A task id in ConductorOne's format (a KSUID).
fn new_task_id() -> String {
    ksuid::new_at(SystemTime::now())
}

fn write_file(dir: &Path, name: &str, contents: &[u8], private: bool) -> Result<(), FakeError> {
    let path = dir.join(name);
    let error = |source| FakeError::File {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(error)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(&path).map_err(error)?;
    // An existing file keeps its mode on open: make sure a secret is private all the same.
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(error)?;
    }
    file.write_all(contents).map_err(error)?;
    Ok(())
}
