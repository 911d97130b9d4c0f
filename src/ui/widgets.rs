//! Small rendering helpers shared by the panes: text sparklines, bars, blocks, formats.

use chrono::{DateTime, Utc};
use ratatui::style::{Color, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders};

use super::theme::Theme;
use crate::model::history::Series;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `window_s` seconds of a series in `width` buckets (the max of each),
/// so a short spike still shows. Empty buckets are `None`.
pub fn buckets(
    series: Option<&Series>,
    now: DateTime<Utc>,
    window_s: i64,
    width: usize,
) -> Vec<Option<f64>> {
    let mut out = vec![None; width];
    let Some(series) = series else { return out };
    if width == 0 {
        return out;
    }
    let end = now.timestamp();
    let start = end - window_s;
    let mut previous: Option<(i64, usize, f64)> = None;
    for (t, v) in series.fine.since(start) {
        let i = ((((t - start) as f64 / window_s as f64) * width as f64) as usize).min(width - 1);
        // Minute datapoints (CloudWatch, the backfilled hour) are wider apart
        // than a bucket: the value holds until the next one. A longer silence
        // is a gap in the data and stays blank.
        if let Some((pt, pi, pv)) = previous
            && t - pt <= HOLD_S
        {
            for slot in out.iter_mut().take(i).skip(pi + 1) {
                slot.get_or_insert(pv);
            }
        }
        let slot = &mut out[i];
        *slot = Some(slot.map_or(v, |o: f64| o.max(v)));
        previous = Some((t, i, v));
    }
    out
}

/// How long a datapoint stands for the buckets after it: a minute's metric and a late poll.
const HOLD_S: i64 = 150;

/// A one-line sparkline scaled to `lo..hi`; gaps are spaces.
pub fn sparkline(values: &[Option<f64>], lo: f64, hi: f64) -> String {
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(v) => {
                let f = ((v - lo) / (hi - lo).max(f64::EPSILON)).clamp(0.0, 1.0);
                BARS[((f * 7.0).round() as usize).min(7)]
            }
        })
        .collect()
}

/// Upper bound for a sparkline's scale: at least `floor`, else the data's max.
pub fn scale_max(values: &[Option<f64>], floor: f64) -> f64 {
    values.iter().flatten().fold(floor, |a, &b| a.max(b))
}

/// A pane's frame: rounded, the title in accent, the border brighter when focused.
pub fn pane<'a>(theme: &Theme, title: impl Into<String>, focused: bool) -> Block<'a> {
    let border = if focused { theme.focus } else { theme.border };
    let title_style = if focused {
        theme.bold(theme.focus)
    } else {
        theme.bold(theme.accent)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::default().fg(border))
        .title(Span::styled(format!(" {} ", title.into()), title_style))
        .style(theme.base())
}

/// A horizontal bar of `width` cells filled to `pct` (0..=100), with tick marks.
pub fn bar(
    pct: f64,
    width: usize,
    fill: Color,
    theme: &Theme,
    marks: &[f64],
) -> Vec<Span<'static>> {
    let filled = ((pct.clamp(0.0, 100.0) / 100.0) * width as f64).round() as usize;
    let mut spans = Vec::with_capacity(width);
    for i in 0..width {
        let mark = marks
            .iter()
            .any(|m| ((m / 100.0) * width as f64).round() as usize == i && i > 0);
        let (ch, style) = match (i < filled, mark) {
            (true, true) => ('┃', Style::default().fg(theme.bg).bg(fill)),
            (true, false) => ('█', Style::default().fg(fill)),
            (false, true) => ('┊', Style::default().fg(theme.muted)),
            (false, false) => ('░', Style::default().fg(theme.border)),
        };
        spans.push(Span::styled(ch.to_string(), style));
    }
    spans
}

pub fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.0}%"))
}

pub fn ms(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v >= 10_000.0 => format!("{:.0}s", v / 1000.0),
        Some(v) if v >= 1000.0 => format!("{:.1}s", v / 1000.0),
        Some(v) => format!("{v:.0}ms"),
    }
}

pub fn usd(v: f64) -> String {
    if v >= 10_000.0 {
        format!("${:.1}k", v / 1000.0)
    } else if v >= 100.0 {
        format!("${v:.0}")
    } else {
        format!("${v:.2}")
    }
}

/// `name` cut to `width` characters with an ellipsis.
pub fn fit(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        name.to_string()
    } else {
        let mut s: String = name.chars().take(width.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// A duration as people read it: `42s`, `3m12s`, `2h05m`.
pub fn age(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

/// `1200` -> `1,200`.
pub fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::history::Series;

    #[test]
    fn sparkline_scales_and_leaves_gaps() {
        assert_eq!(
            sparkline(&[Some(0.0), None, Some(50.0), Some(100.0)], 0.0, 100.0),
            "▁ ▅█"
        );
    }

    #[test]
    fn buckets_keep_the_peak() {
        let mut s = Series::default();
        let now = chrono::DateTime::from_timestamp(600, 0).unwrap();
        for i in 0..=120 {
            s.record(i * 5, if i == 60 { 90.0 } else { 10.0 });
        }
        let b = buckets(Some(&s), now, 600, 10);
        assert_eq!(b.iter().flatten().fold(0.0f64, |a, &v| a.max(v)), 90.0);
        assert!(b.iter().all(Option::is_some));
    }

    #[test]
    fn formats() {
        assert_eq!(ms(Some(4200.0)), "4.2s");
        assert_eq!(ms(Some(180.0)), "180ms");
        assert_eq!(usd(3073.4), "$3073");
        assert_eq!(usd(4.213), "$4.21");
        assert_eq!(fit("manga-reader", 6), "manga…");
    }

    #[test]
    fn minute_points_fill_the_buckets_between_them_but_a_silence_stays_blank() {
        let mut s = Series::default();
        for m in 0..5 {
            s.record(m * 60, 10.0 + m as f64);
        }
        s.record(4 * 60 + 600, 50.0);
        let now = chrono::DateTime::from_timestamp(900, 0).unwrap();
        let b = buckets(Some(&s), now, 900, 30);
        assert!(b[..9].iter().all(Option::is_some), "{b:?}");
        assert!(b[9..28].iter().all(Option::is_none), "{b:?}");
        assert_eq!(b[28], Some(50.0));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1200), "1,200");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
