use clap::Parser;

fn main() -> std::process::ExitCode {
    few_malloc_arenas();
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

/// glibc gives each thread that allocates its own arena and keeps what was
/// freed in it: the cockpit's workers churn through whole snapshots (2,000
/// services, a few a second at drill speed) and the process grew to ~280 MB
/// where the data is ~80 MB. Two arenas hold it there. Before any thread.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn few_malloc_arenas() {
    // SAFETY: mallopt only sets an allocator parameter; no thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn few_malloc_arenas() {}
