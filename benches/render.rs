//! Full cockpit render at 160x48 with 500 services into a TestBackend.

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sitrep::config::Config;
use sitrep::ui::app::{App, Event};
use sitrep::ui::{fixtures, keymap::Keymap, theme::Theme, view};

fn cockpit_500(c: &mut Criterion) {
    let mut app = App::new(
        &Config::default(),
        Keymap::default_map(),
        Theme::dark(),
        fixtures::start(),
    );
    // Twenty minutes of history at 5 s steps, so every sparkline has data.
    for step in 0..=240 {
        app.handle(Event::Snapshot(Box::new(fixtures::large(
            500,
            f64::from(step) / 12.0,
        ))));
    }
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("test backend");
    c.bench_function("cockpit 160x48, 500 services", |b| {
        b.iter(|| {
            terminal.draw(|f| view::draw(f, &app)).expect("draw");
        })
    });
}

criterion_group!(benches, cockpit_500);
criterion_main!(benches);
