//! SIGINT and SIGTERM during a run that writes files: remove what is half-written (temp files,
//! the .c1z work directory), say what is kept, and exit 130 or 143 as a shell reports them.
//! The state journal needs nothing: it is written through, list by list.

use crate::console;
use openai_access_actors::atomic;

/// Watches for SIGINT/SIGTERM until the process exits; the handlers are in place when this
/// returns. On a signal: removes the scratch files being written, prints `note`, exits.
pub fn watch(note: String) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        tracing::warn!("Cannot watch for signals; an interrupted run may leave temp files.");
        return;
    };
    let signals = {
        let _in_rt = rt.enter();
        Signals::register()
    };
    let Some(mut signals) = signals else {
        tracing::warn!("Cannot watch for signals; an interrupted run may leave temp files.");
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            let code = rt.block_on(signals.next());
            let removed = atomic::abandon_in_progress();
            tracing::debug!(removed = removed.len(), "Removed half-written files.");
            console::error(&format!("interrupted{note}"));
            std::process::exit(code);
        });
    if spawned.is_err() {
        tracing::warn!("Cannot watch for signals; an interrupted run may leave temp files.");
    }
}

#[cfg(unix)]
pub(crate) struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    pub(crate) fn register() -> Option<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Some(Self {
            int: signal(SignalKind::interrupt()).ok()?,
            term: signal(SignalKind::terminate()).ok()?,
        })
    }

    /// The exit code of the next signal: 130 (SIGINT) or 143 (SIGTERM).
    pub(crate) async fn next(&mut self) -> i32 {
        tokio::select! {
            _ = self.int.recv() => 130,
            _ = self.term.recv() => 143,
        }
    }
}

#[cfg(not(unix))]
pub(crate) struct Signals;

#[cfg(not(unix))]
impl Signals {
    pub(crate) fn register() -> Option<Self> {
        Some(Self)
    }

    pub(crate) async fn next(&mut self) -> i32 {
        let _ = tokio::signal::ctrl_c().await;
        130
    }
}
