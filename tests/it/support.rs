//! Shared test helpers: mock servers on 127.0.0.1:0, clients, syncs, ground truth.

use openai_access_actors::AdminKey;
use openai_access_actors::SyncOutcome;
use openai_access_actors::api::{AdminClient, ClientConfig};
use openai_access_actors::block_on;
use openai_access_actors::{EngineError, SyncConfig, sync};
use openai_access_mock::{MockConfig, MockServer, Preset};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub use openai_access_mock::MOCK_KEY as KEY;

pub fn mock(preset: Preset) -> MockServer {
    mock_with(MockConfig {
        preset,
        ..MockConfig::default()
    })
}

pub fn mock_with(cfg: MockConfig) -> MockServer {
    MockServer::start(cfg).expect("start mock")
}

/// Waits (bounded) until the mock holds no connection open: after a client process has been
/// stopped, every request it sent has then been read and counted.
pub fn until_idle(server: &MockServer) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while server.open_connections() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the mock still holds {} connections of a stopped client",
            server.open_connections()
        );
        // A poll of the condition itself, not a guess at how long it takes.
        std::thread::sleep(Duration::from_millis(2));
    }
}

pub fn client_config(base_url: &str) -> ClientConfig {
    let mut c = ClientConfig::new(base_url, AdminKey::new(KEY).expect("key"));
    c.retry_budget = Duration::from_secs(30);
    // Real-time tests count requests exactly; on a loaded machine a hedge could add one. The
    // fault tests opt back in, and `hedging.rs` tests hedging in virtual time.
    c.hedge = None;
    c
}

/// A client for tests that run their own runtime (`#[tokio::test]`).
pub fn client(base_url: &str) -> AdminClient {
    AdminClient::new(client_config(base_url)).expect("client")
}

pub fn run_sync(cfg: ClientConfig) -> Result<SyncOutcome, EngineError> {
    block_on(sync(SyncConfig {
        client: cfg,
        org_id: None,
        max_duration: None,
    }))
}

pub fn sync_ok(base_url: &str) -> SyncOutcome {
    run_sync(client_config(base_url)).expect("sync")
}

/// One canned HTTP answer.
#[derive(Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Canned {
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![],
            body: body.into(),
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1:0 that answers each request with `answer(n, target)`
/// (n counts requests from 0) and closes the connection. Serves until the test ends.
pub struct CannedServer {
    pub base_url: String,
    pub hits: Arc<AtomicUsize>,
    /// `METHOD target` of every request received, in order.
    pub seen: Arc<std::sync::Mutex<Vec<String>>>,
}

/// What a canned server saw of one request.
pub struct Req<'a> {
    pub n: usize,
    pub method: &'a str,
    pub target: &'a str,
    /// The `Authorization` header as sent (a hostile server may echo it back).
    pub authorization: &'a str,
}

pub fn canned<F>(answer: F) -> CannedServer
where
    F: Fn(usize, &str) -> Canned + Send + 'static,
{
    canned_req(move |r| answer(r.n, r.target))
}

/// A canned server whose answers may depend on the whole request.
pub fn canned_req<F>(answer: F) -> CannedServer
where
    F: Fn(&Req<'_>) -> Canned + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (h, log) = (hits.clone(), seen.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut words = line.split_whitespace();
            let method = words.next().unwrap_or("").to_owned();
            let target = words.next().unwrap_or("").to_owned();
            let mut len = 0usize;
            let mut authorization = String::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if h.to_ascii_lowercase().starts_with("authorization:") {
                    authorization = h["authorization:".len()..].trim().to_owned();
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let n = h.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut l) = log.lock() {
                l.push(format!("{method} {target}"));
            }
            let a = answer(&Req {
                n,
                method: &method,
                target: &target,
                authorization: &authorization,
            });
            let mut resp = format!(
                "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                a.status,
                a.body.len()
            );
            for (k, v) in &a.headers {
                resp.push_str(&format!("{k}: {v}\r\n"));
            }
            resp.push_str("\r\n");
            resp.push_str(&a.body);
            let _ = stream.write_all(resp.as_bytes());
        }
    });
    CannedServer {
        base_url: format!("http://{addr}/v1"),
        hits,
        seen,
    }
}

pub fn error_body(message: &str, code: &str) -> String {
    serde_json::json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": code}}).to_string()
}

/// The binary, with no key, provisioning switch or log filter inherited from the environment.
pub fn bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_openai-access"));
    for (k, _) in std::env::vars() {
        if k.starts_with("BATON_") || k.starts_with("OPENAI_") || k == "RUST_LOG" || k == "NO_COLOR"
        {
            c.env_remove(k);
        }
    }
    // As `client_config`: exact request counts, whatever the machine's load.
    c.env("BATON_NO_HEDGE", "true");
    // A run without --out writes its default output to the working directory: never the
    // checkout's.
    c.current_dir(scratch_cwd());
    c
}

/// `sync --mock <preset>` by the binary into `<dir>/<preset>.json`; its path.
pub fn mock_sync_json(preset: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let json = dir.join(format!("{preset}.json"));
    let o = bin()
        .args(["sync", "--mock", preset, "--no-progress", "--out"])
        .arg(&json)
        .output()
        .expect("run sync");
    assert!(o.status.success(), "{}", text(&o));
    json
}

/// A working directory for runs of the binary, shared by the tests (they pass absolute paths).
fn scratch_cwd() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("scratch dir"))
        .path()
}

/// stdout then stderr, as text.
pub fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `cmd`, killing it if it has not ended after `limit` (a hang guard, not a timing
/// assertion: a test that needs it has already failed). Its output is read as it comes, so a
/// command that writes more than a pipe holds never blocks on it.
pub fn run_bounded(cmd: &mut std::process::Command, limit: Duration) -> std::process::Output {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn openai-access");
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let output = std::process::Output {
                status: std::process::ExitStatus::default(),
                stdout: out.join().unwrap_or_default(),
                stderr: err.join().unwrap_or_default(),
            };
            panic!(
                "openai-access hung; killed. Output so far:\n{}",
                text(&output)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// A JSON output without what describes the run (date, counters): what two syncs of the same
/// org agree on.
pub fn strip_run(v: &mut serde_json::Value) {
    let o = v.as_object_mut().expect("object");
    for k in openai_access::output::json::RUN_KEYS {
        o.remove(k);
    }
}

/// The JSON output of `o` without its summary (timings, counters): what must be equal
/// between two syncs of the same org.
pub fn graph_json(o: &SyncOutcome) -> String {
    let v = openai_access::output::json::graph_only(o).expect("json");
    serde_json::to_string_pretty(&v).expect("pretty") + "\n"
}

/// A reviewed expected output under `tests/golden/`.
pub fn golden_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}
