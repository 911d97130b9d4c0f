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
            eprintln!("sitrep: {e:?}");
            std::process::ExitCode::FAILURE
        }
    }
}
