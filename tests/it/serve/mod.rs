//! `openai-access serve` as an operator runs it: the real binary, a served mock on 127.0.0.1,
//! and a real HTTP client (reqwest). Readiness and every later state are waited for by
//! polling the service's own routes (bounded), never by sleeping a guessed time.

mod deploy;
mod freshness;
mod hardening;
mod lifecycle;
mod load;
mod provisioning;
mod routes;

use crate::support::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Whether a background pass of this kind (`reconciliation`, `group rescan`) ended, by the
/// service's log.
pub fn pass_ended(s: &Service, kind: &str) -> bool {
    s.logs().lines().any(|l| {
        serde_json::from_str::<Value>(l).is_ok_and(|v| {
            v["fields"]["message"] == "Background pass ended." && v["fields"]["pass"] == kind
        })
    })
}

/// The token the tests' services require.
pub const TOKEN: &str = "test-token-0123456789";

/// How long any awaited state may take before the test fails (a hang guard: every wait ends
/// as soon as its condition holds).
pub const PATIENCE: Duration = Duration::from_secs(90);

/// A running `serve`, its logs (JSON lines) and an HTTP client for it.
pub struct Service {
    child: Child,
    pub url: String,
    logs: Arc<Mutex<Vec<String>>>,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    pub dir: tempfile::TempDir,
}

/// What a request got back.
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

impl Service {
    /// `serve` against `base_url` with a fresh state directory (see [`Service::start_in`]).
    pub fn start(base_url: &str, extra: &[&str]) -> Service {
        Self::start_in(tempfile::tempdir().expect("tmp"), base_url, extra)
    }

    /// `serve` against `base_url` with its state and output in `dir`, on a free port, the
    /// token [`TOKEN`] required; returns once it listens.
    pub fn start_in(dir: tempfile::TempDir, base_url: &str, extra: &[&str]) -> Service {
        Self::start_with_env(dir, base_url, extra, &[])
    }

    /// [`Service::start_in`] with environment variables besides.
    pub fn start_with_env(
        dir: tempfile::TempDir,
        base_url: &str,
        extra: &[&str],
        env: &[(String, String)],
    ) -> Service {
        Self::spawn(dir, base_url, extra, env, true)
    }

    /// `serve` with no API token (loopback only), as the README's quick start runs it.
    pub fn start_open(base_url: &str, extra: &[&str]) -> Service {
        Self::spawn(
            tempfile::tempdir().expect("tmp"),
            base_url,
            extra,
            &[],
            false,
        )
    }

    fn spawn(
        dir: tempfile::TempDir,
        base_url: &str,
        extra: &[&str],
        env: &[(String, String)],
        with_token: bool,
    ) -> Service {
        // Everything that can fail before the child exists: a panic after it would leave
        // the process running with no one to stop it.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let http = openai_access::commands::bench::serve_load::http_client();
        let token_file = dir.path().join("token");
        std::fs::write(&token_file, format!("{TOKEN}\n")).expect("token file");
        let mut cmd = bin();
        cmd.env("OPENAI_ADMIN_KEY", KEY)
            .args(["serve", "--log-format", "json", "--listen", "127.0.0.1:0"])
            .args(["--base-url", base_url]);
        if with_token {
            cmd.arg("--api-token-file").arg(&token_file);
        }
        // A test of the state's variables names the directory itself.
        if !env.iter().any(|(k, _)| k.starts_with("BATON_STATE")) {
            cmd.arg("--state").arg(dir.path().join("state"));
        }
        // The snapshot goes to org.json unless the test names another.
        if !extra.contains(&"--out") {
            cmd.arg("--out").arg(dir.path().join("org.json"));
        }
        let mut child = cmd
            .args(extra)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && v["fields"]["message"] == "Serving."
                {
                    let _ = tx.send(v["fields"]["listen"].as_str().unwrap_or("").to_owned());
                }
                sink.lock().expect("logs").push(line);
            }
        });
        let listen = match rx.recv_timeout(PATIENCE) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "serve did not start:\n{}",
                    logs.lock().expect("logs").join("\n")
                );
            }
        };
        Service {
            child,
            url: format!("http://{listen}"),
            logs,
            rt,
            http,
            dir,
        }
    }

    pub fn logs(&self) -> String {
        self.logs.lock().expect("logs").join("\n")
    }

    fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        self.rt.block_on(async {
            let r = req.send().await.expect("request");
            let status = r.status().as_u16();
            let text = r.text().await.expect("body");
            Reply {
                status,
                body: serde_json::from_str(&text).unwrap_or(Value::Null),
                text,
            }
        })
    }

    /// GET with the token.
    pub fn get(&self, path: &str) -> Reply {
        self.send(
            self.http
                .get(format!("{}{path}", self.url))
                .bearer_auth(TOKEN),
        )
    }

    /// GET with the token, accepting gzip: the body as sent, and its Content-Encoding.
    pub fn get_gzip(&self, path: &str) -> (u16, Option<String>, Vec<u8>) {
        self.rt.block_on(async {
            let r = self
                .http
                .get(format!("{}{path}", self.url))
                .bearer_auth(TOKEN)
                .header("accept-encoding", "gzip")
                .send()
                .await
                .expect("request");
            let enc = r
                .headers()
                .get("content-encoding")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            (
                r.status().as_u16(),
                enc,
                r.bytes().await.expect("body").to_vec(),
            )
        })
    }

    /// GET without any token.
    pub fn get_anonymous(&self, path: &str) -> Reply {
        self.send(self.http.get(format!("{}{path}", self.url)))
    }

    /// GET with another token.
    pub fn get_as(&self, path: &str, token: &str) -> Reply {
        self.send(
            self.http
                .get(format!("{}{path}", self.url))
                .bearer_auth(token),
        )
    }

    /// POST a JSON body (as given, so malformed ones can be sent) with the token.
    pub fn post(&self, path: &str, body: &str) -> Reply {
        self.send(
            self.http
                .post(format!("{}{path}", self.url))
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(body.to_owned()),
        )
    }

    /// Polls `check` until it holds, failing after [`PATIENCE`] with `what` and the logs.
    pub fn until(&self, what: &str, mut check: impl FnMut(&Service) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !check(self) {
            assert!(
                Instant::now() < deadline,
                "waited {PATIENCE:?} for {what}; logs:\n{}",
                self.logs()
            );
            // The interval between two polls of the condition, not a guess at a duration.
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn wait_ready(&self) {
        self.until("readiness", |s| s.get_anonymous("/readyz").status == 200);
    }

    /// The syncs the service ran.
    pub fn syncs(&self) -> Vec<Value> {
        self.get("/api/v1/syncs").body["syncs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Sends `signal` (`TERM`, `INT`) and waits (bounded) for the exit.
    pub fn stop_with(mut self, signal: &str) -> (ExitStatus, String, tempfile::TempDir) {
        let ok = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("serve did not stop on SIG{signal}:\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread has the last lines once the pipe closes; a poll of that, bounded.
        let logs = self.logs.clone();
        let until = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&logs) > 2 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        let text = logs.lock().expect("logs").join("\n");
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("tmp"));
        (status, text, dir)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The grants of a JSON sync output, by id.
pub fn grant_ids_where(sync: &Value, keep: impl Fn(&Value) -> bool) -> Vec<String> {
    let mut v: Vec<String> = sync["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .filter(|g| keep(g))
        .map(|g| g["id"].as_str().expect("id").to_owned())
        .collect();
    v.sort();
    v
}

/// `TYPE:ID` of a `{resource_type, id}` object.
pub fn key_of(v: &Value) -> String {
    format!(
        "{}:{}",
        v["resource_type"].as_str().expect("type"),
        v["id"].as_str().expect("id")
    )
}

/// A path segment with `/` (a service account's id) encoded.
pub fn seg(id: &str) -> String {
    id.replace('%', "%25")
        .replace('/', "%2F")
        .replace('@', "%40")
}
