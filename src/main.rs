use clap::Parser;

fn main() -> std::process::ExitCode {
    // color-eyre first, so that a panic anywhere restores the terminal before reporting.
    if let Err(e) = sitrep::install_error_hooks() {
        eprintln!("sitrep: {e}");
    }
    let cli = sitrep::cli::Cli::parse();
    match sitrep::commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            // An expected failure (bad input, no credentials, ...): one plain
            // line. Panics, the bugs, keep color-eyre's full report.
            eprintln!("{}", sitrep::error_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}
