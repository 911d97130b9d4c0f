//! Limits seen before they are hit: the countdowns the panes show beside
//! their figures, projected from the history rings (`model::projection`).

use chrono::{DateTime, Utc};

use crate::model::history::{FleetHistory, Metric, SPACING_S};
use crate::model::projection::{Eta, Toward, eta};
use crate::model::{CacheCluster, FleetSnapshot, Service, ServiceKey, expected_spot_share};
use crate::ui::trouble::{MARK_ALERT, MARK_WARN};

/// Countdowns further out than this are left off the panes: a line fitted
/// on ten minutes says little about the evening.
const SHOWN_MIN: f64 = 180.0;

/// How far below its configured share the running Spot share may drift
/// before the capacity pane warns (the strategy's floor).
pub const SPOT_DRIFT: f64 = 0.15;

/// The next of the cache's marks (75 %, 85 %, full) its memory is on course
/// for, and when.
pub fn cache_next_mark(history: &FleetHistory, c: &CacheCluster) -> Option<(f64, f64)> {
    let now = c.memory_pct?;
    let series = history.cache(&c.id, Metric::CacheMemory)?;
    let mark = [MARK_WARN, MARK_ALERT, 100.0]
        .into_iter()
        .find(|m| *m > now)?;
    shown(eta(series, mark, Toward::Above)).map(|minutes| (mark, minutes))
}

/// When the service's running tasks reach its scalable target's max at the
/// current scaling rate.
pub fn to_max(history: &FleetHistory, s: &Service) -> Option<f64> {
    let (_, max) = s.bounds()?;
    if s.running >= max {
        return None; // at max already: the pinned marker says so
    }
    let series = history.service(&s.key, Metric::Running)?;
    shown(eta(series, f64::from(max), Toward::Above))
}

/// The Spot share under which the service has drifted: what its strategy
/// gives its running tasks, less `SPOT_DRIFT` (0 or less: no floor).
pub fn spot_floor(s: &Service) -> f64 {
    expected_spot_share(&s.strategy, s.running_mix.total()) - SPOT_DRIFT
}

/// When the running Spot share falls under the strategy's floor.
pub fn to_spot_floor(history: &FleetHistory, s: &Service) -> Option<f64> {
    let floor = spot_floor(s);
    if floor <= 0.0 || s.running_mix.spot_share() <= floor {
        return None;
    }
    let series = history.service(&s.key, Metric::SpotShare)?;
    shown(eta(series, floor, Toward::Below))
}

/// A countdown worth a place on a pane.
fn shown(eta: Eta) -> Option<f64> {
    match eta {
        Eta::In(minutes) if minutes <= SHOWN_MIN => Some(minutes),
        _ => None,
    }
}

/// The soonest countdowns of the fleet's rows, fitted once per history
/// spacing (a fit per service is too much work for every frame, or every
/// second, at 2,000 services: between two spacing slots only the newest
/// sample moves).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Countdowns {
    /// The service that reaches its max first, and in how many minutes.
    pub to_max: Option<(ServiceKey, f64)>,
    /// The service whose Spot share falls under its floor first.
    pub to_spot_floor: Option<(ServiceKey, f64)>,
    /// The data time of the fit, and the rows' filter it was made for.
    fitted: Option<(DateTime<Utc>, String)>,
}

impl Countdowns {
    fn of(snap: &FleetSnapshot, rows: &[usize], history: &FleetHistory, filter: &str) -> Self {
        let soonest = |limit: &dyn Fn(&Service) -> Option<f64>| {
            rows.iter()
                .map(|&i| &snap.services[i])
                .filter_map(|s| limit(s).map(|m| (s, m)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(s, m)| (s.key.clone(), m))
        };
        Self {
            to_max: soonest(&|s| to_max(history, s)),
            to_spot_floor: soonest(&|s| to_spot_floor(history, s)),
            fitted: Some((snap.taken_at, filter.to_string())),
        }
    }

    /// Fit again when the rows' filter changed, a spacing of data time
    /// passed, or a service counted down to has reached its limit (the next
    /// one in line is then the one to show).
    pub fn refresh(
        &mut self,
        snap: &FleetSnapshot,
        rows: &[usize],
        history: &FleetHistory,
        filter: &str,
    ) {
        let at = snap.taken_at;
        let due = self
            .fitted
            .as_ref()
            .is_none_or(|(t, f)| f != filter || at < *t || (at - *t).num_seconds() >= SPACING_S);
        if due || self.reached(snap) {
            *self = Self::of(snap, rows, history, filter);
        }
    }

    /// Whether a service counted down to is at its limit now (or gone).
    fn reached(&self, snap: &FleetSnapshot) -> bool {
        let at_max = self.to_max.as_ref().is_some_and(|(key, _)| {
            snap.service(key)
                .is_none_or(|s| s.bounds().is_none_or(|(_, max)| s.running >= max))
        });
        let under_floor = self.to_spot_floor.as_ref().is_some_and(|(key, _)| {
            snap.service(key)
                .is_none_or(|s| s.running_mix.spot_share() <= spot_floor(s))
        });
        at_max || under_floor
    }
}

/// `12m`, `2h05m`: a countdown as the panes print it.
pub fn minutes_label(minutes: f64) -> String {
    if minutes < 1.0 {
        return "<1m".into();
    }
    Eta::In(minutes)
        .label()
        .map(|l| l.trim_start_matches("in ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CapacityMix, FARGATE, FARGATE_SPOT, StrategyItem};

    #[test]
    fn a_service_that_reached_its_max_is_counted_down_to_no_longer() {
        let mut snap = crate::runbook::sample::snapshot();
        let s = &mut snap.services[0];
        let (_, max) = s.bounds().expect("the sample service scales");
        s.running = max - 1;
        let key = s.key.clone();
        let rows: Vec<usize> = (0..snap.services.len()).collect();
        let history = FleetHistory::default();
        let fitted = |key: &ServiceKey| Countdowns {
            to_max: Some((key.clone(), 0.5)),
            to_spot_floor: None,
            fitted: Some((snap.taken_at, String::new())),
        };
        // Within the spacing and short of max: the last fit stands.
        let mut countdowns = fitted(&key);
        countdowns.refresh(&snap, &rows, &history, "");
        assert_eq!(countdowns.to_max, Some((key.clone(), 0.5)));
        // At max a moment later: fitted again at once (nothing else is heading there).
        snap.services[0].running = max;
        countdowns.refresh(&snap, &rows, &history, "");
        assert_eq!(countdowns.to_max, None);
    }

    #[test]
    fn the_spot_floor_counts_the_on_demand_base() {
        // 30/70 with one on-demand task first: 9 tasks expect 5.6 on Spot, not 6.3.
        let strategy = [
            StrategyItem::new(FARGATE, 30, 1),
            StrategyItem::new(FARGATE_SPOT, 70, 0),
        ];
        let share = |n| expected_spot_share(&strategy, n);
        assert!((share(9) - 5.6 / 9.0).abs() < 1e-9, "{}", share(9));
        assert_eq!(share(1), 0.0, "the base alone is on-demand");
        assert_eq!(share(0), 0.7, "nothing running: the weights' share");
        let spot_base = [
            StrategyItem::new(FARGATE_SPOT, 1, 2),
            StrategyItem::new(FARGATE, 1, 0),
        ];
        assert_eq!(expected_spot_share(&spot_base, 4), 0.75);
        // A 9-task service settled at 5 on Spot (56 %) is not drifting: its
        // floor is 62 % - 15, not 70 % - 15.
        let mut s = crate::runbook::sample::snapshot().services[0].clone();
        s.strategy = strategy.to_vec();
        s.running_mix = CapacityMix {
            on_demand: 4,
            spot: 5,
        };
        assert!((spot_floor(&s) - (5.6 / 9.0 - SPOT_DRIFT)).abs() < 1e-9);
        assert!(s.running_mix.spot_share() > spot_floor(&s));
    }
}
