//! When one call tries again, and when it gives up. Pure: durations are passed in.
//!
//! A call fails only when the server keeps failing it:
//! - **failed answers** (5xx, unreadable or broken bodies) count against `max_attempts`;
//! - **waits the server imposes** count against the retry budget: backoff after a failed
//!   answer, the pause a 429 asks for (its `Retry-After`, else the throttle's default), and
//!   time the server was unreachable (connections refused, requests timed out). Every wait is
//!   capped by what is left of the budget, so no header can make a call sleep for days;
//! - a call that keeps meeting 429s stops after [`RATE_LIMITED_PER_ATTEMPT`] per allowed
//!   failed answer (64 by default), a safety net against a server that refuses forever.
//!
//! Time spent queued behind the client's own pacing is not the server failing anything and
//! never counts: at 10 requests per minute a list may wait its turn for hours.

use super::error::{ApiError, Failure};
use crate::endpoint::Endpoint;
use backoff::ExponentialBackoff;
use backoff::backoff::Backoff;
use std::time::Duration;

/// 429s one call accepts per allowed failed answer.
pub(crate) const RATE_LIMITED_PER_ATTEMPT: u32 = 8;

/// The wait before the first retry of a failed answer (±30%), doubling after each.
pub(crate) const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// A server wait this long is worth saying at the default verbosity.
const LONG_WAIT: Duration = Duration::from_secs(60);

/// What to do after a failed attempt.
#[derive(Debug, PartialEq)]
pub(crate) enum Next {
    /// Try again after this long (zero: at once, or when the throttle lets it go).
    Wait(Duration),
    /// Retrying cannot help: return the error as it is.
    Fail,
    /// The server kept failing it: give up, saying why.
    GiveUp(String),
}

/// One call's retry accounting.
#[derive(Debug)]
pub(crate) struct Retry {
    max_attempts: u32,
    budget: Duration,
    spent: Duration,
    attempts: u32,
    failed_answers: u32,
    rate_limited: u32,
    unreachable_for: Duration,
    /// A 429's wait that was cut short by the budget: what the server asked for.
    cut_short: Option<Duration>,
    backoff: ExponentialBackoff,
}

impl Retry {
    pub(crate) fn new(max_attempts: u32, budget: Duration) -> Self {
        let mut backoff = ExponentialBackoff {
            initial_interval: FIRST_BACKOFF,
            max_interval: Duration::from_secs(30),
            multiplier: 2.0,
            randomization_factor: 0.3,
            // Only the intervals are used: the budget is kept here, in server-imposed time.
            max_elapsed_time: None,
            ..ExponentialBackoff::default()
        };
        // The struct update keeps the default's *current* interval (500 ms), which is what
        // the first wait is drawn from: without a reset the first retry waited 500 ms, not 100.
        backoff.reset();
        Self {
            max_attempts: max_attempts.max(1),
            budget,
            spent: Duration::ZERO,
            attempts: 0,
            failed_answers: 0,
            rate_limited: 0,
            unreachable_for: Duration::ZERO,
            cut_short: None,
            backoff,
        }
    }

    /// Requests sent so far, 429s included.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// What is left of the budget.
    pub(crate) fn left(&self) -> Duration {
        self.budget.saturating_sub(self.spent)
    }

    /// The pause a 429 imposes: what the server `asked` for (else `default`), capped by what
    /// is left. Charged to the budget now (the throttle holds the endpoint for that long, and
    /// the retry waits for the throttle). A long wait is said at the default verbosity.
    pub(crate) fn pause_for(
        &mut self,
        endpoint: Endpoint,
        asked: Option<Duration>,
        default: Duration,
    ) -> Duration {
        let wanted = asked.unwrap_or(default);
        let pause = wanted.min(self.left());
        self.cut_short = (pause < wanted).then_some(wanted);
        if wanted > LONG_WAIT {
            if pause < wanted {
                tracing::warn!(
                    endpoint = endpoint.template(),
                    asked_s = wanted.as_secs(),
                    waiting_s = pause.as_secs(),
                    "The server asked for a long wait before retrying; waiting only what is left of this request's retry budget (--retry-budget)."
                );
            } else {
                tracing::info!(
                    endpoint = endpoint.template(),
                    asked_s = wanted.as_secs(),
                    "The server asked for a long wait before retrying."
                );
            }
        }
        self.spent += pause;
        pause
    }

    /// Accounts for a failed attempt that took `took`, and says what to do next.
    pub(crate) fn after(&mut self, error: &ApiError, took: Duration) -> Next {
        self.attempts += 1;
        match error.failure() {
            Failure::Permanent => Next::Fail,
            Failure::RateLimited => {
                self.rate_limited += 1;
                // The pause was charged when the 429 arrived (`pause_for`).
                if self.rate_limited >= RATE_LIMITED_PER_ATTEMPT * self.max_attempts {
                    Next::GiveUp(format!("{} answers of 429", self.rate_limited))
                } else if self.left().is_zero() {
                    Next::GiveUp(self.budget_spent())
                } else {
                    Next::Wait(Duration::ZERO)
                }
            }
            Failure::Answer => {
                self.failed_answers += 1;
                if self.failed_answers >= self.max_attempts {
                    return Next::GiveUp(format!(
                        "{} failed answers, the most allowed (--max-attempts)",
                        self.failed_answers
                    ));
                }
                self.wait()
            }
            Failure::Unreachable => {
                self.unreachable_for += took;
                self.spent += took;
                self.wait()
            }
        }
    }

    fn wait(&mut self) -> Next {
        let left = self.left();
        if left.is_zero() {
            return Next::GiveUp(self.budget_spent());
        }
        let wait = self
            .backoff
            .next_backoff()
            .unwrap_or(self.backoff.max_interval)
            .min(left);
        if !self.unreachable_for.is_zero() {
            self.unreachable_for += wait;
        }
        self.spent += wait;
        Next::Wait(wait)
    }

    fn budget_spent(&self) -> String {
        if let Some(asked) = self.cut_short {
            return format!(
                "the server asked to wait {}, more than was left of its {} retry budget (--retry-budget)",
                crate::human::duration(asked),
                crate::human::duration(self.budget)
            );
        }
        let outage = if self.unreachable_for.is_zero() {
            String::new()
        } else {
            format!(
                "; the server was unreachable for {} of it",
                crate::human::duration(self.unreachable_for)
            )
        };
        format!(
            "the server made it wait {}, its whole retry budget (--retry-budget){outage}",
            crate::human::duration(self.spent)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TransportKind;

    const E: Endpoint = Endpoint::ListUsers;

    fn status(status: u16) -> ApiError {
        ApiError::Status {
            endpoint: E,
            status,
            message: String::new(),
            code: None,
        }
    }

    fn limited() -> ApiError {
        ApiError::RateLimited {
            endpoint: E,
            retry_after: None,
            message: String::new(),
        }
    }

    fn unreachable() -> ApiError {
        ApiError::Transport {
            endpoint: E,
            kind: TransportKind::Timeout,
            detail: String::new(),
        }
    }

    #[test]
    fn failed_answers_count_against_max_attempts() {
        let mut r = Retry::new(3, Duration::from_secs(600));
        assert!(matches!(
            r.after(&status(500), Duration::ZERO),
            Next::Wait(_)
        ));
        assert!(matches!(
            r.after(&status(502), Duration::ZERO),
            Next::Wait(_)
        ));
        assert!(
            matches!(r.after(&status(503), Duration::ZERO), Next::GiveUp(w) if w.contains("3 failed answers"))
        );
        assert_eq!(
            Retry::new(3, Duration::ZERO).after(&status(404), Duration::ZERO),
            Next::Fail
        );
    }

    #[test]
    fn backoff_starts_at_the_first_interval_and_doubles() {
        let mut r = Retry::new(8, Duration::from_secs(600));
        let mut waits = Vec::new();
        for _ in 0..3 {
            match r.after(&status(500), Duration::ZERO) {
                Next::Wait(w) => waits.push(w.as_secs_f64()),
                other => panic!("{other:?}"),
            }
        }
        let first = FIRST_BACKOFF.as_secs_f64();
        for (i, w) in waits.iter().enumerate() {
            let mid = first * 2f64.powi(i as i32);
            assert!(
                (mid * 0.7..=mid * 1.3).contains(w),
                "wait {i} was {w} s, expected {mid} s ±30%"
            );
        }
    }

    #[test]
    fn rate_limits_cost_only_their_pause_and_a_long_ask_is_capped_by_the_budget() {
        let mut r = Retry::new(8, Duration::from_secs(60));
        for _ in 0..20 {
            assert_eq!(
                r.pause_for(E, Some(Duration::from_secs(1)), Duration::ZERO),
                Duration::from_secs(1)
            );
            assert_eq!(
                r.after(&limited(), Duration::ZERO),
                Next::Wait(Duration::ZERO)
            );
        }
        // 20 429s in, 40 s left: a day-long Retry-After waits 40 s, then the call gives up.
        let pause = r.pause_for(E, Some(Duration::from_secs(86_400)), Duration::ZERO);
        assert_eq!(pause, Duration::from_secs(40));
        assert!(
            matches!(r.after(&limited(), Duration::ZERO), Next::GiveUp(w) if w.contains("retry budget"))
        );
    }

    #[test]
    fn a_server_that_refuses_forever_is_left_after_the_safety_net() {
        let mut r = Retry::new(2, Duration::from_secs(3600));
        let mut n = 0;
        while matches!(r.after(&limited(), Duration::ZERO), Next::Wait(_)) {
            n += 1;
        }
        assert_eq!(n + 1, 2 * RATE_LIMITED_PER_ATTEMPT);
    }

    #[test]
    fn an_outage_is_bounded_in_time_not_attempts() {
        let mut r = Retry::new(1, Duration::from_secs(120));
        let mut attempts = 0;
        loop {
            attempts += 1;
            match r.after(&unreachable(), Duration::from_secs(5)) {
                // 30 s at most, ±30% jitter.
                Next::Wait(w) => assert!(w <= Duration::from_secs(39)),
                Next::GiveUp(why) => {
                    assert!(why.contains("unreachable"), "{why}");
                    break;
                }
                Next::Fail => panic!("an outage is retried"),
            }
        }
        assert!(attempts > 1, "max_attempts does not limit an outage");
        assert!(r.spent <= Duration::from_secs(125));
    }
}
