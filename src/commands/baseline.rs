//! `sitrep baseline capture`: write the live fleet's bounds and strategies as
//! the declared baseline that override-revert compares against.

use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::Result;
use color_eyre::eyre::WrapErr;

use crate::action::baseline;
use crate::config::{Config, Paths};

pub fn capture(cfg: &Config, paths: &Paths, out: Option<PathBuf>) -> Result<ExitCode> {
    let snapshot = super::runtime()?.block_on(crate::session::one_snapshot(cfg))?;
    let out = out
        .or_else(|| cfg.baseline.clone())
        .unwrap_or_else(|| paths.baseline());
    let captured = baseline::capture(&snapshot);
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).wrap_err_with(|| format!("creating {}", dir.display()))?;
    }
    let text = baseline::to_toml(&captured, &snapshot.taken_at.to_rfc3339());
    std::fs::write(&out, text).wrap_err_with(|| format!("writing {}", out.display()))?;
    println!(
        "baseline of {} services from {} written to {}",
        captured.services.len(),
        snapshot.source.label(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
