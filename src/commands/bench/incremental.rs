//! `bench --changes K,…`: what an incremental sync costs after K changes, against the full sync
//! it replaces. For each K: a full sync into a fresh state (with the mock's limit lifted: at
//! 10 requests/min a full `large` sync takes about a day, so its time is the bound computed
//! from the org's shape), K random changes of every kind the mock supports, then an
//! incremental sync under the limit, checked against a full sync of the changed org.

use super::{Run, Target, client_for, measured, run_on};
use crate::exit::CliError;
use crate::output::json;
use openai_access_actors::state::{StateDir, SyncKind};
use openai_access_actors::stateful::{Prepared, StateOptions, prepare};
use openai_access_actors::{AdminClient, KnownLimits, SyncConfig, SyncOutcome, sync};
use openai_access_mock::random_changes;
use openai_access_mock::rng::SplitMix64;
use serde::Serialize;
use std::io::Write;

/// The scenario's settings.
pub struct Scenario<'a> {
    pub changes: &'a [usize],
    pub seed: u64,
    pub max_in_flight: u32,
    pub hedge: bool,
    /// The full sync's bound under the mock's limit (`None` without a limit).
    pub full_bound_s: Option<f64>,
}

/// One K.
#[derive(Debug, Serialize)]
pub struct Step {
    pub changes_asked: usize,
    /// Changes the org took (a drawn change it refuses, say a duplicate, is not made).
    pub changes_made: usize,
    /// The full sync that filled the state (limit lifted when there is one).
    pub full: Run,
    /// Its time under the limit: the bound from the org's shape, when there is a limit.
    pub full_bound_s: Option<f64>,
    pub incremental: Run,
    pub audit_entries: usize,
    pub audit_pages: usize,
    pub lists_read_again: usize,
    /// The lists read again and why, when there are few enough to read (at most 50).
    pub read_again: std::collections::BTreeMap<String, String>,
    /// How many lists each kind of reason made dirty (the event type, or the rescan).
    pub read_again_by_reason: std::collections::BTreeMap<String, usize>,
    /// Requests of the incremental sync per change made (its audit page included).
    pub requests_per_change: Option<f64>,
    /// The incremental graph, once group members are rescanned (the audit log does not record
    /// membership), equals a full sync's of the changed org.
    pub equal_to_full: bool,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub steps: Vec<Step>,
}

pub fn run(target: &Target, s: &Scenario) -> Result<Report, CliError> {
    let mut steps = Vec::new();
    let o = &mut std::io::stdout().lock();
    let io = |e| CliError::io("stdout", e);
    writeln!(
        o,
        "{:>5} {:>5} {:>10} {:>10} {:>10} {:>10} {:>8} {:>7} {:>8} {:>6}",
        "K",
        "made",
        "full req",
        "full s",
        "incr req",
        "incr s",
        "entries",
        "lists",
        "req/chg",
        "equal"
    )
    .map_err(io)?;
    for &k in s.changes {
        let step = one(target, s, k)?;
        writeln!(
            o,
            "{:>5} {:>5} {:>10} {:>10.3} {:>10} {:>10.3} {:>8} {:>7} {:>8} {:>6}",
            k,
            step.changes_made,
            step.full.requests,
            step.full_bound_s.unwrap_or(step.full.wall_s),
            step.incremental.requests,
            step.incremental.wall_s,
            step.audit_entries,
            step.lists_read_again,
            step.requests_per_change
                .map_or("-".to_owned(), |r| format!("{r:.2}")),
            if step.equal_to_full { "yes" } else { "NO" },
        )
        .map_err(io)?;
        steps.push(step);
    }
    if s.full_bound_s.is_some() {
        writeln!(
            o,
            "full s: the bound from the org's shape under the limit (the full sync ran with it lifted); \
             incr s: measured under the limit"
        )
        .map_err(io)?;
    }
    if steps.iter().any(|s| !s.equal_to_full) {
        return Err(CliError::fatal(
            "an incremental sync differs from a full sync of the same org",
        ));
    }
    Ok(Report { steps })
}

fn one(target: &Target, s: &Scenario, k: usize) -> Result<Step, CliError> {
    let tmp = tempfile::tempdir().map_err(|e| CliError::io("temp dir", e))?;
    let dir = StateDir::open(tmp.path()).map_err(|e| CliError::fatal(e.to_string()))?;
    let opts = StateOptions::default();
    const SERVER: &str = "bench";

    target.lift_limits(true);
    let (full, _, _) = stateful(target, s, &dir, SERVER, &opts, true)?;
    let mut rng = SplitMix64::new(s.seed ^ (k as u64).wrapping_mul(0x9E37_79B9));
    let mut made = 0;
    for _ in 0..k * 20 {
        if made == k {
            break;
        }
        if let (_, Some(c)) = random_changes::draw(&target.org(), &mut rng)
            && target.change(&c).is_ok()
        {
            made += 1;
        }
    }
    target.lift_limits(false);
    let (incremental, prepared, _) = stateful(target, s, &dir, SERVER, &opts, true)?;
    if prepared.kind != SyncKind::Incremental {
        return Err(CliError::fatal(format!(
            "the sync after the changes was not incremental: {}",
            prepared
                .fallback
                .map_or("no reason given".to_owned(), |f| f.to_string())
        )));
    }
    target.lift_limits(true);
    // Group membership changes are not in the log: the sync above leaves them to the rescan
    // schedule. The check runs that rescan first (limit lifted; its cost is not the
    // incremental sync's).
    let rescan = StateOptions {
        group_rescan: Some(std::time::Duration::ZERO),
        ..StateOptions::default()
    };
    let (_, _, outcome) = stateful(target, s, &dir, SERVER, &rescan, false)?;
    let fresh = run_on(
        target,
        sync(SyncConfig {
            client: client_for(target, s.max_in_flight, KnownLimits::default(), s.hedge)?,
            org_id: None,
            max_duration: None,
        }),
    )
    .map_err(|e| CliError::fatal(e.to_string()))?;
    target.lift_limits(false);
    Ok(Step {
        changes_asked: k,
        changes_made: made,
        full,
        full_bound_s: s.full_bound_s,
        audit_entries: prepared.events,
        audit_pages: prepared.audit_pages,
        lists_read_again: prepared.dirty.lists.len(),
        read_again_by_reason: prepared.dirty.lists.values().fold(
            std::collections::BTreeMap::new(),
            |mut m, why| {
                let kind = why.split(" (").next().unwrap_or(why).to_owned();
                *m.entry(kind).or_insert(0) += 1;
                m
            },
        ),
        read_again: prepared
            .dirty
            .lists
            .iter()
            .take(50)
            .map(|(k, why)| (k.to_string(), why.clone()))
            .collect(),
        requests_per_change: (made > 0).then(|| incremental.requests as f64 / made as f64),
        incremental,
        equal_to_full: graph(&outcome)? == graph(&fresh)?,
    })
}

/// A sync with the state in `dir`, committed when it completes; paced by the limits the
/// state learned when `paced` (a sync with the mock's limit lifted is not).
pub(super) fn stateful(
    target: &Target,
    s: &Scenario,
    dir: &StateDir,
    server: &str,
    opts: &StateOptions,
    paced: bool,
) -> Result<(Run, Prepared, SyncOutcome), CliError> {
    target.reset();
    let mut config = client_for(target, s.max_in_flight, KnownLimits::default(), s.hedge)?;
    if paced && let Ok(Some(m)) = dir.meta() {
        config.throttle.known = m.limits;
    }
    let (prepared, outcome) = run_on(target, async {
        let api = AdminClient::new(config).map_err(|e| CliError::fatal(e.to_string()))?;
        let mut prepared = prepare(dir, server, None, &api, opts)
            .await
            .map_err(|e| CliError::fatal(e.to_string()))?;
        let run = prepared.start(&api, None, None);
        let outcome = run
            .finish()
            .await
            .map_err(|e| CliError::fatal(e.to_string()))?;
        Ok::<_, CliError>((prepared, outcome))
    })?;
    let run = measured(target, &outcome)?;
    if let Some(id) = prepared.run_id() {
        prepared
            .commit(dir, id, server, &outcome)
            .map_err(|e| CliError::fatal(e.to_string()))?;
    }
    Ok((run, prepared, outcome))
}

fn graph(o: &SyncOutcome) -> Result<serde_json::Value, CliError> {
    json::graph_only(o).map_err(|e| CliError::io("graph", e))
}
