//! Reading the Usage API into a [`UsageBook`]: for each type, the days of the window not kept
//! settled (today always), from the first of them to the end of today, `bucket_width=1d`, 31
//! buckets a page. A later sync thus asks each type for one page while it comes back within a month:
//! the cost per sync is ten requests, whatever the window.

use super::UsageError;
use super::evidence::{Evidence, Missing};
use super::kinds::{KINDS, Kind};
use crate::api::{AdminClient, Call};
use crate::state::usage::{DAY, UsageBook, UsageRow};
use crate::throttle::Priority;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

/// Buckets per page: the most `bucket_width=1d` allows.
const DAYS_PER_PAGE: u32 = 31;

/// Pages one type may take: a window of years is 40; more means a server that never ends.
const MAX_PAGES: usize = 64;

/// What to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageOptions {
    /// The window: this many days, today included.
    pub days: u32,
    /// The longest the read may take: the output waits for it, and the throttle waits out
    /// a rate limit's pauses rather than fail; what is not read by then is named missing
    /// and read by the next sync. Under the real limits a read fits in each endpoint's burst
    /// (BENCHMARKS.md), well within the default.
    pub max_wait: std::time::Duration,
}

/// [`UsageOptions::max_wait`]'s default.
pub const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(300);

impl UsageOptions {
    pub fn days(days: u32) -> Self {
        Self {
            days,
            max_wait: MAX_WAIT,
        }
    }
}

impl Default for UsageOptions {
    fn default() -> Self {
        Self::days(90)
    }
}

/// What a usage read did, and what it found.
#[derive(Clone, Debug)]
pub struct UsageRead {
    pub evidence: Evidence,
    /// Requests sent (retries included) and pages read.
    pub requests: u64,
    pub pages: u64,
    /// Per type, the days asked for (0: its read failed before asking).
    pub days_read: BTreeMap<&'static str, i64>,
}

#[derive(Deserialize)]
struct UsagePage {
    data: Vec<Bucket>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    next_page: Option<String>,
}

#[derive(Deserialize)]
struct Bucket {
    start_time: i64,
    #[serde(default)]
    results: Vec<UsageResult>,
}

#[derive(Deserialize)]
struct UsageResult {
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    api_key_id: Option<String>,
    #[serde(default)]
    num_model_requests: Option<u64>,
    #[serde(default)]
    num_requests: Option<u64>,
    #[serde(default)]
    num_sessions: Option<u64>,
}

impl UsageResult {
    fn requests(&self, kind: Kind) -> u64 {
        if !kind.counts_use {
            return 0;
        }
        // Web searches count both: the calls made, and the model requests that made them.
        [
            self.num_model_requests,
            self.num_requests,
            self.num_sessions,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
    }
}

/// Reads the days of the window `book` lacks, as of `now` (Unix seconds), through `api` at
/// the lowest priority, and answers the evidence the book then holds. Never fails: what could
/// not be read is in [`Evidence::missing`], and the days it lacks are read by the next sync.
pub async fn read(api: &AdminClient, book: &UsageBook, now: i64, opts: UsageOptions) -> UsageRead {
    let api = api.for_run().with_priority(Priority::Background);
    let today = now.div_euclid(DAY);
    let from = today - i64::from(opts.days.max(1)) + 1;
    let mut missing = Vec::new();
    let mut days_read = BTreeMap::new();
    let mut pages = 0;
    let deadline = tokio::time::Instant::now() + opts.max_wait;
    let api = &api;
    let bounded = |kind: Kind| async move {
        tokio::time::timeout_at(deadline, read_kind(api, book, kind, from, today, now))
            .await
            .unwrap_or(Err(UsageError::TimedOut {
                after: opts.max_wait,
            }))
    };
    // One type first: a key without the usage scope (or a plan without the API) is refused
    // once, not ten times.
    let first = bounded(KINDS[0]).await;
    let refused = first.as_ref().err().and_then(|e| match e {
        UsageError::Api(a)
            if a.is_forbidden() || a.is_unauthorized() || a.status() == Some(404) =>
        {
            Some(e.to_string())
        }
        _ => None,
    });
    let mut results = vec![(KINDS[0], first)];
    if let Some(why) = refused {
        missing.extend(KINDS.iter().map(|k| Missing {
            kind: k.name.to_owned(),
            why: why.clone(),
        }));
        results.clear();
    } else {
        let rest = futures::future::join_all(KINDS[1..].iter().map(|k| bounded(*k))).await;
        results.extend(KINDS[1..].iter().copied().zip(rest));
    }
    for (kind, r) in results {
        match r {
            Ok((days, p)) => {
                days_read.insert(kind.name, days);
                pages += p;
            }
            Err(e) => {
                tracing::debug!(kind = kind.name, error = %e, "Usage not read.");
                days_read.insert(kind.name, 0);
                missing.push(Missing {
                    kind: kind.name.to_owned(),
                    why: e.to_string(),
                });
            }
        }
    }
    if let Err(e) = book.forget_before(from) {
        tracing::warn!(error = %e, "Cannot forget usage older than the window.");
    }
    let evidence = Evidence::from_book(book, opts.days, from, today, missing);
    UsageRead {
        evidence,
        requests: api.stats().total().requests,
        pages,
        days_read,
    }
}

/// One type: the days from the first the book lacks settled to today; (days asked, pages).
async fn read_kind(
    api: &AdminClient,
    book: &UsageBook,
    kind: Kind,
    from: i64,
    today: i64,
    now: i64,
) -> Result<(i64, u64), UsageError> {
    let settled = book.settled(kind.name, from)?;
    let first = (from..=today)
        .find(|d| !settled.contains(d))
        .unwrap_or(today);
    let mut rows = Vec::new();
    let mut page: Option<String> = None;
    let mut seen = HashSet::new();
    let mut pages = 0;
    loop {
        // Up to the end of today (as `now` has it), not the server's now: the days read are
        // exactly those decided on, whatever the two clocks say.
        let mut call = Call::new(kind.endpoint, &[])
            .with_query("start_time", (first * DAY).to_string())
            .with_query("end_time", ((today + 1) * DAY).to_string())
            .with_query("bucket_width", "1d")
            .with_query("limit", DAYS_PER_PAGE.to_string());
        for g in kind.group_by() {
            call = call.with_query("group_by", *g);
        }
        if let Some(p) = &page {
            call = call.with_query("page", p.clone());
        }
        let answer: UsagePage = api.execute(&call).await?;
        pages += 1;
        for b in answer.data {
            let day = b.start_time.div_euclid(DAY);
            rows.extend(b.results.iter().map(|r| UsageRow {
                day,
                project_id: r.project_id.clone().unwrap_or_default(),
                user_id: r.user_id.clone().unwrap_or_default(),
                api_key_id: r.api_key_id.clone().unwrap_or_default(),
                requests: r.requests(kind),
            }));
        }
        match answer.next_page.filter(|_| answer.has_more) {
            Some(next) if pages < MAX_PAGES => {
                if !seen.insert(next.clone()) {
                    return Err(UsageError::RepeatedPage {
                        endpoint: kind.endpoint,
                        page: next,
                    });
                }
                page = Some(next);
            }
            Some(next) => {
                return Err(UsageError::RepeatedPage {
                    endpoint: kind.endpoint,
                    page: next,
                });
            }
            None => break,
        }
    }
    book.replace(kind.name, first, today, &rows, now)?;
    Ok((today - first + 1, pages as u64))
}
