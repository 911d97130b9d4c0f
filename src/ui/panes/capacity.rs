//! Capacity mix: running Spot share per service against its configured strategy.
//! The configured weights are not the running mix, so both are shown.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::model::configured_spot_share;
use crate::ui::app::{App, Focus};
use crate::ui::limits;
use crate::ui::widgets::{self, fit};

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let mut title = "Capacity · Spot run vs cfg".to_string();
    if let Some((key, minutes)) = &app.countdowns.to_spot_floor {
        title.push_str(&format!(
            " · {} ↓floor {}",
            key.service,
            limits::minutes_label(*minutes)
        ));
    }
    let block = widgets::pane(t, title, app.focus == Focus::Capacity);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(snap) = &app.snapshot else { return };
    let name_w = 14usize;
    let bar_w = (inner.width as usize).saturating_sub(name_w + 14).max(6);
    let lines: Vec<Line> = app
        .rows
        .iter()
        .take(inner.height as usize)
        .map(|&i| {
            let s = &snap.services[i];
            let run = s.running_mix.spot_share();
            let cfg = configured_spot_share(&s.strategy);
            let spot_cells = (run * bar_w as f64).round() as usize;
            let cfg_cell = ((cfg * bar_w as f64).round() as usize).min(bar_w.saturating_sub(1));
            let mut spans = vec![Span::styled(
                format!("{:<w$} ", fit(&s.key.service, name_w), w = name_w),
                t.style(t.fg),
            )];
            for c in 0..bar_w {
                let bg = if c < spot_cells { t.spot } else { t.on_demand };
                let (ch, fg) = if c == cfg_cell && cfg > 0.0 {
                    ('▏', t.fg)
                } else {
                    (' ', bg)
                };
                spans.push(Span::styled(ch.to_string(), Style::default().fg(fg).bg(bg)));
            }
            let drift = run < limits::spot_floor(s);
            spans.push(Span::styled(
                format!(" {:>3.0}%", run * 100.0),
                if drift {
                    t.bold(t.warn)
                } else {
                    t.style(t.spot)
                },
            ));
            spans.push(Span::styled(
                format!(" /{:>3.0}%", cfg * 100.0),
                t.style(t.muted),
            ));
            Line::from(spans)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
