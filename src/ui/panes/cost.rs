//! Cost: burn per hour and month from the seed prices, and savings against an
//! all-on-demand x86 fleet of the same tasks.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::model::Arch;
use crate::model::cost::{Burn, fleet_burn};
use crate::ui::app::{App, Focus};
use crate::ui::widgets::{self, usd};

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let block = widgets::pane(t, "Cost", app.focus == Focus::Cost);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(snap) = &app.snapshot else { return };
    let burn = fleet_burn(snap);
    let tasks: u32 = snap.services.iter().map(|s| s.running_mix.total()).sum();
    let spot: u32 = snap.services.iter().map(|s| s.running_mix.spot).sum();
    let arm: u32 = snap
        .services
        .iter()
        .filter(|s| s.arch == Arch::Arm64)
        .map(|s| s.running_mix.total())
        .sum();
    let share = |n: u32| {
        if tasks == 0 {
            0.0
        } else {
            f64::from(n) * 100.0 / f64::from(tasks)
        }
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Burn   ", t.style(t.muted)),
            Span::styled(format!("{}/h", usd(burn.usd_per_hour)), t.bold(t.fg)),
            Span::styled(
                format!("  {}/mo", usd(Burn::per_month(burn.usd_per_hour))),
                t.style(t.fg),
            ),
        ]),
        Line::from(vec![
            Span::styled("Saving ", t.style(t.muted)),
            Span::styled(format!("{}/h", usd(burn.savings_per_hour())), t.bold(t.ok)),
            Span::styled(
                format!(" ({:.0}%)", burn.savings_share() * 100.0),
                t.style(t.ok),
            ),
            Span::styled(
                format!(" vs {}/h on-demand x86", usd(burn.baseline_usd_per_hour)),
                t.style(t.muted),
            ),
        ]),
    ];
    if inner.height > 2 {
        lines.push(Line::from(vec![
            Span::styled(format!("{tasks} tasks  "), t.style(t.fg)),
            Span::styled(format!("Spot {:.0}%", share(spot)), t.style(t.spot)),
            Span::styled(format!("  arm64 {:.0}%", share(arm)), t.style(t.accent)),
        ]));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
