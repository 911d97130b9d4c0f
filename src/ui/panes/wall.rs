//! The wall: big figures for a spare screen, readable from across the room.
//! One tile per service in trouble order (running/desired, CPU and P95 in
//! large digits, coloured by state), one per cache (memory against the 75/85 %
//! marks) and one for the alarms in ALARM. The glyphs grow with the screen;
//! calm services that do not fit collapse into one line. Data older than its
//! refresh greys out under a banner that says what is stale, since when and why.

use chrono::Duration;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};
use tui_big_text::{BigText, PixelSize};

use crate::model::{AlarmState, CacheCluster, FleetSnapshot, Part, Service};
use crate::ui::app::App;
use crate::ui::theme::Theme;
use crate::ui::trouble::{self, CPU_SATURATED, CPU_WARN, P95_BREACH_MS, P95_WARN_MS, Severity};
use crate::ui::trouble::{MARK_ALERT, MARK_WARN};
use crate::ui::widgets::{self, fit};

/// How large the glyphs are, and so how large a tile is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    pixel: PixelSize,
    /// Terminal cells per glyph.
    glyph_w: u16,
    glyph_h: u16,
    /// CPU and P95 in large digits too (else in one small line).
    two_rows: bool,
}

/// Largest first; the wall takes the largest that shows every tile it needs.
const SCALES: [Scale; 4] = [
    Scale {
        pixel: PixelSize::Full,
        glyph_w: 8,
        glyph_h: 8,
        two_rows: true,
    },
    Scale {
        pixel: PixelSize::HalfHeight,
        glyph_w: 8,
        glyph_h: 4,
        two_rows: true,
    },
    Scale {
        pixel: PixelSize::Quadrant,
        glyph_w: 4,
        glyph_h: 4,
        two_rows: true,
    },
    Scale {
        pixel: PixelSize::Quadrant,
        glyph_w: 4,
        glyph_h: 4,
        two_rows: false,
    },
];

/// Glyphs of the widest figures: `120/200` tasks, `100%` CPU beside `12.3s` P95.
const RUN_GLYPHS: u16 = 7;
const CPU_GLYPHS: u16 = 4;
const P95_GLYPHS: u16 = 5;

impl Scale {
    /// Tile size with its border.
    fn tile(self) -> (u16, u16) {
        let figures = (CPU_GLYPHS + P95_GLYPHS) * self.glyph_w + 2;
        if self.two_rows {
            let w = (RUN_GLYPHS * self.glyph_w).max(figures);
            (w + 2, 1 + self.glyph_h + 1 + self.glyph_h + 2)
        } else {
            (RUN_GLYPHS * self.glyph_w + 2, self.glyph_h + 1 + 2)
        }
    }

    /// Tiles that fit in `area`: columns and rows.
    fn grid(self, area: Rect) -> (u16, u16) {
        let (w, h) = self.tile();
        (area.width / w, area.height / h)
    }

    fn capacity(self, area: Rect) -> usize {
        let (cols, rows) = self.grid(area);
        usize::from(cols) * usize::from(rows)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tile {
    Alarms,
    Service(usize),
    Cache(usize),
}

/// What the wall shows: the tiles in order, and what did not fit.
#[derive(Debug, PartialEq)]
pub struct Plan {
    pub scale: Scale,
    tiles: Vec<Tile>,
    /// Calm services left out for room.
    pub calm_hidden: usize,
    /// Services in trouble left out for room (only on a screen too small for them).
    pub trouble_hidden: Vec<String>,
    /// Caches left out for room.
    pub caches_hidden: Vec<String>,
}

/// Alarms first, then services in trouble (worst first), caches, calm services;
/// the largest glyphs that still show everything in trouble.
pub fn plan(snap: &FleetSnapshot, area: Rect) -> Plan {
    let firing = trouble::Firing::of(&snap.alarms);
    let mut ranked: Vec<(usize, trouble::Trouble)> = snap
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| (i, trouble::assess(s, &firing)))
        .collect();
    ranked.sort_by(|(a, ta), (b, tb)| {
        tb.score
            .cmp(&ta.score)
            .then_with(|| snap.services[*a].key.cmp(&snap.services[*b].key))
    });
    let (troubled, calm): (Vec<_>, Vec<_>) = ranked
        .into_iter()
        .partition(|(_, t)| t.severity > Severity::Ok);
    let mut needed = vec![Tile::Alarms];
    needed.extend(troubled.iter().map(|(i, _)| Tile::Service(*i)));
    needed.extend((0..snap.caches.len()).map(Tile::Cache));
    let all = needed.len() + calm.len();
    let scale = SCALES
        .into_iter()
        .find(|s| s.capacity(area) >= all)
        .or_else(|| {
            SCALES
                .into_iter()
                .find(|s| s.capacity(area) >= needed.len())
        })
        .unwrap_or(SCALES[SCALES.len() - 1]);
    let capacity = scale.capacity(area);
    let trouble_hidden = needed
        .iter()
        .skip(capacity)
        .filter_map(|t| match t {
            Tile::Service(i) => Some(snap.services[*i].key.service.clone()),
            _ => None,
        })
        .collect();
    let caches_hidden = needed
        .iter()
        .skip(capacity)
        .filter_map(|t| match t {
            Tile::Cache(i) => Some(snap.caches[*i].id.clone()),
            _ => None,
        })
        .collect();
    let mut tiles = needed;
    tiles.extend(calm.iter().map(|(i, _)| Tile::Service(*i)));
    tiles.truncate(capacity);
    let shown_calm = tiles
        .len()
        .saturating_sub(1 + troubled.len() + snap.caches.len());
    Plan {
        scale,
        tiles,
        calm_hidden: calm.len().saturating_sub(shown_calm),
        trouble_hidden,
        caches_hidden,
    }
}

impl Plan {
    /// Where each tile goes: the grid spread over the whole area, tiles grown
    /// (up to half again their natural height) so a short fleet fills the wall.
    fn rects(&self, area: Rect) -> Vec<Rect> {
        let n = self.tiles.len().max(1) as u16;
        let (w, h) = self.scale.tile();
        let (fit_cols, _) = self.scale.grid(area);
        let cols = fit_cols.clamp(1, n);
        let rows = n.div_ceil(cols);
        let tile_w = (area.width / cols).max(w);
        let tile_h = (area.height / rows.max(1)).clamp(h, h + h / 2);
        (0..self.tiles.len() as u16)
            .map(|i| Rect {
                x: area.x + (i % cols) * tile_w,
                y: area.y + (i / cols) * tile_h,
                width: tile_w,
                height: tile_h,
            })
            .collect()
    }
}

/// Colours of one render: the theme's, or all muted when the data is stale.
struct Palette<'a> {
    t: &'a Theme,
    stale: bool,
}

impl Palette<'_> {
    fn color(&self, c: Color) -> Color {
        if self.stale { self.t.muted } else { c }
    }

    fn severity(&self, s: Severity) -> Color {
        self.color(match s {
            Severity::Ok => self.t.ok,
            Severity::Warn => self.t.warn,
            Severity::Alert => self.t.alert,
        })
    }
}

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let Some(snap) = &app.snapshot else {
        f.render_widget(
            Paragraph::new("waiting for data…")
                .alignment(Alignment::Center)
                .style(t.style(t.muted)),
            area,
        );
        return;
    };
    // Every part but the event feed, which the wall does not show: its
    // failure leaves the wall's figures as true as they were.
    let shown: Vec<Part> = Part::ALL
        .into_iter()
        .filter(|p| *p != Part::Events)
        .collect();
    let stale = app.stale_reason_of(&shown);
    let [banner, tiles_area, summary] = Layout::vertical([
        Constraint::Length(u16::from(stale.is_some())),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if let Some(reason) = &stale {
        f.render_widget(stale_banner(app, reason), banner);
    }
    let p = Palette {
        t,
        stale: stale.is_some(),
    };
    let plan = plan(snap, tiles_area);
    for (tile, rect) in plan.tiles.iter().zip(plan.rects(tiles_area)) {
        match tile {
            Tile::Alarms => alarms_tile(f, rect, snap, &p, plan.scale),
            Tile::Service(i) => service_tile(f, rect, snap, &snap.services[*i], &p, plan.scale),
            Tile::Cache(i) => cache_tile(f, rect, &snap.caches[*i], &p, plan.scale),
        }
    }
    f.render_widget(summary_line(&plan, &p), summary);
}

/// Across the screen: what is stale, since when and why; it clears itself on fresh data.
fn stale_banner<'a>(app: &App, reason: &str) -> Paragraph<'a> {
    let t = &app.theme;
    let age = app.data_age().unwrap_or_else(Duration::zero);
    let since = (app.now - age).format("%H:%M:%S UTC");
    Paragraph::new(format!(
        " STALE · data {} old, since {since} · {reason} · figures greyed until fresh data arrives",
        widgets::age(age)
    ))
    .style(
        Style::default()
            .fg(t.bg)
            .bg(t.alert)
            .add_modifier(Modifier::BOLD),
    )
}

fn summary_line<'a>(plan: &Plan, p: &Palette) -> Paragraph<'a> {
    let t = p.t;
    let mut spans = Vec::new();
    if plan.calm_hidden > 0 {
        spans.push(Span::styled(
            format!(" {} services OK", plan.calm_hidden),
            t.style(p.color(t.ok)),
        ));
    }
    if !plan.trouble_hidden.is_empty() {
        spans.push(Span::styled(
            format!(
                "  +{} more in trouble: {}",
                plan.trouble_hidden.len(),
                plan.trouble_hidden.join(", ")
            ),
            t.bold(p.color(t.alert)),
        ));
    }
    if !plan.caches_hidden.is_empty() {
        spans.push(Span::styled(
            format!("  caches not shown: {}", plan.caches_hidden.join(", ")),
            t.style(p.color(t.warn)),
        ));
    }
    Paragraph::new(Line::from(spans))
}

fn tile_block<'a>(p: &Palette, title: String, state: (String, Color)) -> Block<'a> {
    let t = p.t;
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(t.style(state.1))
        .title(Span::styled(format!(" {title} "), t.bold(p.color(t.fg))))
        .title(Line::from(Span::styled(format!(" {} ", state.0), t.bold(state.1))).right_aligned())
}

/// The tile's inside, its content of `height` rows centred vertically.
fn centred(inner: Rect, height: u16) -> Rect {
    let pad = inner.height.saturating_sub(height) / 2;
    Rect {
        y: inner.y + pad,
        height: inner.height - pad,
        ..inner
    }
}

fn big<'a>(text: String, color: Color, scale: Scale, t: &Theme) -> BigText<'a> {
    BigText::builder()
        .pixel_size(scale.pixel)
        .style(t.bold(color))
        .lines(vec![Line::from(text)])
        .build()
}

fn caption<'a>(text: &str, p: &Palette) -> Paragraph<'a> {
    Paragraph::new(text.to_string()).style(p.t.style(p.t.muted))
}

fn service_tile(
    f: &mut Frame,
    area: Rect,
    snap: &FleetSnapshot,
    s: &Service,
    p: &Palette,
    scale: Scale,
) {
    let t = p.t;
    let state = trouble::assess(s, &trouble::Firing::of(&snap.alarms)).severity;
    let word = match state {
        Severity::Ok => "OK",
        Severity::Warn => "WARN",
        Severity::Alert => "ALERT",
    };
    let block = tile_block(
        p,
        fit(&s.key.service, area.width as usize - 12),
        (word.into(), p.severity(state)),
    );
    let natural = scale.tile().1 - 2;
    let inner = centred(block.inner(area), natural);
    f.render_widget(block, area);
    let run_color = p.color(if s.running < s.desired { t.warn } else { t.fg });
    let run = format!("{}/{}", s.running, s.desired);
    let cpu_color = s
        .metrics
        .cpu_pct
        .map_or(t.muted, |c| p.color(t.level(c, CPU_WARN, CPU_SATURATED)));
    let p95_color = s
        .metrics
        .p95_ms
        .map_or(t.muted, |v| p.color(t.level(v, P95_WARN_MS, P95_BREACH_MS)));
    let cpu = s.metrics.cpu_pct.map_or("-".into(), |c| format!("{c:.0}%"));
    let p95 = s.metrics.p95_ms.map_or("-".into(), seconds);
    if !scale.two_rows {
        let [figure, line] =
            Layout::vertical([Constraint::Length(scale.glyph_h), Constraint::Length(1)])
                .areas(inner);
        f.render_widget(big(run, run_color, scale, t), figure);
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("CPU ", t.style(t.muted)),
                Span::styled(cpu, t.bold(cpu_color)),
                Span::styled("  P95 ", t.style(t.muted)),
                Span::styled(p95, t.bold(p95_color)),
            ])),
            line,
        );
        return;
    }
    let [cap1, run_area, cap2, figures] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(scale.glyph_h),
        Constraint::Length(1),
        Constraint::Length(scale.glyph_h),
    ])
    .areas(inner);
    f.render_widget(caption("running / desired", p), cap1);
    f.render_widget(big(run, run_color, scale, t), run_area);
    let split = [
        Constraint::Length(CPU_GLYPHS * scale.glyph_w + 2),
        Constraint::Fill(1),
    ];
    let [cpu_cap, p95_cap] = Layout::horizontal(split).areas(cap2);
    let [cpu_area, p95_area] = Layout::horizontal(split).areas(figures);
    f.render_widget(caption("CPU", p), cpu_cap);
    f.render_widget(caption("P95", p), p95_cap);
    f.render_widget(big(cpu, cpu_color, scale, t), cpu_area);
    f.render_widget(big(p95, p95_color, scale, t), p95_area);
}

/// P95 in at most five glyphs: `0.9s`, `12.3s`, `120s`.
fn seconds(ms: f64) -> String {
    let s = ms / 1000.0;
    if s < 100.0 {
        format!("{s:.1}s")
    } else {
        format!("{s:.0}s")
    }
}

fn cache_tile(f: &mut Frame, area: Rect, c: &CacheCluster, p: &Palette, scale: Scale) {
    let t = p.t;
    let color = c
        .memory_pct
        .map_or(t.muted, |v| p.color(t.level(v, MARK_WARN, MARK_ALERT)));
    let policy = c
        .maxmemory_policy
        .clone()
        .unwrap_or_else(|| "policy ?".into());
    let policy_color = p.color(if policy == "noeviction" {
        t.alert
    } else {
        t.muted
    });
    let block = tile_block(
        p,
        fit(&c.id, area.width as usize - 14),
        (policy, policy_color),
    );
    let inner = centred(block.inner(area), scale.tile().1 - 2);
    f.render_widget(block, area);
    let mem = c.memory_pct.map_or("-".into(), |m| format!("{m:.0}%"));
    let gauge = headline(f, inner, ("cache memory", mem), color, p, scale);
    let bar = widgets::bar(
        c.memory_pct.unwrap_or(0.0),
        gauge.width as usize,
        color,
        t,
        &[MARK_WARN, MARK_ALERT],
    );
    f.render_widget(Paragraph::new(Line::from(bar)), Rect { height: 1, ..gauge });
}

/// A small caption over one large figure (the caption only when the tile has
/// room for two rows); returns the area left below.
fn headline(
    f: &mut Frame,
    inner: Rect,
    (text, figure): (&str, String),
    color: Color,
    p: &Palette,
    scale: Scale,
) -> Rect {
    let [cap, figure_area, rest] = Layout::vertical([
        Constraint::Length(u16::from(scale.two_rows)),
        Constraint::Length(scale.glyph_h),
        Constraint::Fill(1),
    ])
    .areas(inner);
    f.render_widget(caption(text, p), cap);
    f.render_widget(big(figure, color, scale, p.t), figure_area);
    rest
}

fn alarms_tile(f: &mut Frame, area: Rect, snap: &FleetSnapshot, p: &Palette, scale: Scale) {
    let t = p.t;
    let firing: Vec<&str> = snap
        .alarms
        .iter()
        .filter(|a| a.state == AlarmState::Alarm)
        .map(|a| a.name.as_str())
        .collect();
    let color = p.color(if firing.is_empty() { t.ok } else { t.alert });
    let word = if firing.is_empty() { "ALL OK" } else { "ALARM" };
    let block = tile_block(p, "Alarms".into(), (word.into(), color));
    let inner = centred(block.inner(area), scale.tile().1 - 2);
    f.render_widget(block, area);
    let names = headline(
        f,
        inner,
        ("in ALARM", firing.len().to_string()),
        color,
        p,
        scale,
    );
    let text = if firing.is_empty() {
        format!("all {} alarms OK", snap.alarms.len())
    } else {
        firing.join(", ")
    };
    f.render_widget(
        Paragraph::new(fit(&text, names.width as usize)).style(t.style(color)),
        names,
    );
}
