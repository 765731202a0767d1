//! The actix runtime over a multi-threaded tokio runtime (DESIGN §2): actors live on the
//! system arbiter, HTTP and JSON decoding run as tokio tasks on every core.

use std::future::Future;

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
pub fn block_on_simulated<F: Future>(fut: F) -> F::Output {
    let system = actix::System::with_tokio_rt(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            // Without a runtime nothing can run; there is no better answer than stopping here.
            .expect("build the paused tokio runtime")
    });
    system.block_on(fut)
}
