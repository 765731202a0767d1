//! `bench --usage`: what reading usage (issue 36) adds to a sync. A full sync knowing nothing
//! (its graph time is the same as without usage: the usage read starts once the graph is
//! complete), then the usage window read whole (a first sync, or one without a state), then,
//! for each gap of D days since the last read, the read an incremental sync makes: the days
//! it lacks and today, from a state the last read left (filled with the limit lifted, and the
//! buckets full again, as hours between syncs leave them).

use super::{Target, client_for, run_on};
use crate::exit::CliError;
use openai_access_actors::usage::{self, UsageBook, UsageOptions};
use openai_access_actors::{AdminClient, KnownLimits, SyncRun};
use serde::Serialize;
use std::io::Write;

const DAY: i64 = 86_400;

/// Days since the last read, for the incremental rows: a daily sync, a weekly one, a month,
/// just over (a second page), two months.
const GAPS: [i64; 5] = [1, 7, 30, 31, 60];

#[derive(Debug, Serialize)]
pub struct Read {
    pub days_since_last: Option<i64>,
    /// Days asked of each type.
    pub days_read: i64,
    pub requests: u64,
    pub seconds: f64,
    pub missing: usize,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub graph_seconds: f64,
    pub graph_requests: u64,
    pub grants: usize,
    pub window_days: u32,
    pub full: Read,
    pub incremental: Vec<Read>,
}

async fn timed(
    client: &AdminClient,
    book: &UsageBook,
    now: i64,
    opts: UsageOptions,
    gap: Option<i64>,
) -> Read {
    let t = tokio::time::Instant::now();
    let r = usage::read(client, book, now, opts).await;
    Read {
        days_since_last: gap,
        days_read: r.days_read.get("completions").copied().unwrap_or(0),
        requests: r.requests,
        seconds: t.elapsed().as_secs_f64(),
        missing: r.evidence.missing.len(),
    }
}

pub fn run(
    target: &Target,
    max_in_flight: u32,
    hedge: bool,
    days: u32,
) -> Result<Report, CliError> {
    target.reset();
    let config = client_for(target, max_in_flight, KnownLimits::default(), hedge)?;
    let config2 = config.clone();
    let opts = UsageOptions::days(days);
    let fatal = |e: &dyn std::fmt::Display| CliError::fatal(e.to_string());
    run_on(target, async {
        let config = config2;
        let client = AdminClient::new(config.clone()).map_err(|e| fatal(&e))?;
        let t = tokio::time::Instant::now();
        let outcome = SyncRun::start_on(&client, None, None, None)
            .finish()
            .await
            .map_err(|e| fatal(&e))?;
        let graph_seconds = t.elapsed().as_secs_f64();
        if outcome.is_partial() {
            return Err(CliError::fatal("the benchmark sync was partial"));
        }
        let graph_requests = client.stats().total().requests;
        let book = UsageBook::in_memory().map_err(|e| fatal(&e))?;
        // The last noon past: each gap's earlier read then left every day before its own
        // settled, whatever the hour the bench runs at.
        let now =
            (openai_access_actors::clock::unix_now() - DAY / 2).div_euclid(DAY) * DAY + DAY / 2;
        let full = timed(&client, &book, now, opts, None).await;
        let mut incremental = Vec::new();
        for gap in GAPS {
            let book = UsageBook::in_memory().map_err(|e| fatal(&e))?;
            target.lift_limits(true);
            usage::read(&client, &book, now - gap * DAY, opts).await;
            target.lift_limits(false);
            target.reset();
            // A later sync is a later process: a client that starts from the limits the state
            // kept, not from the pace of a read a moment ago.
            let mut later = config.clone();
            later.throttle.known = client.throttle().known_limits();
            let later = AdminClient::new(later).map_err(|e| fatal(&e))?;
            incremental.push(timed(&later, &book, now, opts, Some(gap)).await);
        }
        Ok(Report {
            graph_seconds,
            graph_requests,
            grants: outcome.graph.grant_count(),
            window_days: days,
            full,
            incremental,
        })
    })
}

pub fn print(r: &Report) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "graph: {:.1} s, {} requests, {} grants; usage window {} days",
        r.graph_seconds, r.graph_requests, r.grants, r.window_days
    )?;
    writeln!(
        out,
        "usage, whole window: {} days a type, {} requests, {:.1} s after the graph, {} types missing",
        r.full.days_read, r.full.requests, r.full.seconds, r.full.missing
    )?;
    for i in &r.incremental {
        writeln!(
            out,
            "usage, {} day(s) since the last read: {} days a type, {} requests, {:.1} s, {} types missing",
            i.days_since_last.unwrap_or(0),
            i.days_read,
            i.requests,
            i.seconds,
            i.missing
        )?;
    }
    Ok(())
}
