//! What the cockpit itself costs: its AWS calls and the CloudWatch metrics it
//! asks for, over the last hour, and the CloudWatch bill that makes per day.
//! A wall display runs all month; its owner should see the price.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};

use crate::model::RefreshStats;

/// GetMetricData: $0.01 per 1,000 metrics requested.
pub const USD_PER_METRIC: f64 = 0.01 / 1000.0;

#[derive(Clone, Debug, Default)]
pub struct Bill {
    /// Each refresh of the last hour: when, calls, metrics requested.
    refreshes: VecDeque<(DateTime<Utc>, u32, u32)>,
}

impl Bill {
    pub fn record(&mut self, at: DateTime<Utc>, stats: &RefreshStats) {
        if stats.api_calls == 0 && stats.metrics_requested == 0 {
            return;
        }
        self.refreshes
            .push_back((at, stats.api_calls, stats.metrics_requested));
        while self
            .refreshes
            .front()
            .is_some_and(|(t, _, _)| at - *t > Duration::hours(1))
        {
            self.refreshes.pop_front();
        }
    }

    /// Calls and metrics per hour, from the window read so far (scaled up
    /// while it is shorter than an hour); `None` before two refreshes.
    pub fn per_hour(&self) -> Option<(f64, f64)> {
        let (first, last) = (self.refreshes.front()?, self.refreshes.back()?);
        let span = (last.0 - first.0).num_seconds();
        if span <= 0 {
            return None;
        }
        // The first refresh opens the window; the ones after it fill it.
        let (calls, metrics) = self
            .refreshes
            .iter()
            .skip(1)
            .fold((0u64, 0u64), |(c, m), r| {
                (c + u64::from(r.1), m + u64::from(r.2))
            });
        let scale = 3600.0 / span as f64;
        Some((calls as f64 * scale, metrics as f64 * scale))
    }

    /// The CloudWatch cost per day at the current rate.
    pub fn usd_per_day(&self) -> Option<f64> {
        self.per_hour()
            .map(|(_, metrics)| metrics * 24.0 * USD_PER_METRIC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(calls: u32, metrics: u32) -> RefreshStats {
        RefreshStats {
            api_calls: calls,
            metrics_requested: metrics,
            ..RefreshStats::default()
        }
    }

    #[test]
    fn fifty_services_every_minute_cost_what_the_readme_says() {
        // 50 services x 5 metrics a minute, and 30 calls each 15 s.
        let mut bill = Bill::default();
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        for i in 0..=240 {
            let metrics = if i % 4 == 0 { 250 } else { 0 };
            bill.record(start + Duration::seconds(15 * i), &stats(30, metrics));
        }
        let (calls, metrics) = bill.per_hour().unwrap();
        assert!((calls - 7200.0).abs() < 1.0, "{calls}");
        assert!((metrics - 15_000.0).abs() < 1.0, "{metrics}");
        let usd = bill.usd_per_day().unwrap();
        assert!((usd - 3.6).abs() < 0.01, "{usd}");
    }

    #[test]
    fn the_simulator_costs_nothing_and_one_refresh_says_nothing() {
        let mut bill = Bill::default();
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        bill.record(at, &stats(0, 0));
        assert_eq!(bill.per_hour(), None);
        bill.record(at, &stats(12, 10));
        assert_eq!(bill.per_hour(), None);
    }
}
