//! The whole cockpit: layout by terminal size and mode, panes, then overlays.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

use super::app::{App, Focus};
use super::panes::{
    cache, capacity, confirm, cost, detail, errors, events, evidence, fleet, header, help, palette,
    runbook_list, status, timeline, verdict, walk, wall,
};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// From this width the right-hand column of panes fits beside the fleet table.
const WIDE: u16 = 120;

pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    f.render_widget(Block::default().style(app.theme.base()), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(f, area, app);
        return;
    }
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header::render(f, top, app);
    if app.evidence.is_some() {
        evidence::render(f, body, app);
    } else if app.wall {
        wall(f, body, app);
    } else if area.width >= WIDE {
        wide(f, body, app);
    } else {
        compact(f, body, app);
    }
    status::render(f, bottom, app);
    runbook_list::render(f, area, app);
    confirm::render(f, area, app);
    errors::render(f, area, app);
    timeline::render(f, area, app);
    help::render(f, area, app);
    palette::render(f, area, app);
    verdict::render(f, area, app);
}

fn cache_height(app: &App, per: u16, cap: u16) -> u16 {
    let n = app.snapshot.as_ref().map_or(1, |s| s.caches.len().max(1)) as u16;
    (n * per + 2).min(cap)
}

fn wide(f: &mut Frame, body: Rect, app: &App) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(body);
    // A short fleet leaves its spare rows to the detail pane; an open runbook takes more.
    let max_table = if walking(app) {
        12
    } else {
        left.height.saturating_sub(13).max(8)
    };
    let table_h = (app.table.len().min(usize::from(u16::MAX)) as u16 + 3).clamp(8, max_table);
    let [table, detail_area] =
        Layout::vertical([Constraint::Length(table_h), Constraint::Fill(1)]).areas(left);
    fleet::render(f, table, app);
    if walking(app) {
        walk::render(f, detail_area, app);
    } else {
        detail::render(f, detail_area, app);
    }
    let services = app.rows.len() as u16;
    let [cap, cache_area, ev, cost_area] = Layout::vertical([
        Constraint::Length((services + 2).clamp(4, 11)),
        Constraint::Length(cache_height(app, 2, 10)),
        Constraint::Fill(1),
        Constraint::Length(5),
    ])
    .areas(right);
    capacity::render(f, cap, app);
    cache::render(f, cache_area, app);
    events::render(f, ev, app);
    cost::render(f, cost_area, app);
}

/// 80 columns: the table on top; below it the detail beside a stack whose middle
/// slot shows the capacity mix when that pane has focus, else alarms and events.
fn compact(f: &mut Frame, body: Rect, app: &App) {
    // An open runbook needs the rows more than the table does.
    let table_h = if walking(app) {
        (body.height / 4).max(5)
    } else {
        (body.height * 2 / 5).max(7)
    };
    let [table, rest] =
        Layout::vertical([Constraint::Length(table_h), Constraint::Fill(1)]).areas(body);
    fleet::render(f, table, app);
    if walking(app) {
        walk::render(f, rest, app);
        return;
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(rest);
    detail::render(f, left, app);
    let [cache_area, mid, cost_area] = Layout::vertical([
        Constraint::Length(cache_height(app, 2, 6)),
        Constraint::Fill(1),
        Constraint::Length(4),
    ])
    .areas(right);
    cache::render(f, cache_area, app);
    if app.focus == Focus::Capacity {
        capacity::render(f, mid, app);
    } else {
        events::render(f, mid, app);
    }
    cost::render(f, cost_area, app);
}

/// A spare screen: big tiles; an open runbook takes the screen.
fn wall(f: &mut Frame, body: Rect, app: &App) {
    if walking(app) {
        walk::render(f, body, app);
    } else {
        wall::render(f, body, app);
    }
}

/// A runbook is open: it takes the detail pane's place.
fn walking(app: &App) -> bool {
    app.runbooks.walk.is_some()
}

fn too_small(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let text = vec![
        Line::from("terminal too small (need 80x24)"),
        Line::from(format!("now {}x{}", area.width, area.height)),
    ];
    let y = area.height.saturating_sub(2) / 2;
    let rect = Rect {
        x: area.x,
        y: area.y + y,
        width: area.width,
        height: 2.min(area.height - y),
    };
    f.render_widget(
        Paragraph::new(text)
            .alignment(ratatui::layout::Alignment::Center)
            .style(t.bold(t.warn)),
        rect,
    );
}
