//! `sitrep runbook check|show|run`.

use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::Result;

use crate::config::{Config, Paths};

pub struct RunArgs {
    pub id: String,
    pub scenario: String,
    pub auto: bool,
    pub dry_run: bool,
    pub minutes: u32,
}

pub fn check(cfg: &Config, files: &[PathBuf]) -> Result<ExitCode> {
    let _ = (cfg, files);
    color_eyre::eyre::bail!("runbook check is not built yet")
}

pub fn show(cfg: &Config, id: &str, mermaid: bool) -> Result<ExitCode> {
    let _ = (cfg, id, mermaid);
    color_eyre::eyre::bail!("runbook show is not built yet")
}

pub fn run(cfg: &Config, paths: &Paths, args: &RunArgs) -> Result<ExitCode> {
    let _ = (
        cfg,
        paths,
        args.id.as_str(),
        &args.scenario,
        args.auto,
        args.dry_run,
        args.minutes,
    );
    color_eyre::eyre::bail!("runbook run is not built yet")
}
