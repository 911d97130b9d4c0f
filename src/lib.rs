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
pub mod journal;
pub mod jsonl;
pub mod model;
pub mod position;
pub mod redact;
pub mod runbook;
pub mod session;
pub mod sim;
pub mod source;
pub mod timeline;
pub mod ui;
pub mod userfile;

#[cfg(test)]
mod tests;

/// Install color-eyre's panic hook, first restoring the terminal, so a panic
/// (a bug) never leaves the shell in raw mode on the alternate screen and is
/// reported in full. Its report is coloured only when stderr is a terminal.
pub fn install_error_hooks() -> color_eyre::Result<()> {
    use std::io::IsTerminal;
    let mut builder = color_eyre::config::HookBuilder::default();
    if !std::io::stderr().is_terminal() {
        builder = builder.theme(color_eyre::config::Theme::new());
    }
    // Only the panic hook: an error report is an expected failure, told in one
    // line (`error_line`); eyre's own handler then captures a backtrace only
    // lazily when RUST_BACKTRACE is set, where color-eyre's would resolve
    // every symbol (seconds) for a trace nobody prints.
    let (panic_hook, _) = builder.into_hooks();
    let panic_hook = panic_hook.into_panic_hook();
    std::panic::set_hook(Box::new(move |info| {
        ui::terminal::restore();
        panic_hook(info);
    }));
    Ok(())
}

/// How an expected failure is told: `sitrep: ` and the message with its causes,
/// no location, no backtrace, and no control characters (a file name or value
/// quoted in the message cannot move the cursor or colour the terminal).
pub fn error_line(error: &color_eyre::Report) -> String {
    let text = format!("sitrep: {error:#}");
    text.chars()
        .flat_map(|c| {
            let keep = !c.is_control() || c == '\n' || c == '\t';
            let shown: Vec<char> = if keep {
                vec![c]
            } else {
                c.escape_default().collect()
            };
            shown
        })
        .collect()
}

#[cfg(test)]
mod error_line_tests {
    use color_eyre::eyre::{WrapErr, eyre};

    #[test]
    fn causes_on_one_line_and_no_escape_sequences() {
        let err: color_eyre::Result<()> = Err(eyre!("no such file"));
        let err = err.wrap_err("config.toml: cannot read config").unwrap_err();
        assert_eq!(
            super::error_line(&err),
            "sitrep: config.toml: cannot read config: no such file"
        );
        let err = eyre!("unknown theme `\x1b[31mred`");
        assert_eq!(
            super::error_line(&err),
            "sitrep: unknown theme `\\u{1b}[31mred`"
        );
    }
}
