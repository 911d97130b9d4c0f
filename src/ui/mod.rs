//! The cockpit: ratatui + crossterm on tokio.
//!
//! `app` holds the state and the pure key handler, `view` and `panes` draw it,
//! `run` is the loop that feeds events in and performs effects.

pub mod app;
pub mod command;
pub mod fixtures;
pub mod keymap;
pub mod panes;
pub mod run;
pub mod screenshots;
pub mod svg;
pub mod terminal;
pub mod theme;
pub mod trouble;
pub mod view;
pub mod widgets;

#[cfg(test)]
mod tests;

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::eyre;

use crate::config::{Config, Paths};

pub fn run_cockpit(cfg: Config, paths: Paths) -> Result<ExitCode> {
    let started = Instant::now();
    init_logging(&paths)?;
    let theme = theme::Theme::load(&cfg.theme, Some(&paths.config_dir)).map_err(|e| eyre!(e))?;
    let keymap = keymap::Keymap::load(&paths.config_dir).map_err(|e| eyre!(e))?;
    let mut app = app::App::new(&cfg, keymap, theme, Utc::now());
    app.themes = theme::Theme::available(Some(&paths.config_dir));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    if cfg.aws.enabled {
        color_eyre::eyre::bail!(
            "the AWS source is not wired into the cockpit yet; run without --aws"
        );
    }
    let sim = crate::sim::Simulator::from_config(&cfg.sim).map_err(|e| eyre!("{e}"))?;
    let sim = Arc::new(Mutex::new(sim));
    runtime.block_on(async {
        let (tx, feed) = tokio::sync::mpsc::channel(16);
        let source = crate::sim::source::spawn(Arc::clone(&sim), cfg.sim.speed, tx);
        let mut guard = terminal::TerminalGuard::enter()?;
        let stats = run::drive(
            &mut guard.terminal,
            &mut app,
            run::terminal_events(),
            feed,
            run::clock(),
            Some(&paths.config_dir),
            started,
        )
        .await;
        source.abort();
        let stats = stats?;
        tracing::info!(draws = stats.draws, "cockpit closed");
        Ok(ExitCode::SUCCESS)
    })
}

/// Logs go to `paths.log_file()`, never to the screen; `SITREP_LOG` sets the filter.
fn init_logging(paths: &Paths) -> Result<()> {
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
    // A second init (tests, drills) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(log))
        .try_init();
    Ok(())
}
