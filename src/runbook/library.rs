//! The runbooks sitrep ships (embedded) plus the user's directories.

use std::path::Path;
use std::sync::Arc;

use super::load::{Problem, load_file, load_str};
use super::model::Runbook;
use crate::config::Config;

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
        lib
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
