//! Service detail: sparklines of the selected service and its scaling set-up.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::model::history::Metric;
use crate::model::{Service, configured_spot_share};
use crate::ui::app::{App, Focus};
use crate::ui::limits;
use crate::ui::trouble;
use crate::ui::widgets::{self, buckets, ms, pct, scale_max, sparkline};

/// Detail sparklines cover the last 30 minutes.
const WINDOW_S: i64 = 1800;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let Some(s) = app.selected_service() else {
        let block = widgets::pane(t, "Service", app.focus == Focus::Detail);
        f.render_widget(
            Paragraph::new("no service selected")
                .style(t.style(t.muted))
                .block(block),
            area,
        );
        return;
    };
    let title = format!(
        "{} · {} · {} vCPU / {} GB",
        s.key,
        s.arch.label(),
        s.task_vcpu,
        s.task_memory_gb
    );
    let block = widgets::pane(t, title, app.focus == Focus::Detail);
    let inner = block.inner(area);
    f.render_widget(block, area);
    // Room on the right for " +N pending".
    let spark_w = (inner.width as usize).saturating_sub(25).max(4);
    let m = &s.metrics;
    let level =
        |v: Option<f64>, warn: f64, alert: f64| v.map_or(t.muted, |v| t.level(v, warn, alert));
    let sparks = [
        Spark {
            label: "CPU",
            value: pct(m.cpu_pct),
            metric: Metric::Cpu,
            floor: 100.0,
            color: level(m.cpu_pct, trouble::CPU_WARN, trouble::CPU_SATURATED),
        },
        Spark {
            label: "MEM",
            value: pct(m.memory_pct),
            metric: Metric::Memory,
            floor: 100.0,
            color: level(m.memory_pct, trouble::MEM_WARN, trouble::MEM_SATURATED),
        },
        Spark {
            label: "P95",
            value: ms(m.p95_ms),
            metric: Metric::P95,
            floor: trouble::P95_BREACH_MS,
            color: level(m.p95_ms, trouble::P95_WARN_MS, trouble::P95_BREACH_MS),
        },
    ];
    let mut lines: Vec<Line> = sparks
        .into_iter()
        .map(|sp| spark_line(app, s, spark_w, sp))
        .collect();
    lines.push(running_line(app, s, spark_w));
    lines.push(spark_line(
        app,
        s,
        spark_w,
        Spark {
            label: "SPOT",
            value: format!("{:.0}%", s.running_mix.spot_share() * 100.0),
            metric: Metric::SpotShare,
            floor: 1.0,
            color: t.spot,
        },
    ));
    lines.extend(scaling_lines(app, s));
    let room = (inner.height as usize).saturating_sub(lines.len() + 1);
    if room > 0
        && let Some(snap) = &app.snapshot
    {
        let recent: Vec<_> = snap
            .events_for(&s.key, snap.taken_at - chrono::Duration::hours(1))
            .collect();
        if !recent.is_empty() {
            lines.push(Line::from(Span::styled("Recent", t.style(t.muted))));
            for e in recent.iter().rev().take(room) {
                lines.push(Line::from(vec![
                    Span::styled(e.at.format("  %H:%M:%S ").to_string(), t.style(t.muted)),
                    Span::styled(e.message.clone(), t.style(t.fg)),
                ]));
            }
        }
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// One sparkline row: label, latest value, and the trend scaled from 0 to at least `floor`.
struct Spark {
    label: &'static str,
    value: String,
    metric: Metric,
    floor: f64,
    color: Color,
}

fn spark_line(app: &App, s: &Service, width: usize, sp: Spark) -> Line<'static> {
    let t = &app.theme;
    let Spark {
        label,
        value,
        metric,
        floor,
        color,
    } = sp;
    let values = buckets(
        app.history.service(&s.key, metric),
        app.clock(),
        WINDOW_S,
        width,
    );
    let hi = scale_max(&values, floor);
    Line::from(vec![
        Span::styled(format!("{label:<5}"), t.style(t.muted)),
        Span::styled(format!("{value:>7} "), t.bold(color)),
        Span::styled(sparkline(&values, 0.0, hi), t.style(color)),
    ])
}

/// Running against desired: the sparkline is running, scaled to the max.
fn running_line(app: &App, s: &Service, width: usize) -> Line<'static> {
    let t = &app.theme;
    let values = buckets(
        app.history.service(&s.key, Metric::Running),
        app.clock(),
        WINDOW_S,
        width,
    );
    let hi = s
        .bounds()
        .map_or(0.0, |(_, max)| f64::from(max))
        .max(scale_max(&values, 1.0));
    let color = if s.running < s.desired { t.warn } else { t.ok };
    let mut spans = vec![
        Span::styled("RUN  ", t.style(t.muted)),
        Span::styled(
            format!("{:>7} ", format!("{}/{}", s.running, s.desired)),
            t.bold(color),
        ),
        Span::styled(sparkline(&values, 0.0, hi), t.style(color)),
    ];
    if s.pending > 0 {
        spans.push(Span::styled(
            format!(" +{} pending", s.pending),
            t.style(t.accent),
        ));
    }
    Line::from(spans)
}

fn scaling_lines(app: &App, s: &Service) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut lines = Vec::new();
    match &s.scaling {
        None => lines.push(Line::from(Span::styled(
            "no scalable target: desired is fixed",
            t.style(t.warn),
        ))),
        Some(sc) => {
            let mut spans = vec![
                Span::styled("Scaling ", t.style(t.muted)),
                Span::styled(format!("min {} max {}", sc.min, sc.max), t.bold(t.fg)),
            ];
            if trouble::pinned_at_max(s) {
                spans.push(Span::styled("  AT MAX", t.bold(t.warn)));
            } else if let Some(minutes) = limits::to_max(&app.history, s) {
                spans.push(Span::styled(
                    format!("  at max in {}", limits::minutes_label(minutes)),
                    t.bold(t.warn),
                ));
            }
            let sus = sc.suspended;
            let suspended: Vec<&str> = [
                (sus.scale_in, "scale-in"),
                (sus.scale_out, "scale-out"),
                (sus.scheduled, "scheduled"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
            if !suspended.is_empty() {
                spans.push(Span::styled(
                    format!("  suspended: {}", suspended.join(", ")),
                    t.style(t.warn),
                ));
            }
            lines.push(Line::from(spans));
            for p in &sc.policies {
                lines.push(Line::from(vec![
                    Span::styled("  policy ", t.style(t.muted)),
                    Span::styled(
                        format!("{} {} ", short_metric(&p.metric), p.target),
                        t.style(t.fg),
                    ),
                    Span::styled(
                        format!(
                            "out {}s in {}s{}",
                            p.scale_out_cooldown_s,
                            p.scale_in_cooldown_s,
                            if p.disable_scale_in {
                                " (no scale-in)"
                            } else {
                                ""
                            }
                        ),
                        t.style(t.muted),
                    ),
                ]));
            }
            for a in &sc.scheduled {
                let bounds = [
                    a.min.map(|v| format!("min {v}")),
                    a.max.map(|v| format!("max {v}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
                lines.push(Line::from(vec![
                    Span::styled("  sched  ", t.style(t.muted)),
                    Span::styled(format!("{} ", a.name), t.style(t.fg)),
                    Span::styled(format!("{} {bounds}", a.schedule), t.style(t.muted)),
                ]));
            }
        }
    }
    let strategy = if s.strategy.is_empty() {
        s.launch_type
            .clone()
            .unwrap_or_else(|| "default strategy".into())
    } else {
        s.strategy
            .iter()
            .map(|i| {
                if i.base > 0 {
                    format!("{} {} (base {})", i.provider, i.weight, i.base)
                } else {
                    format!("{} {}", i.provider, i.weight)
                }
            })
            .collect::<Vec<_>>()
            .join(" + ")
    };
    lines.push(Line::from(vec![
        Span::styled("Strategy ", t.style(t.muted)),
        Span::styled(strategy, t.style(t.fg)),
        Span::styled(
            format!(
                "  → {:.0}% Spot",
                configured_spot_share(&s.strategy) * 100.0
            ),
            t.style(t.spot),
        ),
    ]));
    let mut deploy = vec![
        Span::styled("Deploy   ", t.style(t.muted)),
        Span::styled(s.deployment.label(), t.style(t.fg)),
    ];
    if let crate::model::DeploymentState::Failed { reason } = &s.deployment {
        deploy[1] = Span::styled(format!("FAILED: {reason}"), t.bold(t.alert));
    }
    if let Some(owner) = s.iac_owner() {
        deploy.push(Span::styled(format!("  IaC {owner}"), t.style(t.muted)));
    }
    lines.push(Line::from(deploy));
    lines
}

fn short_metric(metric: &str) -> &str {
    match metric {
        "ECSServiceAverageCPUUtilization" => "CPU",
        "ECSServiceAverageMemoryUtilization" => "MEM",
        "ALBRequestCountPerTarget" => "req/target",
        other => other,
    }
}
