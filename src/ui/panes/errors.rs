//! `:errors` (`!`): each part of the read with its age and its current problem
//! in full, where the header has room for one cut line. The full error chains
//! are in the log.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::model::{FleetSnapshot, Part};
use crate::ui::app::App;
use crate::ui::panes::help::centered;
use crate::ui::widgets;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let Some(scroll) = app.errors else { return };
    let t = &app.theme;
    let lines = match &app.snapshot {
        Some(snap) => lines(app, snap),
        None => vec![Line::from(Span::styled(
            " nothing read yet",
            t.style(t.muted),
        ))],
    };
    let width = 100.min(area.width);
    // Rows once wrapped (a word moved whole can take one more), plus the border.
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let height = (rows as u16 + 3).min(area.height.saturating_sub(4));
    let skip = scroll.min(lines.len().saturating_sub(1));
    let body =
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()).wrap(Wrap { trim: false });
    let popup = centered(area, width, height);
    f.render_widget(Clear, popup);
    let block = widgets::pane(t, "Errors · what each part of the read says", true);
    f.render_widget(body.block(block), popup);
}

fn lines<'a>(app: &App, snap: &'a FleetSnapshot) -> Vec<Line<'a>> {
    let t = &app.theme;
    let mut lines = vec![Line::from(vec![
        Span::styled(" source ", t.style(t.muted)),
        Span::styled(snap.source.label(), t.bold(t.fg)),
    ])];
    for part in Part::ALL {
        let status = snap.parts.get(&part);
        let age = snap.part_age(part, snap.taken_at);
        let error = status.and_then(|s| s.error.as_deref());
        let (state, color) = match (age, error) {
            (None, Some(_)) => ("never read".to_string(), t.alert),
            (None, None) => ("not read yet".to_string(), t.muted),
            (Some(a), Some(_)) => (format!("stale, read {} ago", widgets::age(a)), t.warn),
            (Some(a), None) => (format!("ok, read {} ago", widgets::age(a)), t.ok),
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<9}", format!("{part:?}")), t.bold(t.fg)),
            Span::styled(state, t.style(color)),
        ]));
        if let Some(e) = error {
            lines.push(Line::from(Span::styled(
                format!("   {e}"),
                t.style(t.alert),
            )));
        }
    }
    let stats = &snap.stats;
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        format!(
            " last refresh: {} calls in {} ms{}",
            stats.api_calls,
            stats.latency_ms,
            by_api(&stats.calls_by_api)
        ),
        t.style(t.muted),
    )));
    lines.push(Line::from(Span::styled(
        " full error chains are in sitrep.log (SITREP_LOG=debug for more)",
        t.style(t.muted),
    )));
    lines
}

/// `: ecs:DescribeServices 3, ecs:ListServices 1`, busiest first.
fn by_api(calls: &std::collections::BTreeMap<String, u32>) -> String {
    let mut v: Vec<(&String, &u32)> = calls.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let list: Vec<String> = v.iter().map(|(api, n)| format!("{api} {n}")).collect();
    if list.is_empty() {
        String::new()
    } else {
        format!(": {}", list.join(", "))
    }
}
