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
pub mod walk;
pub mod widgets;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod walk_tests;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::eyre;

use crate::action::audit::{AuditLog, operator_from_env};
use crate::config::{Config, Paths};

pub fn run_cockpit(cfg: Config, paths: Paths) -> Result<ExitCode> {
    let mut app = prepare(&cfg, &paths)?;
    open_and_drive(&cfg, &paths, &mut app)?;
    Ok(ExitCode::SUCCESS)
}

/// The app with the configured theme, keymap, runbook library and baseline.
pub fn prepare(cfg: &Config, paths: &Paths) -> Result<app::App> {
    init_logging(paths)?;
    let theme = theme::Theme::load(&cfg.theme, Some(&paths.config_dir)).map_err(|e| eyre!(e))?;
    let keymap = keymap::Keymap::load(&paths.config_dir).map_err(|e| eyre!(e))?;
    let mut app = app::App::new(cfg, keymap, theme, Utc::now());
    app.themes = theme::Theme::available(Some(&paths.config_dir));
    app.runbooks.library = crate::runbook::Library::load(cfg);
    for (file, problems) in &app.runbooks.library.broken {
        tracing::warn!("{file}: runbook not loaded: {} problem(s)", problems.len());
    }
    app.runbooks.baseline =
        crate::action::baseline::load_configured(cfg, paths).map_err(|e| eyre!(e))?;
    Ok(app)
}

/// Open the session (source, and the executor unless read-only) and run the
/// loop until the operator quits.
pub fn open_and_drive(cfg: &Config, paths: &Paths, app: &mut app::App) -> Result<()> {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut session = crate::session::Session::open(cfg, paths)?;
        let executor = session.executor.take().map(Arc::new);
        // The session keeps its source task; the loop takes the feed.
        let feed = std::mem::replace(&mut session.feed, tokio::sync::mpsc::channel(1).1);
        app.writable = executor.is_some();
        if let Some(ex) = &executor {
            app.runbooks.overdue = ex.ledger().overdue(Utc::now()).unwrap_or_default();
        }
        let io = run::Io {
            config_dir: Some(paths.config_dir.clone()),
            // Walk records go to the same log as the executor's; read-only too (not a write to AWS).
            audit: executor
                .as_ref()
                .map_or_else(|| AuditLog::for_paths(paths), |ex| ex.audit().clone()),
            executor,
            operator: operator_from_env(),
        };
        let mut guard = terminal::TerminalGuard::enter()?;
        let stats = run::drive(
            &mut guard.terminal,
            app,
            run::terminal_events(),
            feed,
            run::clock(),
            &io,
            started,
        )
        .await?;
        tracing::info!(draws = stats.draws, "cockpit closed");
        Ok(())
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
