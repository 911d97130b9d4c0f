//! The entry layer: one file per subcommand, and the only place that wires a
//! session (simulator or AWS) to a screen or a printer. It parses nothing
//! itself (that is `cli`), loads the config, starts logging, builds the one
//! tokio runtime and hands each part exactly what it needs.

mod audit;
mod baseline;
mod cockpit;
mod docs;
mod drill;
mod logging;
mod runbook;
mod screenshots;
mod snapshot;
mod timeline;

use std::process::ExitCode;

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, eyre};

use crate::cli::{BaselineCommand, Cli, Command, ConfigCommand, RunbookCommand};
use crate::config::{self, Paths};

pub fn run(cli: Cli) -> Result<ExitCode> {
    // Completions and the man page read no config and write no log.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            docs::completions(*shell, &mut std::io::stdout().lock());
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Man) => {
            docs::man_page(&mut std::io::stdout().lock()).wrap_err("cannot write the man page")?;
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let flags = cli.flags().map_err(|e| eyre!(e))?;
    let paths = Paths::from_env();
    let cfg = config::load(&flags, &paths)?;
    logging::init(&paths)?;
    match cli.command {
        None => cockpit::run(cfg, paths),
        Some(Command::Drill {
            scenario,
            list,
            headless,
            play,
            json,
            blind,
            ..
        }) => match (list, scenario) {
            (true, _) => drill::list(),
            (false, Some(scenario)) if headless => {
                drill::headless(&cfg, &paths, &scenario, play, json)
            }
            (false, Some(scenario)) => drill::run(cfg, paths, &scenario, blind),
            (false, None) => unreachable_without_scenario(),
        },
        Some(Command::Runbook(cmd)) => match cmd {
            RunbookCommand::Check { paths: files } => runbook::check(&cfg, &files),
            RunbookCommand::Show { id, mermaid } => runbook::show(&cfg, &id, mermaid),
            RunbookCommand::Run {
                id,
                scenario,
                auto,
                dry_run,
                minutes,
                ..
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
        Some(Command::Audit { json, sim }) => audit::audit(&paths, json, sim),
        Some(Command::Timeline(args)) => timeline::print(&cfg, &paths, &args),
        Some(Command::Baseline(BaselineCommand::Capture { out, .. })) => {
            baseline::capture(&cfg, &paths, out)
        }
        Some(Command::Snapshot { .. }) => snapshot::print_json(&cfg),
        Some(Command::Config(ConfigCommand::PrintDefault)) => {
            print!("{}", config::default_file_text());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Config(ConfigCommand::Paths)) => {
            let file = flags.config.unwrap_or_else(|| paths.config_file());
            println!("config file: {}", file.display());
            println!("data dir:    {}", paths.data_dir.display());
            println!("audit log:   {}", paths.audit_log().display());
            println!("ledger:      {}", paths.ledger().display());
            println!(
                "simulator:   {} (audit log and ledger of simulator sessions and drills)",
                paths.sim_dir().display()
            );
            println!(
                "runs:        {} (one dir per `runbook run`)",
                paths.runs_dir().display()
            );
            println!(
                "journals:    {} (AWS fleets), {} (simulator sessions)",
                paths.aws_journals().display(),
                paths.sim_journals().display()
            );
            println!("log file:    {}", paths.log_file().display());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Screenshots { out }) => {
            screenshots::write_all(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Completions { .. } | Command::Man) => Ok(ExitCode::SUCCESS),
    }
}

/// clap requires a scenario unless `--list` is given.
fn unreachable_without_scenario() -> Result<ExitCode> {
    color_eyre::eyre::bail!("name a scenario, or --list the drills")
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
