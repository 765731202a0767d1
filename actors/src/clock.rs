//! "Now" on the wall clock, for everything that stamps or ages by it (when a list was read,
//! when an audit event happened, when a reconciliation is due). Real time, except inside
//! [`crate::block_on_simulated`]: there the wall clock follows tokio's paused clock from the
//! moment the simulation began, so a simulated service ages its lists, a simulated mock stamps
//! its audit log and the reconciliation falls due in virtual time, on every thread of that
//! runtime and nowhere else (simulations running side by side do not share a clock).

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

/// Where a simulation's virtual time started: the wall clock then, and tokio's clock then.
pub(crate) type Origin = (SystemTime, tokio::time::Instant);

thread_local! {
    static SIMULATED: Cell<Option<Origin>> = const { Cell::new(None) };
}

/// The wall clock now (virtual inside a simulation).
pub fn now() -> SystemTime {
    match SIMULATED.with(Cell::get) {
        Some((wall, at)) => wall + at.elapsed(),
        None => SystemTime::now(),
    }
}

/// [`now`] in Unix seconds.
pub fn unix_now() -> i64 {
    now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// While alive, this thread's wall clock is the simulation's that began at `origin`.
pub(crate) struct Simulated(Option<Origin>);

impl Simulated {
    pub(crate) fn enter(origin: Origin) -> Self {
        Self(SIMULATED.with(|s| s.replace(Some(origin))))
    }
}

impl Drop for Simulated {
    fn drop(&mut self) {
        SIMULATED.with(|s| s.set(self.0));
    }
}

/// For a thread the simulation's runtime starts (its blocking pool): the same clock.
pub(crate) fn adopt(origin: Origin) {
    SIMULATED.with(|s| s.set(Some(origin)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn inside_a_simulation_the_wall_clock_follows_the_paused_clock_on_every_thread() {
        let real = SystemTime::now();
        let (start, later, blocking) = crate::block_on_simulated(async {
            let start = now();
            tokio::time::sleep(Duration::from_secs(3 * 3600)).await;
            let later = now();
            let blocking = tokio::task::spawn_blocking(now).await.expect("joined");
            (start, later, blocking)
        });
        let slept = later.duration_since(start).expect("forward");
        assert!(slept >= Duration::from_secs(3 * 3600), "{slept:?}");
        assert!(slept < Duration::from_secs(3 * 3600 + 60), "{slept:?}");
        assert!(blocking >= later, "the blocking pool shares the clock");
        assert!(start.duration_since(real).unwrap_or_default() < Duration::from_secs(60));
        // Outside, real time again.
        let after = now();
        assert!(after < later, "{after:?} {later:?}");
    }
}
