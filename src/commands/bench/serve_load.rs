//! `openai-access bench-serve`: a bounded load on a running service from loopback: N clients,
//! each with its own keep-alive connection, sending queries back to back; latencies per kind
//! of query, errors, queries per second.

use crate::cli::BenchServeArgs;
use crate::exit::CliError;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

/// The load: what to ask, how hard.
pub struct Load {
    pub url: String,
    pub token: Option<String>,
    /// (kind, path) pairs, asked in turn.
    pub queries: Vec<(&'static str, String)>,
    pub clients: usize,
    /// Queries in all.
    pub requests: usize,
}

/// Latencies of one kind of query, in milliseconds.
#[derive(Clone, Debug, Serialize)]
pub struct Latencies {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LoadReport {
    pub clients: usize,
    pub requests: usize,
    /// Answers other than 200, and requests that got no answer.
    pub errors: usize,
    pub first_error: Option<String>,
    pub wall_s: f64,
    pub queries_per_s: f64,
    pub by_kind: BTreeMap<&'static str, Latencies>,
}

/// An HTTP client (rustls, as the engine's; its crypto provider installed once).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs the load to its end (a tokio runtime must be current).
pub async fn run(load: &Load) -> LoadReport {
    let start = Instant::now();
    let per = load.requests.div_ceil(load.clients.max(1));
    let mut tasks = Vec::new();
    for c in 0..load.clients {
        let http = http_client();
        let url = load.url.clone();
        let token = load.token.clone();
        let queries = load.queries.clone();
        tasks.push(tokio::spawn(async move {
            let mut seen: Vec<(&'static str, f64)> = Vec::with_capacity(per);
            let mut errors = Vec::new();
            for i in 0..per {
                let (kind, path) = &queries[(c * 7919 + i) % queries.len()];
                let mut req = http.get(format!("{url}{path}"));
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                let t0 = Instant::now();
                let answer = match req.send().await {
                    Ok(r) if r.status().is_success() => {
                        r.bytes().await.map(|_| ()).map_err(|e| e.to_string())
                    }
                    Ok(r) => Err(format!("{path}: HTTP {}", r.status())),
                    Err(e) => Err(format!("{path}: {e}")),
                };
                let ms = t0.elapsed().as_secs_f64() * 1000.0;
                match answer {
                    Ok(()) => seen.push((kind, ms)),
                    Err(e) => errors.push(e),
                }
            }
            (seen, errors)
        }));
    }
    let mut by: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let (mut errors, mut first_error) = (0, None);
    for t in tasks {
        match t.await {
            Ok((seen, errs)) => {
                for (k, ms) in seen {
                    by.entry(k).or_default().push(ms);
                }
                errors += errs.len();
                first_error = first_error.or(errs.into_iter().next());
            }
            Err(e) => {
                errors += per;
                first_error = first_error.or(Some(e.to_string()));
            }
        }
    }
    let wall_s = start.elapsed().as_secs_f64();
    let requests = by.values().map(Vec::len).sum::<usize>() + errors;
    let by_kind = by
        .into_iter()
        .map(|(k, mut v)| {
            v.sort_by(f64::total_cmp);
            let l = Latencies {
                count: v.len(),
                p50_ms: percentile(&v, 0.50),
                p99_ms: percentile(&v, 0.99),
                max_ms: v.last().copied().unwrap_or(0.0),
            };
            (k, l)
        })
        .collect();
    LoadReport {
        clients: load.clients,
        requests,
        errors,
        first_error,
        wall_s,
        queries_per_s: requests as f64 / wall_s.max(1e-9),
        by_kind,
    }
}

/// The queries a sync output suggests: the access of users (by id) and who can access each
/// project, interleaved.
pub fn queries_from(sync: &Value, max_each: usize) -> Vec<(&'static str, String)> {
    let pick = |t: &str| -> Vec<String> {
        sync["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["resource_type"] == t)
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .take(max_each)
            .collect()
    };
    let users = pick("user");
    let projects = pick("project");
    let mut out = Vec::new();
    for i in 0..users.len().max(projects.len()) {
        if let Some(u) = users.get(i) {
            out.push((
                "access of a user",
                format!("/api/v1/principals/user/{u}/access"),
            ));
        }
        if let Some(p) = projects.get(i) {
            out.push((
                "who can access a project",
                format!("/api/v1/resources/project/{p}/access"),
            ));
        }
    }
    out
}

pub fn command(args: BenchServeArgs) -> Result<crate::exit::Exit, CliError> {
    let file = std::fs::File::open(&args.from)
        .map_err(|e| CliError::usage(format!("cannot read --from {}: {e}", args.from.display())))?;
    let sync: Value = serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| {
        CliError::usage(format!(
            "--from {}: not a JSON sync output: {e}",
            args.from.display()
        ))
    })?;
    let queries = queries_from(&sync, 2_000);
    drop(sync);
    if queries.is_empty() {
        return Err(CliError::usage(
            "--from holds no user or project to ask about",
        ));
    }
    let token = match &args.api_token_file {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .map_err(|e| {
                    CliError::usage(format!("cannot read --api-token-file {}: {e}", p.display()))
                })?
                .trim()
                .to_owned(),
        ),
        None => None,
    };
    let url = args.url.trim_end_matches('/').to_owned();
    if !url.starts_with("http://127.")
        && !url.starts_with("http://localhost")
        && !url.starts_with("http://[::1]")
    {
        return Err(CliError::usage(format!(
            "--url {url}: the load goes to a loopback address only"
        )));
    }
    let load = Load {
        url,
        token,
        queries,
        clients: args.clients as usize,
        requests: args.requests as usize,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("tokio runtime", e))?;
    let report = rt.block_on(run(&load));
    let mut out = std::io::stdout().lock();
    let text = serde_json::to_string_pretty(&report).map_err(|e| CliError::io("json", e))?;
    writeln!(out, "{text}").map_err(|e| CliError::io("stdout", e))?;
    Ok(if report.errors == 0 {
        crate::exit::OK
    } else {
        crate::exit::PARTIAL
    })
}
