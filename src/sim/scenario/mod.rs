//! Scenarios: a fleet, a start time and what happens to it, read from
//! `scenarios/NAME.toml` (format documented at the top of `calm.toml`).

pub mod deps;
mod file;
mod units;

use std::ops::Range;

use chrono::{DateTime, Utc};
use serde::Deserialize;

pub use file::{MAXMEMORY_POLICIES, validate_strategy};

use super::fleet::Fleet;

/// Shipped scenarios, embedded in the binary.
const SHIPPED: &[(&str, &str)] = &[
    ("calm", include_str!("../../../scenarios/calm.toml")),
    (
        "manga-release",
        include_str!("../../../scenarios/manga-release.toml"),
    ),
    (
        "spot-cascade",
        include_str!("../../../scenarios/spot-cascade.toml"),
    ),
    (
        "override-left-behind",
        include_str!("../../../scenarios/override-left-behind.toml"),
    ),
    (
        "cache-noeviction",
        include_str!("../../../scenarios/cache-noeviction.toml"),
    ),
    (
        "bad-image",
        include_str!("../../../scenarios/bad-image.toml"),
    ),
    (
        "image-missing",
        include_str!("../../../scenarios/image-missing.toml"),
    ),
    (
        "scale-in-stuck",
        include_str!("../../../scenarios/scale-in-stuck.toml"),
    ),
    (
        "release-prewarm",
        include_str!("../../../scenarios/release-prewarm.toml"),
    ),
    (
        "dynamodb-throttling",
        include_str!("../../../scenarios/dynamodb-throttling.toml"),
    ),
    (
        "opensearch-lag",
        include_str!("../../../scenarios/opensearch-lag.toml"),
    ),
    (
        "p95-latency",
        include_str!("../../../scenarios/p95-latency.toml"),
    ),
    (
        "right-size",
        include_str!("../../../scenarios/right-size.toml"),
    ),
    (
        "large-fleet",
        include_str!("../../../scenarios/large-fleet.toml"),
    ),
];

pub fn scenario_names() -> Vec<&'static str> {
    SHIPPED.iter().map(|(name, _)| *name).collect()
}

/// A parsed, validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Id of the runbook this scenario drills, if any.
    pub runbook: Option<String>,
    pub start: DateTime<Utc>,
    pub objective: Option<Objective>,
    pub sla: Sla,
    pub fleet: Fleet,
    pub load_events: Vec<LoadEvent>,
    /// Spot interruptions per Spot task-hour, from `at_s` seconds after start.
    pub spot_rates: Vec<SpotRate>,
    /// Tables, collections, faults and custom metrics beyond ECS, and the
    /// commands that fix them.
    pub deps: deps::Dependencies,
}

/// What the drill scores against.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// Service whose metrics the SLA is about (name in the default cluster).
    pub service: String,
    #[serde(deserialize_with = "file::p95_ms")]
    pub p95_ms: f64,
    #[serde(default = "default_error_rate", deserialize_with = "file::error_rate")]
    pub error_rate_pct: f64,
}

/// What a drill must achieve: a condition over the fleet (CEL, as in
/// runbooks) that must hold for `verify_minutes` before `limit_minutes`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    /// One line for the trainee, e.g. "orchestrator P95 under 2 s, held 5 min, within 45 min".
    pub text: String,
    pub limit_minutes: f64,
    #[serde(default = "default_verify_minutes")]
    pub verify_minutes: f64,
    /// CEL over `service` (the SLA's service) or, with `cache`, over that cache.
    pub mitigated: String,
    #[serde(default)]
    pub cache: Option<String>,
}

fn default_verify_minutes() -> f64 {
    5.0
}

fn default_error_rate() -> f64 {
    1.0
}

/// A traffic multiplier: ramps from 1 to `factor`, holds, then decays back.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadEvent {
    /// Services it applies to (names); empty means every service.
    pub services: Vec<String>,
    pub at_s: i64,
    pub ramp_s: i64,
    pub factor: f64,
    pub hold_s: Option<i64>,
    pub decay_s: i64,
}

impl LoadEvent {
    pub fn applies_to(&self, service: &str) -> bool {
        self.services.is_empty() || self.services.iter().any(|s| s == service)
    }

    /// Multiplier at `t` seconds after start.
    pub fn multiplier(&self, t: i64) -> f64 {
        let since = t - self.at_s;
        let level = if since <= 0 {
            0.0
        } else if since < self.ramp_s {
            since as f64 / self.ramp_s as f64
        } else {
            match self.hold_s {
                None => 1.0,
                Some(hold) => {
                    let past = since - self.ramp_s - hold;
                    if past <= 0 {
                        1.0
                    } else if self.decay_s > 0 && past < self.decay_s {
                        1.0 - past as f64 / self.decay_s as f64
                    } else {
                        0.0
                    }
                }
            }
        };
        1.0 + (self.factor - 1.0) * level
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpotRate {
    pub at_s: i64,
    pub per_task_hour: f64,
}

/// Why a scenario could not be loaded: file, position when known, and the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

impl ScenarioError {
    pub(super) fn at(
        file: &str,
        text: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = match span {
            Some(span) => {
                let (line, column) = crate::position::line_col(text, span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        Self {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// A shipped scenario by name, or a scenario file by path.
pub fn load_scenario(name_or_path: &str) -> Result<Scenario, ScenarioError> {
    if let Some((name, text)) = SHIPPED.iter().find(|(n, _)| *n == name_or_path) {
        return parse_scenario(name, &format!("scenarios/{name}.toml"), text);
    }
    let path = std::path::Path::new(name_or_path);
    let looks_like_path = name_or_path.contains(['/', '\\']) || name_or_path.ends_with(".toml");
    if !looks_like_path && !path.exists() {
        return Err(ScenarioError::at(
            name_or_path,
            "",
            None,
            format!(
                "unknown scenario (shipped: {}; or give a path to a .toml file)",
                scenario_names().join(", ")
            ),
        ));
    }
    let text = crate::userfile::read(path, "scenario").map_err(|e| ScenarioError {
        file: name_or_path.to_string(),
        line: e.at.map(|(l, _)| l),
        column: e.at.map(|(_, c)| c),
        message: e.message,
    })?;
    let name = path.file_stem().map_or_else(
        || name_or_path.to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    parse_scenario(&name, name_or_path, &text)
}

/// Parse scenario text; `file` is used in error messages.
pub fn parse_scenario(name: &str, file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let raw: file::RawScenario = toml::from_str(text)
        .map_err(|e| ScenarioError::at(file, text, e.span(), e.message().trim().to_string()))?;
    raw.resolve(name, &|span, msg| {
        ScenarioError::at(file, text, Some(span), msg)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_event_ramps_holds_and_decays() {
        let e = LoadEvent {
            services: vec![],
            at_s: 60,
            ramp_s: 900,
            factor: 8.0,
            hold_s: Some(600),
            decay_s: 300,
        };
        assert_eq!(e.multiplier(0), 1.0);
        assert!((e.multiplier(60 + 450) - 4.5).abs() < 1e-9);
        assert_eq!(e.multiplier(60 + 900 + 100), 8.0);
        assert!((e.multiplier(60 + 900 + 600 + 150) - 4.5).abs() < 1e-9);
        assert_eq!(e.multiplier(60 + 900 + 600 + 300), 1.0);
        assert!(e.applies_to("anything"));
    }

    #[test]
    fn start_needs_an_offset() {
        let text = "description = \"x\"\nstart = 2026-11-20T10:00:00\n[sla]\nservice = \"orchestrator\"\np95_ms = 2000\n";
        let e = parse_scenario("t", "t.toml", text).unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(9)), "{e}");
        assert!(e.message.contains("offset"), "{e}");
    }
}
