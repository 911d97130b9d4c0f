//! Header: source, READ-ONLY badge, data age and staleness, refresh cost, UTC and JST clock.

use chrono::FixedOffset;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::ui::app::App;
use crate::ui::widgets;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let bar = Style::default().fg(t.header_fg).bg(t.header_bg);
    let sep = || Span::styled(" │ ", Style::default().fg(t.muted).bg(t.header_bg));
    let mut left = vec![Span::styled(
        " sitrep",
        bar.add_modifier(Modifier::BOLD).fg(t.accent),
    )];
    left.push(sep());
    match &app.snapshot {
        Some(s) => left.push(Span::styled(
            s.source.label(),
            bar.add_modifier(Modifier::BOLD),
        )),
        None => left.push(Span::styled("waiting for data…", bar.fg(t.muted))),
    }
    if let Some(crate::model::SourceInfo::Sim { speed, .. }) =
        app.snapshot.as_ref().map(|s| &s.source)
        && *speed != 1.0
    {
        left.push(Span::styled(format!(" ×{speed}"), bar.fg(t.accent)));
    }
    if let Some(d) = &app.runbooks.drill {
        left.push(Span::raw(" "));
        left.push(Span::styled(
            format!(
                " DRILL {}{} ",
                d.scenario,
                if d.blind { " · blind" } else { "" }
            ),
            Style::default()
                .fg(t.bg)
                .bg(t.warn)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if !app.writable {
        left.push(Span::raw(" "));
        left.push(Span::styled(
            " READ-ONLY ",
            Style::default()
                .fg(t.badge_fg)
                .bg(t.badge_bg)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(age) = app.data_age() {
        left.push(sep());
        left.push(Span::styled(
            format!("data {}s", age.num_seconds().max(0)),
            bar,
        ));
    }
    let mut stale_reason = None;
    if let Some(reason) = app.stale_reason() {
        left.push(Span::raw(" "));
        left.push(Span::styled(
            " STALE ",
            Style::default()
                .fg(t.bg)
                .bg(t.alert)
                .add_modifier(Modifier::BOLD),
        ));
        stale_reason = (area.width >= 120).then_some(reason);
    }
    // A large account's first read, batch by batch.
    if let Some(r) = app.snapshot.as_ref().and_then(|s| s.stats.reading) {
        left.push(sep());
        left.push(Span::styled(
            format!(
                "reading {}/{} services",
                widgets::thousands(r.read),
                widgets::thousands(r.total)
            ),
            bar.fg(t.accent).add_modifier(Modifier::BOLD),
        ));
    }
    if let Some(s) = &app.snapshot
        && s.stats.api_calls > 0
    {
        left.push(sep());
        left.push(Span::styled(
            format!("{} calls {} ms", s.stats.api_calls, s.stats.latency_ms),
            bar.fg(t.muted),
        ));
        // What the cockpit itself spends: its call rate and CloudWatch bill.
        if let (Some((calls, _)), Some(usd)) = (app.bill.per_hour(), app.bill.usd_per_day()) {
            left.push(Span::styled(
                format!(" · {calls:.0}/h · CW ${usd:.2}/day"),
                bar.fg(t.muted),
            ));
        }
    }
    // The reason goes last: it is the part that may be cut at the clock.
    if let Some(reason) = stale_reason {
        left.push(Span::styled(format!(" {reason}"), bar.fg(t.alert)));
    }
    let clock = app.clock();
    let jst =
        clock.with_timezone(&FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset"));
    let strong = bar.add_modifier(Modifier::BOLD);
    // Narrow terminals get a shorter clock so the source and badges keep their room.
    let right = if area.width >= 100 {
        Line::from(vec![
            Span::styled("  UTC ", bar.fg(t.muted)),
            Span::styled(clock.format("%H:%M:%S").to_string(), strong),
            Span::styled("  JST ", bar.fg(t.muted)),
            Span::styled(jst.format("%H:%M:%S").to_string(), strong),
            Span::styled(" ", bar),
        ])
    } else {
        Line::from(vec![
            Span::styled(clock.format("%H:%M").to_string(), strong),
            Span::styled("Z ", bar.fg(t.muted)),
            Span::styled(jst.format("%H:%M").to_string(), strong),
            Span::styled("JST ", bar.fg(t.muted)),
        ])
    };
    let [left_area, right_area] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(right.width() as u16),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(Line::from(left)).style(bar), left_area);
    f.render_widget(
        Paragraph::new(right).style(bar).alignment(Alignment::Right),
        right_area,
    );
}
