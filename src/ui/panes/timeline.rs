//! `:timeline` (`T`): this session's incident record, what the fleet did and
//! what the operator did, newest at the bottom; `E` writes it as Markdown.

use chrono::FixedOffset;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::timeline::{By, Item, Timeline};
use crate::ui::app::App;
use crate::ui::panes::help::centered;
use crate::ui::theme::Theme;
use crate::ui::widgets;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let Some(view) = &app.timeline else { return };
    let t = &app.theme;
    let lines = match &view.timeline {
        None => vec![Line::from(Span::styled(
            " reading the journal and the audit log...",
            t.style(t.muted),
        ))],
        Some(Err(e)) => vec![Line::from(Span::styled(format!(" {e}"), t.style(t.alert)))],
        Some(Ok(timeline)) => lines(t, timeline),
    };
    let popup = centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    let rows = usize::from(popup.height.saturating_sub(2)).max(1);
    let skip = view.scroll.min(lines.len().saturating_sub(rows));
    let body = Paragraph::new(lines.into_iter().skip(skip).take(rows).collect::<Vec<_>>());
    f.render_widget(Clear, popup);
    let block = widgets::pane(
        t,
        "Timeline · what the fleet and you did · E export · esc close",
        true,
    );
    f.render_widget(body.block(block), popup);
}

fn lines<'a>(t: &Theme, timeline: &'a Timeline) -> Vec<Line<'a>> {
    let s = &timeline.summary;
    let mut out = vec![Line::from(vec![
        Span::styled(" over the SLA ", t.style(t.muted)),
        Span::styled(
            format!("{:.1} min", s.minutes_over_sla),
            t.bold(if s.minutes_over_sla > 0.0 {
                t.warn
            } else {
                t.ok
            }),
        ),
        Span::styled("  mitigated in ", t.style(t.muted)),
        Span::styled(
            s.minutes_to_mitigate
                .map_or_else(|| "-".into(), |m| format!("{m:.1} min")),
            t.bold(t.fg),
        ),
        Span::styled("  actions ", t.style(t.muted)),
        Span::styled(s.actions.len().to_string(), t.bold(t.fg)),
        Span::styled("  overrides in force ", t.style(t.muted)),
        Span::styled(
            timeline.overrides.len().to_string(),
            t.bold(if timeline.overrides.is_empty() {
                t.ok
            } else {
                t.warn
            }),
        ),
    ])];
    for p in &timeline.problems {
        out.push(Line::from(Span::styled(format!(" ! {p}"), t.style(t.warn))));
    }
    if timeline.items.is_empty() {
        out.push(Line::from(Span::styled(
            " nothing recorded yet",
            t.style(t.muted),
        )));
    }
    let jst = FixedOffset::east_opt(9 * 3600).expect("+09:00");
    for i in &timeline.items {
        out.push(Line::from(vec![
            Span::styled(
                format!(
                    " {} {} ",
                    i.at.format("%H:%M:%S"),
                    i.at.with_timezone(&jst).format("%H:%M")
                ),
                t.style(t.muted),
            ),
            Span::styled(format!("{:<9}", i.phase), t.style(t.muted)),
            Span::styled(format!("{:<13}", i.kind), t.bold(color(t, i))),
            Span::styled(
                format!(
                    "{:<22} ",
                    i.service
                        .as_deref()
                        .map_or("", |s| s.rsplit('/').next().unwrap_or(s))
                ),
                t.style(t.fg),
            ),
            Span::styled(
                i.text.as_str(),
                t.style(if i.by == By::Operator { t.accent } else { t.fg }),
            ),
        ]));
    }
    for o in &timeline.overrides {
        out.push(Line::from(Span::styled(
            format!(
                " override in force: {} {} (revert: {})",
                o.target, o.what, o.revert
            ),
            t.style(t.warn),
        )));
    }
    out
}

fn color(t: &Theme, i: &Item) -> ratatui::style::Color {
    match i.kind {
        "alarm" if i.fired() => t.alert,
        "task" | "interruption" | "refused" | "changed_back" | "stale" => t.warn,
        "alarm" | "recovered" => t.ok,
        _ if i.by == By::Operator => t.accent,
        _ => t.muted,
    }
}
