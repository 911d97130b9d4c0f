//! Alarms, then recent events newest first: scaling, Spot, task failures, actions.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::model::{AlarmState, EventKind};
use crate::ui::app::{App, Focus};
use crate::ui::widgets;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let Some(snap) = &app.snapshot else {
        f.render_widget(
            widgets::pane(t, "Alarms · Events", app.focus == Focus::Events),
            area,
        );
        return;
    };
    let firing = snap
        .alarms
        .iter()
        .filter(|a| a.state == AlarmState::Alarm)
        .count();
    let focused = app.focus == Focus::Events;
    let mut title = format!("Alarms {firing}/{} · Events", snap.alarms.len());
    if focused {
        title.push_str(" · o logs at the top one");
    }
    let block = widgets::pane(t, title, focused);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let mut alarms: Vec<_> = snap
        .alarms
        .iter()
        .filter(|a| a.state != AlarmState::Ok)
        .collect();
    alarms.sort_by_key(|a| (a.state != AlarmState::Alarm, a.name.clone()));
    let mut lines: Vec<Line> = alarms
        .iter()
        .map(|a| {
            let (mark, color) = match a.state {
                AlarmState::Alarm => ("● ALARM ", t.alert),
                AlarmState::InsufficientData => ("◌ NODATA", t.muted),
                AlarmState::Ok => ("○ OK    ", t.ok),
            };
            Line::from(vec![
                Span::styled(mark, t.bold(color)),
                Span::styled(format!(" {} ", a.name), t.style(t.fg)),
                Span::styled(a.reason.clone(), t.style(t.muted)),
            ])
        })
        .collect();
    if alarms.is_empty() && !snap.alarms.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("○ all {} alarms OK", snap.alarms.len()),
            t.style(t.ok),
        )));
    }
    for (i, e) in app.notable_events().skip(app.events_scroll).enumerate() {
        let (tag, color) = match e.kind {
            EventKind::ScalingActivity => ("SCALE", t.accent),
            EventKind::SpotInterruption => ("SPOT!", t.alert),
            EventKind::SpotWarning => ("SPOT ", t.warn),
            EventKind::TaskFailed => ("FAIL ", t.alert),
            EventKind::TaskStarted => ("START", t.muted),
            EventKind::Deployment => ("DEPLY", t.accent),
            EventKind::ServiceEvent => ("EVENT", t.muted),
            EventKind::Action => ("ACTN ", t.spot),
        };
        let who = e
            .service
            .as_ref()
            .map(|k| format!("{} ", k.service))
            .unwrap_or_default();
        // The top event is the selected one: `o` opens its service's logs at its time.
        let time = if focused && i == 0 {
            t.bold(t.accent).add_modifier(Modifier::REVERSED)
        } else {
            t.style(t.muted)
        };
        lines.push(Line::from(vec![
            Span::styled(e.at.format("%H:%M:%S").to_string(), time),
            Span::raw(" "),
            Span::styled(tag, t.bold(color)),
            Span::styled(format!(" {who}"), t.style(t.fg)),
            Span::styled(e.message.clone(), t.style(t.muted)),
        ]));
        if lines.len() >= inner.height as usize {
            break;
        }
    }
    f.render_widget(Paragraph::new(lines), inner);
}
