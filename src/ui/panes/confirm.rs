//! The confirmation popup: what will be sent and changed, then the prompt
//! (`y` for an ordinary action, the target's name typed for a risky one).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::help::centered;
use crate::action::confirm::Challenge;
use crate::action::confirm::Purpose;
use crate::ui::app::App;
use crate::ui::widgets;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let Some(pending) = &app.runbooks.confirm else {
        return;
    };
    let t = &app.theme;
    let p = &pending.preview;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", p.action), t.bold(t.accent)),
            Span::styled(p.target.clone(), t.bold(t.fg)),
        ]),
        Line::from(Span::styled(p.summary, t.style(t.muted))),
    ];
    if let Purpose::Revert { entry_id } = &pending.purpose {
        lines.push(Line::from(Span::styled(
            format!("reverts ledger entry {entry_id}"),
            t.style(t.muted),
        )));
    }
    lines.push(Line::from(""));
    lines.extend(super::walk::preview_lines(t, p));
    lines.push(Line::from(""));
    let c = &pending.confirmation;
    let risky = matches!(c.challenge(), Challenge::TypeName(_));
    lines.push(Line::from(vec![
        Span::styled(c.prompt(), t.bold(if risky { t.alert } else { t.warn })),
        Span::styled("▏", t.bold(t.fg)),
    ]));
    let width = area.width.saturating_sub(8).min(100);
    // Rows once wrapped, so the prompt at the bottom is never cut off.
    let inner_w = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let height = (rows as u16 + 3).min(area.height.saturating_sub(2));
    let popup = centered(area, width, height);
    f.render_widget(Clear, popup);
    let title = if risky {
        "Confirm · risky action"
    } else {
        "Confirm"
    };
    let block = widgets::pane(t, title, true);
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
