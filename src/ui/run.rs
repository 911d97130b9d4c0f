//! The loop: one `select!` over terminal events, snapshots and a 1 s clock.
//! Everything already waiting is handled before one draw, and nothing is drawn
//! unless the app says it changed, so an idle cockpit only redraws its clock.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use color_eyre::Result;
use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::{FutureExt, Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;

use super::app::{App, Effect, Event, StopSignal};
use super::event::{ActionResult, RevertChoice, RevertList};
use super::theme::Theme;
use super::view;
use crate::action::audit::{AuditLog, AuditRecord};
use crate::action::confirm::{ConfirmedAction, Purpose};
use crate::action::executor::{ApplyContext, Executor, Outcome};
use crate::action::ledger;
use crate::action::watch::ChangedBack;
use crate::journal::recorder::Notes;
use crate::journal::{Entry, Recorded};
use crate::model::ServiceKey;
use crate::model::evidence::{EvidenceRequest, LogQuery};
use crate::runbook::trigger::TriggerPass;
use crate::source::{EvidenceReader, Feed};
use crate::timeline::records::Live;

/// What the loop reaches outside the app: the config dir (themes), the
/// executor (absent in a read-only session, so nothing here can reach a
/// writer) and the audit log for walk records.
pub struct Io {
    pub config_dir: Option<std::path::PathBuf>,
    pub executor: Option<Arc<Executor>>,
    pub audit: AuditLog,
    pub operator: String,
    /// Reads a service's tasks and deployments while a view asks (the
    /// simulator or AWS, chosen by the session); `None` answers with an error.
    pub evidence: Option<Arc<dyn EvidenceReader>>,
    /// The session's records, for `:timeline` and `:export`; `None` answers with an error.
    pub timeline: Option<Arc<Live>>,
    /// Notes for the fleet journal, when this session records one.
    pub journal: Option<Notes>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoopStats {
    pub draws: u64,
}

/// Key presses and resizes from the terminal; other terminal events are dropped.
pub fn terminal_events() -> impl Stream<Item = Event> + Unpin {
    EventStream::new().filter_map(|ev| {
        std::future::ready(match ev {
            Ok(TermEvent::Key(k)) => Some(Event::Key(k)),
            Ok(TermEvent::Resize(..)) => Some(Event::Resize),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!("terminal event error: {e}");
                None
            }
        })
    })
}

/// SIGTERM, SIGINT, SIGHUP and SIGQUIT as events, so that a signal closes the
/// cockpit as `q` does and the terminal guard restores the terminal. Listening
/// replaces each signal's default action (ending the process at once), so call
/// this only when the cockpit is about to take the terminal.
#[cfg(unix)]
pub fn stop_signals() -> std::io::Result<impl Stream<Item = Event> + Unpin> {
    use std::task::Poll;
    use tokio::signal::unix::{SignalKind, signal};

    let mut listeners = Vec::new();
    for (kind, name, number) in [
        (SignalKind::terminate(), "SIGTERM", 15),
        (SignalKind::interrupt(), "SIGINT", 2),
        (SignalKind::hangup(), "SIGHUP", 1),
        (SignalKind::quit(), "SIGQUIT", 3),
    ] {
        listeners.push((signal(kind)?, StopSignal { name, number }));
    }
    Ok(Box::pin(futures_util::stream::unfold(
        listeners,
        |mut listeners| async move {
            let signal = std::future::poll_fn(|cx| {
                listeners
                    .iter_mut()
                    .find_map(|(l, s)| l.poll_recv(cx).is_ready().then_some(*s))
                    .map_or(Poll::Pending, Poll::Ready)
            })
            .await;
            Some((Event::Signal(signal), listeners))
        },
    )))
}

/// Ctrl-C as an event where there are no Unix signals.
#[cfg(not(unix))]
pub fn stop_signals() -> std::io::Result<impl Stream<Item = Event> + Unpin> {
    Ok(Box::pin(futures_util::stream::unfold((), |()| async {
        tokio::signal::ctrl_c().await.ok()?;
        let signal = StopSignal {
            name: "Ctrl-C",
            number: 2,
        };
        Some((Event::Signal(signal), ()))
    })))
}

/// Wall time once a second, for the header clock and the data age.
pub fn clock() -> impl Stream<Item = DateTime<Utc>> + Unpin {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    Box::pin(futures_util::stream::unfold(
        interval,
        |mut iv| async move {
            iv.tick().await;
            Some((Utc::now(), iv))
        },
    ))
}

/// Run until a quit effect or until every input has ended.
pub async fn drive<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    input: impl Stream<Item = Event> + Unpin,
    mut feed: Feed,
    ticks: impl Stream<Item = DateTime<Utc>> + Unpin,
    io: &Io,
    started: Instant,
) -> Result<LoopStats>
where
    B::Error: Send + Sync + 'static,
{
    // The session decides whether the cockpit may write: it has an executor or not.
    app.writable = io.executor.is_some();
    // Fused, so an ended stream is never polled again.
    let (mut input, mut ticks) = (input.fuse(), ticks.fuse());
    let mut stats = LoopStats::default();
    let mut feed_open = true;
    // Executor answers come back on this channel; `in_flight` counts applies not yet answered.
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let mut in_flight = 0usize;
    // Answers of work done away from the loop (evidence, log counts, the
    // timeline, trigger passes) come back here; the app drops stale ones.
    let (answers_tx, mut answers_rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let mut answers_pending = 0usize;
    // A trigger pass reads the history: the next snapshot waits for it (it
    // takes ~25 ms at 2,000 services) rather than copying the history to
    // record itself (~30 ms at 2,000 services, and as much memory again).
    let mut pass_running = false;
    // Snapshots already taken from the feed when a pass started.
    let mut held: VecDeque<Event> = VecDeque::new();
    // The ledger is read for overdue overrides once data time is known, and after each apply.
    let mut ledger_read = false;
    // Walk records are appended (and fsync'd) in order by one blocking task.
    let (audit_tx, audit_task) = audit_writer(io.audit.clone());
    let result = loop {
        if app.take_dirty() {
            terminal.draw(|f| view::draw(f, app))?;
            stats.draws += 1;
            if stats.draws == 1 {
                tracing::info!(ms = started.elapsed().as_millis() as u64, "first frame");
            }
        }
        let first = tokio::select! {
            Some(ev) = done_rx.recv(), if in_flight > 0 => {
                in_flight -= 1;
                ledger_read = false;
                ev
            }
            Some(ev) = input.next() => ev,
            Some(ev) = answers_rx.recv(), if answers_pending > 0 => {
                answers_pending -= 1;
                pass_running &= !matches!(ev, Event::Suggestions(..));
                ev
            }
            snap = feed.recv(), if feed_open && !pass_running => match snap {
                Some(s) => Event::Snapshot(s),
                None => {
                    tracing::warn!("snapshot source ended");
                    feed_open = false;
                    continue;
                }
            },
            Some(now) = ticks.next() => Event::Tick(now),
            else => break Ok(stats),
        };
        let mut batch = VecDeque::from([first]);
        loop {
            if let Some(Some(ev)) = input.next().now_or_never() {
                batch.push_back(ev);
            } else if pass_running {
                break;
            } else if let Some(ev) = held.pop_front() {
                batch.push_back(ev);
            } else if let Ok(s) = feed.try_recv() {
                batch.push_back(Event::Snapshot(s));
            } else {
                break;
            }
        }
        let mut quit = false;
        if !ledger_read
            && app.snapshot.is_some()
            && let Some(ex) = &io.executor
        {
            // Data time, not wall time: on the simulator the two are days apart.
            app.runbooks.overdue = ex.ledger().overdue(app.clock()).unwrap_or_default();
            ledger_read = true;
        }
        while let Some(ev) = batch.pop_front() {
            if pass_running && matches!(ev, Event::Snapshot(_)) {
                held.push_back(ev);
                continue;
            }
            for effect in app.handle(ev) {
                match effect {
                    Effect::Quit => quit = true,
                    Effect::LoadTheme(name) => {
                        app.set_theme(Theme::load(&name, io.config_dir.as_deref()))
                    }
                    Effect::Apply { action, purpose } => match &io.executor {
                        Some(ex) => {
                            in_flight += 1;
                            spawn_apply(app, ex.clone(), action, purpose, done_tx.clone());
                        }
                        None => batch.push_back(read_only_outcome(&action, purpose)),
                    },
                    Effect::Audit(walk) => {
                        let source = app.snapshot.as_ref().map(|s| &s.source);
                        let _ = audit_tx.send(walk.record(&io.operator, source));
                    }
                    Effect::ListReverts => {
                        batch.push_back(Event::Reverts(reverts(io.executor.as_deref())))
                    }
                    Effect::CountLogMatches(service, queries) => match &io.evidence {
                        Some(reader) => {
                            answers_pending += 1;
                            spawn_count(reader.clone(), service, queries, answers_tx.clone())
                        }
                        None => batch.push_back(Event::LogMatches(
                            service,
                            Err("this session reads no evidence".into()),
                        )),
                    },
                    Effect::BuildTimeline | Effect::ExportTimeline => match &io.timeline {
                        Some(live) => {
                            answers_pending += 1;
                            let export = matches!(effect, Effect::ExportTimeline);
                            spawn_timeline(live.clone(), export, answers_tx.clone());
                        }
                        None => batch.push_back(Event::Timeline(Box::new(Err(
                            "this session keeps no records".into(),
                        )))),
                    },
                    Effect::OperatorRan(command) => {
                        if let Some(line) = io
                            .executor
                            .as_deref()
                            .and_then(|ex| ex.operator_ran(&command))
                        {
                            batch.push_back(Event::Played(line));
                        }
                    }
                    Effect::Journal(back) => {
                        if let Some(notes) = &io.journal {
                            notes.send(changed_back_entry(&back));
                        }
                    }
                    Effect::EvaluateTriggers(pass) => {
                        answers_pending += 1;
                        pass_running = true;
                        spawn_triggers(*pass, answers_tx.clone());
                    }
                    Effect::ReadEvidence(request) => match &io.evidence {
                        Some(reader) => {
                            answers_pending += 1;
                            spawn_evidence(reader.clone(), request, answers_tx.clone())
                        }
                        None => batch.push_back(Event::Evidence(
                            request,
                            Err("this session reads no evidence".into()),
                        )),
                    },
                }
            }
        }
        if quit {
            break Ok(stats);
        }
    };
    // An apply under way finishes (its result is audited) before the cockpit closes.
    while in_flight > 0
        && let Some(ev) = done_rx.recv().await
    {
        in_flight -= 1;
        app.handle(ev);
    }
    // Let every walk record reach the disk before the cockpit closes.
    drop(audit_tx);
    if let Err(e) = audit_task.await {
        tracing::warn!("audit writer ended badly: {e}");
    }
    result
}

fn audit_writer(
    log: AuditLog,
) -> (
    std::sync::mpsc::Sender<AuditRecord>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = std::sync::mpsc::channel::<AuditRecord>();
    let task = tokio::task::spawn_blocking(move || {
        for record in rx {
            if let Err(e) = log.append(&record) {
                tracing::error!(
                    "{}: cannot append to the audit log: {e}",
                    log.path().display()
                );
            }
        }
    });
    (tx, task)
}

/// Run the executor as its own task (it does fsync'd IO and waits on the
/// API) and send the outcome back to the loop.
fn spawn_apply(
    app: &App,
    ex: Arc<Executor>,
    action: Box<ConfirmedAction>,
    purpose: Purpose,
    done: tokio::sync::mpsc::UnboundedSender<Event>,
) {
    let Some(snap) = app.snapshot.clone() else {
        let _ = done.send(read_only_outcome(&action, purpose));
        return;
    };
    let baseline = app.runbooks.baseline.clone();
    tokio::spawn(async move {
        let request = action.request().clone();
        let mut ctx = ApplyContext::new(&snap);
        if let Some((rb, node)) = purpose.runbook_node() {
            ctx = ctx.in_runbook(rb, node);
        }
        if let Some(b) = &baseline {
            ctx = ctx.with_baseline(b);
        }
        let outcome = match &purpose {
            Purpose::Revert { entry_id } => ex.revert(entry_id, *action, ctx).await,
            Purpose::Node { .. } | Purpose::Fix { .. } => ex.apply(*action, ctx).await,
        };
        let _ = done.send(Event::Outcome(Box::new(ActionResult {
            purpose,
            request,
            outcome,
        })));
    });
}

/// Ask the evidence reader as its own task and send the answer back to the loop.
fn spawn_evidence(
    reader: Arc<dyn EvidenceReader>,
    request: EvidenceRequest,
    done: tokio::sync::mpsc::UnboundedSender<Event>,
) {
    tokio::spawn(async move {
        let result = reader.read(&request).await;
        let _ = done.send(Event::Evidence(request, result));
    });
}

/// Evaluate a large fleet's triggers off the loop: ~25 ms at 2,000 services.
/// A pass that panics answers with an error, so the next one is not held back.
fn spawn_triggers(pass: TriggerPass, done: tokio::sync::mpsc::UnboundedSender<Event>) {
    tokio::spawn(async move {
        let at = pass.at();
        let result = tokio::task::spawn_blocking(move || pass.run())
            .await
            .map_err(|e| e.to_string());
        let _ = done.send(Event::Suggestions(at, result));
    });
}

/// Build the timeline (or write its Markdown) off the loop: it reads files.
fn spawn_timeline(live: Arc<Live>, export: bool, done: tokio::sync::mpsc::UnboundedSender<Event>) {
    tokio::task::spawn_blocking(move || {
        let event = if export {
            Event::Exported(live.export(Utc::now()))
        } else {
            Event::Timeline(Box::new(Ok(live.build())))
        };
        let _ = done.send(event);
    });
}

/// A change back, as the journal records it.
fn changed_back_entry(back: &ChangedBack) -> Entry {
    Entry::new(
        back.at,
        Recorded::ChangedBack {
            service: back.target.clone(),
            field: back.field.label().to_string(),
            set: back.set.clone(),
            now: back.now.clone(),
            action: back.action.to_string(),
            cause: back.cause.clone(),
        },
    )
}

/// Ask the evidence reader to count log lines as its own task, for a walk.
fn spawn_count(
    reader: Arc<dyn EvidenceReader>,
    service: ServiceKey,
    queries: Vec<LogQuery>,
    done: tokio::sync::mpsc::UnboundedSender<Event>,
) {
    tokio::spawn(async move {
        let result = reader.count_matches(&service, &queries).await;
        let _ = done.send(Event::LogMatches(service, result));
    });
}

/// The answer when there is no executor (or no data to judge against).
fn read_only_outcome(action: &ConfirmedAction, purpose: Purpose) -> Event {
    Event::Outcome(Box::new(ActionResult {
        purpose,
        request: action.request().clone(),
        outcome: Outcome::NotSent {
            reason: "read-only session: cannot apply".into(),
        },
    }))
}

/// This session's active ledger entries with the request that reverts each;
/// entries recorded without a source are listed but cannot be chosen, other
/// sources' are counted, and lines that could not be read are named.
pub(crate) fn reverts(executor: Option<&Executor>) -> Result<RevertList, String> {
    let ex = executor.ok_or("read-only session: cannot revert")?;
    let ledger = ex.ledger();
    let view = ledger
        .active_view()
        .map_err(|e| format!("{}: {e}", ledger.path().display()))?;
    let label = |e: &ledger::Entry| {
        format!(
            "applied {} on {} by {}; revert: {}",
            e.applied_at.format("%m-%d %H:%M"),
            e.target,
            e.operator,
            e.revert.describe()
        )
    };
    let mut choices: Vec<RevertChoice> = view
        .own
        .iter()
        .map(|e| RevertChoice {
            label: label(e),
            request: ex.revert_request(&e.id),
            entry_id: e.id.clone(),
        })
        .collect();
    choices.extend(view.unknown.iter().map(|e| RevertChoice {
        label: format!("UNKNOWN SOURCE: {}", label(e)),
        request: ex.revert_request(&e.id),
        entry_id: e.id.clone(),
    }));
    let mut warnings = view.problems;
    if !view.unknown.is_empty() {
        warnings.push(format!(
            "{} override(s) recorded without their source: check them by hand, they cannot be reverted here",
            view.unknown.len()
        ));
    }
    if view.others > 0 {
        warnings.push(format!(
            "{} override(s) of other sources not shown",
            view.others
        ));
    }
    Ok(RevertList { choices, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::ledger::Ledger;
    use crate::model::request::ActionRequest;
    use crate::source::{FleetWriter, WriteFuture};
    use crate::ui::runbooks::Runbooks;

    struct NeverCalled;

    impl FleetWriter for NeverCalled {
        fn apply<'a>(&'a self, _: &'a ActionRequest) -> WriteFuture<'a> {
            panic!("listing reverts must not write")
        }
    }

    /// The `R` picker on a ledger holding this session's entries, one recorded
    /// without a source, one of an AWS account, a line that is not UTF-8 and a
    /// line that is not a record.
    #[test]
    fn the_revert_picker_shows_its_own_entries_and_names_what_it_could_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        std::fs::copy(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/records/ledger_bad_lines.jsonl"
            ),
            &path,
        )
        .unwrap();
        let ex = Executor::new(
            Box::new(NeverCalled),
            AuditLog::new(dir.path().join("audit.jsonl")),
            Ledger::new(&path, 24.0),
            "sre".into(),
            crate::action::testing::fleet().source,
        );
        let list = reverts(Some(&ex)).unwrap();
        let ids: Vec<&str> = list.choices.iter().map(|c| c.entry_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "20261121T140001Z-1",
                "20261121T140004Z-4",
                "20261121T140002Z-2"
            ]
        );
        assert!(list.choices[0].request.is_ok());
        assert!(list.choices[1].request.is_ok());
        assert!(list.choices[2].label.starts_with("UNKNOWN SOURCE: "));
        assert!(
            list.choices[2]
                .request
                .as_ref()
                .is_err_and(|e| e.contains("recorded without its source")),
            "{:?}",
            list.choices[2].request
        );
        let at = |n: usize| format!("{}:{n}: ", path.display());
        assert_eq!(list.warnings.len(), 4, "{:?}", list.warnings);
        assert!(list.warnings[0].starts_with(&format!("{}not UTF-8", at(4))));
        assert!(list.warnings[1].starts_with(&format!("{}not a record", at(5))));
        assert!(list.warnings[2].contains("1 override(s) recorded without their source"));
        assert_eq!(list.warnings[3], "1 override(s) of other sources not shown");

        let mut runbooks = Runbooks::shipped();
        let message = runbooks.set_reverts(Ok(list)).unwrap();
        assert!(message.error);
        assert!(message.text.contains(&at(4)), "{}", message.text);
        assert!(
            runbooks.list.is_some(),
            "the picker opens with what could be read"
        );
    }

    #[test]
    fn an_empty_picker_still_says_why() {
        let mut runbooks = Runbooks::shipped();
        let message = runbooks
            .set_reverts(Ok(RevertList {
                choices: Vec::new(),
                warnings: vec!["ledger.jsonl:3: not UTF-8".into()],
            }))
            .unwrap();
        assert_eq!(
            message.text,
            "no active overrides of this session; ledger.jsonl:3: not UTF-8"
        );
        assert!(runbooks.list.is_none());
        let message = runbooks.set_reverts(Ok(RevertList::default())).unwrap();
        assert_eq!(message.text, "no active overrides in the ledger");
        assert!(!message.error);
    }
}
