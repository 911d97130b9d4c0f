//! The tasks and deployments views on the simulator's evidence: snapshots of
//! `bad-image` and `spot-cascade` at 80x24 and 160x48, the keys that open,
//! switch and close them, reads only while open, read-only sessions, and the
//! loop asking the session's reader.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use crate::action::audit::AuditLog;
use crate::config::{Config, SimConfig};
use crate::model::evidence::{Evidence, EvidenceKind};
use crate::sim::Simulator;
use crate::sim::evidence::SimEvidence;
use crate::ui::app::{App, Effect, Event};
use crate::ui::command::Command;
use crate::ui::fixtures::{buffer_text, key_event, render};
use crate::ui::keymap::{Keymap, Layer};
use crate::ui::run::{Io, drive};
use crate::ui::theme::Theme;
use crate::ui::view;

fn sim(scenario: &str, minutes: u32) -> Simulator {
    let mut sim = Simulator::from_config(&SimConfig {
        scenario: scenario.into(),
        seed: 7,
        speed: 1.0,
    })
    .expect("the shipped scenario loads");
    sim.advance(minutes * 60);
    sim
}

fn app_on(sim: &Simulator, read_only: bool) -> App {
    let cfg = Config {
        read_only,
        ..Config::default()
    };
    let mut app = App::new(&cfg, Keymap::default_map(), Theme::dark(), sim.now());
    app.handle(Event::Snapshot(Box::new(sim.snapshot())));
    app
}

/// Perform the app's evidence reads against the simulator, as the loop would.
fn answer(app: &mut App, sim: &Simulator, effects: Vec<Effect>) -> usize {
    let mut n = 0;
    for e in effects {
        if let Effect::ReadEvidence(req) = e {
            n += 1;
            let result = sim.evidence(&req);
            app.handle(Event::Evidence(req, result));
        }
    }
    n
}

fn open(sim: &Simulator, kind: EvidenceKind, service: &str) -> App {
    let mut app = app_on(sim, false);
    let fx = app.run(
        Layer::Cockpit,
        Command::Evidence(kind, Some(service.into())),
    );
    assert_eq!(answer(&mut app, sim, fx), 1);
    app
}

fn screen(app: &App, w: u16, h: u16) -> String {
    buffer_text(&render(app, w, h, view::draw))
}

#[test]
fn bad_image_tasks_80x24() {
    let s = sim("bad-image", 10);
    insta::assert_snapshot!(screen(&open(&s, EvidenceKind::Tasks, "worker"), 80, 24));
}

#[test]
fn bad_image_tasks_160x48() {
    let s = sim("bad-image", 10);
    let text = screen(&open(&s, EvidenceKind::Tasks, "worker"), 160, 48);
    assert!(text.contains("TaskFailedToStart"), "{text}");
    assert!(text.contains("CannotPullContainerError"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn bad_image_deployments_80x24() {
    let s = sim("bad-image", 20);
    insta::assert_snapshot!(screen(
        &open(&s, EvidenceKind::Deployments, "worker"),
        80,
        24
    ));
}

#[test]
fn bad_image_deployments_160x48() {
    let s = sim("bad-image", 20);
    let text = screen(&open(&s, EvidenceKind::Deployments, "worker"), 160, 48);
    assert!(text.contains("FAILED"), "{text}");
    assert!(text.contains("circuit breaker"), "{text}");
    assert!(text.contains("FEATURE_FLAGS"), "{text}");
    assert!(!text.contains("secret-worker"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn spot_cascade_tasks_160x48() {
    let s = sim("spot-cascade", 12);
    let text = screen(&open(&s, EvidenceKind::Tasks, "orchestrator"), 160, 48);
    assert!(text.contains("SpotInterruption"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn spot_cascade_deployments_80x24() {
    let s = sim("spot-cascade", 12);
    insta::assert_snapshot!(screen(
        &open(&s, EvidenceKind::Deployments, "orchestrator"),
        80,
        24
    ));
}

#[test]
fn bad_image_logs_80x24() {
    let s = sim("bad-image", 20);
    insta::assert_snapshot!(screen(&open(&s, EvidenceKind::Logs, "worker"), 80, 24));
}

#[test]
fn bad_image_logs_160x48() {
    let s = sim("bad-image", 20);
    let text = screen(&open(&s, EvidenceKind::Logs, "worker"), 160, 48);
    assert!(text.contains("awslogs /ecs/worker ecs/app/*"), "{text}");
    assert!(text.contains("CannotPullContainerError"), "{text}");
    assert!(text.contains("HikariPool-1"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn spot_cascade_logs_show_the_reclaims() {
    let s = sim("spot-cascade", 12);
    let text = screen(&open(&s, EvidenceKind::Logs, "orchestrator"), 160, 48);
    assert!(
        text.contains("SIGTERM received (Spot interruption)"),
        "{text}"
    );
}

/// `o` on an event of the events pane opens its service's logs at its time:
/// read from five minutes before to five after, paused, scrolled to the
/// event, marked; space follows the tail from there.
#[test]
fn o_in_the_events_pane_opens_the_logs_at_the_event() {
    use crate::model::EventKind;
    use crate::ui::app::Focus;
    let s = sim("spot-cascade", 30);
    let mut app = app_on(&s, false);
    while app.focus != Focus::Events {
        app.handle(Event::Key(key_event('l')));
    }
    // Down the events to the oldest Spot reclaim of the orchestrator.
    let reclaims = app
        .notable_events()
        .filter(|e| e.kind == EventKind::SpotInterruption)
        .count();
    assert!(reclaims > 1);
    let mut seen = 0;
    while seen < reclaims {
        if app.selected_event().unwrap().kind == EventKind::SpotInterruption {
            seen += 1;
            if seen == reclaims {
                break;
            }
        }
        app.handle(Event::Key(key_event('j')));
    }
    let event = app.selected_event().unwrap().clone();
    assert_eq!(event.service.as_ref().unwrap().service, "orchestrator");
    assert!(
        s.now() - event.at > Duration::minutes(15),
        "older than a tail's first read"
    );
    insta::assert_snapshot!("events_pane_selected", screen(&app, 160, 48));

    let fx = app.handle(Event::Key(key_event('o')));
    let req = match fx.as_slice() {
        [Effect::ReadEvidence(r)] => r.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(req.kind, EvidenceKind::Logs);
    assert_eq!(req.after, Some(event.at - Duration::seconds(300)));
    assert_eq!(req.until, Some(event.at + Duration::seconds(300)));
    app.handle(Event::Evidence(req.clone(), s.evidence(&req)));
    let v = app.evidence.as_ref().unwrap();
    assert_eq!(v.at.as_ref().map(|a| a.0), Some(event.at));
    assert!(v.paused, "the view holds still at the event");
    // Eight lines after the event show below it; the newer ones are further down.
    let shown = v.shown_lines();
    let visible_end = shown.len() - v.scroll;
    let after = shown[..visible_end]
        .iter()
        .filter(|l| l.at > event.at)
        .count();
    assert_eq!(after, 8);
    assert!(v.scroll > 0, "newer lines exist below");
    let text = screen(&app, 160, 48);
    assert!(
        text.contains(&format!("── {} ▶ ", event.at.format("%H:%M:%S"))),
        "{text}"
    );
    assert!(text.contains("SIGTERM received"), "{text}");
    insta::assert_snapshot!("logs_at_an_event_160x48", text);
    // Paused: nothing more is read until space resumes the tail.
    assert!(
        app.handle(Event::Tick(app.now + Duration::seconds(60)))
            .is_empty()
    );
    let fx = app.handle(Event::Key(key_event(' ')));
    let follow = match fx.as_slice() {
        [Effect::ReadEvidence(r)] => r.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(follow.until, None, "following reads up to now");
    assert!(follow.after > req.after);
}

#[test]
fn logs_filter_pause_and_follow() {
    let mut s = sim("bad-image", 20);
    let mut app = app_on(&s, false);
    let fx = app.run(
        Layer::Cockpit,
        Command::Evidence(EvidenceKind::Logs, Some("worker".into())),
    );
    assert_eq!(answer(&mut app, &s, fx), 1);
    let all = app.evidence.as_ref().unwrap().shown_lines().len();
    // `/` types a filter into the view, not the fleet.
    app.handle(Event::Key(key_event('/')));
    assert_eq!(app.layer(), Layer::Filter);
    for c in "hikari".chars() {
        app.handle(Event::Key(key_event(c)));
    }
    app.handle(Event::Key(key_event('\n')));
    assert_eq!(app.layer(), Layer::Evidence);
    assert_eq!(app.filter, "", "the fleet filter is untouched");
    let v = app.evidence.as_ref().unwrap();
    let shown = v.shown_lines().len();
    assert!(shown > 0 && shown < all, "{shown} of {all}");
    assert!(screen(&app, 160, 48).contains("matching “hikari”"));
    // Paused: no reads however long; resumed: reads from the newest line on.
    app.handle(Event::Key(key_event(' ')));
    assert!(app.evidence.as_ref().unwrap().paused);
    let t0 = app.now;
    for i in 1..20 {
        let fx = app.handle(Event::Tick(t0 + Duration::seconds(10 * i)));
        assert!(fx.is_empty());
    }
    s.advance(120);
    app.now = s.now();
    let fx = app.handle(Event::Key(key_event(' ')));
    let req = match fx.as_slice() {
        [Effect::ReadEvidence(r)] => r.clone(),
        other => panic!("{other:?}"),
    };
    assert!(req.after.is_some());
    let before = app.evidence.as_ref().unwrap().shown_lines().len();
    app.handle(Event::Evidence(req.clone(), s.evidence(&req)));
    let after = app.evidence.as_ref().unwrap().shown_lines().len();
    assert!(
        after > before,
        "new saturation lines followed: {before} -> {after}"
    );
}

#[test]
fn keys_open_switch_and_close_and_only_an_open_view_reads() {
    let s = sim("bad-image", 10);
    let mut app = app_on(&s, false);
    let selected = app.selected.clone().expect("a selected service");
    // enter opens the tasks of the selected service and asks at once.
    let fx = app.handle(Event::Key(key_event('\n')));
    assert_eq!(app.layer(), Layer::Evidence);
    let view = app.evidence.as_ref().unwrap();
    assert_eq!(
        (view.request.kind, &view.request.service),
        (EvidenceKind::Tasks, &selected)
    );
    assert_eq!(answer(&mut app, &s, fx), 1);
    assert!(matches!(
        app.evidence.as_ref().unwrap().evidence,
        Some(Evidence::Tasks(_))
    ));
    // Ticks ask again at the refresh cadence, not every second.
    let t0 = app.now;
    let fx = app.handle(Event::Tick(t0 + Duration::seconds(1)));
    assert_eq!(answer(&mut app, &s, fx), 0);
    let fx = app.handle(Event::Tick(t0 + app.plan.fast));
    assert_eq!(answer(&mut app, &s, fx), 1);
    // d switches to the deployments of the same service.
    let fx = app.handle(Event::Key(key_event('d')));
    assert_eq!(answer(&mut app, &s, fx), 1);
    assert_eq!(
        app.evidence.as_ref().unwrap().request.kind,
        EvidenceKind::Deployments
    );
    // An answer for the view it replaced is dropped.
    let stale = crate::model::evidence::EvidenceRequest::new(EvidenceKind::Tasks, selected.clone());
    app.handle(Event::Evidence(stale.clone(), s.evidence(&stale)));
    assert!(matches!(
        app.evidence.as_ref().unwrap().evidence,
        Some(Evidence::Deployments(_))
    ));
    // esc returns to the fleet; a closed view never asks again.
    app.handle(Event::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    assert_eq!(app.layer(), Layer::Cockpit);
    assert!(app.evidence.is_none());
    for i in 1..100 {
        let fx = app.handle(Event::Tick(t0 + Duration::seconds(60 * i)));
        assert!(fx.is_empty(), "{fx:?}");
    }
}

#[test]
fn palette_opens_views_by_name_and_says_when_unknown() {
    let s = sim("bad-image", 10);
    let mut app = app_on(&s, false);
    app.handle(Event::Key(key_event(':')));
    for c in "deployments worker".chars() {
        app.handle(Event::Key(key_event(c)));
    }
    // The typed line matches no palette entry's text, so it is parsed as a command.
    let fx = app.handle(Event::Key(key_event('\n')));
    assert_eq!(answer(&mut app, &s, fx), 1, "{:?}", app.message);
    let view = app.evidence.as_ref().unwrap();
    assert_eq!(view.request.service.service, "worker");
    assert_eq!(view.request.kind, EvidenceKind::Deployments);
    let fx = app.run(
        Layer::Evidence,
        Command::Evidence(EvidenceKind::Tasks, Some("nope".into())),
    );
    assert!(fx.is_empty());
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("no service `nope`")
    );
}

#[test]
fn read_only_sessions_see_the_views() {
    let s = sim("bad-image", 20);
    let mut app = app_on(&s, true);
    assert!(!app.writable);
    for (kind, shows) in [
        (EvidenceKind::Tasks, "TaskFailedToStart"),
        (EvidenceKind::Deployments, "FAILED"),
        (EvidenceKind::Logs, "CannotPullContainerError"),
    ] {
        let fx = app.run(
            Layer::Cockpit,
            Command::Evidence(kind, Some("worker".into())),
        );
        assert_eq!(answer(&mut app, &s, fx), 1);
        let text = screen(&app, 160, 48);
        assert!(text.contains(shows), "{kind:?}: {text}");
    }
}

#[test]
fn help_lists_the_views() {
    let s = sim("calm", 1);
    let mut app = app_on(&s, false);
    app.handle(Event::Key(key_event('?')));
    let text = screen(&app, 160, 48);
    assert!(
        text.contains("tasks") && text.contains("deployments"),
        "{text}"
    );
    assert!(text.contains("evidence"), "{text}");
}

#[tokio::test]
async fn the_loop_asks_the_sessions_reader() {
    let s = Arc::new(Mutex::new(sim("bad-image", 10)));
    let mut app = app_on(&s.lock().unwrap(), true);
    let dir = tempfile::tempdir().unwrap();
    let io = Io {
        config_dir: None,
        executor: None,
        audit: AuditLog::new(dir.path().join("audit.jsonl")),
        operator: "tester".into(),
        evidence: Some(Arc::new(SimEvidence::new(s.clone()))),
        timeline: None,
        journal: None,
    };
    let (key_tx, key_rx) = mpsc::unbounded_channel();
    let keys =
        futures_util::stream::unfold(
            key_rx,
            |mut rx| async move { rx.recv().await.map(|e| (e, rx)) },
        )
        .boxed();
    let (_feed_tx, feed) = mpsc::channel(1);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let script = async move {
        key_tx.send(Event::Key(key_event('t'))).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        key_tx.send(Event::Key(key_event('q'))).unwrap();
    };
    let looped = drive(
        &mut terminal,
        &mut app,
        keys,
        feed,
        futures_util::stream::empty().boxed(),
        &io,
        Instant::now(),
    );
    let (stats, ()) = tokio::join!(looped, script);
    stats.unwrap();
    let view = app.evidence.as_ref().expect("the view stays open");
    assert!(
        matches!(view.evidence, Some(Evidence::Tasks(ref l)) if !l.tasks.is_empty()),
        "{view:?}"
    );
}
