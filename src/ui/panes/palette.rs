//! `:` command palette: the keymap's commands plus themes and sort orders;
//! type to narrow, Enter runs the highlighted one or the typed command.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::ui::app::App;
use crate::ui::widgets;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let Some(state) = &app.palette else { return };
    let t = &app.theme;
    let items = app.palette_matches();
    let height = (items.len() as u16 + 3).clamp(4, area.height.saturating_sub(4).min(18));
    let width = 64.min(area.width);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + 2.min(area.height),
        width,
        height: height.min(area.height.saturating_sub(2)),
    };
    f.render_widget(Clear, popup);
    let block = widgets::pane(t, "Command", true);
    let inner = block.inner(popup);
    f.render_widget(block, popup);
    let mut lines = vec![Line::from(vec![
        Span::styled(":", t.bold(t.accent)),
        Span::styled(format!("{}▏", state.input), t.bold(t.fg)),
    ])];
    let selected = state.selected.min(items.len().saturating_sub(1));
    let room = inner.height.saturating_sub(1) as usize;
    let offset = selected.saturating_sub(room.saturating_sub(1));
    for (i, item) in items.iter().enumerate().skip(offset).take(room) {
        let style = if i == selected {
            t.selection()
        } else {
            t.style(t.fg)
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<22}", item.command.to_string()), style),
            Span::styled(
                format!("{:<28}", item.desc),
                if i == selected {
                    style
                } else {
                    t.style(t.muted)
                },
            ),
            Span::styled(item.keys.clone(), t.style(t.accent)),
        ]));
    }
    if items.is_empty() {
        lines.push(Line::from(Span::styled(
            " enter runs the typed command",
            t.style(t.muted),
        )));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
