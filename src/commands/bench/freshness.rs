//! `bench --freshness N`: how long a change takes to reach the service's answers while the
//! background reconciliation runs. A state is filled by a full sync (the mock's limit lifted:
//! at 10 requests/min that sync alone takes a day on `large`), then the service's own
//! `Refresher` runs under the limit, as `serve` runs it, with `--full-sync-interval` 0 by
//! default (the worst case: a pass re-reading every list, one after another, without pause).
//! N members are made org owner at random moments over the first pass's expected length;
//! each is timed from the change to the first served graph that shows it.
//!
//! With `--simulate` the whole service runs in virtual time (hours in minutes, the same on
//! every run); without, on the real clock against the mock on a socket.

use super::incremental::{Scenario as Filling, stateful};
use super::{Target, client_for, run_on};
use crate::exit::CliError;
use crate::service::refresher::{Refresher, Shutdown};
use crate::service::run::SyncSetup;
use crate::service::schedule::Schedule;
use crate::service::served::{Served, Shared};
use actix::Actor;
use openai_access_actors::baton::ResourceType;
use openai_access_actors::clock;
use openai_access_actors::state::StateDir;
use openai_access_actors::stateful::{GROUP_RESCAN, StateOptions};
use openai_access_actors::{AdminClient, KnownLimits};
use openai_access_mock::Change;
use openai_access_mock::rng::SplitMix64;
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// The scenario's settings.
pub struct Scenario {
    pub probes: u32,
    pub interval: Duration,
    pub full_interval: Duration,
    pub seed: u64,
    pub max_in_flight: u32,
    pub hedge: bool,
    /// The time one pass takes at the mock's limit, from the org's shape; the probes are
    /// spread over it (without a limit: 20 intervals).
    pub pass_bound_s: Option<f64>,
}

/// One change and when it showed.
#[derive(Debug, Serialize)]
pub struct Probe {
    pub user: String,
    /// Since the service started.
    pub made_at_s: f64,
    /// From the change to the first served graph showing it; `None`: never, within the run.
    pub visible_after_s: Option<f64>,
    /// A reconciliation pass was running when the change was made.
    pub during_reconciliation: bool,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub interval_s: f64,
    pub full_sync_interval_s: f64,
    /// The full sync that filled the state (limit lifted): its requests.
    pub fill_requests: u64,
    pub probes: Vec<Probe>,
    pub visible_max_s: Option<f64>,
    pub visible_median_s: Option<f64>,
    /// Every change was visible within 2 × the interval.
    pub within_two_intervals: bool,
    /// Syncs the refresher ran, and the requests they and the passes sent.
    pub syncs: u64,
    pub requests: u64,
    pub passes_completed: u64,
    pub lists_read_by_passes: u64,
    pub group_rescans_completed: u64,
    /// The oldest stored list's age, at its largest during the run.
    pub oldest_list_age_max_s: f64,
    /// How long the service ran (virtual with --simulate).
    pub ran_s: f64,
}

/// How often the served graph is looked at: a probe's time is exact to this.
const TICK: Duration = Duration::from_secs(1);

pub fn run(target: &Target, s: &Scenario) -> Result<Report, CliError> {
    if s.interval.is_zero() {
        return Err(CliError::usage("--interval must be longer than 0"));
    }
    let tmp = tempfile::tempdir().map_err(|e| CliError::io("temp dir", e))?;
    let dir = StateDir::open(tmp.path()).map_err(|e| CliError::fatal(e.to_string()))?;
    const SERVER: &str = "bench";
    let filling = Filling {
        changes: &[],
        seed: s.seed,
        max_in_flight: s.max_in_flight,
        hedge: s.hedge,
        full_bound_s: None,
    };
    target.lift_limits(true);
    let (fill, _, _) = stateful(
        target,
        &filling,
        &dir,
        SERVER,
        &StateOptions::default(),
        false,
    )?;
    target.lift_limits(false);
    target.reset();
    eprintln!(
        "state filled by a full sync of {} requests (limit lifted); the service starts",
        fill.requests
    );

    let users = readers(target, s)?;
    let spread = s
        .pass_bound_s
        .map_or(s.interval * 20, Duration::from_secs_f64);
    let mut rng = SplitMix64::new(s.seed ^ 0xF5E5_4E55);
    let mut times: Vec<Duration> = (0..users.len())
        .map(|_| s.interval + spread.mul_f64(rng.unit()))
        .collect();
    times.sort();
    let give_up = spread + s.interval * 20;

    let mut config = client_for(target, s.max_in_flight, KnownLimits::default(), s.hedge)?;
    if let Ok(Some(m)) = dir.meta() {
        config.throttle.known = m.limits;
    }
    let schedule = Schedule {
        interval: s.interval,
        full_interval: s.full_interval,
        group_interval: GROUP_RESCAN,
    };
    let (probes, after) = run_on(target, async {
        let client = AdminClient::new(config).map_err(|e| CliError::fatal(e.to_string()))?;
        let shared = Arc::new(Shared::default());
        let setup = SyncSetup {
            client,
            server: SERVER.to_owned(),
            org_id: None,
            state: dir.clone(),
            // As `serve` runs them: group member lists by passes of their own.
            opts: StateOptions {
                group_rescan: None,
                ..StateOptions::default()
            },
            target: None,
            shared: shared.clone(),
            answer_budget: 1 << 20,
            // Freshness is of access: measured as in issue 34, without the usage read that
            // follows each sync's grant lists.
            usage: None,
        };
        let refresher = Refresher::new(setup, schedule, 1).start();
        let probes = watch(target, &shared, &users, &times, give_up).await;
        let _ = refresher.send(Shutdown).await;
        Ok::<_, CliError>((probes?, shared))
    })?;
    let mut delays: Vec<f64> = probes.0.iter().filter_map(|p| p.visible_after_s).collect();
    delays.sort_by(f64::total_cmp);
    let b = after.background();
    let r = &b.reconciliation;
    let c = after.counters();
    let report = Report {
        interval_s: s.interval.as_secs_f64(),
        full_sync_interval_s: s.full_interval.as_secs_f64(),
        fill_requests: fill.requests,
        within_two_intervals: delays.len() == probes.0.len()
            && delays
                .last()
                .is_none_or(|&d| d <= 2.0 * s.interval.as_secs_f64()),
        visible_max_s: delays.last().copied(),
        visible_median_s: delays.get(delays.len() / 2).copied(),
        probes: probes.0,
        syncs: c.syncs.values().sum(),
        requests: target.stats().requests.values().sum(),
        passes_completed: r.passes,
        lists_read_by_passes: r.lists_read,
        group_rescans_completed: b.group_rescan.passes,
        oldest_list_age_max_s: probes.1,
        ran_s: probes.2,
    };
    print(&report)?;
    Ok(report)
}

/// Humans who are org readers, drawn at random: the ones the probes make owner.
fn readers(target: &Target, s: &Scenario) -> Result<Vec<String>, CliError> {
    let org = target.org();
    let mut pool: Vec<String> = org
        .users
        .iter()
        .filter(|u| !u.is_service_account() && u.role.as_deref() == Some("reader"))
        .map(|u| u.id.to_string())
        .collect();
    if pool.len() < s.probes as usize {
        return Err(CliError::usage(format!(
            "--freshness {}: the org has only {} members who are not owners",
            s.probes,
            pool.len()
        )));
    }
    let mut rng = SplitMix64::new(s.seed ^ 0x0BE5);
    let mut chosen = Vec::with_capacity(s.probes as usize);
    for _ in 0..s.probes {
        let i = rng.below(pool.len());
        chosen.push(pool.swap_remove(i));
    }
    Ok(chosen)
}

/// Makes each change at its time and watches the served graph until every change shows (or
/// `give_up` passes). Returns the probes, the oldest list's largest age, and the time run.
async fn watch(
    target: &Target,
    shared: &Shared,
    users: &[String],
    times: &[Duration],
    give_up: Duration,
) -> Result<(Vec<Probe>, f64, f64), CliError> {
    let start = tokio::time::Instant::now();
    let mut probes: Vec<Probe> = Vec::with_capacity(users.len());
    let mut seen: Option<Arc<Served>> = None;
    let mut oldest_max = 0.0f64;
    loop {
        tokio::time::sleep(TICK).await;
        let now = start.elapsed();
        while times.get(probes.len()).is_some_and(|&at| at <= now) {
            let user = &users[probes.len()];
            target
                .change(&Change::Request {
                    method: "POST".to_owned(),
                    path: format!("/organization/users/{user}"),
                    body: serde_json::json!({"role": "owner"}),
                })
                .map_err(|e| CliError::fatal(format!("the mock refused a change: {e}")))?;
            probes.push(Probe {
                user: user.clone(),
                made_at_s: now.as_secs_f64(),
                visible_after_s: None,
                during_reconciliation: shared.background().reconciliation.running,
            });
        }
        if let Some(g) = shared.graph()
            && !seen.as_ref().is_some_and(|s| Arc::ptr_eq(s, &g))
        {
            let owners: BTreeSet<String> = g
                .snapshot
                .org_owners()
                .into_iter()
                .filter(|n| n.key.resource_type == ResourceType::User)
                .map(|n| n.key.id.to_string())
                .collect();
            for p in probes.iter_mut().filter(|p| p.visible_after_s.is_none()) {
                if owners.contains(&p.user) {
                    p.visible_after_s = Some(now.as_secs_f64() - p.made_at_s);
                }
            }
            seen = Some(g);
        }
        if let Some(t) = shared.background().oldest_read {
            oldest_max = oldest_max.max((clock::unix_now() - t) as f64);
        }
        let all_made = probes.len() == times.len();
        if (all_made && probes.iter().all(|p| p.visible_after_s.is_some())) || now > give_up {
            return Ok((probes, oldest_max, now.as_secs_f64()));
        }
    }
}

fn print(r: &Report) -> Result<(), CliError> {
    let o = &mut std::io::stdout().lock();
    let io = |e| CliError::io("stdout", e);
    writeln!(
        o,
        "{:>4} {:>12} {:>14} {:>8}",
        "#", "made at", "visible after", "in pass"
    )
    .map_err(io)?;
    for (i, p) in r.probes.iter().enumerate() {
        writeln!(
            o,
            "{:>4} {:>12} {:>14} {:>8}",
            i + 1,
            hms(p.made_at_s),
            p.visible_after_s.map_or("never".to_owned(), hms),
            if p.during_reconciliation { "yes" } else { "no" }
        )
        .map_err(io)?;
    }
    writeln!(
        o,
        "interval {}, full-sync-interval {}: visible after at most {} (median {}); {} syncs, {} requests, {} passes completed ({} lists read), {} group rescans, oldest list at most {} old; ran {}",
        hms(r.interval_s),
        hms(r.full_sync_interval_s),
        r.visible_max_s.map_or("-".to_owned(), hms),
        r.visible_median_s.map_or("-".to_owned(), hms),
        r.syncs,
        r.requests,
        r.passes_completed,
        r.lists_read_by_passes,
        r.group_rescans_completed,
        hms(r.oldest_list_age_max_s),
        hms(r.ran_s),
    )
    .map_err(io)?;
    Ok(())
}

/// `1h02m03s`, `4m05s`, `6s`.
fn hms(s: f64) -> String {
    let t = s.round() as u64;
    match (t / 3600, t / 60 % 60, t % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, s) => format!("{h}h{m:02}m{s:02}s"),
    }
}
