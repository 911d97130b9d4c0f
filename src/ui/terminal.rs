//! Entering and leaving the terminal's raw mode and alternate screen.

/// Leave raw mode and the alternate screen. Safe to call more than once and
/// from a panic hook.
pub fn restore() {
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}
