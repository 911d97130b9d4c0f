//! The end of a drill: the verdict on its objective and the score so far, on
//! top of the fleet as it ended, until the trainee closes it (par and the
//! after-action report follow in the terminal).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::drill::judge::{Outcome, clock};
use crate::ui::app::App;
use crate::ui::panes::help::centered;
use crate::ui::widgets;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let Some(drill) = &app.runbooks.drill else {
        return;
    };
    let Some(verdict) = drill.verdict() else {
        return;
    };
    let t = &app.theme;
    let score = drill.score(None);
    let won = verdict.outcome == Outcome::Won;
    let (word, color) = if won {
        ("WON", t.ok)
    } else {
        ("LOST", t.alert)
    };
    let row = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!(" {label:<18}"), t.style(t.muted)),
            Span::styled(value, t.bold(t.fg)),
        ])
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!(" {word} "), t.bold(color)),
            Span::styled(format!("  {}/100", score.points), t.bold(t.fg)),
            Span::styled("  (before par)", t.style(t.muted)),
        ]),
        Line::from(""),
    ];
    if let Some(judge) = &drill.judge {
        lines.push(row("objective", judge.objective().text.clone()));
    }
    lines.push(row("why", verdict.why.clone()));
    lines.push(row(
        "mitigated after",
        verdict
            .mitigated_after
            .map_or_else(|| "never".to_string(), clock),
    ));
    lines.push(row(
        "over SLA",
        format!("{:.1} min", score.over_sla.num_seconds() as f64 / 60.0),
    ));
    lines.push(row("spent", format!("${:.2}", score.spent_usd)));
    lines.push(row("actions", score.actions.len().to_string()));
    lines.push(row("risky moves", score.risky_moves.len().to_string()));
    lines.push(row("hints", score.hints.to_string()));
    lines.push(row(
        "runbook",
        if score.runbook_done {
            "walked to its end".to_string()
        } else {
            "not finished".to_string()
        },
    ));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " q or Enter: close; par (the runbook walked as written) and the report follow",
        t.style(t.muted),
    )));
    let width = 96.min(area.width);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let height = (rows as u16 + 2).min(area.height);
    let popup = centered(area, width, height);
    f.render_widget(Clear, popup);
    let block = widgets::pane(t, format!("Drill over · {}", drill.scenario), true);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        popup,
    );
}
