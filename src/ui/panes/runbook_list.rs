//! The runbook list (`r`): triggered runbooks on top with why, then the rest,
//! then files that failed to load with their first problem. The same popup
//! lists active overrides when reverting (`R`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::help::centered;
use crate::ui::app::App;
use crate::ui::widgets;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let Some(state) = &app.runbooks.list else {
        return;
    };
    let t = &app.theme;
    let width = area.width.saturating_sub(8).min(110);
    let rows = match &state.reverts {
        Some(r) => r.len(),
        // Entries, two headings, and the broken files with theirs.
        None => {
            let broken = app.runbooks.library.broken.len();
            app.runbooks.entries().len() + 2 + if broken > 0 { broken + 1 } else { 0 }
        }
    };
    let height = (rows as u16 + 2).clamp(5, area.height.saturating_sub(4).min(24));
    let popup = centered(area, width, height);
    f.render_widget(Clear, popup);
    let title = if state.reverts.is_some() {
        "Revert an active override"
    } else {
        "Runbooks"
    };
    let block = widgets::pane(t, title, true);
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let w = inner.width as usize;
    let mut lines = Vec::new();
    let mut selected_line = 0;
    let row_style = |i: usize| {
        if i == state.selected {
            t.selection()
        } else {
            t.style(t.fg)
        }
    };
    if let Some(reverts) = &state.reverts {
        for (i, r) in reverts.iter().enumerate() {
            if i == state.selected {
                selected_line = lines.len();
            }
            lines.push(Line::from(Span::styled(
                widgets::fit(&format!(" {}  {}", r.entry_id, r.label), w),
                row_style(i),
            )));
        }
    } else {
        let entries = app.runbooks.entries();
        let triggered = entries.iter().filter(|e| e.suggestion.is_some()).count();
        if triggered > 0 {
            lines.push(Line::from(Span::styled(
                "suggested now (trigger holds)",
                t.bold(t.warn),
            )));
        }
        for (i, e) in entries.iter().enumerate() {
            if i == triggered {
                lines.push(Line::from(Span::styled("all runbooks", t.style(t.muted))));
            }
            if i == state.selected {
                selected_line = lines.len();
            }
            let drill = if e.drill { " [drill]" } else { "" };
            let text = match &e.suggestion {
                Some(s) => format!(" ▲ {:<20} {}{drill}  {}", e.runbook.id, s.scope, s.why),
                None => format!(
                    "   {:<20} {} ({}){drill}",
                    e.runbook.id,
                    e.runbook.title,
                    e.runbook.scope.label()
                ),
            };
            lines.push(Line::from(Span::styled(
                widgets::fit(&text, w),
                row_style(i),
            )));
        }
        if !app.runbooks.library.broken.is_empty() {
            lines.push(Line::from(Span::styled(
                "not loaded (fix and restart)",
                t.bold(t.alert),
            )));
            for (file, problems) in &app.runbooks.library.broken {
                let first = problems
                    .first()
                    .map(|p| format!("{}:{}:{}: {}", p.file, p.line, p.col, p.message))
                    .unwrap_or_else(|| file.clone());
                let more = match problems.len() {
                    0 | 1 => String::new(),
                    n => format!(" (+{} more)", n - 1),
                };
                lines.push(Line::from(Span::styled(
                    widgets::fit(&format!(" ✗ {first}{more}"), w),
                    t.style(t.alert),
                )));
            }
        }
    }
    let room = inner.height as usize;
    let offset = selected_line.saturating_sub(room.saturating_sub(1));
    f.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), inner);
}
