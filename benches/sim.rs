//! Simulator speed: a day of a 50-service fleet must take well under a second,
//! and a 500-service snapshot must be cheap enough to build every refresh.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sitrep::sim::Simulator;

fn day_of_fifty_services(c: &mut Criterion) {
    let mut group = c.benchmark_group("sim");
    group.sample_size(10);
    group.bench_function("advance_24h_50_services_5s_steps", |b| {
        b.iter_batched(
            || Simulator::synthetic(50, 7),
            |mut sim| {
                sim.advance(24 * 3600);
                black_box(sim.now())
            },
            criterion::BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn snapshot_of_500_services(c: &mut Criterion) {
    let mut sim = Simulator::synthetic(500, 7);
    sim.advance(600);
    c.bench_function("snapshot_500_services", |b| {
        b.iter(|| black_box(sim.snapshot()))
    });
}

criterion_group!(benches, day_of_fifty_services, snapshot_of_500_services);
criterion_main!(benches);
