//! `sitrep` with no subcommand: the cockpit on the configured session.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use color_eyre::Result;
use color_eyre::eyre::eyre;

use crate::action::audit::AuditLog;
use crate::action::audit::operator_from_env;
use crate::config::{Config, Paths};
use crate::model::SourceInfo;
use crate::session::{JournalStatus, Session};
use crate::timeline::Inputs;
use crate::timeline::records::{Live, Records};
use crate::ui::app::App;
use crate::ui::event::Message;

pub fn run(cfg: Config, paths: Paths) -> Result<ExitCode> {
    let mut app = prepare(&cfg, &paths)?;
    open_and_drive(&cfg, &paths, &mut app)?;
    Ok(exit_code(&app))
}

/// Success after `q`; 128 + the signal's number when a signal closed the cockpit,
/// as a shell reports a process that a signal ended.
pub(super) fn exit_code(app: &App) -> ExitCode {
    app.stopped_by
        .map_or(ExitCode::SUCCESS, |s| ExitCode::from(128 + s.number))
}

/// The app with the configured theme, keymap, runbook library and baseline.
pub(super) fn prepare(cfg: &Config, paths: &Paths) -> Result<App> {
    let mut app = crate::ui::load_app(cfg, &paths.config_dir)?;
    app.runbooks.library = crate::runbook::Library::load(cfg);
    for (file, problems) in &app.runbooks.library.broken {
        tracing::warn!("{file}: runbook not loaded: {} problem(s)", problems.len());
    }
    app.runbooks.baseline =
        crate::action::baseline::load_configured(cfg, paths).map_err(|e| eyre!(e))?;
    Ok(app)
}

/// Open the session (the simulator or AWS, and the executor unless read-only)
/// and run the cockpit on the terminal until the operator quits.
pub(super) fn open_and_drive(cfg: &Config, paths: &Paths, app: &mut App) -> Result<()> {
    let started = Instant::now();
    super::runtime()?.block_on(async {
        let declared = app.runbooks.library.declared();
        let session = Session::open(cfg, paths, &declared).await?;
        let (journal_dir, notes) = match session.journal {
            JournalStatus::Recording(dir, notes) => (Some(dir), Some(notes)),
            JournalStatus::Off(why) => {
                app.message = Some(Message::info(format!("no journal: {why}")));
                (None, None)
            }
        };
        let timeline = live_timeline(
            cfg,
            paths,
            &session.source_info,
            journal_dir,
            &session.audit,
        );
        let io = crate::ui::run::Io {
            config_dir: Some(paths.config_dir.clone()),
            executor: session.executor.map(Arc::new),
            audit: session.audit,
            operator: operator_from_env(),
            evidence: Some(session.evidence),
            timeline: Some(Arc::new(timeline)),
            journal: notes,
        };
        // The source task lives until the cockpit closes.
        let _source = session.source;
        crate::ui::run_on_terminal(app, session.feed, &io, started).await
    })
}

/// This session's own records, for `:timeline` and `:export`: its journal,
/// its audit log and ledger narrowed to its fleet (and, on the simulator, to
/// what it wrote since it opened).
fn live_timeline(
    cfg: &Config,
    paths: &Paths,
    source: &SourceInfo,
    journal: Option<std::path::PathBuf>,
    audit: &AuditLog,
) -> Live {
    let opened = source.is_sim().then(chrono::Utc::now);
    let records = Records {
        journal,
        audit: audit.path().to_path_buf(),
        ledger: paths.ledger_for(source),
        fleet: Some(source.id()),
        opened: opened.map(|t| t - chrono::Duration::seconds(5)),
    };
    let fleet = Inputs {
        fleet: Some(source.id()),
        ..Inputs::default()
    };
    Live {
        records,
        sla: super::timeline::sla_for(cfg, &fleet),
        export_dir: paths.postmortems_for(source),
    }
}
