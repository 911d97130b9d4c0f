//! Status line: a message if there is one, else hints generated from the active
//! layer's keymap, so the hints can never disagree with the keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::app::App;
use crate::ui::command::Command;
use crate::ui::keymap::Layer;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let bar = Style::default().fg(t.header_fg).bg(t.header_bg);
    let layer = app.layer();
    let mut spans = vec![Span::styled(
        format!(" {} ", layer.label().to_uppercase()),
        Style::default().fg(t.bg).bg(t.accent),
    )];
    if let Some(m) = &app.message {
        let color = if m.error { t.alert } else { t.ok };
        spans.push(Span::styled(format!(" {}", m.text), bar.fg(color)));
    } else {
        suggestion_badge(&mut spans, app, layer);
        let mut seen = Vec::new();
        // Help and the palette first: from them every other key can be found.
        let bindings = app.keymap.layer(layer);
        let (first, rest): (Vec<_>, Vec<_>) = bindings.iter().partition(|b| {
            matches!(
                b.command,
                Command::Help | Command::Palette | Command::Quit | Command::Runbooks
            )
        });
        for b in first.into_iter().chain(rest) {
            // One hint per command (answers: the first stands for all); the help lists every key.
            if seen.contains(&&b.command)
                || b.keys.is_empty()
                || matches!(b.command, Command::Answer(n) if n > 1)
            {
                continue;
            }
            seen.push(&b.command);
            spans.push(Span::styled(format!(" {}", b.keys[0]), bar.fg(t.accent)));
            spans.push(Span::styled(
                format!(" {}", short(&b.desc)),
                bar.fg(t.muted),
            ));
        }
        if layer == Layer::Confirm {
            spans.push(Span::styled("  y or the name, as asked", bar.fg(t.muted)));
        } else if layer.takes_text() && layer != Layer::Help {
            spans.push(Span::styled("  type to edit", bar.fg(t.muted)));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)).style(bar), area);
}

/// A runbook trigger fired and no walk is open: say which, and how to open it.
fn suggestion_badge(spans: &mut Vec<Span<'static>>, app: &App, layer: Layer) {
    let t = &app.theme;
    let Some(first) = app.runbooks.suggestions.first() else {
        return;
    };
    if app.runbooks.walk.is_some() || layer != Layer::Cockpit {
        return;
    }
    let more = match app.runbooks.suggestions.len() {
        1 => String::new(),
        n => format!(" +{}", n - 1),
    };
    spans.push(Span::styled(
        format!(" ▲ {} on {}{more} · r ", first.runbook, first.scope),
        Style::default().fg(t.badge_fg).bg(t.warn),
    ));
}

/// The first word of a description, for the one-line hints.
fn short(desc: &str) -> String {
    desc.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_lowercase()
}
