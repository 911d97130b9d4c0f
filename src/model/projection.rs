//! When a figure will reach a limit at its current rate: cache memory to its
//! alarms and to 100 %, running tasks to the scalable target's max, the Spot
//! share down to a floor. A least-squares line over the recent samples, kept
//! only when the trend stands out of the noise, so a flat or jittery figure
//! never shows a countdown.

use super::history::Series;

/// The window the trend is fitted on.
pub const WINDOW_S: i64 = 600;
/// Samples needed, and the span they must cover, before a trend is believed.
const MIN_POINTS: usize = 5;
const MIN_SPAN_S: i64 = 120;
/// The slope must be this many standard errors from zero (about 95 %).
const SIGNIFICANT: f64 = 2.0;
/// Beyond this the countdown means nothing to an incident.
const HORIZON_MIN: f64 = 24.0 * 60.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Eta {
    /// The figure is at or past the limit now.
    Reached,
    /// Minutes until the trend line crosses the limit.
    In(f64),
    /// Flat, moving away, too noisy, or beyond a day.
    NotHeading,
    /// Too few samples to say.
    Unknown,
}

impl Eta {
    /// Minutes as runbooks read them: 0 reached, -1 when not heading there or unknown.
    pub fn minutes(self) -> f64 {
        match self {
            Eta::Reached => 0.0,
            Eta::In(m) => m,
            Eta::NotHeading | Eta::Unknown => -1.0,
        }
    }

    /// `in 12m`, `in 2h05m`, for a pane; `None` when there is nothing to count down.
    pub fn label(self) -> Option<String> {
        match self {
            Eta::In(m) if m < 60.0 => Some(format!("in {}m", m.ceil() as i64)),
            Eta::In(m) => {
                let m = m.ceil() as i64;
                Some(format!("in {}h{:02}m", m / 60, m % 60))
            }
            Eta::Reached => Some("now".into()),
            Eta::NotHeading | Eta::Unknown => None,
        }
    }
}

/// Which way a figure must move to reach its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Toward {
    /// A ceiling: memory to 85 %, running tasks to max.
    Above,
    /// A floor: the Spot share down to the strategy's.
    Below,
}

/// When `series` reaches `limit` moving `toward` it, from the samples of the
/// last `WINDOW_S` before its newest.
pub fn eta(series: &Series, limit: f64, toward: Toward) -> Eta {
    let Some((now, latest)) = series.fine.last() else {
        return Eta::Unknown;
    };
    let past = |v: f64| match toward {
        Toward::Above => v >= limit,
        Toward::Below => v <= limit,
    };
    if past(latest) {
        return Eta::Reached;
    }
    // Most figures of a calm fleet hold still: a flat window heads nowhere,
    // answered without fitting (this runs for every service each snapshot).
    let (mut n, mut first, mut flat) = (0usize, now, true);
    for (t, v) in series.fine.since(now - WINDOW_S) {
        if n == 0 {
            first = t;
        }
        n += 1;
        flat &= v == latest;
    }
    if flat {
        return if n >= MIN_POINTS && now - first >= MIN_SPAN_S {
            Eta::NotHeading
        } else {
            Eta::Unknown
        };
    }
    let points: Vec<(f64, f64)> = series
        .fine
        .since(now - WINDOW_S)
        .map(|(t, v)| ((t - now) as f64, v))
        .collect();
    // The whole window, and its recent half: a climb that has just levelled
    // off is not heading anywhere, however steep the window's line is.
    let recent_start = points.partition_point(|p| p.0 < -(WINDOW_S as f64) / 2.0);
    let (Some(whole), Some(recent)) = (Fit::of(&points), Fit::of(&points[recent_start..])) else {
        return Eta::Unknown;
    };
    let heading = |fit: &Fit| {
        let toward_limit = match toward {
            Toward::Above => fit.slope > 0.0,
            Toward::Below => fit.slope < 0.0,
        };
        toward_limit && fit.slope.abs() >= SIGNIFICANT * fit.slope_se
    };
    if !heading(&whole) || !heading(&recent) {
        return Eta::NotHeading;
    }
    // The slower of the two rates, from the recent line's value now (one
    // noisy sample moves a line less than it moves the newest sample).
    let slope = if whole.slope.abs() < recent.slope.abs() {
        whole.slope
    } else {
        recent.slope
    };
    let minutes = ((limit - recent.at_now) / slope / 60.0).max(0.0);
    if minutes > HORIZON_MIN {
        Eta::NotHeading
    } else {
        Eta::In(minutes)
    }
}

/// A least-squares line through (seconds before now, value).
struct Fit {
    /// Per second.
    slope: f64,
    slope_se: f64,
    /// The line's value at the newest sample.
    at_now: f64,
}

impl Fit {
    fn of(points: &[(f64, f64)]) -> Option<Fit> {
        let n = points.len();
        let span = points.last()?.0 - points.first()?.0;
        if n < MIN_POINTS || span < MIN_SPAN_S as f64 {
            return None;
        }
        let nf = n as f64;
        let mean_t = points.iter().map(|p| p.0).sum::<f64>() / nf;
        let mean_v = points.iter().map(|p| p.1).sum::<f64>() / nf;
        let sxx: f64 = points.iter().map(|p| (p.0 - mean_t).powi(2)).sum();
        let sxy: f64 = points.iter().map(|p| (p.0 - mean_t) * (p.1 - mean_v)).sum();
        let slope = sxy / sxx;
        let intercept = mean_v - slope * mean_t;
        let residuals: f64 = points
            .iter()
            .map(|p| (p.1 - intercept - slope * p.0).powi(2))
            .sum();
        let slope_se = (residuals / (nf - 2.0) / sxx).sqrt();
        Some(Fit {
            slope,
            slope_se,
            // Time 0 is the newest sample.
            at_now: intercept,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: impl IntoIterator<Item = f64>) -> Series {
        let mut s = Series::default();
        for (i, v) in values.into_iter().enumerate() {
            s.record(1_000_000 + i as i64 * 15, v);
        }
        s
    }

    #[test]
    fn a_steady_climb_reaches_the_limit_when_the_line_says() {
        // 0.5 points a sample of 15 s: 2 points a minute, 70 % now.
        let s = series((0..41).map(|i| 50.0 + f64::from(i) * 0.5));
        let Eta::In(m) = eta(&s, 85.0, Toward::Above) else {
            panic!("{:?}", eta(&s, 85.0, Toward::Above))
        };
        assert!((m - 7.5).abs() < 0.01, "{m}");
        assert_eq!(eta(&s, 100.0, Toward::Above).label().unwrap(), "in 15m");
        assert_eq!(eta(&s, 60.0, Toward::Above), Eta::Reached);
    }

    #[test]
    fn noise_and_flat_lines_never_count_down() {
        let flat = series((0..41).map(|_| 60.0));
        assert_eq!(eta(&flat, 85.0, Toward::Above), Eta::NotHeading);
        // ±8 points of jitter around 60 with no trend.
        let noisy = series((0..41).map(|i| 60.0 + if i % 2 == 0 { 8.0 } else { -8.0 }));
        assert_eq!(eta(&noisy, 85.0, Toward::Above), Eta::NotHeading);
        // The same jitter on a real climb still shows the climb.
        let climbing = series(
            (0..41).map(|i| 50.0 + f64::from(i) * 0.5 + if i % 2 == 0 { 3.0 } else { -3.0 }),
        );
        assert!(
            matches!(eta(&climbing, 85.0, Toward::Above), Eta::In(m) if (6.0..9.0).contains(&m))
        );
    }

    #[test]
    fn a_climb_that_levelled_off_is_not_heading_anywhere() {
        // Five minutes of climbing, then five flat at 45 below a max of 50.
        let s = series((0..41).map(|i| 25.0 + f64::from(i.min(20))));
        assert_eq!(eta(&s, 50.0, Toward::Above), Eta::NotHeading);
    }

    #[test]
    fn a_falling_figure_reaches_a_floor_and_moves_away_from_a_ceiling() {
        let falling = series((0..41).map(|i| 80.0 - f64::from(i)));
        assert_eq!(eta(&falling, 85.0, Toward::Above), Eta::NotHeading);
        let Eta::In(m) = eta(&falling, 20.0, Toward::Below) else {
            panic!()
        };
        assert!((m - 5.0).abs() < 0.01, "{m}");
        assert_eq!(eta(&falling, 20.0, Toward::Below).minutes(), m);
    }

    #[test]
    fn missing_data_is_unknown_not_a_guess() {
        assert_eq!(eta(&Series::default(), 85.0, Toward::Above), Eta::Unknown);
        // Four samples over a minute: too few and too short.
        let short = series([50.0, 55.0, 60.0, 65.0]);
        assert_eq!(eta(&short, 85.0, Toward::Above), Eta::Unknown);
        assert_eq!(eta(&short, 85.0, Toward::Above).minutes(), -1.0);
        assert_eq!(eta(&short, 85.0, Toward::Above).label(), None);
        // A flat start is just as unknown: held still for a minute says nothing yet.
        let short_flat = series([50.0; 4]);
        assert_eq!(eta(&short_flat, 85.0, Toward::Above), Eta::Unknown);
    }

    #[test]
    fn a_day_away_is_not_a_countdown() {
        let slow = series((0..41).map(|i| 10.0 + f64::from(i) * 0.001));
        assert_eq!(eta(&slow, 100.0, Toward::Above), Eta::NotHeading);
    }
}
