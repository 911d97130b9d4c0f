//! What scenario sections share: the ranges of minutes, task sizes and
//! traffic multipliers, a traffic ramp (`[[load]]`, a table's `surge`), and
//! how a section reports an error at its place.

use std::ops::Range;

use serde::Deserialize;

use super::{LoadEvent, ScenarioError};
use crate::bounds::Bound;

pub const CPU: Bound<f64> = Bound::new(0.25, 16.0, "vCPU per Fargate task");
pub const MEMORY_GB: Bound<f64> = Bound::new(0.5, 120.0, "GB of memory per Fargate task");
pub const FACTOR: Bound<f64> = Bound::new(0.01, 100.0, "a traffic multiplier");
pub const MINUTES: Bound<f64> = Bound::new(0.0, 10_080.0, "minutes after start (a week at most)");

crate::bounded!(factor: f64 = FACTOR);
crate::bounded!(pub(super) minute: f64 = MINUTES);
crate::bounded!(pub(super) minute_opt: Option<f64> = MINUTES);
crate::bounded!(pub(super) cpu_value: f64 = CPU);
crate::bounded!(pub(super) memory_value: f64 = MEMORY_GB);

/// Reports a problem at a section's span.
pub(super) type Fail<'a> = dyn Fn(Range<usize>, String) -> ScenarioError + 'a;

pub(super) fn secs(min: f64) -> i64 {
    (min * 60.0).round() as i64
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLoad {
    #[serde(default)]
    pub(super) services: Vec<String>,
    #[serde(deserialize_with = "minute")]
    at_min: f64,
    #[serde(deserialize_with = "minute")]
    ramp_min: f64,
    #[serde(deserialize_with = "factor")]
    factor: f64,
    #[serde(default, deserialize_with = "minute_opt")]
    hold_min: Option<f64>,
    #[serde(default, deserialize_with = "minute")]
    decay_min: f64,
}

impl RawLoad {
    /// The multiplier it describes (its `services` are not read here).
    pub(super) fn event(&self) -> LoadEvent {
        LoadEvent {
            services: self.services.clone(),
            at_s: secs(self.at_min),
            ramp_s: secs(self.ramp_min).max(1),
            factor: self.factor,
            hold_s: self.hold_min.map(secs),
            decay_s: secs(self.decay_min),
        }
    }
}
