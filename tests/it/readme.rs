//! README's shell examples run as written, against the embedded mock on 127.0.0.1: every
//! ```` ```sh ```` block either runs or says in its own text, on a line starting with
//! `# not run offline:`, why it cannot (a real admin key, Kubernetes, ConductorOne, a build);
//! this test names each block it skipped. A new example is run unless it says so.
//!
//! How a block runs: `bash -e -o pipefail` in a fresh directory (also `$HOME`), with the built
//! binary first on `PATH` as `openai-access`, and no `BATON_*`/`OPENAI_*` variables. Three
//! things are adapted, and only these: `cargo run --release --` is that binary (the build is
//! this test's own); `curl -s` is `curl -sf`, so an HTTP error fails the block as a person
//! would see it fail; and a block that starts `openai-access serve` runs it in the background
//! on a free port (`BATON_LISTEN`, and `localhost:8080` in its lines) until `/readyz` says
//! ready, then runs the rest.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const SKIP: &str = "# not run offline:";

/// A fenced `sh` block: the README line its fence opens on, and its lines.
struct Block {
    line: usize,
    lines: Vec<String>,
}

fn sh_blocks(readme: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (i, l) in readme.lines().enumerate() {
        match open.take() {
            None if l.trim_end() == "```sh" => {
                open = Some(Block {
                    line: i + 1,
                    lines: Vec::new(),
                })
            }
            None => {}
            Some(b) if l.starts_with("```") => blocks.push(b),
            Some(mut b) => {
                b.lines.push(l.to_owned());
                open = Some(b);
            }
        }
    }
    blocks
}

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_openai-access"))
        .parent()
        .expect("the binary's directory")
        .to_owned()
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
}

/// A command with the test's environment (see the module comment).
fn shell(dir: &Path, script: &str) -> Command {
    let mut c = Command::new("bash");
    c.args(["-e", "-o", "pipefail", "-c", script]);
    for (k, _) in std::env::vars() {
        if k.starts_with("BATON_") || k.starts_with("OPENAI_") || k == "RUST_LOG" {
            c.env_remove(k);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin_dir()];
    dirs.extend(std::env::split_paths(&path));
    c.env("PATH", std::env::join_paths(dirs).expect("PATH"))
        .env("HOME", dir)
        .current_dir(dir)
        .stdin(Stdio::null());
    c
}

fn adapt(line: &str, port: Option<u16>) -> String {
    let mut l = line
        .replace("cargo run --release --", "openai-access")
        .replace("curl -s ", "curl -sf ");
    if let Some(p) = port {
        l = l.replace("localhost:8080", &format!("127.0.0.1:{p}"));
    }
    l
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Runs one block; `Err` says why it failed.
fn run(block: &Block) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let commands: Vec<&String> = block
        .lines
        .iter()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    let serve = commands
        .first()
        .is_some_and(|l| l.starts_with("openai-access serve"));
    let port = serve.then(free_port);
    let mut server = None;
    let rest: Vec<String> = if let (true, Some(p)) = (serve, port) {
        let mut c = shell(dir.path(), &format!("exec {}", commands[0]));
        c.env("BATON_LISTEN", format!("127.0.0.1:{p}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        server = Some(c.spawn().map_err(|e| format!("serve: {e}"))?);
        let ready = format!("curl -sf 127.0.0.1:{p}/readyz");
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while !shell(dir.path(), &ready)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            if std::time::Instant::now() > deadline {
                if let Some(mut s) = server.take() {
                    let _ = s.kill();
                    let _ = s.wait();
                }
                return Err("serve never said ready".to_owned());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        commands[1..].iter().map(|l| adapt(l, port)).collect()
    } else {
        commands.iter().map(|l| adapt(l, None)).collect()
    };
    let script = rest.join("\n");
    let o = run_bounded(&mut shell(dir.path(), &script), Duration::from_secs(300));
    if let Some(mut s) = server {
        let _ = s.kill();
        let _ = s.wait();
    }
    if o.status.success() {
        Ok(())
    } else {
        Err(format!("{:?}\n{script}\n{}", o.status.code(), text(&o)))
    }
}

#[test]
fn readme_shell_examples_run_as_written_against_the_mock() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let blocks = sh_blocks(&readme);
    let mut ran = Vec::new();
    let mut failed = Vec::new();
    for b in &blocks {
        if let Some(why) = b.lines.iter().find_map(|l| l.trim().strip_prefix(SKIP)) {
            eprintln!("SKIPPED README block at line {}: {}", b.line, why.trim());
            continue;
        }
        let needs: Vec<&str> = ["curl", "jq"]
            .into_iter()
            .filter(|t| b.lines.iter().any(|l| l.contains(&format!("{t} "))))
            .filter(|t| !on_path(t))
            .collect();
        if !needs.is_empty() {
            eprintln!(
                "SKIPPED README block at line {}: no {needs:?} on PATH",
                b.line
            );
            continue;
        }
        match run(b) {
            Ok(()) => ran.push(b.line),
            Err(why) => failed.push(format!("README block at line {}: {why}", b.line)),
        }
    }
    eprintln!("README blocks run: {ran:?}");
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    // The quick start and the serve example are among them.
    let first = |needle: &str| {
        blocks
            .iter()
            .find(|b| b.lines.iter().any(|l| l.contains(needle)))
            .map(|b| b.line)
    };
    for needle in [
        "cargo run --release -- sync --mock",
        "openai-access serve --mock",
    ] {
        let at = first(needle).unwrap_or_else(|| panic!("README has `{needle}`"));
        assert!(ran.contains(&at), "the block with `{needle}` ran");
    }
}
