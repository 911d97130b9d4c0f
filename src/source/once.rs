//! One snapshot, printed and exit: `sitrep snapshot --json`.

use std::process::ExitCode;

use color_eyre::Result;

use crate::config::Config;

pub fn print_snapshot_json(cfg: &Config) -> Result<ExitCode> {
    let _ = cfg;
    color_eyre::eyre::bail!("snapshot is not built yet")
}
