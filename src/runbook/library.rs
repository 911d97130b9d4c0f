//! The runbooks sitrep ships (embedded) plus the user's directories.

use std::path::Path;
use std::sync::Arc;

use super::load::{Problem, load_file, load_str};
use super::model::Runbook;
use crate::config::Config;
use crate::model::declared::Declared;

/// The shipped runbooks: file name and text.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "ecs-saturation.toml",
        include_str!("../../runbooks/ecs-saturation.toml"),
    ),
    (
        "spot-cascade.toml",
        include_str!("../../runbooks/spot-cascade.toml"),
    ),
    (
        "override-revert.toml",
        include_str!("../../runbooks/override-revert.toml"),
    ),
    (
        "cache-memory.toml",
        include_str!("../../runbooks/cache-memory.toml"),
    ),
    (
        "cost-overprovision.toml",
        include_str!("../../runbooks/cost-overprovision.toml"),
    ),
    (
        "scheduled-prewarm.toml",
        include_str!("../../runbooks/scheduled-prewarm.toml"),
    ),
    (
        "failed-deploy.toml",
        include_str!("../../runbooks/failed-deploy.toml"),
    ),
    (
        "dynamodb-throttling.toml",
        include_str!("../../runbooks/dynamodb-throttling.toml"),
    ),
    (
        "opensearch-lag.toml",
        include_str!("../../runbooks/opensearch-lag.toml"),
    ),
    (
        "p95-latency.toml",
        include_str!("../../runbooks/p95-latency.toml"),
    ),
    (
        "right-size.toml",
        include_str!("../../runbooks/right-size.toml"),
    ),
];

/// One file's outcome.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub origin: String,
    pub result: Result<Runbook, Vec<Problem>>,
}

pub fn shipped() -> Vec<Loaded> {
    SHIPPED
        .iter()
        .map(|(name, text)| {
            let origin = format!("runbooks/{name}");
            Loaded {
                result: load_str(&origin, text),
                origin,
            }
        })
        .collect()
}

/// Every `*.toml` directly in `dir`, sorted by name. An entry so named that
/// is not a regular file (a directory, a FIFO) is reported, not skipped.
pub fn load_dir(dir: &Path) -> Vec<Loaded> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            let origin = dir.display().to_string();
            return vec![Loaded {
                result: Err(vec![Problem {
                    file: origin.clone(),
                    line: 1,
                    col: 1,
                    message: format!("cannot read runbook directory: {e}"),
                }]),
                origin,
            }];
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| Loaded {
            origin: p.display().to_string(),
            result: load_file(&p),
        })
        .collect()
}

/// Valid runbooks by id (a user file replaces a shipped one with the same
/// id), and the broken files with their problems for the cockpit to list.
#[derive(Clone, Debug, Default)]
pub struct Library {
    pub runbooks: Vec<Arc<Runbook>>,
    pub broken: Vec<(String, Vec<Problem>)>,
}

impl Library {
    pub fn from_loaded(loaded: impl IntoIterator<Item = Loaded>) -> Self {
        let mut lib = Library::default();
        for l in loaded {
            match l.result {
                Ok(rb) => {
                    lib.runbooks.retain(|r| r.id != rb.id);
                    lib.runbooks.push(Arc::new(rb));
                }
                Err(problems) => lib.broken.push((l.origin, problems)),
            }
        }
        lib.refuse_conflicting_metrics();
        lib
    }

    /// A metric name means one metric in the whole library (snapshots carry
    /// values by name): a runbook declaring a name another declares
    /// differently is listed as broken, naming both.
    fn refuse_conflicting_metrics(&mut self) {
        let mut seen: Vec<(&Declared, &str)> = Vec::new();
        let mut refused = Vec::new();
        for rb in &self.runbooks {
            for d in &rb.metrics {
                match seen.iter().find(|(s, _)| s.name == d.name) {
                    Some((s, other)) if s.query != d.query => refused.push((
                        rb.id.clone(),
                        Problem {
                            file: rb.origin.clone(),
                            line: 1,
                            col: 1,
                            message: format!(
                                "metric `{}` is declared differently by runbook `{other}` ({}); \
                                 a name means one metric across the library",
                                d.name,
                                s.query.label()
                            ),
                        },
                    )),
                    Some(_) => {}
                    None => seen.push((d, &rb.id)),
                }
            }
        }
        for (id, problem) in refused {
            if let Some(at) = self.runbooks.iter().position(|r| r.id == id) {
                let rb = self.runbooks.remove(at);
                self.broken.push((rb.origin.clone(), vec![problem]));
            }
        }
    }

    /// Every metric the library's runbooks declare, once each.
    pub fn declared(&self) -> Vec<Declared> {
        let mut out: Vec<Declared> = Vec::new();
        for d in self.runbooks.iter().flat_map(|r| r.metrics.iter()) {
            if !out.iter().any(|o| o.name == d.name) {
                out.push(d.clone());
            }
        }
        out
    }

    /// Shipped runbooks, then every configured directory.
    pub fn load(cfg: &Config) -> Self {
        Self::from_loaded(all_files(cfg))
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Runbook>> {
        self.runbooks.iter().find(|r| r.id == id)
    }
}

pub fn all_files(cfg: &Config) -> Vec<Loaded> {
    let mut all = shipped();
    for dir in &cfg.runbooks.dirs {
        all.extend(load_dir(dir));
    }
    all
}
