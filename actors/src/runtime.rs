//! The actix runtime over a multi-threaded tokio runtime (DESIGN §2): actors live on the
//! system arbiter, HTTP and JSON decoding run as tokio tasks on every core.

use crate::clock::{self, Origin};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

/// Runs `fut` inside a fresh actix `System` and returns its output. Never call it from inside
/// another runtime (actix cannot start there); any server runs on its own thread.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let system = actix::System::with_tokio_rt(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("openai-access-worker")
            .build()
            // Without a runtime nothing can run; there is no better answer than stopping here.
            .expect("build the tokio runtime")
    });
    system.block_on(fut)
}

/// Runs `fut` like [`block_on`], but on one thread with tokio's clock paused: whenever every
/// task waits, time jumps to the next timer. A sync against an in-process server
/// (the mock crate's `InProcessMock`) then runs in virtual time, hours of rate limits in seconds, and the
/// same way every time. Nothing in it may wait on a real clock or a real socket.
///
/// The wall clock ([`crate::clock::now`]) follows the paused clock there too, on the blocking
/// pool's threads as well.
pub fn block_on_simulated<F: Future>(fut: F) -> F::Output {
    let origin: Arc<OnceLock<Origin>> = Arc::default();
    let for_threads = origin.clone();
    let system = actix::System::with_tokio_rt(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .on_thread_start(move || {
                if let Some(o) = for_threads.get() {
                    clock::adopt(*o);
                }
            })
            .build()
            // Without a runtime nothing can run; there is no better answer than stopping here.
            .expect("build the paused tokio runtime")
    });
    system.block_on(async move {
        let o = *origin.get_or_init(|| (SystemTime::now(), tokio::time::Instant::now()));
        let _clock = clock::Simulated::enter(o);
        fut.await
    })
}
