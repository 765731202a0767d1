//! The connector in ConductorOne's service mode, as the product documentation deploys it: the
//! real binary started with the variables of the documentation's Secret and Deployment
//! (`deploy/kubernetes/conductorone/`) and the image's default command, pointed at the fake
//! ConductorOne (`BATON_C1_API_HOST`, its CA through `SSL_CERT_FILE`) and the mock Admin API.
//!
//! | file | covers |
//! |---|---|
//! | `tasks.rs` | Hello, a sync task's upload read back, grant, revoke, create account, delete |
//! | `failures.rs` | refusals, unsupported tasks, cancellation, a wrong secret, ConductorOne down and back, stopping |

mod failures;
mod tasks;

use crate::support::*;
use openai_access::c1::fake::{FakeC1, FakeOptions, FinishedTask, TaskScript};
use openai_access_mock::{MockServer, Preset};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long any awaited state may take (a hang guard: waits end when their condition holds).
const PATIENCE: Duration = Duration::from_secs(90);

/// The variables the documentation's manifests give the container: the Secret's `stringData`
/// and the Deployment's `env`, as written in the repository.
fn documented_env() -> BTreeMap<String, String> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/kubernetes/conductorone");
    let read = |f: &str| -> Value {
        let text = std::fs::read_to_string(dir.join(f)).expect("manifest");
        serde_yaml::from_str(&text).expect("yaml")
    };
    let mut env = BTreeMap::new();
    let secret = read("secret.yaml");
    for (k, v) in secret["stringData"].as_object().expect("stringData") {
        env.insert(k.clone(), v.as_str().expect("string value").to_owned());
    }
    let deployment = read("deployment.yaml");
    for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("env")
    {
        env.insert(
            e["name"].as_str().expect("name").to_owned(),
            e["value"].as_str().expect("value").to_owned(),
        );
    }
    env
}

/// A mock org and a fake ConductorOne, with the runtime the fake runs on.
pub struct World {
    rt: tokio::runtime::Runtime,
    pub fake: FakeC1,
    pub mock: MockServer,
}

/// A running connector and what it logged.
pub struct Connector {
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    pub dir: tempfile::TempDir,
}

impl World {
    pub fn new(preset: Preset) -> World {
        Self::with(mock(preset), FakeOptions::default())
    }

    pub fn with(mock: MockServer, mut options: FakeOptions) -> World {
        // Idle polls come back soon, so a task pushed is picked up soon.
        options.next_poll = Duration::from_millis(100);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let fake = rt
            .block_on(FakeC1::start(options))
            .expect("the fake starts");
        World { rt, fake, mock }
    }

    /// The documentation's variables with the placeholders filled in (the fake's credentials,
    /// the mock's key), and what a test needs besides: where the mock and the fake are, the
    /// fake's CA, and a state, snapshot and address of the test's own.
    fn env(&self, dir: &std::path::Path) -> BTreeMap<String, String> {
        let mut env = documented_env();
        env.insert("BATON_CLIENT_ID".into(), self.fake.client_id().to_owned());
        env.insert(
            "BATON_CLIENT_SECRET".into(),
            self.fake.client_secret().expose().to_owned(),
        );
        env.insert("BATON_OPENAI_ADMIN_KEY".into(), KEY.into());
        env.insert("BATON_BASE_URL".into(), self.mock.base_url());
        env.insert("BATON_C1_API_HOST".into(), self.fake.host());
        env.insert(
            "SSL_CERT_FILE".into(),
            self.fake.ca_path().display().to_string(),
        );
        // The image's own settings, at the test's paths and on loopback.
        env.insert("BATON_LISTEN".into(), "127.0.0.1:0".into());
        env.insert(
            "BATON_STATE".into(),
            dir.join("state").display().to_string(),
        );
        env.insert(
            "BATON_FILE".into(),
            dir.join("sync.c1z").display().to_string(),
        );
        env.insert("BATON_LOG_FORMAT".into(), "json".into());
        env
    }

    /// The connector as the image runs it (`openai-access serve`), with `change` applied to
    /// its environment (`None` removes a variable).
    pub fn connector(&self, change: &[(&str, Option<&str>)]) -> Connector {
        self.connector_with(&["serve"], change)
    }

    pub fn connector_with(&self, args: &[&str], change: &[(&str, Option<&str>)]) -> Connector {
        let dir = tempfile::tempdir().expect("tmp");
        let mut env = self.env(dir.path());
        for (k, v) in change {
            match v {
                Some(v) => env.insert((*k).to_owned(), (*v).to_owned()),
                None => env.remove(*k),
            };
        }
        let mut child = bin()
            .args(args)
            .envs(&env)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the connector");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().expect("logs").push(line);
            }
        });
        Connector { child, logs, dir }
    }

    pub fn push(&self, script: Value) -> String {
        self.fake
            .push(TaskScript::from_json(&script).expect("a task script"))
    }

    /// Waits (bounded) until `check` holds of the fake.
    pub fn until(&self, what: &str, c: &Connector, mut check: impl FnMut(&FakeC1) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !check(&self.fake) {
            assert!(
                Instant::now() < deadline,
                "{what}: not within {PATIENCE:?}. Connector logs:\n{}",
                c.logs()
            );
            // A poll of the condition, not a guessed duration.
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The task's finish, once the connector has sent it.
    pub fn finished(&self, id: &str, c: &Connector) -> FinishedTask {
        self.until(&format!("task {id} finished"), c, |f| {
            f.finished().iter().any(|t| t.task_id == id)
        });
        self.fake
            .finished()
            .into_iter()
            .find(|t| t.task_id == id)
            .expect("finished")
    }

    /// Runs a future on the fake's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

impl Connector {
    pub fn logs(&self) -> String {
        self.logs.lock().expect("logs").join("\n")
    }

    /// The local API's address, once it listens (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let found = self.logs.lock().expect("logs").iter().find_map(|l| {
                let v: Value = serde_json::from_str(l).ok()?;
                (v["fields"]["message"] == "Serving.")
                    .then(|| v["fields"]["listen"].as_str().map(str::to_owned))
                    .flatten()
            });
            if let Some(listen) = found {
                return format!("http://{listen}");
            }
            assert!(
                Instant::now() < deadline,
                "no Serving. line:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// GET `path` of the local API (no token: the service listens on loopback only).
    pub fn get(&self, path: &str) -> (u16, String) {
        let url = format!("{}{path}", self.url());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let r = openai_access::commands::bench::serve_load::http_client()
                .get(&url)
                .send()
                .await
                .expect("request");
            (r.status().as_u16(), r.text().await.expect("body"))
        })
    }

    /// Sends `signal` and waits (bounded) for the exit: its code and the logs.
    pub fn stop(self, signal: &str) -> (Option<i32>, String) {
        let _ = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status();
        self.wait()
    }

    /// Waits (bounded) for the process to end by itself.
    pub fn wait(mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                // The reader thread drains what is left once the pipe closes.
                let logs_done = Instant::now() + Duration::from_secs(5);
                while Instant::now() < logs_done
                    && !self.logs().contains("Stopped.")
                    && !self.logs().contains("\"level\":\"ERROR\"")
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                return (status.code(), self.logs());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the connector did not exit:\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Connector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `resource_type` + `resource` as a task script names a resource.
pub fn rid(t: &str, id: &str) -> Value {
    serde_json::json!({"resource_type": t, "resource": id})
}
