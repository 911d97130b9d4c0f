//! Drills: a scenario on the simulator, the runbook worked against it, a score.

pub mod report;
pub mod score;

use std::process::ExitCode;

use color_eyre::Result;

use crate::config::{Config, Paths};

pub fn run(cfg: Config, paths: Paths, scenario: &str) -> Result<ExitCode> {
    let _ = (cfg, paths, scenario);
    color_eyre::eyre::bail!("drills are not built yet")
}
