//! The cockpit: ratatui + crossterm on tokio.
//!
//! `app` holds the state and the pure key handler, `view` and `panes` draw it,
//! `run` is the loop that feeds events in and performs effects.

pub mod app;
pub mod bill;
pub mod command;
pub mod event;
pub mod evidence;
pub mod fixtures;
pub mod groups;
pub mod keymap;
pub mod limits;
pub mod panes;
pub mod run;
pub mod runbooks;
pub mod svg;
pub mod terminal;
pub mod theme;
pub mod trouble;
pub mod view;
pub mod widgets;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::time::Instant;

use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::eyre;

use crate::config::Config;
use crate::source::Feed;

/// The app with the configured theme and keymap (user files from `config_dir`
/// over the embedded ones); the entry layer adds runbooks and baseline.
pub fn load_app(cfg: &Config, config_dir: &Path) -> Result<app::App> {
    let theme = theme::Theme::load(&cfg.theme, Some(config_dir)).map_err(|e| eyre!(e))?;
    let keymap = keymap::Keymap::load(config_dir).map_err(|e| eyre!(e))?;
    let mut app = app::App::new(cfg, keymap, theme, Utc::now());
    app.themes = theme::Theme::available(Some(config_dir));
    Ok(app)
}

/// Run the cockpit on the real terminal until the operator quits or a signal
/// asks it to stop (`app.stopped_by` then says which); the terminal is restored
/// however it ends.
pub async fn run_on_terminal(
    app: &mut app::App,
    feed: Feed,
    io: &run::Io,
    started: Instant,
) -> Result<()> {
    // Listen before taking the terminal, so no signal can leave it raw.
    let signals = run::stop_signals()?;
    let mut guard = terminal::TerminalGuard::enter()?;
    let stats = run::drive(
        &mut guard.terminal,
        app,
        futures_util::stream::select(run::terminal_events(), signals),
        feed,
        run::clock(),
        io,
        started,
    )
    .await?;
    tracing::info!(draws = stats.draws, "cockpit closed");
    Ok(())
}
