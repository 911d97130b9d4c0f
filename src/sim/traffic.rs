//! Traffic and how a service responds to it: the JST daily curve, and the
//! CPU -> latency / error-rate curves that make saturation visible.

use chrono::{DateTime, Timelike, Utc};

/// Hour (JST) -> share of the daily peak. Night trough, 9:00-23:00 busy, evening peak.
const DIURNAL: [(f64, f64); 15] = [
    (0.0, 0.35),
    (2.0, 0.18),
    (4.0, 0.12),
    (6.0, 0.15),
    (7.0, 0.30),
    (8.0, 0.50),
    (9.0, 0.75),
    (12.0, 0.85),
    (13.0, 0.80),
    (17.0, 0.80),
    (19.0, 0.95),
    (21.0, 1.00),
    (22.0, 0.90),
    (23.0, 0.60),
    (24.0, 0.35),
];

const JST_OFFSET_S: u32 = 9 * 3600;

/// Share of the daily peak at `t` (piecewise linear over the JST hour).
pub fn diurnal(t: DateTime<Utc>) -> f64 {
    let secs = (t.num_seconds_from_midnight() + JST_OFFSET_S) % 86_400;
    let hour = f64::from(secs) / 3600.0;
    let i = DIURNAL
        .windows(2)
        .position(|w| hour < w[1].0)
        .unwrap_or(DIURNAL.len() - 2);
    let ((h0, v0), (h1, v1)) = (DIURNAL[i], DIURNAL[i + 1]);
    v0 + (v1 - v0) * (hour - h0) / (h1 - h0)
}

/// P95 latency at utilisation `u` (load / capacity): flat, then steep near saturation.
/// About 1.4x base at 70 %, > 3x at 85-90 %, ~11x at 95 %, capped at 15x (timeouts).
pub fn p95_ms(base_ms: f64, u: f64) -> f64 {
    let q = u.clamp(0.0, 0.985);
    let factor = 1.0 + 0.4 * q + 0.6 * q.powi(4) / (1.0 - q);
    base_ms * factor.min(15.0)
}

/// Share of requests failing with 5xx, in percent: a floor, saturation
/// (requests time out above ~90 %), and in-flight requests on interrupted tasks.
pub fn error_rate_pct(u: f64, interrupted_share_last_min: f64) -> f64 {
    let saturation = ((u - 0.9) * 40.0).clamp(0.0, 25.0);
    0.05 + saturation + interrupted_share_last_min * 15.0
}

/// Container memory follows load loosely.
pub fn memory_pct(u: f64) -> f64 {
    30.0 + 35.0 * u.min(1.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jst(h: u32, m: u32) -> DateTime<Utc> {
        let utc_h = (h + 24 - 9) % 24;
        DateTime::parse_from_rfc3339(&format!("2026-11-20T{utc_h:02}:{m:02}:00Z"))
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn night_is_quiet_evening_is_busy() {
        assert!(diurnal(jst(3, 0)) < 0.2);
        assert!(diurnal(jst(21, 0)) > 0.95);
        assert!((diurnal(jst(20, 0)) - 0.975).abs() < 1e-9);
        assert!(diurnal(jst(23, 59)) > 0.3);
    }

    #[test]
    fn latency_is_seed_shaped() {
        let base = 1000.0;
        assert!(p95_ms(base, 0.5) < 1500.0);
        assert!(p95_ms(base, 0.68) < 2000.0);
        assert!(p95_ms(base, 0.88) > 3000.0);
        assert!(p95_ms(base, 0.96) > 11_000.0);
        assert!(p95_ms(base, 3.0) <= 15_000.0);
    }

    #[test]
    fn errors_rise_with_saturation_and_interruptions() {
        assert!(error_rate_pct(0.6, 0.0) < 0.1);
        assert!(error_rate_pct(1.2, 0.0) > 5.0);
        assert!(error_rate_pct(0.5, 0.1) > 1.0);
    }
}
