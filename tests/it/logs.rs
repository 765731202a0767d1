//! Logs and progress as users meet them: every stderr line JSON when asked, no colour in a
//! pipe, progress lines when nobody watches a terminal, and a bar with an ETA that fits an
//! 80-column terminal when somebody does (checked in a real terminal, tmux).

use crate::support::*;
use openai_access_mock::{MockConfig, MockServer, Preset};
use serde_json::Value;
use std::time::Duration;

fn slow(preset: Preset, latency_ms: u64) -> MockServer {
    mock_with(MockConfig {
        preset,
        latency: Duration::from_millis(latency_ms),
        ..MockConfig::default()
    })
}

fn json_lines(stderr: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
        .collect()
}

#[test]
fn with_json_logs_every_stderr_line_is_json() {
    let good = mock(Preset::Tiny);
    let partial = mock_with(MockConfig {
        preset: Preset::Tiny,
        fail_paths: vec!["/projects/proj-beta/".into()],
        ..MockConfig::default()
    });
    let dir = tempfile::tempdir().expect("tmp");
    for (server, key, code) in [
        (&good, KEY, 0),
        (&partial, KEY, 1),
        (&good, "sk-admin-wrong", 3),
    ] {
        let o = run_bounded(
            bin()
                .env("OPENAI_ADMIN_KEY", key)
                .args([
                    "sync",
                    "--log-format",
                    "json",
                    "--max-attempts",
                    "1",
                    "--base-url",
                ])
                .arg(server.base_url())
                .arg("--out")
                .arg(dir.path().join("out.json")),
            Duration::from_secs(60),
        );
        assert_eq!(o.status.code(), Some(code), "{}", text(&o));
        let lines = json_lines(&o.stderr);
        let levels: Vec<&str> = lines.iter().filter_map(|l| l["level"].as_str()).collect();
        assert_eq!(levels.len(), lines.len(), "every line has a level");
        match code {
            0 => assert!(
                lines
                    .iter()
                    .any(|l| l["fields"]["summary"]["grants"].is_u64())
            ),
            1 => assert!(lines.iter().any(|l| {
                l["level"] == "WARN"
                    && l["fields"]["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("PARTIAL"))
            })),
            _ => assert!(lines.iter().any(|l| l["level"] == "ERROR")),
        }
    }
}

#[test]
fn a_pipe_gets_no_colour_and_progress_lines_every_few_seconds() {
    let server = slow(Preset::Small, 20);
    for format in ["text", "json"] {
        let o = run_bounded(
            bin()
                .env("OPENAI_ADMIN_KEY", KEY)
                .args([
                    "sync",
                    "--max-in-flight",
                    "2",
                    "--progress-every",
                    "1",
                    "--log-format",
                    format,
                ])
                .args(["--out", "-", "--base-url"])
                .arg(server.base_url())
                .arg("--no-progress=false"),
            Duration::from_secs(120),
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            !stderr.contains('\u{1b}'),
            "no escape codes in a pipe: {stderr}"
        );
        let progress: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("Progress: "))
            .collect();
        assert!(
            !progress.is_empty(),
            "a ~2 s sync logs progress every second: {stderr}"
        );
        if format == "json" {
            let done: Vec<u64> = json_lines(&o.stderr)
                .iter()
                .filter(|l| l["fields"]["lists_done"].is_u64())
                .map(|l| l["fields"]["lists_done"].as_u64().expect("done"))
                .collect();
            assert!(!done.is_empty());
            assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
        }
    }
}

/// A command in a detached tmux session of 80×24; the pane's text, wrapped lines joined.
struct Tmux {
    session: String,
}

impl Tmux {
    fn start(command: &str) -> Self {
        let session = format!("oa-test-{}", std::process::id());
        let ok = std::process::Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-x",
                "80",
                "-y",
                "24",
                "-s",
                &session,
                command,
            ])
            .status()
            .expect("run tmux");
        assert!(ok.success(), "tmux new-session");
        Self { session }
    }

    fn capture(&self) -> String {
        let o = std::process::Command::new("tmux")
            .args([
                "capture-pane",
                "-p",
                "-J",
                "-S",
                "-200",
                "-t",
                &self.session,
            ])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Polls the pane until `done` holds for its text (the hang guard is generous).
    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let pane = self.capture();
            if done(&pane) {
                return pane;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never saw {what}:\n{pane}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

/// Whether tmux runs here: without it the terminal test says SKIPPED (as the browser test
/// does without Chromium) instead of failing a machine that lacks an optional tool.
fn tmux_available() -> bool {
    std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_terminal_gets_a_progress_bar_with_an_eta_that_fits_80_columns() {
    if !tmux_available() {
        eprintln!("SKIPPED: no tmux on PATH (.ci/run installs Debian's tmux)");
        return;
    }
    let server = slow(Preset::Small, 5);
    let dir = tempfile::tempdir().expect("tmp");
    let done = dir.path().join("done");
    // 10 requests a second per endpoint, a budget (the server's limit unknown): the ~100
    // per-user role lists take ~10 s, and the ETA comes once a pace is observed after the
    // top-level lists. The pane stays after the command.
    let command = format!(
        "OPENAI_ADMIN_KEY={KEY} {} sync --base-url {} --rpm 600 --out {}; touch {}; sleep 600",
        env!("CARGO_BIN_EXE_openai-access"),
        server.base_url(),
        dir.path().join("out.json").display(),
        done.display(),
    );
    let tmux = Tmux::start(&command);
    let bar = tmux.wait_for("a bar with an ETA", |p| {
        p.lines()
            .any(|l| l.contains("ETA ") && l.contains("roles") && l.contains('['))
    });
    let line = bar
        .lines()
        .find(|l| l.contains("ETA "))
        .expect("bar line")
        .trim_end();
    assert!(
        line.chars().count() <= 80,
        "{} columns: {line}",
        line.chars().count()
    );
    assert!(line.contains("429s"), "{line}");
    assert!(
        line.contains("users/{u}/roles"),
        "the endpoint that decides the ETA: {line}"
    );
    tmux.wait_for("the end of the sync", |_| done.exists());
    let end = tmux.capture();
    assert!(
        !end.contains("ETA "),
        "the bar is cleared at the end:\n{end}"
    );
    for l in end
        .lines()
        .filter(|l| l.starts_with('/') || l.starts_with("GET endpoint") || l.starts_with("total"))
    {
        assert!(
            l.trim_end().chars().count() <= 80,
            "the endpoint table fits: {l}"
        );
    }
    eprintln!("---- the bar, as captured ----\n{line}\n---- the end ----\n{end}");
}
