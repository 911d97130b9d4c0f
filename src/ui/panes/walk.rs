//! The open runbook: its tree (phases, the path taken, the current node) and
//! the current node in full — a check's question with its evidence and the
//! evaluated answer, a step to tick, a wait's progress, or an action's exact
//! API call, before/after, notes, warnings and guards.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::action::guards::GuardResult;
use crate::action::preview::Preview;
use crate::action::revert::describe_request;
use crate::runbook::Walker;
use crate::runbook::machine::{RevertPlan, State};
use crate::runbook::model::{Node, NodeKind};
use crate::runbook::walker::ProposalView;
use crate::ui::app::App;
use crate::ui::theme::Theme;
use crate::ui::widgets;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let Some(open) = &app.runbooks.walk else {
        return;
    };
    let walk = &open.walker;
    let t = &app.theme;
    let rb = walk.runbook();
    let title = format!("Runbook · {} · {}", rb.id, walk.machine().scope());
    let block = widgets::pane(t, title, open.focused);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let (tree_area, detail_area) = if inner.width >= 90 {
        let [a, b] = Layout::horizontal([Constraint::Percentage(40), Constraint::Fill(1)])
            .spacing(1)
            .areas(inner);
        (a, b)
    } else {
        let tree_h = (rb.nodes.len() as u16).min(inner.height / 3).max(3);
        let [a, b] =
            Layout::vertical([Constraint::Length(tree_h), Constraint::Fill(1)]).areas(inner);
        (a, b)
    };
    tree(f, tree_area, app, walk);
    let lines = detail(app, walk);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }),
        detail_area,
    );
}

/// One line per node, in file order: phase where it changes, a mark for the
/// current node (▶) and the nodes already passed (✓), the node's kind and label.
fn tree(f: &mut Frame, area: Rect, app: &App, walk: &Walker) {
    let t = &app.theme;
    let rb = walk.machine().runbook();
    let path = walk.machine().path();
    let current = walk.machine().current();
    let mut lines = Vec::new();
    let mut last_phase = None;
    let width = area.width as usize;
    for node in &rb.nodes {
        let phase = if last_phase != Some(node.phase) {
            last_phase = Some(node.phase);
            node.phase.label()
        } else {
            ""
        };
        let is_current = node.id == current;
        let taken = path.contains(&node.id.as_str());
        let (mark, style) = if is_current {
            ("▶", t.selection())
        } else if taken {
            ("✓", t.style(t.ok))
        } else {
            (" ", t.style(t.muted))
        };
        let label = format!("{mark} {} {}", kind_mark(node), node.label());
        lines.push(Line::from(vec![
            Span::styled(format!("{phase:<9}"), t.style(t.accent)),
            Span::styled(widgets::fit(&label, width.saturating_sub(9)), style),
        ]));
    }
    // Keep the current node in view.
    let at = rb.nodes.iter().position(|n| n.id == current).unwrap_or(0);
    let room = area.height as usize;
    let offset = at.saturating_sub(room.saturating_sub(2));
    f.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), area);
}

fn kind_mark(node: &Node) -> &'static str {
    match node.kind {
        NodeKind::Check(_) => "?",
        NodeKind::Action(_) => "!",
        NodeKind::Step { .. } => "•",
        NodeKind::Wait(_) => "○",
        NodeKind::Done { .. } => "✔",
        NodeKind::Escalate { .. } => "▲",
    }
}

fn detail(app: &App, walk: &Walker) -> Vec<Line<'static>> {
    let t = &app.theme;
    let rb = walk.machine().runbook();
    let Some(node) = rb
        .node_index(walk.machine().current())
        .map(|i| &rb.nodes[i])
    else {
        return Vec::new();
    };
    let now = app.snapshot.as_ref().map_or(app.now, |s| s.taken_at);
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("[{}] ", node.phase.label()), t.style(t.accent)),
        Span::styled(node.label(), t.bold(t.fg)),
    ])];
    match (walk.machine().state(), &node.kind) {
        (
            State::Answering {
                suggested,
                evidence,
                stuck,
            },
            NodeKind::Check(check),
        ) => {
            lines.push(Line::from(Span::styled(
                check.question.clone(),
                t.style(t.fg),
            )));
            lines.push(Line::from(""));
            for (i, a) in check.answers.iter().enumerate() {
                let evaluated = suggested.as_deref() == Some(a.name.as_str());
                let cursor = if i == walk.cursor { "›" } else { " " };
                let label = node.edge_label(&a.name).unwrap_or(&a.name).to_string();
                let style = if evaluated {
                    t.bold(t.ok)
                } else {
                    t.style(t.fg)
                };
                let mut spans = vec![
                    Span::styled(format!("{cursor} {} ", i + 1), t.bold(t.accent)),
                    Span::styled(label, style),
                ];
                if evaluated {
                    spans.push(Span::styled("  ◀ evaluated", t.style(t.ok)));
                }
                lines.push(Line::from(spans));
            }
            if suggested.is_none() {
                let why = stuck.as_deref().unwrap_or("no answer matched the data");
                lines.push(Line::from(Span::styled(
                    format!(
                        "the evaluation found no answer: {why}. Choose 1-{}",
                        check.answers.len()
                    ),
                    t.bold(t.alert),
                )));
            }
            if !evidence.is_empty() {
                lines.push(Line::from(""));
                lines.push(Line::from(Span::styled("evidence", t.style(t.muted))));
                for e in evidence {
                    lines.push(Line::from(vec![
                        Span::styled(format!("  {} = ", e.expr), t.style(t.muted)),
                        Span::styled(e.value.clone(), t.bold(t.fg)),
                    ]));
                }
            }
        }
        (State::Stepping, _) => {
            let text = walk.step_text.clone().unwrap_or_default();
            lines.push(Line::from(Span::styled(text, t.style(t.fg))));
            lines.push(Line::from(""));
            if let Some(command) = &walk.step_command {
                // sitrep has no action for this fix: the exact command, to copy.
                lines.push(Line::from(Span::styled("run", t.style(t.muted))));
                lines.push(Line::from(Span::styled(
                    format!("  $ {command}"),
                    t.bold(t.fg),
                )));
                lines.push(Line::from(""));
            }
            let tick = if walk.step_command.is_some() {
                "run it, then tick it off (x): the audit log records the command"
            } else {
                "do it, then tick it off (x)"
            };
            lines.push(Line::from(Span::styled(tick, t.style(t.muted))));
        }
        (State::Waiting { deadline, stuck }, NodeKind::Wait(w)) => {
            lines.push(Line::from(vec![
                Span::styled("watching until ", t.style(t.muted)),
                Span::styled(w.when.src.clone(), t.style(t.fg)),
            ]));
            lines.push(progress(t, walk.since, *deadline, now));
            if let Some(why) = stuck {
                lines.push(Line::from(Span::styled(
                    format!("stuck: {why} (1 met, 2 timeout)"),
                    t.bold(t.alert),
                )));
            }
        }
        (State::Proposed(p), NodeKind::Action(_)) => {
            // What the keys do first: on a short pane the preview runs off the bottom.
            lines.push(apply_line(app, walk));
            if let Some(view) = &walk.view {
                proposal(&mut lines, t, view);
            }
            let revert = match &p.revert {
                RevertPlan::None => "none declared".to_string(),
                RevertPlan::Auto => match &p.recorded {
                    Some(r) => format!("{} (recorded by the executor)", r.describe()),
                    None => "nothing to revert (recorded by the executor)".into(),
                },
                RevertPlan::Request(Ok(r)) => describe_request(r),
                RevertPlan::Request(Err(e)) => format!("cannot be built: {e}"),
            };
            lines.push(Line::from(vec![
                Span::styled("revert  ", t.style(t.muted)),
                Span::styled(revert, t.style(t.fg)),
            ]));
            if let Some((when, minutes)) = &p.verify {
                lines.push(Line::from(vec![
                    Span::styled("verify  ", t.style(t.muted)),
                    Span::styled(format!("{when} within {minutes} min"), t.style(t.fg)),
                ]));
            }
        }
        (State::Verifying { deadline, .. }, NodeKind::Action(a)) => {
            if let Some(v) = &a.verify {
                lines.push(Line::from(vec![
                    Span::styled("verifying ", t.style(t.muted)),
                    Span::styled(v.when.src.clone(), t.style(t.fg)),
                ]));
            }
            lines.push(progress(t, walk.since, *deadline, now));
        }
        (State::Finished, _) => {
            if let Some((escalated, text)) = &walk.ended {
                let (badge, color) = if *escalated {
                    ("ESCALATE ", t.alert)
                } else {
                    ("DONE ", t.ok)
                };
                lines.push(Line::from(vec![
                    Span::styled(badge, t.bold(color)),
                    Span::styled(text.clone(), t.style(t.fg)),
                ]));
            }
        }
        _ => {}
    }
    if let Some((ok, line)) = &walk.last_outcome {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            line.clone(),
            t.style(if *ok { t.ok } else { t.alert }),
        )));
    }
    lines
}

/// The exact request, what it changes, what AWS will do, and the guards.
fn proposal(lines: &mut Vec<Line<'static>>, t: &Theme, view: &ProposalView) {
    let Some(p) = &view.preview else {
        if let Err(e) = &view.request {
            lines.push(Line::from(Span::styled(
                format!("cannot build the action: {e}"),
                t.style(t.alert),
            )));
        }
        return;
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{} ", p.action), t.bold(t.accent)),
        Span::styled(p.target.clone(), t.bold(t.fg)),
        Span::styled(format!("  {}", p.summary), t.style(t.muted)),
    ]));
    lines.extend(preview_lines(t, p));
    for g in &view.guards {
        lines.push(guard(t, g));
        if let Some(fix) = &g.fix
            && !g.ok
        {
            lines.push(Line::from(Span::styled(
                format!("    fix (F): {}", describe_request(fix)),
                t.style(t.accent),
            )));
        }
    }
}

/// The exact API call, the before/after of each changed field, notes and warnings:
/// the same in the runbook pane and the confirmation popup.
pub fn preview_lines(t: &Theme, p: &Preview) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(
        p.api_call.operation.clone(),
        t.bold(t.fg),
    ))];
    let body = serde_json::to_string(&p.api_call.body).unwrap_or_default();
    lines.push(Line::from(Span::styled(
        format!("  {body}"),
        t.style(t.muted),
    )));
    let width = p.changes.iter().map(|c| c.field.len()).max().unwrap_or(0);
    for c in &p.changes {
        lines.push(Line::from(vec![
            Span::styled(format!("  {:width$}  ", c.field), t.style(t.muted)),
            Span::styled(c.before.clone(), t.style(t.fg)),
            Span::styled(" → ", t.style(t.muted)),
            Span::styled(c.after.clone(), t.bold(t.accent)),
        ]));
    }
    if let Some(cost) = &p.cost {
        lines.push(Line::from(vec![
            Span::styled("cost: ", t.style(t.muted)),
            Span::styled(p.cost_line(cost), t.bold(t.fg)),
        ]));
    }
    for n in &p.notes {
        lines.push(Line::from(Span::styled(
            format!("note: {n}"),
            t.style(t.fg),
        )));
    }
    for w in &p.warnings {
        lines.push(Line::from(Span::styled(
            format!("warning: {w}"),
            t.style(t.warn),
        )));
    }
    lines
}

fn guard(t: &Theme, g: &GuardResult) -> Line<'static> {
    let (mark, color) = match (g.ok, g.warning) {
        (false, _) => ("✗", t.alert),
        (true, true) => ("!", t.warn),
        (true, false) => ("✓", t.ok),
    };
    Line::from(vec![
        Span::styled(format!("  {mark} "), t.bold(color)),
        Span::styled(g.message.clone(), t.style(if g.ok { t.fg } else { color })),
    ])
}

fn apply_line(app: &App, walk: &Walker) -> Line<'static> {
    let t = &app.theme;
    if !app.writable {
        return Line::from(Span::styled(
            "read-only session: cannot apply (S skips)",
            t.bold(t.warn),
        ));
    }
    if walk.applying {
        return Line::from(Span::styled("applying…", t.bold(t.accent)));
    }
    let blocked = walk
        .view
        .as_ref()
        .is_some_and(|v| v.guards.iter().any(|g| !g.ok));
    if blocked {
        return Line::from(Span::styled(
            "blocked by a guard (F applies its fix, S skips)",
            t.bold(t.alert),
        ));
    }
    Line::from(vec![
        Span::styled("A", t.bold(t.accent)),
        Span::styled(" apply  ", t.style(t.muted)),
        Span::styled("S", t.bold(t.accent)),
        Span::styled(" skip", t.style(t.muted)),
    ])
}

/// `[████░░░░] 3m10s of 15m00s`.
fn progress(
    t: &Theme,
    since: DateTime<Utc>,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Line<'static> {
    let total = (deadline - since).num_seconds().max(1);
    let done = (now - since).num_seconds().clamp(0, total);
    let mut spans = vec![Span::raw("[")];
    spans.extend(widgets::bar(
        done as f64 * 100.0 / total as f64,
        20,
        t.accent,
        t,
        &[],
    ));
    spans.push(Span::raw("] "));
    spans.push(Span::styled(
        format!("{} of {}", clock(done), clock(total)),
        Style::default().fg(t.fg),
    ));
    Line::from(spans)
}

fn clock(s: i64) -> String {
    format!("{}m{:02}s", s / 60, s % 60)
}
