//! The entry layer: one file per subcommand, and the only place that wires a
//! session (simulator or AWS) to a screen or a printer. It parses nothing
//! itself (that is `cli`), loads the config, starts logging, builds the one
//! tokio runtime and hands each part exactly what it needs.

mod audit;
mod baseline;
mod cockpit;
mod drill;
mod logging;
mod runbook;
mod screenshots;
mod snapshot;

use std::process::ExitCode;

use color_eyre::Result;
use color_eyre::eyre::WrapErr;

use crate::cli::{BaselineCommand, Cli, Command, ConfigCommand, RunbookCommand};
use crate::config::{self, Paths};

pub fn run(cli: Cli) -> Result<ExitCode> {
    let paths = Paths::from_env();
    let cfg = config::load(&cli.global, &paths)?;
    logging::init(&paths)?;
    match cli.command {
        None => cockpit::run(cfg, paths),
        Some(Command::Drill { scenario }) => drill::run(cfg, paths, &scenario),
        Some(Command::Runbook(cmd)) => match cmd {
            RunbookCommand::Check { paths: files } => runbook::check(&cfg, &files),
            RunbookCommand::Show { id, mermaid } => runbook::show(&cfg, &id, mermaid),
            RunbookCommand::Run {
                id,
                scenario,
                auto,
                dry_run,
                minutes,
            } => runbook::run(
                &cfg,
                &paths,
                &runbook::RunArgs {
                    id,
                    scenario,
                    auto,
                    dry_run,
                    minutes,
                },
            ),
            RunbookCommand::Vars => runbook::reference(crate::runbook::reference::vars()),
            RunbookCommand::Helpers => runbook::reference(crate::runbook::reference::helpers()),
            RunbookCommand::Actions => runbook::reference(crate::runbook::reference::actions()),
            RunbookCommand::Docs => runbook::reference(crate::runbook::reference::page()),
        },
        Some(Command::Audit { json }) => audit::audit(&paths, json),
        Some(Command::Baseline(BaselineCommand::Capture { out })) => {
            baseline::capture(&cfg, &paths, out)
        }
        Some(Command::Snapshot { json: _ }) => snapshot::print_json(&cfg),
        Some(Command::Config(ConfigCommand::PrintDefault)) => {
            print!("{}", config::default_file_text());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Config(ConfigCommand::Paths)) => {
            println!("config file: {}", paths.config_file().display());
            println!("data dir:    {}", paths.data_dir.display());
            println!("audit log:   {}", paths.audit_log().display());
            println!("ledger:      {}", paths.ledger().display());
            println!("log file:    {}", paths.log_file().display());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Screenshots { out }) => {
            screenshots::write_all(&out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The process's one tokio runtime: two workers, so the loop, the source and
/// an apply never wait on each other.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")
}
