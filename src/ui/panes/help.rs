//! `?` help: every binding of every layer with its description, filterable by typing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::ui::app::App;
use crate::ui::keymap::Layer;
use crate::ui::widgets;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let Some(state) = &app.help else { return };
    let t = &app.theme;
    let popup = centered(area, 76, area.height.saturating_sub(4).min(40));
    f.render_widget(Clear, popup);
    let block = widgets::pane(t, "Help · keys and commands", true);
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let needle = state.filter.to_lowercase();
    let mut lines = vec![Line::from(vec![
        Span::styled("filter: ", t.style(t.muted)),
        Span::styled(format!("{}▏", state.filter), t.bold(t.fg)),
    ])];
    let mut rows = Vec::new();
    for layer in Layer::ALL {
        for b in app.keymap.layer(layer) {
            let keys = b.keys_label();
            let cmd = b.command.to_string();
            let hay = format!("{} {keys} {cmd} {}", layer.label(), b.desc).to_lowercase();
            if !needle.is_empty() && !hay.contains(&needle) {
                continue;
            }
            rows.push(Line::from(vec![
                Span::styled(format!(" {:<9}", layer.label()), t.style(t.muted)),
                Span::styled(format!("{keys:<22}"), t.bold(t.accent)),
                Span::styled(format!("{cmd:<14}"), t.style(t.fg)),
                Span::styled(b.desc.clone(), t.style(t.muted)),
            ]));
        }
    }
    if rows.is_empty() {
        rows.push(Line::from(Span::styled(
            " nothing matches",
            t.style(t.muted),
        )));
    }
    let skip = state.scroll.min(rows.len().saturating_sub(1));
    lines.extend(rows.into_iter().skip(skip));
    f.render_widget(Paragraph::new(lines), inner);
}

/// A `w` x `h` rectangle in the middle of `area`, clipped to it.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
