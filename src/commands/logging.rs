//! Logs go to a file in the data dir, never to the screen; `SITREP_LOG` sets
//! the filter (default `info`). Started once, for every subcommand.

use color_eyre::Result;
use color_eyre::eyre::eyre;

use crate::config::Paths;

pub fn init(paths: &Paths) -> Result<()> {
    let file = paths.log_file();
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| eyre!("{}: cannot create log dir: {e}", dir.display()))?;
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .map_err(|e| eyre!("{}: cannot open log file: {e}", file.display()))?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("SITREP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second init (tests run many commands in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(log))
        .try_init();
    Ok(())
}
