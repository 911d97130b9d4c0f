//! sitrep: an incident runbook cockpit for ECS Fargate fleets.
//!
//! The binary, the tests and the benches all use this library.

pub mod action;
pub mod bounds;
pub mod cli;
pub mod commands;
pub mod config;
pub mod drill;
pub mod headless;
pub mod model;
pub mod position;
pub mod runbook;
pub mod session;
pub mod sim;
pub mod source;
pub mod ui;
pub mod userfile;

#[cfg(test)]
mod tests;

/// Install color-eyre with a panic hook that first restores the terminal, so a
/// panic never leaves the shell in raw mode on the alternate screen.
pub fn install_error_hooks() -> color_eyre::Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default().into_hooks();
    eyre_hook.install()?;
    let panic_hook = panic_hook.into_panic_hook();
    std::panic::set_hook(Box::new(move |info| {
        ui::terminal::restore();
        panic_hook(info);
    }));
    Ok(())
}
