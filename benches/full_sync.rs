//! End-to-end full sync of the `small` preset against the in-process mock (criterion).
//!
//! `cargo bench --bench full_sync`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use openai_access_actors::AdminKey;
use openai_access_actors::ClientConfig;
use openai_access_actors::block_on;
use openai_access_actors::{SyncConfig, sync};
use openai_access_mock::{MockConfig, MockServer, Preset};
use std::time::{Duration, Instant};

fn full_sync(c: &mut Criterion) {
    // The mock lives on its own thread for the whole bench; each iteration is a fresh sync
    // in a fresh actix System (criterion's async runners would nest runtimes).
    let server = MockServer::start(MockConfig {
        preset: Preset::Small,
        ..MockConfig::default()
    })
    .expect("mock");
    let requests: u64 = server.org().minimum_requests().values().sum();
    let mut group = c.benchmark_group("full_sync");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(requests));
    group.bench_function("small_no_latency", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let key = AdminKey::new(openai_access_mock::MOCK_KEY).expect("key");
                let config = SyncConfig {
                    client: ClientConfig::new(server.base_url(), key),
                    org_id: None,
                    max_duration: None,
                };
                let started = Instant::now();
                let outcome = block_on(sync(config)).expect("sync");
                total += started.elapsed();
                assert!(!outcome.is_partial());
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, full_sync);
criterion_main!(benches);
