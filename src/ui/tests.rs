//! What a user sees: insta snapshots of each pane and the whole cockpit, and
//! key handling driven through the pure handler.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{App, Effect, Event, Focus};
use super::command::SortKey;
use super::fixtures::{self, buffer_text, render};
use super::keymap::Layer;
use super::panes;
use super::view;
use crate::config::Config;

fn release(minutes: f64) -> App {
    fixtures::app(minutes, &Config::default())
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn chars(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn cockpit(app: &App, w: u16, h: u16) -> String {
    buffer_text(&render(app, w, h, view::draw))
}

#[test]
fn cockpit_calm_160x48() {
    insta::assert_snapshot!(cockpit(&release(0.5), 160, 48));
}

#[test]
fn cockpit_saturated_160x48() {
    insta::assert_snapshot!(cockpit(&release(14.0), 160, 48));
}

#[test]
fn cockpit_saturated_80x24() {
    insta::assert_snapshot!(cockpit(&release(14.0), 80, 24));
}

#[test]
fn cockpit_read_only_wall_160x48() {
    let cfg = Config {
        read_only: true,
        wall: true,
        ..Config::default()
    };
    insta::assert_snapshot!(cockpit(&fixtures::app(14.0, &cfg), 160, 48));
}

#[test]
fn unchanged_snapshot_does_not_redraw() {
    let mut app = release(1.0);
    app.take_dirty();
    app.handle(Event::Snapshot(Box::new(fixtures::manga_release(1.0))));
    assert!(!app.take_dirty());
    app.handle(Event::Snapshot(Box::new(fixtures::manga_release(1.1))));
    assert!(app.take_dirty());
}

#[test]
fn too_small_is_said_plainly() {
    let text = cockpit(&release(1.0), 79, 24);
    assert!(text.contains("terminal too small (need 80x24)"), "{text}");
    let text = cockpit(&release(1.0), 100, 20);
    assert!(text.contains("now 100x20"), "{text}");
}

#[test]
fn panes_one_by_one() {
    let app = release(14.0);
    let pane = |w, h, draw: fn(&mut ratatui::Frame, ratatui::layout::Rect, &App)| {
        buffer_text(&render(&app, w, h, |f, app| draw(f, f.area(), app)))
    };
    insta::assert_snapshot!("pane_header", pane(120, 1, panes::header::render));
    insta::assert_snapshot!("pane_fleet", pane(100, 10, panes::fleet::render));
    insta::assert_snapshot!("pane_detail", pane(70, 13, panes::detail::render));
    insta::assert_snapshot!("pane_capacity", pane(60, 9, panes::capacity::render));
    insta::assert_snapshot!("pane_cache", pane(60, 8, panes::cache::render));
    insta::assert_snapshot!("pane_events", pane(70, 12, panes::events::render));
    insta::assert_snapshot!("pane_cost", pane(60, 5, panes::cost::render));
    insta::assert_snapshot!("pane_status", pane(120, 1, panes::status::render));
}

#[test]
fn help_lists_the_keymap_and_filters() {
    let mut app = release(1.0);
    key(&mut app, KeyCode::Char('?'));
    assert_eq!(app.layer(), Layer::Help);
    insta::assert_snapshot!("help_open", cockpit(&app, 100, 30));
    chars(&mut app, "pane");
    let text = cockpit(&app, 100, 30);
    assert!(text.contains("Next pane"), "{text}");
    assert!(!text.contains("Quit"), "{text}");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.layer(), Layer::Cockpit);
}

#[test]
fn q_quits_but_is_typed_in_inputs() {
    let mut app = release(1.0);
    key(&mut app, KeyCode::Char('/'));
    assert!(key(&mut app, KeyCode::Char('q')).is_empty());
    assert_eq!(app.filter, "q");
    key(&mut app, KeyCode::Esc);
    assert_eq!(key(&mut app, KeyCode::Char('q')), vec![Effect::Quit]);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(app.handle(Event::Key(ctrl_c)), vec![Effect::Quit]);
}

#[test]
fn filter_narrows_live_and_esc_restores() {
    let mut app = release(14.0);
    let all = app.rows.len();
    key(&mut app, KeyCode::Char('/'));
    assert_eq!(app.layer(), Layer::Filter);
    chars(&mut app, "re");
    assert_eq!(app.rows.len(), 2); // manga-reader, image-resizer
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.layer(), Layer::Cockpit);
    assert_eq!(app.filter, "re");
    assert!(app.selected.as_ref().unwrap().service.contains("re"));
    key(&mut app, KeyCode::Char('/'));
    chars(&mut app, "zzz");
    assert!(app.rows.is_empty());
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.filter, "re");
    key(&mut app, KeyCode::Esc); // cockpit esc clears
    assert_eq!(app.rows.len(), all);
}

#[test]
fn empty_fleet_says_why() {
    use super::panes::fleet::empty_reason;
    let fresh = |snap: crate::model::FleetSnapshot| {
        let mut app = App::new(
            &Config::default(),
            super::keymap::Keymap::default_map(),
            super::theme::Theme::dark(),
            snap.taken_at,
        );
        app.handle(Event::Snapshot(Box::new(snap)));
        app
    };
    let waiting = App::new(
        &Config::default(),
        super::keymap::Keymap::default_map(),
        super::theme::Theme::dark(),
        fixtures::manga_release(0.0).taken_at,
    );
    assert_eq!(empty_reason(&waiting).unwrap(), "reading the fleet…");
    assert!(cockpit(&waiting, 160, 48).contains("reading the fleet…"));

    let mut none = fixtures::manga_release(2.0);
    none.services.clear();
    let app = fresh(none.clone());
    assert_eq!(
        empty_reason(&app).unwrap(),
        "no services in cluster manga-prod"
    );
    assert!(cockpit(&app, 160, 48).contains("no services in cluster manga-prod"));
    let mut two = none.clone();
    two.clusters.push(crate::model::Cluster {
        name: "manga-batch".into(),
        ..two.clusters[0].clone()
    });
    assert_eq!(
        empty_reason(&fresh(two)).unwrap(),
        "no services in clusters manga-prod and manga-batch"
    );

    let mut dark = none.clone();
    for status in dark.parts.values_mut() {
        status.fetched_at = None;
        status.error = Some("no credentials in the environment or profile".into());
    }
    let app = fresh(dark);
    assert_eq!(
        empty_reason(&app).unwrap(),
        "every part is failing: no credentials in the environment or profile"
    );
    assert!(cockpit(&app, 160, 48).contains("every part is failing: no credentials"));

    let mut denied = none.clone();
    let services = denied.parts.get_mut(&crate::model::Part::Services).unwrap();
    services.fetched_at = None;
    services.error = Some("AccessDenied: ecs:DescribeServices".into());
    assert_eq!(
        empty_reason(&fresh(denied)).unwrap(),
        "cannot read services: AccessDenied: ecs:DescribeServices"
    );

    let mut reading = none;
    reading
        .parts
        .get_mut(&crate::model::Part::Services)
        .unwrap()
        .fetched_at = None;
    assert_eq!(empty_reason(&fresh(reading)).unwrap(), "reading the fleet…");

    let mut app = release(14.0);
    assert_eq!(empty_reason(&app), None);
    key(&mut app, KeyCode::Char('/'));
    chars(&mut app, "xyz");
    assert_eq!(
        empty_reason(&app).unwrap(),
        "no service matches /xyz — esc cancels"
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        empty_reason(&app).unwrap(),
        "no service matches /xyz — esc clears"
    );
    assert!(cockpit(&app, 160, 48).contains("no service matches /xyz — esc clears"));
    key(&mut app, KeyCode::Esc);
    assert_eq!(empty_reason(&app), None);
}

#[test]
fn a_stop_signal_quits_from_any_layer() {
    let term = super::event::StopSignal {
        name: "SIGTERM",
        number: 15,
    };
    let mut app = release(14.0);
    key(&mut app, KeyCode::Char('/'));
    assert_eq!(app.layer(), Layer::Filter, "q would be typed here");
    assert_eq!(app.handle(Event::Signal(term)), vec![Effect::Quit]);
    assert_eq!(app.stopped_by, Some(term));
}

#[test]
fn navigation_moves_selection_and_focus() {
    let mut app = release(14.0);
    assert_eq!(app.selected_row(), Some(0));
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Down);
    assert_eq!(app.selected_row(), Some(2));
    key(&mut app, KeyCode::Char('k'));
    assert_eq!(app.selected_row(), Some(1));
    key(&mut app, KeyCode::Char('G'));
    assert_eq!(app.selected_row(), Some(app.rows.len() - 1));
    key(&mut app, KeyCode::Char('g'));
    assert_eq!(app.selected_row(), Some(0));
    key(&mut app, KeyCode::Up);
    assert_eq!(app.selected_row(), Some(0));
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Focus::Detail);
    app.handle(Event::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    key(&mut app, KeyCode::Char('h'));
    assert_eq!(app.focus, Focus::Cost);
    key(&mut app, KeyCode::Char('l'));
    assert_eq!(app.focus, Focus::Fleet);
}

#[test]
fn selection_follows_the_top_until_the_operator_moves_it() {
    let mut app = release(0.0);
    let top = |app: &App| {
        let snap = app.snapshot.as_ref().unwrap();
        snap.services[app.rows[0]].key.clone()
    };
    app.handle(Event::Snapshot(Box::new(fixtures::manga_release(14.0))));
    assert_eq!(app.selected, Some(top(&app)));
    let mut app = release(1.0);
    key(&mut app, KeyCode::Char('G'));
    let chosen = app.selected.clone();
    app.handle(Event::Snapshot(Box::new(fixtures::manga_release(14.0))));
    assert_eq!(app.selected, chosen);
}

#[test]
fn release_and_repeat_events_are_ignored() {
    let mut app = release(1.0);
    app.take_dirty();
    let mut ev = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
    ev.kind = KeyEventKind::Release;
    app.handle(Event::Key(ev));
    ev.kind = KeyEventKind::Repeat;
    app.handle(Event::Key(ev));
    assert_eq!(app.selected_row(), Some(0));
    assert!(!app.take_dirty());
}

#[test]
fn trouble_sort_puts_saturation_and_failures_first() {
    let app = release(14.0);
    let snap = app.snapshot.as_ref().unwrap();
    let order: Vec<&str> = app
        .rows
        .iter()
        .map(|&i| snap.services[i].key.service.as_str())
        .collect();
    assert_eq!(order[0], "manga-api", "{order:?}");
    let calm_last = order.iter().position(|s| *s == "notifier").unwrap();
    let failing = order.iter().position(|s| *s == "burst-worker").unwrap();
    assert!(failing < calm_last, "{order:?}");
}

#[test]
fn palette_runs_commands_and_reports_errors() {
    let mut app = release(1.0);
    key(&mut app, KeyCode::Char(':'));
    assert_eq!(app.layer(), Layer::Palette);
    chars(&mut app, "theme light");
    insta::assert_snapshot!("palette_theme", cockpit(&app, 100, 30));
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        vec![Effect::LoadTheme("light".into())]
    );
    assert_eq!(app.layer(), Layer::Cockpit);
    key(&mut app, KeyCode::Char(':'));
    chars(&mut app, "sort name");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.sort, SortKey::Name);
    key(&mut app, KeyCode::Char(':'));
    chars(&mut app, "filter reader");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.filter, "reader");
    key(&mut app, KeyCode::Char(':'));
    chars(&mut app, "launch rockets");
    key(&mut app, KeyCode::Enter);
    let msg = app.message.as_ref().unwrap();
    assert!(msg.error && msg.text.contains("launch"), "{msg:?}");
}

#[test]
fn set_theme_switches_or_reports() {
    let mut app = release(1.0);
    app.set_theme(super::theme::Theme::load("light", None));
    assert_eq!(app.theme.name, "light");
    app.set_theme(super::theme::Theme::load("nope", None));
    assert_eq!(app.theme.name, "light");
    assert!(app.message.as_ref().unwrap().error);
}

#[test]
fn stale_when_a_part_fails_or_data_stops() {
    let mut app = release(1.0);
    assert_eq!(app.stale_reason(), None);
    app.handle(Event::Tick(app.now + chrono::Duration::seconds(30)));
    assert!(app.stale_reason().unwrap().contains("no data"));
    let mut snap = fixtures::manga_release(2.0);
    snap.parts
        .get_mut(&crate::model::Part::Alarms)
        .unwrap()
        .error = Some("ThrottlingException".into());
    app.handle(Event::Snapshot(Box::new(snap)));
    assert!(app.stale_reason().unwrap().contains("Throttling"));
    assert!(cockpit(&app, 160, 48).contains("STALE"));
}

#[test]
fn errors_view_lists_each_part_with_its_whole_problem() {
    let mut app = release(2.0);
    let mut snap = fixtures::manga_release(2.0);
    let read_at = snap.taken_at - chrono::Duration::seconds(95);
    let denied = "cloudwatch:GetMetricData: access denied: these credentials may not call \
                  cloudwatch:GetMetricData, so CPU, P95 and cache memory stays empty \
                  (README: IAM policy)";
    let metrics = snap.parts.get_mut(&crate::model::Part::Metrics).unwrap();
    metrics.fetched_at = Some(read_at);
    metrics.error = Some(denied.into());
    snap.stats.api_calls = 9;
    snap.stats.latency_ms = 310;
    snap.stats.calls_by_api = [
        ("ecs:DescribeServices".to_string(), 3),
        ("ecs:ListServices".into(), 1),
    ]
    .into_iter()
    .collect();
    app.handle(Event::Snapshot(Box::new(snap)));
    for (k, layer) in [('!', Layer::Errors), ('!', Layer::Cockpit)] {
        key(&mut app, KeyCode::Char(k));
        assert_eq!(app.layer(), layer);
        if layer == Layer::Errors {
            let screen = cockpit(&app, 120, 40);
            assert!(
                screen.contains("so CPU, P95 and cache memory stays empty"),
                "{screen}"
            );
            insta::assert_snapshot!(screen);
        }
    }
    app.run(Layer::Cockpit, super::command::Command::Errors);
    assert_eq!(app.layer(), Layer::Errors, "`:errors` opens it too");
}

#[test]
fn data_age_counts_from_the_last_good_read_through_an_outage() {
    // The poller re-sends its last data every ~18 s with every part failing:
    // the age grows through the outage and the stale marker stays on.
    let mut app = release(2.0);
    let read_at = app.now;
    assert_eq!(app.data_age(), Some(chrono::Duration::zero()));
    for k in 1..=4 {
        let now = read_at + chrono::Duration::seconds(18 * k);
        app.handle(Event::Tick(now));
        let mut resent = fixtures::manga_release(2.0);
        resent.taken_at = now;
        for part in resent.parts.values_mut() {
            part.fetched_at = Some(read_at);
            part.error = Some("ecs:ListClusters: dispatch failure: connection refused".into());
        }
        app.handle(Event::Snapshot(Box::new(resent)));
        assert_eq!(app.data_age(), Some(chrono::Duration::seconds(18 * k)));
        assert!(
            app.stale_reason().unwrap().contains("connection refused"),
            "{:?}",
            app.stale_reason()
        );
        let screen = cockpit(&app, 160, 48);
        assert!(screen.contains(&format!("data {}s", 18 * k)), "{screen}");
        assert!(screen.contains("STALE"), "{screen}");
    }
    // One part read again: the age is that part's, the failing others keep the marker.
    let now = read_at + chrono::Duration::seconds(80);
    app.handle(Event::Tick(now));
    let mut partial = fixtures::manga_release(2.0);
    partial.taken_at = now;
    for (part, status) in partial.parts.iter_mut() {
        if *part != crate::model::Part::Services {
            status.fetched_at = Some(read_at);
            status.error = Some("connection refused".into());
        } else {
            status.fetched_at = Some(now - chrono::Duration::seconds(1));
        }
    }
    app.handle(Event::Snapshot(Box::new(partial)));
    assert_eq!(app.data_age(), Some(chrono::Duration::seconds(1)));
    assert!(app.stale_reason().is_some());
    // Back: a clean read clears the marker.
    let mut back = fixtures::manga_release(2.0);
    back.taken_at = now;
    for status in back.parts.values_mut() {
        status.fetched_at = Some(now);
    }
    app.handle(Event::Snapshot(Box::new(back)));
    assert_eq!(app.data_age(), Some(chrono::Duration::zero()));
    assert_eq!(app.stale_reason(), None);
}

#[test]
fn data_age_is_unknown_until_a_part_is_read() {
    let mut app = App::new(
        &Config::default(),
        super::keymap::Keymap::default_map(),
        super::theme::Theme::dark(),
        fixtures::manga_release(0.0).taken_at,
    );
    let mut never = fixtures::manga_release(0.0);
    for status in never.parts.values_mut() {
        status.fetched_at = None;
        status.error = Some("no credentials".into());
    }
    app.handle(Event::Snapshot(Box::new(never)));
    assert_eq!(app.data_age(), None);
    assert!(app.stale_reason().unwrap().contains("no credentials"));
}

mod event_loop {
    use std::sync::Arc;
    use std::time::Instant;

    use chrono::{DateTime, Utc};
    use futures_util::Stream;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use tokio::sync::mpsc;

    use super::*;
    use crate::ui::run::{LoopStats, drive};

    fn stream<T: Send + 'static>(rx: mpsc::UnboundedReceiver<T>) -> impl Stream<Item = T> + Unpin {
        Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|v| (v, rx))
        }))
    }

    fn fresh_app() -> App {
        App::new(
            &Config::default(),
            super::super::keymap::Keymap::default_map(),
            super::super::theme::Theme::dark(),
            fixtures::start(),
        )
    }

    /// Queue everything, close every input, and run the loop to its end.
    async fn run_with(
        keys: Vec<KeyEvent>,
        snapshots: Vec<crate::model::FleetSnapshot>,
        ticks: Vec<DateTime<Utc>>,
    ) -> (LoopStats, App) {
        run_app(fresh_app(), keys, snapshots, ticks).await
    }

    async fn run_app(
        mut app: App,
        keys: Vec<KeyEvent>,
        snapshots: Vec<crate::model::FleetSnapshot>,
        ticks: Vec<DateTime<Utc>>,
    ) -> (LoopStats, App) {
        let (key_tx, key_rx) = mpsc::unbounded_channel();
        let (tick_tx, tick_rx) = mpsc::unbounded_channel();
        let (feed_tx, feed) = mpsc::channel(16);
        for k in keys {
            key_tx.send(Event::Key(k)).unwrap();
        }
        for snap in snapshots {
            feed_tx.send(Box::new(snap)).await.unwrap();
        }
        for t in ticks {
            tick_tx.send(t).unwrap();
        }
        drop((key_tx, tick_tx, feed_tx));
        let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
        let stats = drive(
            &mut terminal,
            &mut app,
            stream(key_rx),
            feed,
            stream(tick_rx),
            &super::super::run::Io {
                config_dir: None,
                executor: None,
                audit: crate::action::audit::AuditLog::new(
                    std::env::temp_dir().join("sitrep-ui-test-unused-audit.jsonl"),
                ),
                operator: "test".into(),
                evidence: None,
                timeline: None,
                journal: None,
            },
            Instant::now(),
        )
        .await
        .unwrap();
        (stats, app)
    }

    #[tokio::test]
    async fn idle_cockpit_draws_only_its_first_frame() {
        let (stats, _) = run_with(Vec::new(), Vec::new(), Vec::new()).await;
        assert_eq!(stats.draws, 1);
    }

    #[tokio::test]
    async fn key_releases_do_not_redraw() {
        let mut release = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        let (stats, _) = run_with(vec![release; 5], Vec::new(), Vec::new()).await;
        assert_eq!(stats.draws, 1);
    }

    #[tokio::test]
    async fn pending_events_are_drained_into_one_draw() {
        let down = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        let release = (0..4).map(|i| fixtures::manga_release(i as f64)).collect();
        let (stats, app) = run_with(vec![down; 3], release, Vec::new()).await;
        assert_eq!(stats.draws, 2, "first frame, then one for the whole batch");
        assert_eq!(
            app.history.last_recorded(),
            Some(fixtures::start() + chrono::Duration::minutes(3))
        );
    }

    #[tokio::test]
    async fn each_clock_tick_redraws_once() {
        let t0 = fixtures::start();
        let ticks = vec![
            t0 + chrono::Duration::seconds(1),
            t0 + chrono::Duration::seconds(2),
        ];
        let (stats, app) = run_with(Vec::new(), Vec::new(), ticks).await;
        assert_eq!(stats.draws, 3);
        assert_eq!(app.now, t0 + chrono::Duration::seconds(2));
    }

    #[tokio::test]
    async fn quit_ends_the_loop() {
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        let down = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        let (_, app) = run_with(vec![q, down], Vec::new(), Vec::new()).await;
        assert_eq!(app.selected_row(), None, "nothing after q is handled");
    }

    #[tokio::test]
    async fn a_large_fleets_triggers_answer_from_a_blocking_task() {
        let app = fresh_app();
        let history = Arc::as_ptr(&app.history);
        let fleet = vec![fixtures::large(2000, 15.0), fixtures::large(2000, 15.5)];
        let (_, app) = run_app(app, Vec::new(), fleet, Vec::new()).await;
        // The second snapshot waited for the pass: recorded, and the history
        // the pass read was not copied for it.
        assert_eq!(
            app.history.last_recorded(),
            Some(fixtures::start() + chrono::Duration::seconds(15 * 60 + 30))
        );
        assert_eq!(Arc::as_ptr(&app.history), history);
        // Its caches are near full: the pass found them, and the loop waited for it.
        let found: Vec<&str> = (app.runbooks.suggestions.iter())
            .map(|s| s.runbook.as_str())
            .collect();
        assert_eq!(found, ["cache-memory", "cache-memory"]);
    }

    #[test]
    fn first_frame_is_fast() {
        // The frame alone: building the fixture (parsing every runbook once per
        // process) is not the cockpit's startup, and tests run side by side.
        let app = fixtures::app(0.0, &Config::default());
        let started = Instant::now();
        let _ = render(&app, 160, 48, view::draw);
        let ms = started.elapsed().as_millis();
        assert!(ms < 200, "{ms} ms to the first frame");
    }
}

#[test]
fn narrow_header_keeps_badges_and_clock_apart() {
    let cfg = Config {
        read_only: true,
        ..Config::default()
    };
    let mut app = fixtures::app(14.0, &cfg);
    app.handle(Event::Tick(app.now + chrono::Duration::seconds(30)));
    let text = cockpit(&app, 80, 24);
    let header = text.lines().next().unwrap();
    assert!(
        header.contains("READ-ONLY") && header.contains("STALE"),
        "{header}"
    );
    assert!(header.ends_with("09:14JST"), "{header}");
}

fn wall_config() -> Config {
    Config {
        read_only: true,
        wall: true,
        ..Config::default()
    }
}

#[test]
fn wall_calm_320x90_uses_the_largest_glyphs() {
    let app = fixtures::app(0.5, &wall_config());
    let snap = app.snapshot.as_ref().unwrap();
    let plan = panes::wall::plan(snap, ratatui::layout::Rect::new(0, 0, 320, 86));
    assert_eq!(plan.calm_hidden, 0);
    insta::assert_snapshot!(cockpit(&app, 320, 90));
}

#[test]
fn wall_80x24_keeps_big_figures() {
    insta::assert_snapshot!(cockpit(&fixtures::app(14.0, &wall_config()), 80, 24));
}

#[test]
fn wall_collapses_calm_services_and_keeps_tiles_for_trouble() {
    let mut snap = fixtures::large(2000, 14.0);
    // A calm fleet with three services in trouble.
    for (i, s) in snap.services.iter_mut().enumerate() {
        s.metrics.cpu_pct = Some(if i % 700 == 3 { 97.0 } else { 30.0 });
        s.metrics.p95_ms = Some(200.0);
        s.metrics.memory_pct = Some(40.0);
        s.running = s.desired;
        s.deployment = crate::model::DeploymentState::Stable;
        if let Some(t) = s.scaling.as_mut() {
            t.max = t.max.max(s.desired + 10);
        }
    }
    snap.alarms.clear();
    let mut app = fixtures::app(14.0, &wall_config());
    app.handle(Event::Snapshot(Box::new(snap)));
    let snap = app.snapshot.as_ref().unwrap();
    let plan = panes::wall::plan(snap, ratatui::layout::Rect::new(0, 0, 160, 45));
    assert!(plan.trouble_hidden.is_empty(), "{plan:?}");
    assert!(plan.calm_hidden > 1900, "{}", plan.calm_hidden);
    let text = cockpit(&app, 160, 48);
    assert!(
        text.contains(&format!("{} services OK", plan.calm_hidden)),
        "{text}"
    );
    for name in ["search-003", "search-703", "search-1403"] {
        assert!(text.contains(name), "{name} keeps its tile:\n{text}");
    }
}

#[test]
fn wall_greys_out_stale_data_under_a_banner_and_clears_on_fresh_data() {
    let mut app = fixtures::app(14.0, &wall_config());
    let fresh = app.snapshot.as_deref().unwrap().clone();
    let later = app.now + chrono::Duration::minutes(5);
    app.handle(Event::Tick(later));
    let buf = render(&app, 160, 48, view::draw);
    let text = buffer_text(&buf);
    let banner = text.lines().nth(1).unwrap();
    assert!(banner.contains("STALE · data 5m00s old"), "{banner}");
    assert!(banner.contains("no data for 300s"), "{banner}");
    // No figure keeps its colour: every tile border and digit is muted.
    let colours: std::collections::HashSet<_> = (3..45)
        .flat_map(|y| (0..160).map(move |x| (x, y)))
        .map(|(x, y)| buf[(x, y)].fg)
        .collect();
    assert!(!colours.contains(&app.theme.ok), "{colours:?}");
    assert!(!colours.contains(&app.theme.alert), "{colours:?}");
    // Fresh data clears it.
    let mut next = fresh;
    next.taken_at = later;
    for part in next.parts.values_mut() {
        part.fetched_at = Some(later);
    }
    app.handle(Event::Snapshot(Box::new(next)));
    let text = cockpit(&app, 160, 48);
    assert!(!text.contains("STALE"), "{text}");
}

#[test]
fn two_thousand_services_group_by_cluster_fold_and_page() {
    let mut app = release(14.0);
    app.handle(Event::Snapshot(Box::new(fixtures::large(2000, 14.0))));
    assert!(
        app.grouped(),
        "more than 100 services in 4 clusters group on their own"
    );
    assert_eq!(app.table.len(), 2004);
    let screen = cockpit(&app, 160, 48);
    let header = screen
        .lines()
        .find(|l| l.contains("▾ cluster-"))
        .expect("a cluster header");
    assert!(header.contains("500 svc"), "{header}");
    assert!(header.contains("! "), "{header}");
    // The first row is the worst cluster's header; the cursor starts on its worst service.
    assert!(matches!(app.table[0], super::groups::TableRow::Cluster(_)));
    assert_eq!(app.selected_row(), Some(1));
    // Fold the cluster of the selected service: one line stands for its 500.
    key(&mut app, KeyCode::Char('z'));
    assert_eq!(app.table.len(), 1504);
    assert_eq!(
        app.selected_row(),
        Some(0),
        "the cursor is on the folded header"
    );
    assert!(cockpit(&app, 160, 48).contains("▸ cluster-"));
    // Enter on the header unfolds it.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.table.len(), 2004);
    // A page down moves a page, and the selection is a service again.
    key(&mut app, KeyCode::PageDown);
    assert!(app.selected_row().unwrap() > 5);
    assert!(app.cursor_cluster.is_none() || app.selected_row().is_some());
    // A filter by cluster keeps its services under one header.
    app.run(
        Layer::Cockpit,
        super::command::Command::Filter(Some("cluster-3/".into())),
    );
    assert_eq!(app.rows.len(), 500);
    assert_eq!(app.table.len(), 501);
    // `c` turns grouping off: the flat list names each row's cluster.
    key(&mut app, KeyCode::Char('c'));
    assert!(!app.grouped());
    assert_eq!(app.table.len(), 500);
    assert!(cockpit(&app, 160, 48).contains("cluster-3/"));
}

#[test]
fn the_header_shows_what_the_cockpit_itself_spends() {
    let mut app = release(2.0);
    for minute in 0..=4 {
        let mut snap = fixtures::manga_release(2.0 + f64::from(minute));
        snap.stats.api_calls = 30;
        snap.stats.metrics_requested = 250;
        app.handle(Event::Snapshot(Box::new(snap)));
    }
    let screen = cockpit(&app, 160, 48);
    let header = screen.lines().next().unwrap();
    // 30 calls and 250 metrics a minute: 1,800 calls an hour, 15,000 metrics, $3.60 a day.
    assert!(header.contains("1800/h · CW $3.60/day"), "{header}");
}

#[test]
fn timeline_view_shows_the_fleet_and_the_operator_and_exports() {
    use crate::action::audit::{AuditEntry, AuditRecord, Seen};
    use crate::journal::{Entry, Recorded};
    use crate::model::AlarmState;
    use crate::timeline::{Inputs, Options, build};

    let mut app = release(2.0);
    let snap = fixtures::manga_release(2.0);
    let at = snap.taken_at;
    let inputs = Inputs {
        source: Some(snap.source.label()),
        journal: vec![
            Entry::new(
                at - chrono::Duration::minutes(4),
                Recorded::Alarm {
                    name: "orchestrator-p95-high".into(),
                    from: Some(AlarmState::Ok),
                    to: AlarmState::Alarm,
                    reason: "P95 latency > 3000 ms for 1 min".into(),
                    subject: Some("orchestrator".into()),
                },
            ),
            Entry::new(
                at - chrono::Duration::minutes(3),
                Recorded::Scaling {
                    service: Some("manga-chatbot/orchestrator".into()),
                    message: "Setting desired count to 29".into(),
                },
            ),
        ],
        audit: vec![AuditRecord::new(
            at - chrono::Duration::minutes(2),
            "sre",
            Some(&snap.source),
            Some("ecs-saturation"),
            Some("room-for-need"),
            AuditEntry::Answered {
                answer: "yes".into(),
                evidence: vec![Seen {
                    expr: "service.max".into(),
                    value: "50".into(),
                }],
            },
        )],
        ..Inputs::default()
    };
    app.handle(Event::Snapshot(Box::new(snap)));
    let fx = key(&mut app, KeyCode::Char('T'));
    assert_eq!(fx, vec![Effect::BuildTimeline]);
    assert_eq!(app.layer(), Layer::Timeline);
    assert!(cockpit(&app, 120, 30).contains("reading the journal"));
    app.handle(Event::Timeline(Box::new(Ok(build(
        inputs,
        &Options::default(),
    )))));
    let screen = cockpit(&app, 120, 30);
    for part in [
        "orchestrator-p95-high",
        "Setting desired count to 29",
        "service.max = 50",
    ] {
        assert!(screen.contains(part), "no {part:?} in\n{screen}");
    }
    insta::assert_snapshot!(screen);
    assert_eq!(
        key(&mut app, KeyCode::Char('E')),
        vec![Effect::ExportTimeline]
    );
    app.handle(Event::Exported(Ok("/tmp/timeline.md".into())));
    assert!(cockpit(&app, 120, 30).contains("timeline written to /tmp/timeline.md"));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.layer(), Layer::Cockpit);
}

#[test]
fn a_first_read_under_way_says_how_far_it_is() {
    let mut app = release(2.0);
    let mut snap = fixtures::manga_release(2.0);
    snap.stats.reading = Some(crate::model::Reading {
        read: 1200,
        total: 2000,
    });
    app.handle(Event::Snapshot(Box::new(snap)));
    let screen = cockpit(&app, 160, 48);
    assert!(screen.contains("reading 1,200/2,000 services"), "{screen}");
}

#[test]
fn a_large_fleets_triggers_are_evaluated_away_from_the_loop() {
    use chrono::Duration;
    let mut app = release(14.0);
    let small = app.runbooks.suggestions.clone();
    assert!(!small.is_empty(), "a small fleet is evaluated in the loop");
    let fx = app.handle(Event::Snapshot(Box::new(fixtures::large(2000, 15.0))));
    let pass = fx
        .iter()
        .find_map(|e| match e {
            Effect::EvaluateTriggers(pass) => Some(pass.clone()),
            _ => None,
        })
        .expect("a pass away from the loop");
    assert_eq!(
        app.runbooks.suggestions, small,
        "the last suggestions stay until the pass answers"
    );
    // While it runs, later snapshots ask for no second pass.
    let fx = app.handle(Event::Snapshot(Box::new(fixtures::large(2000, 16.0))));
    assert!(!fx.iter().any(|e| matches!(e, Effect::EvaluateTriggers(_))));
    // An answer for another pass is dropped.
    app.handle(Event::Suggestions(
        pass.at() - Duration::minutes(1),
        Ok(Vec::new()),
    ));
    assert_eq!(app.runbooks.suggestions, small);
    let answer = pass.run();
    assert!(!answer.is_empty() && answer != small, "{answer:?}");
    app.take_dirty();
    app.handle(Event::Suggestions(pass.at(), Ok(answer.clone())));
    assert_eq!(app.runbooks.suggestions, answer);
    assert!(app.take_dirty(), "new suggestions are drawn");
    // The pass answered: the next one is asked for at its pace; a pass that
    // failed says so and keeps what was suggested.
    let fx = app.handle(Event::Snapshot(Box::new(fixtures::large(2000, 16.5))));
    let Some(Effect::EvaluateTriggers(next)) = fx
        .into_iter()
        .find(|e| matches!(e, Effect::EvaluateTriggers(_)))
    else {
        panic!("no second pass")
    };
    app.handle(Event::Suggestions(next.at(), Err("it panicked".into())));
    assert_eq!(app.runbooks.suggestions, answer);
    let message = app.message.as_ref().expect("a message");
    assert!(message.error && message.text.contains("runbook triggers not evaluated"));
}

#[test]
fn triggers_of_a_large_fleet_are_paced_by_its_size() {
    use super::runbooks::trigger_every;
    assert_eq!(trigger_every(7), chrono::Duration::seconds(5));
    assert_eq!(trigger_every(2002), chrono::Duration::milliseconds(20_020));
}
