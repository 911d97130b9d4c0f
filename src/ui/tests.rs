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
fn selection_follows_the_service_across_snapshots() {
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
