//! The evidence views, in place of the fleet panes: a service's tasks (failing
//! first, with stop code, reason and exit codes) or its deployments (rollout
//! state, failed tasks, circuit breaker, and the task definition diff).

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::model::evidence::{
    CircuitBreaker, Deployments, Evidence, EvidenceKind, LogTarget, TaskInfo, TaskList,
};
use crate::ui::app::App;
use crate::ui::evidence::EvidenceView;
use crate::ui::theme::Theme;
use crate::ui::widgets;

/// From this width the stop reason gets its own column; below, its own line.
const WIDE: u16 = 140;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let Some(view) = &app.evidence else { return };
    let t = &app.theme;
    let title = title(view, app, area.width >= WIDE);
    let block = widgets::pane(t, title, true);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let mut lines = Vec::new();
    if let Some(e) = &view.error {
        lines.push(Line::from(Span::styled(
            format!("read failed: {e}"),
            t.bold(t.alert),
        )));
    }
    match &view.evidence {
        None if view.error.is_none() => {
            lines.push(Line::from(Span::styled("reading…", t.style(t.muted))))
        }
        None => {}
        Some(Evidence::Tasks(list)) => tasks(&mut lines, list, view.scroll, area.width, t),
        Some(Evidence::Deployments(d)) => deployments(&mut lines, d, view.scroll, area.width, t),
        Some(Evidence::Logs(tail)) => {
            let room = usize::from(inner.height.saturating_sub(1)).saturating_sub(lines.len());
            logs(
                &mut lines,
                view,
                &tail.target,
                room,
                usize::from(inner.width),
                t,
            );
        }
    }
    let hint = match (view.request.kind, &view.filter_before) {
        (_, Some(_)) => format!("filter: {}▏ (enter keeps, esc cancels)", view.filter),
        (EvidenceKind::Tasks, None) => "esc fleet · d deployments · o logs · ? help".into(),
        (EvidenceKind::Deployments, None) => "esc fleet · t tasks · o logs · ? help".into(),
        (EvidenceKind::Logs, None) => format!(
            "esc fleet · / filter · space {} · k back · t tasks · d deployments",
            if view.paused { "follow" } else { "pause" }
        ),
    };
    let body = Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    };
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    if inner.height > 1 {
        let foot = Rect {
            y: inner.y + inner.height - 1,
            height: 1,
            ..inner
        };
        f.render_widget(Paragraph::new(Span::styled(hint, t.style(t.muted))), foot);
    }
}

fn title(view: &EvidenceView, app: &App, wide: bool) -> String {
    let what = match view.request.kind {
        EvidenceKind::Tasks => "Tasks",
        EvidenceKind::Deployments => "Deployments",
        EvidenceKind::Logs => "Logs",
    };
    let mut title = if wide {
        format!("{what} · {}", view.request.service)
    } else {
        format!("{what} · {}", view.request.service.service)
    };
    match &view.evidence {
        Some(Evidence::Tasks(list)) => {
            let running = list.count(|x| x.last_status == "RUNNING" && !x.stopped());
            let starting = list.count(|x| !x.stopped() && x.last_status != "RUNNING");
            let failed = list.count(TaskInfo::failed);
            let spot =
                list.count(|x| x.stopped() && x.stop_code.as_deref() == Some("SpotInterruption"));
            title.push_str(&format!(
                " · {running} running · {starting} starting · {failed} failed · {spot} Spot reclaimed"
            ));
        }
        Some(Evidence::Deployments(d)) => {
            title.push_str(&format!(
                " · circuit breaker {}",
                CircuitBreaker::label(d.circuit_breaker)
            ));
        }
        Some(Evidence::Logs(tail)) => {
            if wide {
                title.push_str(&format!(" · {}", tail.target.label()));
            }
            title.push_str(&format!(" · {} lines", view.shown_lines().len()));
            if let Some((at, _)) = &view.at {
                title.push_str(&format!(" · at {}", at.format("%H:%M:%S")));
            }
            if !view.filter.is_empty() {
                title.push_str(&format!(" matching “{}”", view.filter));
            }
            title.push_str(if view.paused {
                " · PAUSED"
            } else if view.scroll > 0 {
                " · scrolled back"
            } else {
                " · following"
            });
        }
        None => {}
    }
    if let Some(at) = view.answered_at
        && wide
    {
        title.push_str(&format!(" · read {} ago", widgets::age(app.now - at)));
    }
    title
}

fn hms(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "-".into(), |a| a.format("%H:%M:%S").to_string())
}

fn status_style(task: &TaskInfo, t: &Theme) -> Style {
    match task.rank() {
        0 => t.bold(t.alert),
        1..=3 => t.style(t.warn),
        4 => t.style(t.ok),
        _ => t.style(t.muted),
    }
}

fn tasks(lines: &mut Vec<Line<'static>>, list: &TaskList, scroll: usize, width: u16, t: &Theme) {
    let wide = width >= WIDE;
    let head = if wide {
        format!(
            "{:<8} {:<12} {:<9} {:<12} {:<15} {:<14} {:<8} {:<8}  {}",
            "TASK",
            "STATUS",
            "HEALTH",
            "CAPACITY",
            "AZ",
            "TASK DEF",
            "STARTED",
            "STOPPED",
            "STOP CODE · REASON · EXIT"
        )
    } else {
        format!(
            "{:<8} {:<12} {:<5} {:<4} {:<2} {:>4} {:<8} {:<8}",
            "TASK", "STATUS", "HLTH", "CAP", "AZ", "REV", "STARTED", "STOPPED"
        )
    };
    lines.push(Line::from(Span::styled(head, t.bold(t.muted))));
    if list.tasks.is_empty() {
        lines.push(Line::from(Span::styled("no tasks", t.style(t.muted))));
    }
    for task in list.tasks.iter().skip(scroll) {
        let id = task.id.get(..8).unwrap_or(&task.id).to_string();
        let health = task.health.clone().unwrap_or_else(|| "-".into());
        let az = task.az.clone().unwrap_or_else(|| "-".into());
        let cap = task
            .capacity_provider
            .clone()
            .unwrap_or_else(|| "launch type".into());
        let style = status_style(task, t);
        let why = task.why();
        // What is left of the line after the fixed columns.
        let room = usize::from(width.saturating_sub(2 + 96));
        if wide {
            lines.push(Line::from(vec![
                Span::styled(format!("{id:<8} "), t.style(t.fg)),
                Span::styled(format!("{:<12} ", task.last_status), style),
                Span::styled(format!("{health:<9} "), t.style(t.fg)),
                Span::styled(
                    format!("{cap:<12} "),
                    t.style(if task.spot() { t.spot } else { t.on_demand }),
                ),
                Span::styled(format!("{az:<15} "), t.style(t.fg)),
                Span::styled(
                    format!("{:<14} ", widgets::fit(&task.task_definition, 14)),
                    t.style(t.fg),
                ),
                Span::styled(
                    format!("{:<8} {:<8}  ", hms(task.started_at), hms(task.stopped_at)),
                    t.style(t.muted),
                ),
                Span::styled(column(&why, room), style),
            ]));
            overflow(lines, &why, room, width, style);
        } else {
            let health = match health.as_str() {
                "HEALTHY" => "ok",
                "UNHEALTHY" => "BAD",
                "UNKNOWN" => "?",
                other => other,
            }
            .to_string();
            let cap = match task.capacity_provider.as_deref() {
                Some("FARGATE_SPOT") => "spot",
                Some(_) => "od",
                None => "lt",
            };
            let az = az
                .get(az.len().saturating_sub(2)..)
                .unwrap_or("-")
                .to_string();
            lines.push(Line::from(vec![
                Span::styled(format!("{id:<8} "), t.style(t.fg)),
                Span::styled(format!("{:<12} ", task.last_status), style),
                Span::styled(format!("{health:<5} "), t.style(t.fg)),
                Span::styled(
                    format!("{cap:<4} "),
                    t.style(if task.spot() { t.spot } else { t.on_demand }),
                ),
                Span::styled(format!("{az:<2} "), t.style(t.fg)),
                Span::styled(
                    format!(
                        "{:>4} ",
                        task.revision().map_or("-".into(), |r| r.to_string())
                    ),
                    t.style(t.fg),
                ),
                Span::styled(
                    format!("{:<8} {:<8}", hms(task.started_at), hms(task.stopped_at)),
                    t.style(t.muted),
                ),
            ]));
            if !why.is_empty() {
                let room = usize::from(width.saturating_sub(6));
                lines.push(Line::from(Span::styled(
                    format!("  └ {}", widgets::fit(&why, room)),
                    style,
                )));
            }
        }
    }
    if list.more > 0 {
        lines.push(Line::from(Span::styled(
            format!("… {} more tasks not described", list.more),
            t.style(t.muted),
        )));
    }
}

fn deployments(
    lines: &mut Vec<Line<'static>>,
    d: &Deployments,
    scroll: usize,
    width: u16,
    t: &Theme,
) {
    let wide = width >= WIDE;
    let head = if wide {
        format!(
            "{:<9} {:<28} {:<14} {:<12} {:>7} {:>7} {:>7} {:>6} {:<8}  {}",
            "STATUS",
            "ID",
            "TASK DEF",
            "ROLLOUT",
            "DESIRED",
            "RUNNING",
            "PENDING",
            "FAILED",
            "CREATED",
            "REASON"
        )
    } else {
        format!(
            "{:<9} {:<14} {:<12} {:>9} {:>6} {:<8}",
            "STATUS", "TASK DEF", "ROLLOUT", "RUN/WANT", "FAILED", "CREATED"
        )
    };
    lines.push(Line::from(Span::styled(head, t.bold(t.muted))));
    let mut rows: Vec<Line<'static>> = Vec::new();
    for dep in &d.deployments {
        let rollout = dep.rollout_state.clone().unwrap_or_else(|| "-".into());
        let style = match rollout.as_str() {
            "FAILED" => t.bold(t.alert),
            "IN_PROGRESS" => t.style(t.warn),
            _ if dep.status == "INACTIVE" => t.style(t.muted),
            _ => t.style(t.ok),
        };
        let status_style = if dep.status == "PRIMARY" {
            t.bold(t.accent)
        } else {
            t.style(t.muted)
        };
        let td = widgets::fit(&dep.task_definition, 14);
        let reason = dep.rollout_reason.clone().unwrap_or_default();
        let room = usize::from(width.saturating_sub(2 + 109));
        if wide {
            rows.push(Line::from(vec![
                Span::styled(format!("{:<9} ", dep.status), status_style),
                Span::styled(
                    format!("{:<28} ", widgets::fit(&dep.id, 28)),
                    t.style(t.muted),
                ),
                Span::styled(format!("{td:<14} "), t.style(t.fg)),
                Span::styled(format!("{rollout:<12} "), style),
                Span::styled(
                    format!("{:>7} {:>7} {:>7} ", dep.desired, dep.running, dep.pending),
                    t.style(t.fg),
                ),
                Span::styled(
                    format!("{:>6} ", dep.failed_tasks),
                    if dep.failed_tasks > 0 {
                        t.bold(t.alert)
                    } else {
                        t.style(t.fg)
                    },
                ),
                Span::styled(format!("{:<8}  ", hms(dep.created_at)), t.style(t.muted)),
                Span::styled(column(&reason, room), style),
            ]));
            overflow(&mut rows, &reason, room, width, style);
        } else {
            rows.push(Line::from(vec![
                Span::styled(format!("{:<9} ", dep.status), status_style),
                Span::styled(format!("{td:<14} "), t.style(t.fg)),
                Span::styled(format!("{rollout:<12} "), style),
                Span::styled(
                    format!("{:>9} ", format!("{}/{}", dep.running, dep.desired)),
                    t.style(t.fg),
                ),
                Span::styled(
                    format!("{:>6} ", dep.failed_tasks),
                    if dep.failed_tasks > 0 {
                        t.bold(t.alert)
                    } else {
                        t.style(t.fg)
                    },
                ),
                Span::styled(hms(dep.created_at), t.style(t.muted)),
            ]));
            if !reason.is_empty() && rollout != "COMPLETED" {
                rows.push(Line::from(Span::styled(format!("  └ {reason}"), style)));
            }
        }
    }
    if d.deployments.is_empty() {
        rows.push(Line::from(Span::styled("no deployments", t.style(t.muted))));
    }
    match &d.diff {
        None => rows.push(Line::from(Span::styled(
            "no previous task definition to compare",
            t.style(t.muted),
        ))),
        Some(diff) => {
            rows.push(Line::from(""));
            rows.push(Line::from(vec![
                Span::styled("task definition ", t.bold(t.fg)),
                Span::styled(format!("{} → {}", diff.from, diff.to), t.bold(t.accent)),
                Span::styled(
                    if diff.changes.is_empty() {
                        "  (no change but the revision)"
                    } else {
                        "  (env: keys only, never values)"
                    },
                    t.style(t.muted),
                ),
            ]));
            for c in &diff.changes {
                let line = if c.what.starts_with("env ") {
                    vec![
                        Span::styled(format!("  {:<12} ", c.what), t.style(t.muted)),
                        Span::styled(format!("{}: ", c.before), t.style(t.fg)),
                        Span::styled(c.after.clone(), t.bold(t.warn)),
                    ]
                } else {
                    let (before, after) = same_repository(&c.before, &c.after);
                    vec![
                        Span::styled(format!("  {:<12} ", c.what), t.style(t.muted)),
                        Span::styled(before, t.style(t.fg)),
                        Span::styled(" → ", t.style(t.muted)),
                        Span::styled(after, t.bold(t.warn)),
                    ]
                };
                rows.push(Line::from(line));
            }
        }
    }
    lines.extend(rows.into_iter().skip(scroll));
}

/// Two images of one repository read best as `name:tag`; anything else whole.
fn same_repository(before: &str, after: &str) -> (String, String) {
    match (before.rsplit_once('/'), after.rsplit_once('/')) {
        (Some((rb, b)), Some((ra, a))) if rb == ra => (b.to_string(), a.to_string()),
        _ => (before.to_string(), after.to_string()),
    }
}

/// A reason in its column when it fits; else its first part (the stop code),
/// and `overflow` gives the rest on the next line.
fn column(text: &str, room: usize) -> String {
    if text.chars().count() <= room {
        return text.to_string();
    }
    match text.split_once(" · ") {
        Some((head, _)) if head.chars().count() <= room => head.to_string(),
        _ => String::new(),
    }
}

fn overflow(lines: &mut Vec<Line<'static>>, text: &str, room: usize, width: u16, style: Style) {
    let shown = column(text, room);
    if shown.len() == text.len() {
        return;
    }
    let rest = text
        .strip_prefix(shown.as_str())
        .unwrap_or(text)
        .trim_start_matches(" · ");
    let fits = usize::from(width.saturating_sub(6));
    lines.push(Line::from(Span::styled(
        format!("  └ {}", widgets::fit(rest, fits)),
        style,
    )));
}

/// Rows the first line of a log entry may wrap to.
const FIRST_ROWS: usize = 3;

/// `text` in rows of at most `width` characters, broken at spaces (inside a
/// word longer than a row), at most `rows` (the last one cut with `…`).
fn wrap(text: &str, width: usize, rows: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out: Vec<String> = Vec::new();
    let mut rest: &str = text;
    while !rest.is_empty() && out.len() < rows {
        let fits = rest
            .char_indices()
            .nth(width)
            .map_or(rest.len(), |(i, _)| i);
        let cut = if fits == rest.len() {
            fits
        } else {
            rest[..fits].rfind(' ').filter(|&i| i > 0).unwrap_or(fits)
        };
        out.push(rest[..cut].to_string());
        rest = rest[cut..].trim_start_matches(' ');
    }
    if !rest.is_empty()
        && let Some(last) = out.last_mut()
    {
        *last = widgets::fit(&format!("{last} {rest}"), width);
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// The newest log lines that fit, oldest at the top; `view.scroll` events back from the newest.
fn logs(
    lines: &mut Vec<Line<'static>>,
    view: &EvidenceView,
    target: &LogTarget,
    room: usize,
    width: usize,
    t: &Theme,
) {
    match target {
        LogTarget::Awslogs { .. } => {}
        LogTarget::Other { driver, container } => {
            lines.push(Line::from(Span::styled(
                format!(
                    "container {container} logs through the `{driver}` driver, not awslogs: \
                     sitrep cannot follow it; read the logs where {driver} sends them"
                ),
                t.bold(t.warn),
            )));
            return;
        }
        LogTarget::None => {
            lines.push(Line::from(Span::styled(
                "the task definition configures no log driver: there are no logs to follow",
                t.bold(t.warn),
            )));
            return;
        }
    }
    let shown = view.shown_lines();
    if shown.is_empty() {
        lines.push(Line::from(Span::styled(
            if view.filter.is_empty() {
                "no log lines yet"
            } else {
                "no line matches the filter"
            },
            t.style(t.muted),
        )));
        return;
    }
    let end = shown.len().saturating_sub(view.scroll);
    let mut out: Vec<Line<'static>> = Vec::new();
    // The event the view was opened at, between the lines before and after it.
    let mut mark = view.at.as_ref().map(|(at, label)| {
        let text = format!("── {} ▶ {label} ", at.format("%H:%M:%S"));
        let line = Line::from(Span::styled(widgets::fit(&text, width), t.bold(t.accent)));
        (*at, line)
    });
    for line in shown[..end].iter().rev() {
        if mark.as_ref().is_some_and(|(at, _)| line.at <= *at)
            && let Some((_, m)) = mark.take()
        {
            out.push(m);
        }
        let style = if line.message.starts_with("ERROR") || line.message.contains("Error:") {
            t.style(t.alert)
        } else if line.message.starts_with("WARN") {
            t.style(t.warn)
        } else {
            t.style(t.fg)
        };
        let task = line.stream.rsplit('/').next().unwrap_or("");
        let mut parts: Vec<Line<'static>> = Vec::new();
        for (i, text) in line.message.lines().enumerate() {
            if i > 0 {
                parts.push(Line::from(Span::styled(
                    widgets::fit(&format!("{:18}{}", "", text.replace('\t', "  ")), width),
                    t.style(t.muted),
                )));
                continue;
            }
            // The line itself wraps (its end often says the most: an image, a ref).
            let rows = wrap(text, width.saturating_sub(18), FIRST_ROWS);
            for (j, row) in rows.into_iter().enumerate() {
                let head = if j == 0 {
                    vec![
                        Span::styled(line.at.format("%H:%M:%S ").to_string(), t.style(t.muted)),
                        Span::styled(
                            format!("{} ", task.get(..8).unwrap_or(task)),
                            t.style(t.accent),
                        ),
                    ]
                } else {
                    vec![Span::raw(" ".repeat(18))]
                };
                parts.push(Line::from(
                    head.into_iter()
                        .chain([Span::styled(row, style)])
                        .collect::<Vec<_>>(),
                ));
            }
        }
        // Whole entries only, unless one alone is taller than the pane.
        if !out.is_empty() && out.len() + parts.len() > room {
            break;
        }
        for p in parts.into_iter().rev() {
            out.push(p);
        }
        if out.len() >= room {
            break;
        }
    }
    // Every line shown is after the event: it sits above them.
    if let Some((_, m)) = mark
        && out.len() < room
    {
        out.push(m);
    }
    out.truncate(room);
    out.reverse();
    lines.extend(out);
}
