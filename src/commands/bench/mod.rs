//! `openai-access bench`: full syncs against the in-process mock, reported as ratios to the
//! physical bound T* (DESIGN §8) and to a sequential baseline.

mod freshness;
mod incremental;
pub mod serve_load;
mod usage;

use crate::cli::{Baseline, BenchArgs};
use crate::exit::{self, CliError};
use crate::settings;
use openai_access_actors::AdminKey;
use openai_access_actors::ClientConfig;
use openai_access_actors::atomic;
use openai_access_actors::{KnownLimits, LimitRange};
use openai_access_actors::{SyncConfig, SyncOutcome, sync};
use openai_access_actors::{block_on, block_on_simulated};
use openai_access_mock::{InProcessMock, MockConfig, MockServer, MockStats, Org, OrgShape};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// One measured sync.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    pub wall_s: f64,
    pub requests: u64,
    pub retries: u64,
    /// Reads sent a second time while the first was outstanding (in `requests` too).
    pub hedged: u64,
    pub rate_limited: u64,
    pub max_429_per_endpoint: u64,
    /// Per endpoint template: requests issued and 429s received.
    pub per_endpoint: BTreeMap<&'static str, EndpointRun>,
    pub grants: usize,
    /// Facts merged per second of the collector's own time.
    pub collector_facts_per_s: f64,
    /// Grants in the finished graph per second of finishing (expansion included).
    pub finish_grants_per_s: f64,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct EndpointRun {
    pub requests: u64,
    pub rate_limited: u64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub preset: String,
    pub seed: u64,
    pub shape: OrgShape,
    pub mock: MockSettings,
    pub max_in_flight: u32,
    pub minimum_requests: BTreeMap<&'static str, u64>,
    pub minimum_requests_total: u64,
    pub longest_chain: u64,
    /// max_e (R_e − b_e) / r_e, when the mock limits each endpoint.
    pub bound_rate_limited_s: Option<f64>,
    /// max(longest chain × L, ΣR × L / C), when the mock adds latency.
    pub bound_latency_s: Option<f64>,
    /// With `--warm`: the first sync, which learned the limits the measured ones start from.
    pub cold: Option<Run>,
    pub runs: Vec<Run>,
    pub median_wall_s: f64,
    pub spread_wall_s: (f64, f64),
    pub ratio_to_bound: Option<f64>,
    pub sequential: Option<Run>,
    pub speedup_over_sequential: Option<f64>,
    pub rss_before_sync_mb: f64,
    pub peak_rss_mb: f64,
    pub grants: usize,
    /// (peak RSS − RSS before the first sync) / grants.
    pub bytes_per_grant: f64,
}

#[derive(Debug, Serialize)]
pub struct MockSettings {
    pub latency_ms: u64,
    pub latency_jitter_ms: u64,
    pub rpm: Option<u32>,
    pub burst: u32,
    pub retry_after: bool,
    pub fault_rate: f64,
}

/// Memory figures of this process from /proc (Linux): (current RSS, peak RSS), in MB.
fn rss_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The mock a bench runs against: a server on a socket (real time), or in-process on a paused
/// clock (`--simulate`: virtual time).
enum Target {
    Served(MockServer),
    Simulated(Arc<InProcessMock>),
}

impl Target {
    fn stats(&self) -> MockStats {
        match self {
            Target::Served(s) => s.stats(),
            Target::Simulated(m) => m.stats(),
        }
    }
    fn reset(&self) {
        match self {
            Target::Served(s) => {
                s.reset_stats();
                s.rest();
            }
            Target::Simulated(m) => {
                m.reset_stats();
                m.rest();
            }
        }
    }
    fn org(&self) -> Org {
        match self {
            Target::Served(s) => s.org(),
            Target::Simulated(m) => m.org(),
        }
    }
    fn lift_limits(&self, lifted: bool) {
        match self {
            Target::Served(s) => s.lift_limits(lifted),
            Target::Simulated(m) => m.lift_limits(lifted),
        }
    }
    fn change(&self, change: &openai_access_mock::Change) -> Result<(), String> {
        match self {
            Target::Served(s) => s.change(change).map_err(|e| e.message),
            Target::Simulated(m) => m.change(change).map_err(|e| e.message),
        }
    }
}

/// The client a bench sync uses against `target`.
fn client_for(
    target: &Target,
    max_in_flight: u32,
    known: KnownLimits,
    hedge: bool,
) -> Result<ClientConfig, CliError> {
    let key = AdminKey::new(settings::MOCK_KEY).ok_or_else(|| CliError::fatal("mock key"))?;
    let base = match target {
        Target::Served(s) => s.base_url(),
        // Never contacted.
        Target::Simulated(_) => "http://127.0.0.1:9/v1".to_owned(),
    };
    let mut client = ClientConfig::new(base, key);
    client.throttle.max_in_flight = max_in_flight as usize;
    client.throttle.known = known;
    client.max_attempts = 20;
    if !hedge {
        client.hedge = None;
    }
    if let Target::Simulated(m) = target {
        client.in_process = Some(m.transport());
    }
    Ok(client)
}

/// Runs `fut` as `target` needs: on the real clock, or on a paused one.
fn run_on<F: std::future::Future>(target: &Target, fut: F) -> F::Output {
    match target {
        Target::Served(_) => block_on(fut),
        Target::Simulated(_) => block_on_simulated(fut),
    }
}

fn one_sync(
    target: &Target,
    max_in_flight: u32,
    known: KnownLimits,
    hedge: bool,
) -> Result<(Run, KnownLimits), CliError> {
    target.reset();
    let config = SyncConfig {
        client: client_for(target, max_in_flight, known, hedge)?,
        org_id: None,
        max_duration: None,
    };
    let outcome = run_on(target, sync(config)).map_err(|e| CliError::fatal(e.to_string()))?;
    let run = measured(target, &outcome)?;
    Ok((run, outcome.limits))
}

/// What the mock counted for a complete sync, and what the sync reports of itself.
fn measured(target: &Target, outcome: &SyncOutcome) -> Result<Run, CliError> {
    if outcome.is_partial() {
        return Err(CliError::fatal(format!(
            "the benchmark sync was partial: {:?}",
            outcome.failures
        )));
    }
    let stats = target.stats();
    let secs = |d: Duration| d.as_secs_f64().max(1e-9);
    Ok(Run {
        wall_s: outcome.duration.as_secs_f64(),
        requests: stats.requests.values().sum(),
        retries: outcome.requests.values().map(|c| c.retries).sum(),
        hedged: outcome.requests.values().map(|c| c.hedged).sum(),
        rate_limited: stats.rate_limited,
        max_429_per_endpoint: outcome
            .requests
            .values()
            .map(|c| c.rate_limited)
            .max()
            .unwrap_or(0),
        per_endpoint: outcome
            .requests
            .iter()
            .map(|(e, c)| {
                let run = EndpointRun {
                    requests: c.requests,
                    rate_limited: c.rate_limited,
                };
                (e.template(), run)
            })
            .collect(),
        grants: outcome.graph.grant_count(),
        collector_facts_per_s: outcome.facts_received as f64 / secs(outcome.merge_time),
        finish_grants_per_s: outcome.graph.grant_count() as f64 / secs(outcome.finish_time),
    })
}

/// One line on what a sync learned about the limits.
fn describe(k: &KnownLimits) -> String {
    let range = |r: &LimitRange| {
        format!(
            "{:.0}–{:.0} rpm, burst ≥ {:.0}",
            r.rpm_min, r.rpm_max, r.burst_min
        )
    };
    match &k.shared {
        Some(r) => format!("one limit for every endpoint: {}", range(r)),
        None if k.endpoints.is_empty() => "nothing (no 429)".to_owned(),
        None => format!("per-endpoint limits for {} endpoints", k.endpoints.len()),
    }
}

/// Seconds as the report gives them: exact for scripts, and past a minute also as a person
/// reads them (`12155.835 s (3 h 22 min)`).
fn secs(s: f64) -> String {
    if s.is_finite() && s >= 60.0 {
        let human = openai_access_actors::human::duration(std::time::Duration::from_secs_f64(s));
        format!("{s:.3} s ({human})")
    } else {
        format!("{s:.3} s")
    }
}

pub fn run(args: BenchArgs) -> Result<exit::Exit, CliError> {
    let config = MockConfig {
        admin_key: settings::MOCK_KEY.to_owned(),
        ..settings::mock_config(&args.knobs)?
    };
    let target = if args.simulate {
        Target::Simulated(InProcessMock::start(config))
    } else {
        Target::Served(
            MockServer::start(config)
                .map_err(|e| CliError::fatal(format!("cannot start the mock: {e}")))?,
        )
    };
    let org = target.org();
    let minimum = org.minimum_requests();
    let total: u64 = minimum.values().sum();
    let chain = org.longest_request_chain();
    let latency = args.knobs.latency_ms as f64 / 1000.0;
    let bound_latency = (latency > 0.0)
        .then(|| (chain as f64 * latency).max(total as f64 * latency / args.max_in_flight as f64));
    let bound_rate = args.knobs.limit_rpm.map(|rpm| {
        let r = rpm as f64 / 60.0;
        minimum
            .values()
            .map(|&n| (n as f64 - args.knobs.limit_burst as f64).max(0.0) / r)
            .fold(0.0, f64::max)
    });
    if let Some(probes) = args.freshness {
        let scenario = freshness::Scenario {
            probes,
            interval: args.interval,
            full_interval: args.full_sync_interval,
            seed: args.knobs.seed,
            max_in_flight: args.max_in_flight,
            hedge: !args.no_hedge,
            pass_bound_s: bound_rate,
        };
        let report = freshness::run(&target, &scenario)?;
        if let Some(path) = &args.json_file {
            write_json(path, &report)?;
        }
        return Ok(exit::OK);
    }
    if let Some(days) = args.usage {
        let report = usage::run(&target, args.max_in_flight, !args.no_hedge, days)?;
        usage::print(&report).map_err(|e| CliError::io("stdout", e))?;
        if let Some(path) = &args.json_file {
            write_json(path, &report)?;
        }
        return Ok(exit::OK);
    }
    if !args.changes.is_empty() {
        let scenario = incremental::Scenario {
            changes: &args.changes,
            seed: args.knobs.seed,
            max_in_flight: args.max_in_flight,
            hedge: !args.no_hedge,
            full_bound_s: bound_rate,
        };
        let report = incremental::run(&target, &scenario)?;
        if let Some(path) = &args.json_file {
            write_json(path, &report)?;
        }
        return Ok(exit::OK);
    }
    let (rss_before, _) = rss_mb();

    let mut known = KnownLimits::default();
    let cold = if args.warm {
        let (run, learned) = one_sync(&target, args.max_in_flight, known, !args.no_hedge)?;
        eprintln!(
            "cold run (learning the limits): {}; learned {}",
            secs(run.wall_s),
            describe(&learned)
        );
        known = learned;
        Some(run)
    } else {
        None
    };
    let mut runs = Vec::new();
    for i in 0..args.repeat {
        let (run, learned) = one_sync(&target, args.max_in_flight, known.clone(), !args.no_hedge)?;
        if args.warm {
            eprintln!("  learned {}", describe(&learned));
            known = learned;
        }
        eprintln!(
            "run {}/{}: {}, {} requests",
            i + 1,
            args.repeat,
            secs(run.wall_s),
            run.requests
        );
        runs.push(run);
    }
    let (_, peak) = rss_mb();
    let sequential = match args.baseline {
        Baseline::Sequential => {
            eprintln!("sequential baseline (one request at a time)…");
            Some(one_sync(&target, 1, KnownLimits::default(), !args.no_hedge)?.0)
        }
        Baseline::None => None,
    };
    let mut walls: Vec<f64> = runs.iter().map(|r| r.wall_s).collect();
    walls.sort_by(f64::total_cmp);
    let median = walls[walls.len() / 2];
    let bound = bound_rate.or(bound_latency);
    let grants = runs.first().map_or(0, |r| r.grants);
    let report = Report {
        preset: args.knobs.preset.clone(),
        seed: args.knobs.seed,
        shape: org.shape(),
        mock: MockSettings {
            latency_ms: args.knobs.latency_ms,
            latency_jitter_ms: args.knobs.latency_jitter_ms,
            rpm: args.knobs.limit_rpm,
            burst: args.knobs.limit_burst,
            retry_after: !args.knobs.no_retry_after,
            fault_rate: args.knobs.fault_rate,
        },
        max_in_flight: args.max_in_flight,
        minimum_requests: minimum.iter().map(|(e, n)| (e.template(), *n)).collect(),
        minimum_requests_total: total,
        longest_chain: chain,
        bound_rate_limited_s: bound_rate,
        bound_latency_s: bound_latency,
        cold,
        median_wall_s: median,
        spread_wall_s: (walls[0], walls[walls.len() - 1]),
        ratio_to_bound: bound.filter(|b| *b > 0.0).map(|b| median / b),
        speedup_over_sequential: sequential.as_ref().map(|s| s.wall_s / median),
        sequential,
        runs,
        rss_before_sync_mb: rss_before,
        peak_rss_mb: peak,
        grants,
        bytes_per_grant: if grants > 0 {
            (peak - rss_before).max(0.0) * 1024.0 * 1024.0 / grants as f64
        } else {
            0.0
        },
    };
    print_report(&report).map_err(|e| CliError::io("stdout", e))?;
    if let Some(path) = &args.json_file {
        write_json(path, &report)?;
    }
    drop(target);
    Ok(exit::OK)
}

fn write_json(path: &std::path::Path, report: &impl Serialize) -> Result<(), CliError> {
    atomic::write_atomically(path, |w| {
        serde_json::to_writer_pretty(&mut *w, report)?;
        w.write_all(b"\n")
    })
    .map_err(|e| CliError::io(format!("cannot write {}", path.display()), e))
}

fn print_report(r: &Report) -> std::io::Result<()> {
    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "preset {} (seed {}): {}",
        r.preset,
        r.seed,
        serde_json::to_string(&r.shape).unwrap_or_default()
    )?;
    let m = &r.mock;
    writeln!(
        o,
        "mock: latency {} ms ± {} ms, per-endpoint limit {}, faults {:.0}%",
        m.latency_ms,
        m.latency_jitter_ms,
        m.rpm.map_or("none".to_owned(), |rpm| format!(
            "{rpm} rpm burst {} ({} Retry-After)",
            m.burst,
            if m.retry_after { "with" } else { "without" }
        )),
        m.fault_rate * 100.0
    )?;
    writeln!(o, "crawler: {} requests in flight", r.max_in_flight)?;
    writeln!(o)?;
    let first = &r.runs[0];
    writeln!(
        o,
        "{:<70} {:>9} {:>9} {:>6}",
        "endpoint", "minimum", "issued", "429s"
    )?;
    for (e, n) in &r.minimum_requests {
        let run = first.per_endpoint.get(e).copied().unwrap_or_default();
        writeln!(
            o,
            "{e:<70} {n:>9} {:>9} {:>6}",
            run.requests, run.rate_limited
        )?;
    }
    writeln!(
        o,
        "{:<70} {:>9}",
        "ΣR_e (minimum requests)", r.minimum_requests_total
    )?;
    writeln!(
        o,
        "requests issued: {} (= ΣR_e {:+}), retries {}, hedged {}, 429s {} (max {} on one endpoint)",
        first.requests,
        first.requests as i64 - r.minimum_requests_total as i64,
        first.retries,
        first.hedged,
        first.rate_limited,
        first.max_429_per_endpoint
    )?;
    if let Some(b) = r.bound_rate_limited_s {
        writeln!(o, "T* rate-limited = max_e (R_e − b_e)/r_e = {}", secs(b))?;
    }
    if let Some(b) = r.bound_latency_s {
        writeln!(
            o,
            "T* latency = max(chain {} × L, ΣR × L / C) = {}",
            r.longest_chain,
            secs(b)
        )?;
    }
    writeln!(
        o,
        "wall time: median {} over {} run(s) (spread {:.3}–{:.3} s){}",
        secs(r.median_wall_s),
        r.runs.len(),
        r.spread_wall_s.0,
        r.spread_wall_s.1,
        r.ratio_to_bound
            .map_or(String::new(), |x| format!(", {x:.2} × T*"))
    )?;
    if r.runs.len() > 1 {
        writeln!(
            o,
            "429s over the measured runs: at most {} in one run, at most {} on one endpoint",
            r.runs.iter().map(|x| x.rate_limited).max().unwrap_or(0),
            r.runs
                .iter()
                .map(|x| x.max_429_per_endpoint)
                .max()
                .unwrap_or(0)
        )?;
    }
    if let Some(c) = &r.cold {
        let bound = r.bound_rate_limited_s.or(r.bound_latency_s);
        writeln!(
            o,
            "cold run (limits unknown, learned from 429s): {:.3} s{}, 429s {} (max {} on one endpoint); \
             each measured run started from what the run before it learned",
            c.wall_s,
            bound
                .filter(|b| *b > 0.0)
                .map_or(String::new(), |b| format!(", {:.2} × T*", c.wall_s / b)),
            c.rate_limited,
            c.max_429_per_endpoint
        )?;
    }
    if let (Some(s), Some(x)) = (&r.sequential, r.speedup_over_sequential) {
        writeln!(
            o,
            "sequential baseline: {:.3} s, {} requests; concurrent is {x:.1}× faster",
            s.wall_s, s.requests
        )?;
    }
    writeln!(
        o,
        "memory: {:.0} MB before the sync (mock + its org), peak {:.0} MB; {} grants, {:.0} bytes/grant above the base",
        r.rss_before_sync_mb, r.peak_rss_mb, r.grants, r.bytes_per_grant
    )?;
    writeln!(
        o,
        "collector: {:.2} M facts/s merged, {:.2} M grants/s finishing (expansion included)",
        first.collector_facts_per_s / 1e6,
        first.finish_grants_per_s / 1e6
    )?;
    Ok(())
}
