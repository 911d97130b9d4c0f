//! `sitrep runbook check|show|run`.

use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::Result;
use color_eyre::eyre::eyre;

use super::library::{self, Library, Loaded};
use super::render;
use crate::config::{Config, Paths};

pub struct RunArgs {
    pub id: String,
    pub scenario: String,
    pub auto: bool,
    pub dry_run: bool,
    pub minutes: u32,
}

/// Validate files (a directory means its `*.toml`); with none, the shipped and
/// configured runbooks. Prints `OK` or each problem as `file:line:col: message`.
pub fn check(cfg: &Config, files: &[PathBuf]) -> Result<ExitCode> {
    let loaded: Vec<Loaded> = if files.is_empty() {
        library::all_files(cfg)
    } else {
        files
            .iter()
            .flat_map(|p| {
                if p.is_dir() {
                    library::load_dir(p)
                } else {
                    vec![Loaded {
                        origin: p.display().to_string(),
                        result: super::load_file(p),
                    }]
                }
            })
            .collect()
    };
    let mut failed = false;
    for l in &loaded {
        match &l.result {
            Ok(rb) => println!("{}: OK ({}, {} nodes)", l.origin, rb.id, rb.nodes.len()),
            Err(problems) => {
                failed = true;
                for p in problems {
                    println!("{p}");
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub fn show(cfg: &Config, id: &str, mermaid: bool) -> Result<ExitCode> {
    let lib = Library::load(cfg);
    let rb = lib.get(id).ok_or_else(|| {
        let known: Vec<&str> = lib.runbooks.iter().map(|r| r.id.as_str()).collect();
        eyre!("no runbook `{id}` (known: {})", known.join(", "))
    })?;
    if mermaid {
        print!("{}", render::mermaid(rb));
    } else {
        print!("{}", render::tree(rb));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(cfg: &Config, paths: &Paths, args: &RunArgs) -> Result<ExitCode> {
    let _ = (
        cfg,
        paths,
        args.id.as_str(),
        &args.scenario,
        args.auto,
        args.dry_run,
        args.minutes,
    );
    color_eyre::eyre::bail!(
        "runbook run needs the simulator and the executor, which are not built yet"
    )
}
