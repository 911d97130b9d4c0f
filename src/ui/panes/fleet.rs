//! Fleet table: one row per service, worst trouble first, with trend sparklines.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use crate::model::history::Metric;
use crate::model::{DeploymentState, Part, Service, configured_spot_share};
use crate::ui::app::{App, Focus};
use crate::ui::command::Command;
use crate::ui::groups::{ClusterRow, TableRow};
use crate::ui::keymap::Layer;
use crate::ui::limits;
use crate::ui::theme::Theme;
use crate::ui::trouble::{self, Severity};
use crate::ui::widgets::{self, buckets, fit, ms, pct, sparkline};

/// Sparklines in the table cover the last 10 minutes.
const TREND_WINDOW_S: i64 = 600;

/// Why the table has no row, in the words an operator needs: still reading,
/// nothing to show in these clusters, nothing readable (with the reason), or
/// a filter that matches nothing (and the key that clears it). `None` when
/// there are rows.
pub fn empty_reason(app: &App) -> Option<String> {
    let Some(snap) = &app.snapshot else {
        return Some("reading the fleet…".into());
    };
    if !app.rows.is_empty() {
        return None;
    }
    if !snap.services.is_empty() {
        let (layer, command, verb) = if app.filter_input_open() {
            (Layer::Filter, Command::Close, "cancels")
        } else {
            (Layer::Cockpit, Command::ClearFilter, "clears")
        };
        let hint = app
            .keymap
            .layer(layer)
            .iter()
            .find(|b| b.command == command)
            .and_then(|b| b.keys.first())
            .map(|k| format!(" — {k} {verb}"))
            .unwrap_or_default();
        return Some(format!("no service matches /{}{hint}", app.filter));
    }
    let services = snap.parts.get(&Part::Services);
    let all_failing = !snap.parts.is_empty() && snap.parts.values().all(|p| p.error.is_some());
    if all_failing {
        let reason = services
            .and_then(|p| p.error.as_deref())
            .or_else(|| snap.part_errors().next().map(|(_, e)| e))
            .unwrap_or_default();
        return Some(format!("every part is failing: {reason}"));
    }
    if let Some(err) = services.and_then(|p| p.error.as_deref()) {
        return Some(format!("cannot read services: {err}"));
    }
    if services.is_some_and(|p| p.fetched_at.is_none()) {
        return Some("reading the fleet…".into());
    }
    let names: Vec<&str> = snap.clusters.iter().map(|c| c.name.as_str()).collect();
    Some(match names.as_slice() {
        [] => format!("no ECS clusters in {}", snap.source.label()),
        [one] => format!("no services in cluster {one}"),
        [first @ .., last] if names.len() <= 4 => {
            format!("no services in clusters {} and {last}", first.join(", "))
        }
        many => format!(
            "no services in clusters {} and {} more",
            many[..3].join(", "),
            many.len() - 3
        ),
    })
}

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let focused = app.focus == Focus::Fleet;
    let mut title = format!("Fleet · {} by {}", app.rows.len(), app.sort.label());
    if let Some((key, minutes)) = &app.countdowns.to_max {
        title.push_str(&format!(
            " · {} at max in {}",
            key.service,
            limits::minutes_label(*minutes)
        ));
    }
    if !app.filter.is_empty() || app.filter_input_open() {
        title.push_str(&format!(" · /{}", app.filter));
        if app.filter_input_open() {
            title.push('▏');
        }
    }
    let block = widgets::pane(t, title, focused);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if let Some(why) = empty_reason(app) {
        f.render_widget(
            Paragraph::new(why)
                .style(t.style(t.muted))
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let Some(snap) = &app.snapshot else { return };
    let wide = inner.width >= 96;
    let wall = app.wall;
    let name_w: u16 = if wide || wall { 20 } else { 16 };
    let trend_w: usize = if wide { 8 } else { 6 };
    let (header, widths): (Vec<&str>, Vec<Constraint>) = if wall {
        (
            vec!["SERVICE", "TASKS", "CPU", "", "P95", "DEPLOY"],
            vec![
                Constraint::Length(name_w),
                Constraint::Length(7),
                Constraint::Length(4),
                Constraint::Fill(1),
                Constraint::Length(6),
                Constraint::Length(8),
            ],
        )
    } else if wide {
        (
            vec![
                "SERVICE", "RUN/DES", "MIN-MAX", "CPU", "", "MEM", "", "P95", "SPOT r/c", "ARCH",
                "DEPLOY",
            ],
            vec![
                Constraint::Length(name_w),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(4),
                Constraint::Length(trend_w as u16),
                Constraint::Length(4),
                Constraint::Length(trend_w as u16),
                Constraint::Length(6),
                Constraint::Length(8),
                Constraint::Length(5),
                Constraint::Fill(1),
            ],
        )
    } else {
        (
            vec![
                "SERVICE", "RUN/DES", "MAX", "CPU", "", "MEM", "P95", "SPOT", "DEPLOY",
            ],
            vec![
                Constraint::Length(name_w),
                Constraint::Length(7),
                Constraint::Length(3),
                Constraint::Length(4),
                Constraint::Length(trend_w as u16),
                Constraint::Length(4),
                Constraint::Length(5),
                Constraint::Length(7),
                Constraint::Fill(1),
            ],
        )
    };
    // Only the visible window of rows is built: the table stays cheap at 500 services.
    // On the wall each row gets a blank line below it, to read from across the room.
    let row_h = if wall { 2 } else { 1 };
    let visible = inner.height.saturating_sub(1) as usize / row_h;
    let selected = app.selected_row().unwrap_or(0);
    let offset = selected.saturating_sub(visible.saturating_sub(1));
    // Wall rows: name, tasks, CPU %, the bar, P95, deploy, and the spaces between.
    let bar_w = (inner.width as usize).saturating_sub(name_w as usize + 7 + 4 + 6 + 8 + 5);
    // Under a cluster header the cluster need not be repeated on each row.
    let multi_cluster = snap.clusters.len() > 1 && !app.grouped();
    let columns = widths.len();
    let firing = trouble::Firing::of(&snap.alarms);
    let rows = app
        .table
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
        .map(|(row, entry)| {
            let i = match entry {
                TableRow::Service(i) => *i,
                TableRow::Cluster(c) => {
                    return cluster_row(t, c, columns, name_w, row == selected)
                        .bottom_margin(row_h as u16 - 1);
                }
            };
            let s = &snap.services[i];
            let name = if multi_cluster {
                s.key.to_string()
            } else {
                s.key.service.clone()
            };
            let trouble = trouble::assess(s, &firing);
            let name_style = match trouble.severity {
                Severity::Alert => t.bold(t.alert),
                Severity::Warn => t.style(t.warn),
                Severity::Ok => t.style(t.fg),
            };
            let marker = match trouble.severity {
                Severity::Alert => "! ",
                Severity::Warn => "~ ",
                Severity::Ok => "  ",
            };
            let name_cell = Cell::from(Line::from(vec![
                Span::styled(marker, name_style),
                Span::styled(fit(&name, name_w as usize - 2), name_style),
            ]));
            let cells = if wall {
                wall_cells(app, s, name_cell, bar_w)
            } else {
                table_cells(app, s, name_cell, trend_w, wide)
            };
            let row_style = if row == selected {
                t.selection()
            } else {
                Style::default()
            };
            Row::new(cells)
                .style(row_style)
                .bottom_margin(row_h as u16 - 1)
        });
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.bold(t.muted)))
        .column_spacing(1);
    f.render_widget(table, inner);
}

/// A cluster's header: folded or not, how many services, how many in trouble.
fn cluster_row(
    t: &Theme,
    c: &ClusterRow,
    columns: usize,
    name_w: u16,
    selected: bool,
) -> Row<'static> {
    let fold = if c.collapsed { "▸ " } else { "▾ " };
    let mut cells = vec![
        Cell::from(Span::styled(
            format!("{fold}{}", fit(&c.name, name_w as usize - 2)),
            t.bold(t.accent),
        )),
        Cell::from(Span::styled(
            format!("{} svc", c.services),
            t.style(t.muted),
        )),
    ];
    cells.resize(columns.saturating_sub(1).max(2), Cell::from(""));
    // The rows' own markers: `!` alert, `~` warning.
    let mut summary = Vec::new();
    if c.alert > 0 {
        summary.push(Span::styled(format!("{}! ", c.alert), t.bold(t.alert)));
    }
    if c.warn > 0 {
        summary.push(Span::styled(format!("{}~", c.warn), t.style(t.warn)));
    }
    if summary.is_empty() {
        summary.push(Span::styled("all ok", t.style(t.ok)));
    }
    cells.push(Cell::from(Line::from(summary)));
    let style = if selected {
        t.selection()
    } else {
        Style::default()
    };
    Row::new(cells).style(style)
}

fn trend(app: &App, s: &Service, metric: Metric, width: usize, color: Color) -> Cell<'static> {
    let values = buckets(
        app.history.service(&s.key, metric),
        app.clock(),
        TREND_WINDOW_S,
        width,
    );
    Cell::from(Span::styled(
        sparkline(&values, 0.0, 100.0),
        Style::default().fg(color),
    ))
}

fn tasks_cell(t: &Theme, s: &Service) -> Cell<'static> {
    let style = if s.running < s.desired {
        t.style(t.warn)
    } else {
        t.style(t.fg)
    };
    Cell::from(Span::styled(format!("{}/{}", s.running, s.desired), style))
}

fn deploy_cell(t: &Theme, s: &Service) -> Cell<'static> {
    let style = match s.deployment {
        DeploymentState::Stable => t.style(t.muted),
        DeploymentState::InProgress { .. } => t.style(t.accent),
        DeploymentState::Failed { .. } => t.bold(t.alert),
    };
    Cell::from(Span::styled(s.deployment.label(), style))
}

fn cpu_color(t: &Theme, v: Option<f64>) -> Color {
    v.map_or(t.muted, |v| {
        t.level(v, trouble::CPU_WARN, trouble::CPU_SATURATED)
    })
}

fn table_cells(
    app: &App,
    s: &Service,
    name_cell: Cell<'static>,
    trend_w: usize,
    wide: bool,
) -> Vec<Cell<'static>> {
    let t = &app.theme;
    let m = &s.metrics;
    let cpu_c = cpu_color(t, m.cpu_pct);
    let mem_c = m.memory_pct.map_or(t.muted, |v| {
        t.level(v, trouble::MEM_WARN, trouble::MEM_SATURATED)
    });
    let p95_c = m.p95_ms.map_or(t.muted, |v| {
        t.level(v, trouble::P95_WARN_MS, trouble::P95_BREACH_MS)
    });
    let at_max = trouble::pinned_at_max(s);
    let (min, max) = s
        .bounds()
        .map_or(("-".to_string(), "-".to_string()), |(a, b)| {
            (a.to_string(), b.to_string())
        });
    let max_style = if at_max {
        t.bold(t.warn)
    } else {
        t.style(t.fg)
    };
    let run_spot = s.running_mix.spot_share() * 100.0;
    let cfg_spot = configured_spot_share(&s.strategy) * 100.0;
    let spot_style = if s.running_mix.spot_share() < limits::spot_floor(s) {
        t.style(t.warn)
    } else {
        t.style(t.spot)
    };
    if wide {
        vec![
            name_cell,
            tasks_cell(t, s),
            Cell::from(match s.bounds() {
                Some(_) => Line::from(vec![
                    Span::styled(format!("{min}-"), t.style(t.muted)),
                    Span::styled(max, max_style),
                ]),
                None => Line::from(Span::styled("-", t.style(t.muted))),
            }),
            Cell::from(Span::styled(pct(m.cpu_pct), t.style(cpu_c))),
            trend(app, s, Metric::Cpu, trend_w, cpu_c),
            Cell::from(Span::styled(pct(m.memory_pct), t.style(mem_c))),
            trend(app, s, Metric::Memory, trend_w, mem_c),
            Cell::from(Span::styled(ms(m.p95_ms), t.style(p95_c))),
            Cell::from(Span::styled(
                format!("{run_spot:>3.0}/{cfg_spot:.0}%"),
                spot_style,
            )),
            Cell::from(Span::styled(s.arch.label(), t.style(t.muted))),
            deploy_cell(t, s),
        ]
    } else {
        vec![
            name_cell,
            tasks_cell(t, s),
            Cell::from(Span::styled(max, max_style)),
            Cell::from(Span::styled(pct(m.cpu_pct), t.style(cpu_c))),
            trend(app, s, Metric::Cpu, trend_w, cpu_c),
            Cell::from(Span::styled(pct(m.memory_pct), t.style(mem_c))),
            Cell::from(Span::styled(ms(m.p95_ms), t.style(p95_c))),
            Cell::from(Span::styled(
                format!("{run_spot:.0}/{cfg_spot:.0}"),
                spot_style,
            )),
            deploy_cell(t, s),
        ]
    }
}

fn wall_cells(
    app: &App,
    s: &Service,
    name_cell: Cell<'static>,
    bar_w: usize,
) -> Vec<Cell<'static>> {
    let t = &app.theme;
    let m = &s.metrics;
    let cpu_c = cpu_color(t, m.cpu_pct);
    let p95_c = m.p95_ms.map_or(t.muted, |v| {
        t.level(v, trouble::P95_WARN_MS, trouble::P95_BREACH_MS)
    });
    vec![
        name_cell,
        tasks_cell(t, s),
        Cell::from(Span::styled(pct(m.cpu_pct), t.style(cpu_c))),
        Cell::from(Line::from(widgets::bar(
            m.cpu_pct.unwrap_or(0.0),
            bar_w,
            cpu_c,
            t,
            &[trouble::CPU_WARN, trouble::CPU_SATURATED],
        ))),
        Cell::from(Span::styled(ms(m.p95_ms), t.style(p95_c))),
        deploy_cell(t, s),
    ]
}
