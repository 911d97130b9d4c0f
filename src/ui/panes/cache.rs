//! Cache: memory per cluster against the 75/85 % alarm marks, evictions and
//! the eviction policy (`noeviction` fills up and then refuses writes).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::model::CacheCluster;
use crate::ui::app::{App, Focus};
use crate::ui::limits;
use crate::ui::theme::Theme;
use crate::ui::trouble::{MARK_ALERT, MARK_WARN};
use crate::ui::widgets::{self, fit, pct};

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let block = widgets::pane(t, "Cache", app.focus == Focus::Cache);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(snap) = &app.snapshot else { return };
    if snap.caches.is_empty() {
        f.render_widget(
            Paragraph::new("no cache clusters").style(t.style(t.muted)),
            inner,
        );
        return;
    }
    // The wall layout gives each cluster a blank line to breathe.
    let per = if app.wall { 3 } else { 2 };
    let width = inner.width as usize;
    let lines: Vec<Line> = snap
        .caches
        .iter()
        .skip(app.cache_scroll)
        .take((inner.height as usize / per).max(1))
        .flat_map(|c| {
            let eta = limits::cache_next_mark(&app.history, c);
            let mut l = vec![title_line(t, c, eta, width), gauge_line(t, c, width)];
            if app.wall {
                l.push(Line::default());
            }
            l
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// Name, policy, evictions, and the next mark the memory is on course for.
fn title_line(t: &Theme, c: &CacheCluster, eta: Option<(f64, f64)>, width: usize) -> Line<'static> {
    let policy = c.maxmemory_policy.clone();
    let policy_span = match policy.as_deref() {
        Some("noeviction") => Span::styled(" noeviction ", t.bold(t.alert)),
        Some(p) => Span::styled(format!(" {p} "), t.style(t.ok)),
        None => Span::styled(" policy ? ", t.style(t.muted)),
    };
    let ev = c.evictions_per_min.unwrap_or(0.0);
    let mut spans = vec![
        Span::styled(fit(&c.id, 16), t.bold(t.fg)),
        policy_span,
        Span::styled(
            format!("ev {ev:.0}/min"),
            if ev > 0.0 {
                t.style(t.warn)
            } else {
                t.style(t.muted)
            },
        ),
    ];
    if let Some((mark, minutes)) = eta {
        let what = if mark >= 100.0 {
            "full".to_string()
        } else {
            format!("{mark:.0}%")
        };
        let countdown = format!("  {what} in {}", limits::minutes_label(minutes));
        // Whole or not at all: "full" without its time would mislead.
        let used: usize = spans.iter().map(Span::width).sum();
        if used + countdown.chars().count() <= width {
            spans.push(Span::styled(
                countdown,
                t.bold(t.level(mark, MARK_WARN, MARK_ALERT)),
            ));
        }
    } else if width >= 48 {
        spans.push(Span::styled(format!("  {}", c.node_type), t.style(t.muted)));
    }
    Line::from(spans)
}

fn gauge_line(t: &Theme, c: &CacheCluster, width: usize) -> Line<'static> {
    let mem = c.memory_pct.unwrap_or(0.0);
    let color = c
        .memory_pct
        .map_or(t.muted, |v| t.level(v, MARK_WARN, MARK_ALERT));
    let mut spans = widgets::bar(
        mem,
        width.saturating_sub(6).max(4),
        color,
        t,
        &[MARK_WARN, MARK_ALERT],
    );
    spans.push(Span::styled(
        format!(" {:>4}", pct(c.memory_pct)),
        t.bold(color),
    ));
    Line::from(spans)
}
