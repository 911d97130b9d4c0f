//! Dispatch from the parsed command line to the module that owns each command.

use std::process::ExitCode;

use color_eyre::Result;

use crate::cli::{BaselineCommand, Cli, Command, ConfigCommand, RunbookCommand};
use crate::config::{self, Paths};

pub fn run(cli: Cli) -> Result<ExitCode> {
    let paths = Paths::from_env();
    let cfg = config::load(&cli.global, &paths)?;
    match cli.command {
        None => crate::ui::run_cockpit(cfg, paths),
        Some(Command::Drill { scenario }) => crate::drill::run(cfg, paths, &scenario),
        Some(Command::Runbook(cmd)) => match cmd {
            RunbookCommand::Check { paths: files } => crate::runbook::cli::check(&cfg, &files),
            RunbookCommand::Show { id, mermaid } => crate::runbook::cli::show(&cfg, &id, mermaid),
            RunbookCommand::Run {
                id,
                scenario,
                auto,
                dry_run,
                minutes,
            } => crate::runbook::cli::run(
                &cfg,
                &paths,
                &crate::runbook::cli::RunArgs {
                    id,
                    scenario,
                    auto,
                    dry_run,
                    minutes,
                },
            ),
        },
        Some(Command::Audit { json }) => crate::action::cli::audit(&paths, json),
        Some(Command::Baseline(BaselineCommand::Capture { out })) => {
            crate::action::cli::baseline_capture(&cfg, &paths, out)
        }
        Some(Command::Snapshot { json: _ }) => crate::source::once::print_snapshot_json(&cfg),
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
            crate::ui::screenshots::write_all(&out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
