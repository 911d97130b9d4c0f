//! Full cockpit render at 160x48 into a TestBackend: 500 services in a flat
//! table, and 2,000 in four clusters, grouped. And what the UI loop does
//! with a snapshot before drawing it (history, sort, walk; a large fleet's
//! triggers run on their own thread).

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sitrep::config::Config;
use sitrep::ui::app::{App, Event};
use sitrep::ui::{fixtures, keymap::Keymap, theme::Theme, view};

fn cockpit(c: &mut Criterion) {
    for services in [500, 2000] {
        let mut app = App::new(
            &Config::default(),
            Keymap::default_map(),
            Theme::dark(),
            fixtures::start(),
        );
        // Twenty minutes of history at 5 s steps, so every sparkline and countdown has data.
        for step in 0..=240 {
            app.handle(Event::Snapshot(Box::new(fixtures::large(
                services,
                f64::from(step) / 12.0,
            ))));
        }
        let mut step = 240;
        c.bench_function(
            &format!("cockpit takes a snapshot, {services} services"),
            |b| {
                b.iter_batched(
                    || {
                        step += 1;
                        fixtures::large(services, f64::from(step) / 12.0)
                    },
                    |snap| app.handle(Event::Snapshot(Box::new(snap))),
                    criterion::BatchSize::LargeInput,
                )
            },
        );
        let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("test backend");
        c.bench_function(&format!("cockpit 160x48, {services} services"), |b| {
            b.iter(|| {
                terminal.draw(|f| view::draw(f, &app)).expect("draw");
            })
        });
    }
}

criterion_group!(benches, cockpit);
criterion_main!(benches);
