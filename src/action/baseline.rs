//! The declared baseline: intended min/max/strategy per service, in TOML.
//! `override-revert` compares the live fleet against it to find overrides
//! nobody reverted (min 100 while CPU is 12 %).
//!
//! ```toml
//! [services."manga/orchestrator"]
//! min = 10
//! max = 50
//! strategy = [{ provider = "FARGATE", weight = 1, base = 2 }, { provider = "FARGATE_SPOT", weight = 4 }]
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::preview::format_strategy;
use crate::model::request::ActionRequest;
use crate::model::{FleetSnapshot, ServiceKey, StrategyItem};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Keyed by `cluster/service`.
    #[serde(default)]
    pub services: BTreeMap<String, Intended>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intended {
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub strategy: Option<Vec<BaselineItem>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineItem {
    pub provider: String,
    pub weight: u32,
    #[serde(default)]
    pub base: u32,
}

impl Baseline {
    /// Whether `request` sets exactly what this baseline declares for its service.
    pub fn declares(&self, request: &ActionRequest) -> bool {
        let Some(intended) = request
            .service()
            .and_then(|k| self.services.get(&k.to_string()))
        else {
            return false;
        };
        match request {
            ActionRequest::SetBounds { min, max, .. } => {
                intended.min == Some(*min) && intended.max == Some(*max)
            }
            ActionRequest::SetCapacityProviderStrategy { strategy, .. } => {
                intended.strategy.as_ref().is_some_and(|s| {
                    s.iter()
                        .map(StrategyItem::from)
                        .eq(strategy.iter().cloned())
                })
            }
            _ => false,
        }
    }
}

impl From<&StrategyItem> for BaselineItem {
    fn from(i: &StrategyItem) -> Self {
        Self {
            provider: i.provider.clone(),
            weight: i.weight,
            base: i.base,
        }
    }
}

impl From<&BaselineItem> for StrategyItem {
    fn from(i: &BaselineItem) -> Self {
        StrategyItem::new(&i.provider, i.weight, i.base)
    }
}

/// The live fleet's min/max/strategy as a baseline.
pub fn capture(snapshot: &FleetSnapshot) -> Baseline {
    let services = snapshot
        .services
        .iter()
        .filter_map(|s| {
            let intended = Intended {
                min: s.scaling.as_ref().map(|t| t.min),
                max: s.scaling.as_ref().map(|t| t.max),
                strategy: (!s.strategy.is_empty())
                    .then(|| s.strategy.iter().map(BaselineItem::from).collect()),
            };
            (intended != Intended::default()).then(|| (s.key.to_string(), intended))
        })
        .collect();
    Baseline { services }
}

/// The file text: one table per service, strategies as inline arrays.
pub fn to_toml(baseline: &Baseline, taken_at: &str) -> String {
    let mut out = format!(
        "# sitrep baseline: intended min/max/strategy per service.\n\
         # Captured from the fleet at {taken_at}; edit to declare intent.\n"
    );
    for (key, i) in &baseline.services {
        out.push_str(&format!("\n[services.\"{key}\"]\n"));
        if let Some(min) = i.min {
            out.push_str(&format!("min = {min}\n"));
        }
        if let Some(max) = i.max {
            out.push_str(&format!("max = {max}\n"));
        }
        if let Some(strategy) = &i.strategy {
            let items: Vec<String> = strategy
                .iter()
                .map(|s| {
                    format!(
                        "{{ provider = \"{}\", weight = {}, base = {} }}",
                        s.provider, s.weight, s.base
                    )
                })
                .collect();
            out.push_str(&format!("strategy = [{}]\n", items.join(", ")));
        }
    }
    out
}

/// Read and validate a baseline file. Errors name the file and line.
pub fn load(path: &Path) -> Result<Baseline, String> {
    let text = crate::userfile::read(path, "baseline")?;
    parse(&text).map_err(|(line, msg)| format!("{}:{line}: {msg}", path.display()))
}

/// Parse baseline text; an error is (1-based line, message).
pub fn parse(text: &str) -> Result<Baseline, (usize, String)> {
    let baseline: Baseline = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| {
            text[..s.start.min(text.len())].matches('\n').count() + 1
        });
        (line, e.message().to_string())
    })?;
    for (key, intended) in &baseline.services {
        let line_of_key = || {
            text.lines()
                .position(|l| l.contains(&format!("\"{key}\"")) || l.contains(key.as_str()))
                .map_or(1, |i| i + 1)
        };
        if service_key(key).is_none() {
            return Err((
                line_of_key(),
                format!("service key {key:?} must be \"cluster/service\""),
            ));
        }
        if let (Some(min), Some(max)) = (intended.min, intended.max)
            && max < min
        {
            return Err((
                line_of_key(),
                format!("{key}: max {max} is below min {min}"),
            ));
        }
    }
    Ok(baseline)
}

fn service_key(key: &str) -> Option<ServiceKey> {
    match key.split_once('/') {
        Some((c, s)) if !c.is_empty() && !s.is_empty() && !s.contains('/') => {
            Some(ServiceKey::new(c, s))
        }
        _ => None,
    }
}

/// The configured baseline: `cfg.baseline`, else `<config dir>/baseline.toml`.
/// `None` when the default file does not exist; a configured file that is
/// missing or invalid is an error naming file and line.
pub fn load_configured(
    cfg: &crate::config::Config,
    paths: &crate::config::Paths,
) -> Result<Option<Baseline>, String> {
    match &cfg.baseline {
        Some(path) => load(path).map(Some),
        None if paths.baseline().exists() => load(&paths.baseline()).map(Some),
        None => Ok(None),
    }
}

/// A live setting that differs from the baseline, with the request that restores it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Drift {
    pub service: ServiceKey,
    /// `bounds`, `strategy` or `service`.
    pub field: &'static str,
    pub message: String,
    pub fix: Option<ActionRequest>,
}

pub fn drift(baseline: &Baseline, snapshot: &FleetSnapshot) -> Vec<Drift> {
    let mut out = Vec::new();
    for (key, intended) in &baseline.services {
        let Some(service) = service_key(key) else {
            continue;
        };
        let Some(svc) = snapshot.service(&service) else {
            out.push(Drift {
                service,
                field: "service",
                message: format!("{key} is in the baseline but not in the fleet"),
                fix: None,
            });
            continue;
        };
        let cpu = svc
            .metrics
            .cpu_pct
            .map_or(String::new(), |c| format!(" while CPU {c:.0} %"));
        let live = svc.bounds();
        let mut parts = Vec::new();
        for (name, want, have) in [
            ("min", intended.min, live.map(|b| b.0)),
            ("max", intended.max, live.map(|b| b.1)),
        ] {
            match (want, have) {
                (Some(w), Some(h)) if w != h => parts.push(format!("{name} {h} vs baseline {w}")),
                (Some(w), None) => parts.push(format!("no scalable target (baseline {name} {w})")),
                _ => {}
            }
        }
        if !parts.is_empty() {
            let (live_min, live_max) = live.unwrap_or((0, 0));
            out.push(Drift {
                service: service.clone(),
                field: "bounds",
                message: format!("{}{cpu}", parts.join(", ")),
                fix: Some(ActionRequest::SetBounds {
                    service: service.clone(),
                    min: intended.min.unwrap_or(live_min),
                    max: intended.max.unwrap_or(live_max),
                }),
            });
        }
        if let Some(want) = &intended.strategy {
            let want: Vec<StrategyItem> = want.iter().map(StrategyItem::from).collect();
            if want != svc.strategy {
                out.push(Drift {
                    service: service.clone(),
                    field: "strategy",
                    message: format!(
                        "strategy {} vs baseline {}",
                        format_strategy(&svc.strategy),
                        format_strategy(&want)
                    ),
                    fix: Some(ActionRequest::SetCapacityProviderStrategy {
                        service,
                        strategy: want,
                    }),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::testing::{fleet, svc_key};
    use crate::model::{FARGATE, FARGATE_SPOT};

    #[test]
    fn capture_round_trips_through_the_file_and_has_no_drift() {
        let snap = fleet();
        let base = capture(&snap);
        assert_eq!(
            base.services.len(),
            1,
            "search-api has neither bounds nor strategy"
        );
        let text = to_toml(&base, "2026-11-21T14:00:00Z");
        assert!(
            text.contains("[services.\"manga/orchestrator\"]\nmin = 10\nmax = 50\n"),
            "{text}"
        );
        assert_eq!(parse(&text).unwrap(), base);
        assert!(drift(&base, &snap).is_empty());
    }

    #[test]
    fn min_left_at_event_level_is_drift_with_cpu_and_fix() {
        let mut snap = fleet();
        let base = capture(&snap);
        let t = snap.services[0].scaling.as_mut().unwrap();
        t.min = 100;
        t.max = 200;
        snap.services[0].strategy = vec![StrategyItem::new(FARGATE, 1, 0)];
        let d = drift(&base, &snap);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(
            d[0].message,
            "min 100 vs baseline 10, max 200 vs baseline 50 while CPU 12 %"
        );
        assert_eq!(
            d[0].fix,
            Some(ActionRequest::SetBounds {
                service: svc_key(),
                min: 10,
                max: 50
            })
        );
        assert_eq!(
            d[1].message,
            "strategy FARGATE 1 vs baseline FARGATE 1 (base 2) + FARGATE_SPOT 4"
        );
        let Some(ActionRequest::SetCapacityProviderStrategy { strategy, .. }) = &d[1].fix else {
            panic!("no strategy fix")
        };
        assert_eq!(strategy[1], StrategyItem::new(FARGATE_SPOT, 4, 0));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("[services.\"manga/x\"]\nmin = 10\nmax = -1\n", 3, ""),
            (
                "[services.\"manga/x\"]\nmin = 10\nmaxx = 5\n",
                3,
                "unknown field `maxx`",
            ),
            (
                "\n[services.\"nocluster\"]\nmin = 1\n",
                2,
                "must be \"cluster/service\"",
            ),
            (
                "[services.\"a/b\"]\nmin = 10\nmax = 5\n",
                1,
                "max 5 is below min 10",
            ),
        ];
        for (text, line, want) in cases {
            let (got_line, msg) = parse(text).unwrap_err();
            assert_eq!(got_line, line, "{text:?}: {msg}");
            assert!(msg.contains(want), "{text:?}: {msg}");
        }
    }

    #[test]
    fn configured_baseline_must_exist_but_the_default_may_not() {
        let dir = tempfile::tempdir().unwrap();
        let paths = crate::config::Paths {
            config_dir: dir.path().to_path_buf(),
            data_dir: dir.path().to_path_buf(),
        };
        let mut cfg = crate::config::Config::default();
        assert_eq!(load_configured(&cfg, &paths), Ok(None));
        std::fs::write(paths.baseline(), "[services.\"a/b\"]\nmin = 1\n").unwrap();
        assert_eq!(
            load_configured(&cfg, &paths)
                .unwrap()
                .unwrap()
                .services
                .len(),
            1
        );
        cfg.baseline = Some(dir.path().join("other.toml"));
        let err = load_configured(&cfg, &paths).unwrap_err();
        assert!(err.contains("other.toml: cannot read baseline"), "{err}");
    }

    #[test]
    fn service_missing_from_fleet_is_reported() {
        let base = parse("[services.\"manga/gone\"]\nmin = 1\n").unwrap();
        let d = drift(&base, &fleet());
        assert_eq!(
            d[0].message,
            "manga/gone is in the baseline but not in the fleet"
        );
    }
}
