//! `sitrep audit` and `sitrep baseline capture`.

use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::Result;

use crate::config::{Config, Paths};

pub fn audit(paths: &Paths, json: bool) -> Result<ExitCode> {
    let _ = (paths, json);
    color_eyre::eyre::bail!("audit is not built yet")
}

pub fn baseline_capture(cfg: &Config, paths: &Paths, out: Option<PathBuf>) -> Result<ExitCode> {
    let _ = (cfg, paths, out);
    color_eyre::eyre::bail!("baseline capture is not built yet")
}
