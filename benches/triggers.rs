//! Runbook triggers over a large fleet: the cockpit evaluates every shipped
//! runbook's trigger for every service and cache as snapshots arrive.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use sitrep::model::history::FleetHistory;
use sitrep::runbook::library::{Library, shipped};
use sitrep::runbook::trigger;
use sitrep::runbook::{EvalContext, OverrideFacts};
use sitrep::sim::Simulator;

fn triggers_over_large_fleets(c: &mut Criterion) {
    let library = Library::from_loaded(shipped());
    let mut group = c.benchmark_group("runbook");
    group.sample_size(10);
    for services in [500, 2000] {
        let mut sim = Simulator::synthetic(services, 7);
        let mut history = FleetHistory::default();
        for _ in 0..60 {
            sim.advance(10);
            history.record(&sim.snapshot());
        }
        let snapshot = sim.snapshot();
        let facts = OverrideFacts::default();
        group.bench_function(format!("suggest_{services}_services"), |b| {
            b.iter(|| {
                let ec = EvalContext::new(&snapshot, &history, &facts);
                black_box(trigger::suggest(&library.runbooks, &ec))
            })
        });
        // What a snapshot arriving while a pass runs off the loop costs: the
        // history the pass holds is copied before the snapshot is recorded
        // (here a full hour of it).
        let mut full = history.clone();
        for _ in 0..240 {
            sim.advance(15);
            full.record(&sim.snapshot());
        }
        group.bench_function(format!("history_copy_{services}_services_1h"), |b| {
            b.iter(|| black_box(full.clone()))
        });
        // As the cockpit evaluates them: the history shared, series read in place.
        let shared = std::sync::Arc::new(history);
        group.bench_function(format!("suggest_{services}_services_shared"), |b| {
            b.iter(|| {
                let ec = EvalContext::new(&snapshot, &shared, &facts).with_shared(&shared);
                black_box(trigger::suggest(&library.runbooks, &ec))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, triggers_over_large_fleets);
criterion_main!(benches);
