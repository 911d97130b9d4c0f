//! Where a session's records are, and reading them: its journal directory,
//! the audit log and the ledger, narrowed to its fleet (and, for a simulator
//! session, to the records written since it opened: every simulator session
//! shares one audit log and replays the same simulated hours).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::Inputs;
use super::window::{Since, Window};
use crate::action::audit::AuditLog;
use crate::action::ledger::Ledger;
use crate::config::Paths;
use crate::journal::{Recorded, files};
use crate::model::SourceId;

/// Which session's records: an AWS fleet's, the newest simulator session's, or a headless run's.
#[derive(Clone, Debug, PartialEq)]
pub enum Which {
    /// An AWS fleet: the one whose journal directory name contains the text,
    /// else the one recorded most recently.
    Aws(Option<String>),
    /// The newest simulator session (cockpit or drill).
    Sim,
    /// A `sitrep runbook run` directory: `last`, its name under `runs/`, or a path.
    Run(String),
}

/// The files of one session.
#[derive(Clone, Debug, PartialEq)]
pub struct Records {
    pub journal: Option<PathBuf>,
    pub audit: PathBuf,
    pub ledger: PathBuf,
    /// Only audit records and overrides of this fleet; taken from the journal when unset.
    pub fleet: Option<SourceId>,
    /// Only audit records written (wall clock) at or after this.
    pub opened: Option<DateTime<Utc>>,
}

impl Records {
    pub fn find(paths: &Paths, which: &Which) -> Result<(Records, Vec<String>), String> {
        let mut notes = Vec::new();
        let records = match which {
            Which::Aws(name) => {
                let root = paths.aws_journals();
                let dirs = subdirs(&root);
                let pick = match name {
                    Some(n) => dirs
                        .iter()
                        .filter(|d| {
                            d.file_name()
                                .is_some_and(|f| f.to_string_lossy().contains(n.as_str()))
                        })
                        .max_by_key(|d| newest_write(d))
                        .cloned()
                        .ok_or_else(|| {
                            format!(
                                "no AWS journal named like {n:?} in {} (there: {})",
                                root.display(),
                                names(&dirs)
                            )
                        })?,
                    None => match dirs.iter().max_by_key(|d| newest_write(d)) {
                        Some(d) => d.clone(),
                        None => {
                            notes.push(format!(
                                "no fleet journal in {} yet: only the audit log is shown \
                                 (the journal is recorded while the cockpit or --wall runs)",
                                root.display()
                            ));
                            root.join("none")
                        }
                    },
                };
                if name.is_none() && dirs.len() > 1 {
                    notes.push(format!(
                        "{} AWS fleets recorded ({}); showing {} (choose with --fleet)",
                        dirs.len(),
                        names(&dirs),
                        dir_name(&pick)
                    ));
                }
                Records {
                    journal: Some(pick).filter(|p| p.is_dir()),
                    audit: paths.audit_log(),
                    ledger: paths.ledger(),
                    fleet: None,
                    opened: None,
                }
            }
            Which::Sim => {
                let root = paths.sim_journals();
                let newest = subdirs(&root).into_iter().max().ok_or_else(|| {
                    format!(
                        "no simulator session recorded in {} yet: run `sitrep` or `sitrep drill NAME` first",
                        root.display()
                    )
                })?;
                Records {
                    journal: Some(newest),
                    audit: paths.sim_audit_log(),
                    ledger: paths.sim_ledger(),
                    fleet: None,
                    opened: None,
                }
            }
            Which::Run(which) => {
                let dir = run_dir(paths, which)?;
                Records {
                    journal: Some(dir.join("journal")).filter(|p| p.is_dir()),
                    audit: dir.join("audit.jsonl"),
                    ledger: dir.join("ledger.jsonl"),
                    fleet: None,
                    opened: None,
                }
            }
        };
        Ok((records, notes))
    }

    /// Read what falls in `window` (the journal's files outside it are not opened).
    pub fn load(&self, window: &Window) -> Inputs {
        let mut inputs = Inputs::default();
        let mut fleet = self.fleet.clone();
        let mut opened = self.opened;
        if let Some(dir) = &self.journal {
            let since = match window.since {
                Some(Since::At(t)) => Some(t),
                Some(Since::Back(d)) => window
                    .until
                    .or_else(|| files::newest_at(dir))
                    .map(|e| e - d),
                None => None,
            };
            match files::read(dir, since, window.until) {
                Ok(read) => {
                    inputs.problems.extend(read.problems);
                    inputs.journal = read.entries;
                }
                Err(e) => inputs
                    .problems
                    .push(format!("{}: journal not read: {e}", dir.display())),
            }
            // The session line names the fleet (and, on the simulator, when it opened).
            if let Some((label, id, at)) = first_session(dir) {
                inputs.source = Some(label);
                if fleet.is_none() {
                    if matches!(id, SourceId::Sim { .. }) && opened.is_none() {
                        opened = Some(at);
                    }
                    fleet = Some(id);
                }
            }
        }
        inputs.fleet = fleet.clone();
        match AuditLog::new(&self.audit).read() {
            Ok(read) => {
                inputs.problems.extend(read.problems);
                inputs.audit = read
                    .records
                    .into_iter()
                    .filter(|r| match (&fleet, &r.source_id) {
                        (Some(f), Some(s)) => f.same_fleet(s),
                        (Some(_), None) => false,
                        (None, _) => true,
                    })
                    .filter(|r| opened.is_none_or(|o| r.time >= o))
                    .collect();
            }
            Err(e) => inputs
                .problems
                .push(format!("{}: audit log not read: {e}", self.audit.display())),
        }
        let ledger = Ledger::new(&self.ledger, 24.0);
        let ledger = match &fleet {
            Some(f) => ledger.for_source(f.clone()),
            None => ledger,
        };
        match ledger.active_view() {
            Ok(view) => {
                inputs.problems.extend(view.problems);
                inputs.overrides = view.own;
            }
            Err(e) => inputs
                .problems
                .push(format!("{}: ledger not read: {e}", self.ledger.display())),
        }
        inputs
    }
}

/// A running session's own timeline, for the cockpit's `:timeline` and `:export`.
#[derive(Clone, Debug)]
pub struct Live {
    pub records: Records,
    pub sla: super::Sla,
    /// Where `:export` writes the Markdown.
    pub export_dir: PathBuf,
}

impl Live {
    pub fn build(&self) -> super::Timeline {
        let opts = super::Options {
            sla: self.sla.clone(),
            ..super::Options::default()
        };
        super::build(self.records.load(&opts.window), &opts)
    }

    /// Write the post-mortem Markdown to a new file in `export_dir`.
    pub fn export(&self, now: DateTime<Utc>) -> Result<PathBuf, String> {
        let md = super::markdown::render(&self.build());
        std::fs::create_dir_all(&self.export_dir)
            .map_err(|e| format!("{}: {e}", self.export_dir.display()))?;
        let path = self
            .export_dir
            .join(format!("timeline-{}.md", now.format("%Y%m%dT%H%M%S")));
        std::fs::write(&path, md).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }
}

/// The journal's first session line: the fleet's label and id, and when it opened.
fn first_session(dir: &Path) -> Option<(String, SourceId, DateTime<Utc>)> {
    match files::first_session(dir)?.what {
        Recorded::Session {
            source,
            source_id,
            opened,
            ..
        } => Some((source, source_id, opened)),
        _ => None,
    }
}

fn run_dir(paths: &Paths, which: &str) -> Result<PathBuf, String> {
    let runs = paths.runs_dir();
    let dir = if which == "last" {
        subdirs(&runs)
            .into_iter()
            .max()
            .ok_or_else(|| format!("no `sitrep runbook run` recorded in {} yet", runs.display()))?
    } else if Path::new(which).is_dir() {
        PathBuf::from(which)
    } else {
        runs.join(crate::config::safe_name(which))
    };
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(format!(
            "{}: no such run (runs are in {}; `--run last` takes the newest)",
            dir.display(),
            runs.display()
        ))
    }
}

fn subdirs(root: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

fn newest_write(dir: &Path) -> Option<std::time::SystemTime> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.metadata().ok()?.modified().ok())
        .max()
}

fn dir_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn names(dirs: &[PathBuf]) -> String {
    if dirs.is_empty() {
        return "none".into();
    }
    dirs.iter()
        .map(|d| dir_name(d))
        .collect::<Vec<_>>()
        .join(", ")
}
