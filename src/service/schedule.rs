//! When the next sync runs, when a background reconciliation is due, and whether the served
//! graph is fresh enough to be ready: pure decisions, with time as a parameter, so they are
//! tested without waiting.

use std::time::{Duration, SystemTime};

/// The service's timetable.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    /// An incremental sync this long after the last one ended.
    pub interval: Duration,
    /// No stored list older than this: a reconciliation pass re-reads those that are.
    pub full_interval: Duration,
    /// No group member list older than this (the audit log does not record membership): a
    /// pass of their own re-reads those that are.
    pub group_interval: Duration,
}

/// The first retry after a failed sync waits this long, doubling with each further failure,
/// never longer than the interval.
pub const FIRST_RETRY: Duration = Duration::from_secs(5);

/// What the timetable needs to know about the syncs so far.
#[derive(Clone, Copy, Debug, Default)]
pub struct Clock {
    /// When the last sync (of any result) ended.
    pub last_end: Option<SystemTime>,
    /// Syncs that failed since the last success.
    pub failures: u32,
}

impl Schedule {
    /// The wait before the next attempt after `failures` failures in a row.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doubled = FIRST_RETRY.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
        doubled.min(self.interval)
    }

    /// When the next sync runs (the state decides its kind: resume, incremental, or full
    /// saying why; a full reconciliation runs beside, see [`Schedule::reconcile_due`]).
    pub fn next(&self, c: &Clock, now: SystemTime) -> SystemTime {
        match c.last_end {
            None => now,
            Some(end) if c.failures > 0 => end + self.backoff(c.failures),
            Some(end) => end + self.interval,
        }
    }

    /// Whether a reconciliation pass is due: the least recently read stored list (`oldest`)
    /// is older than the full-sync interval.
    pub fn reconcile_due(&self, oldest: Option<SystemTime>, now: SystemTime) -> bool {
        older_than(oldest, self.full_interval, now)
    }

    /// Whether a group rescan pass is due: the least recently read group member list
    /// (`oldest`) is older than the group rescan interval.
    pub fn rescan_due(&self, oldest: Option<SystemTime>, now: SystemTime) -> bool {
        older_than(oldest, self.group_interval, now)
    }
}

/// `t` is at least `bound` before `now` (a time after `now`, from a clock set back, is not).
fn older_than(t: Option<SystemTime>, bound: Duration, now: SystemTime) -> bool {
    t.is_some_and(|t| now.duration_since(t).is_ok_and(|age| age >= bound))
}

/// What readiness looks at.
#[derive(Clone, Debug, Default)]
pub struct Freshness {
    /// When the served graph's sync ended; `None`: no complete graph yet.
    pub served_synced_at: Option<SystemTime>,
    /// A sync is running now.
    pub running: bool,
    /// Syncs failed (or ended partial) since the served graph's.
    pub failures: u32,
}

/// Why `/readyz` answers as it does: a stable code for programs (`as_str`), words for people
/// (`Display`).
#[derive(Clone, Debug, PartialEq)]
pub enum ReadyReason {
    /// No complete graph yet, the first sync is running.
    FirstSyncRunning,
    /// No complete graph yet, and syncs failed.
    FirstSyncsFailed { failures: u32 },
    /// A complete graph within the bound.
    Fresh,
    /// A complete graph older than the bound, while a sync with no failure makes a newer one.
    Refreshing,
    /// A complete graph older than the bound, and syncs failed since.
    Stale {
        age: Duration,
        bound: Duration,
        failures: u32,
    },
}

impl ReadyReason {
    pub fn ready(&self) -> bool {
        matches!(self, ReadyReason::Fresh | ReadyReason::Refreshing)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            ReadyReason::FirstSyncRunning => "first_sync_running",
            ReadyReason::FirstSyncsFailed { .. } => "first_syncs_failed",
            ReadyReason::Fresh => "fresh",
            ReadyReason::Refreshing => "refreshing",
            ReadyReason::Stale { .. } => "stale",
        }
    }
}

impl std::fmt::Display for ReadyReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadyReason::FirstSyncRunning => {
                f.write_str("no complete graph yet: the first sync is running")
            }
            ReadyReason::FirstSyncsFailed { failures } => write!(
                f,
                "no complete graph yet: {failures} sync(s) failed; retrying"
            ),
            ReadyReason::Fresh => f.write_str("serving a complete graph"),
            ReadyReason::Refreshing => f.write_str(
                "serving a complete graph older than the bound while a sync makes a newer one",
            ),
            ReadyReason::Stale {
                age,
                bound,
                failures,
            } => write!(
                f,
                "stale: the served graph is {} s old (bound {} s) and {failures} sync(s) failed since",
                age.as_secs(),
                bound.as_secs(),
            ),
        }
    }
}

/// The answer `/readyz` gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Readiness {
    pub reason: ReadyReason,
    /// How old the served graph is.
    pub age: Option<Duration>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.reason.ready()
    }
}

/// Ready when a complete graph is served and it is at most `max_age` old, or older but a sync
/// is under way with no failure since (a full reconciliation of a big org at the real API's
/// limits takes hours; that is progress, not staleness).
pub fn readiness(f: &Freshness, now: SystemTime, max_age: Duration) -> Readiness {
    let Some(at) = f.served_synced_at else {
        return Readiness {
            reason: if f.failures > 0 {
                ReadyReason::FirstSyncsFailed {
                    failures: f.failures,
                }
            } else {
                ReadyReason::FirstSyncRunning
            },
            age: None,
        };
    };
    let age = now.duration_since(at).unwrap_or_default();
    let reason = if age <= max_age {
        ReadyReason::Fresh
    } else if f.running && f.failures == 0 {
        ReadyReason::Refreshing
    } else {
        ReadyReason::Stale {
            age,
            bound: max_age,
            failures: f.failures,
        }
    };
    Readiness {
        reason,
        age: Some(age),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: SystemTime = SystemTime::UNIX_EPOCH;
    fn at(s: u64) -> SystemTime {
        T0 + Duration::from_secs(s)
    }
    fn sched() -> Schedule {
        Schedule {
            interval: Duration::from_secs(300),
            full_interval: Duration::from_secs(86_400),
            group_interval: Duration::from_secs(6 * 3600),
        }
    }

    #[test]
    fn the_first_sync_is_now_then_one_every_interval() {
        assert_eq!(sched().next(&Clock::default(), at(1_000)), at(1_000));
        let c = Clock {
            last_end: Some(at(100_000)),
            failures: 0,
        };
        assert_eq!(sched().next(&c, at(100_001)), at(100_300));
    }

    #[test]
    fn a_reconciliation_is_due_once_the_oldest_list_is_older_than_the_full_interval() {
        let s = sched();
        assert!(!s.reconcile_due(None, at(100_000)), "no list stored");
        assert!(!s.reconcile_due(Some(at(100_000 - 86_399)), at(100_000)));
        assert!(s.reconcile_due(Some(at(100_000 - 86_400)), at(100_000)));
        assert!(
            !s.reconcile_due(Some(at(200_000)), at(100_000)),
            "a clock set back"
        );
        // Group member lists on their own, shorter bound.
        assert!(!s.rescan_due(None, at(100_000)), "no group");
        assert!(!s.rescan_due(Some(at(100_000 - 21_599)), at(100_000)));
        assert!(s.rescan_due(Some(at(100_000 - 21_600)), at(100_000)));
    }

    #[test]
    fn failures_back_off_doubling_up_to_the_interval() {
        let s = sched();
        let waits: Vec<u64> = (1..=8).map(|f| s.backoff(f).as_secs()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 300, 300]);
        let c = Clock {
            last_end: Some(at(500)),
            failures: 2,
        };
        assert_eq!(s.next(&c, at(501)), at(510));
        assert_eq!(s.backoff(u32::MAX), s.interval);
    }

    #[test]
    fn readiness_follows_age_failures_and_progress() {
        let max = Duration::from_secs(900);
        let none = readiness(&Freshness::default(), at(0), max);
        assert_eq!(none.reason, ReadyReason::FirstSyncRunning);
        assert!(!none.ready() && none.reason.to_string().contains("first sync"));
        let fresh = Freshness {
            served_synced_at: Some(at(1_000)),
            running: false,
            failures: 0,
        };
        assert_eq!(readiness(&fresh, at(1_900), max).reason, ReadyReason::Fresh);
        let old = readiness(&fresh, at(1_901), max);
        assert!(!old.ready(), "{old:?}");
        assert_eq!(old.age, Some(Duration::from_secs(901)));
        let working = Freshness {
            running: true,
            ..fresh.clone()
        };
        assert_eq!(
            readiness(&working, at(50_000), max).reason,
            ReadyReason::Refreshing
        );
        let failing = Freshness {
            running: true,
            failures: 1,
            ..fresh
        };
        let r = readiness(&failing, at(50_000), max);
        assert!(
            !r.ready() && r.reason.to_string().starts_with("stale"),
            "{r:?}"
        );
        assert_eq!(r.reason.as_str(), "stale");
        assert!(
            readiness(&failing, at(1_500), max).ready(),
            "within the bound"
        );
    }
}
