//! Runbooks in the cockpit: the list with a triggered runbook, the walk pane at
//! a check and at an action, the confirmation popups, read-only refusal, key
//! handling of the walk, and whole walks through the loop with the simulator's
//! writer behind a real executor (one as a drill, ending with a score).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use crate::action::audit::{AuditEntry, AuditLog};
use crate::action::confirm::Confirmation;
use crate::action::confirm::Purpose;
use crate::action::executor::Executor;
use crate::action::ledger::Ledger;
use crate::config::{Config, SimConfig};
use crate::model::ServiceKey;
use crate::model::request::ActionRequest;
use crate::sim::source::SimWriter;
use crate::sim::{STEP_S, Simulator};
use crate::ui::app::{App, Effect, Event};
use crate::ui::event::ActionResult;
use crate::ui::fixtures::{buffer_text, key_event, render};
use crate::ui::keymap::{Keymap, Layer};
use crate::ui::run::{Io, drive};
use crate::ui::theme::Theme;
use crate::ui::view;

const SCENARIO: &str = "spot-cascade";
/// Simulated minutes until the spot-cascade trigger holds (it fires at ~5m50s).
const TRIGGERED: u32 = 7;

fn sim() -> Simulator {
    Simulator::from_config(&SimConfig {
        scenario: SCENARIO.into(),
        seed: 7,
        speed: 1.0,
    })
    .expect("the shipped scenario loads")
}

fn app_for(sim: &Simulator, read_only: bool) -> App {
    let cfg = Config {
        read_only,
        ..Config::default()
    };
    App::new(&cfg, Keymap::default_map(), Theme::dark(), sim.now())
}

/// Advance the simulator `minutes`, feeding every step to the app; the
/// effects that come out (audit records) are returned.
fn advance(app: &mut App, sim: &mut Simulator, minutes: u32) -> Vec<Effect> {
    let mut fx = Vec::new();
    for _ in 0..(minutes * 60 / STEP_S) {
        sim.advance(STEP_S);
        app.now = sim.now();
        fx.extend(app.handle(Event::Snapshot(Box::new(sim.snapshot()))));
        fx.extend(count_logs(app, sim));
    }
    fx
}

/// A clock tick, and the simulator's answer to the walk's log count if it asks
/// for one (as the loop does with the session's evidence reader).
fn count_logs(app: &mut App, sim: &Simulator) -> Vec<Effect> {
    let mut fx = Vec::new();
    for effect in app.handle(Event::Tick(sim.now())) {
        match effect {
            Effect::CountLogMatches(service, queries) => {
                let counted = sim.log_matches(&service, &queries);
                fx.extend(app.handle(Event::LogMatches(service, counted)));
            }
            other => fx.push(other),
        }
    }
    fx
}

/// Press keys: characters, `\n` Enter, `\x1b` Esc, `\x08` Backspace.
fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| app.handle(Event::Key(key_event(c))))
        .collect()
}

fn screen(app: &App) -> String {
    buffer_text(&render(app, 160, 48, view::draw))
}

fn current(app: &App) -> String {
    let walk = app.runbooks.walk.as_ref().expect("a runbook is open");
    walk.walker.machine().current().to_string()
}

/// The cockpit on spot-cascade with the runbook open at its first check.
fn opened(read_only: bool) -> (App, Simulator) {
    let mut sim = sim();
    let mut app = app_for(&sim, read_only);
    advance(&mut app, &mut sim, TRIGGERED);
    press(&mut app, "r\n");
    count_logs(&mut app, &sim);
    (app, sim)
}

/// Walk from the first check to the 15-minute wait and through it to the strategy switch.
fn to_switch(read_only: bool) -> (App, Simulator) {
    let (mut app, mut sim) = opened(read_only);
    press(&mut app, "\nx\n");
    assert_eq!(current(&app), "sustained");
    advance(&mut app, &mut sim, 16);
    assert_eq!(current(&app), "switch-on-demand");
    (app, sim)
}

#[test]
fn trigger_raises_spot_cascade_on_its_own() {
    let mut sim = sim();
    let mut app = app_for(&sim, false);
    advance(&mut app, &mut sim, 4);
    assert!(
        app.runbooks.suggestions.is_empty(),
        "nothing before the cascade"
    );
    advance(&mut app, &mut sim, TRIGGERED - 4);
    let s = &app.runbooks.suggestions[0];
    assert_eq!(s.runbook, "spot-cascade");
    assert!(screen(&app).contains("▲ spot-cascade on manga-chatbot/orchestrator · r"));
    press(&mut app, "r");
    assert_eq!(app.layer(), Layer::Runbooks);
    insta::assert_snapshot!("runbook_list_triggered", screen(&app));
}

#[test]
fn runbook_pane_at_a_check_shows_evidence_and_the_evaluated_branch() {
    let (app, _) = opened(false);
    assert_eq!(app.layer(), Layer::Runbook);
    assert_eq!(current(&app), "interrupted");
    let text = screen(&app);
    assert!(text.contains("interrupted_share(10.0) = "), "{text}");
    // Counted by the simulator once the walk asked: the SIGTERMs of the reclaims.
    let sigterms = app.runbooks.logs.counted.as_ref().expect("counted");
    assert!(sigterms.counts[0].1 > 0, "{sigterms:?}");
    assert!(
        text.contains(&format!(
            "log_matches('SIGTERM', 10.0) = {}",
            sigterms.counts[0].1
        )),
        "{text}"
    );
    assert!(text.contains("yes  ◀ evaluated"), "{text}");
    insta::assert_snapshot!("runbook_check", text);
}

#[test]
fn walk_keys_follow_tick_overrule_and_back() {
    let (mut app, _) = opened(false);
    // Enter follows the evaluated `yes`; the step is ticked with x.
    let fx = press(&mut app, "\n");
    assert_eq!(current(&app), "alb-deregistered");
    assert!(fx.iter().any(|e| matches!(e, Effect::Audit(a)
        if matches!(&a.entry, AuditEntry::NodeEntered { .. }) && a.node == "alb-deregistered")));
    let fx = press(&mut app, "x");
    assert_eq!(current(&app), "regional");
    assert!(fx.iter().any(|e| matches!(e, Effect::Audit(a)
        if matches!(&a.entry, AuditEntry::StepTicked { .. }))));
    // The data says `local`; choosing answer 1 (`regional`) overrules it, recorded and audited.
    let fx = press(&mut app, "1");
    assert_eq!(current(&app), "regional-note");
    let walk = app.runbooks.walk.as_ref().unwrap();
    assert_eq!(walk.walker.machine().overrules().len(), 1);
    assert_eq!(walk.walker.machine().overrules()[0].chosen, "regional");
    assert!(fx.iter().any(|e| matches!(e, Effect::Audit(a)
        if matches!(&a.entry, AuditEntry::Overruled { evaluated, chosen, .. }
            if evaluated == "local" && chosen == "regional"))));
    // Back undoes it; o on the cursor (the evaluated answer) is an explicit overrule too.
    press(&mut app, "u");
    assert_eq!(current(&app), "regional");
    press(&mut app, "\x08");
    assert_eq!(current(&app), "alb-deregistered");
    press(&mut app, " ");
    press(&mut app, "ko");
    assert_eq!(current(&app), "regional-note");
    assert_eq!(
        app.runbooks
            .walk
            .as_ref()
            .unwrap()
            .walker
            .machine()
            .overrules()
            .len(),
        2
    );
    // Esc hands the keys back to the fleet; r returns to the walk.
    press(&mut app, "\x1b");
    assert_eq!(app.layer(), Layer::Cockpit);
    press(&mut app, "r");
    assert_eq!(app.layer(), Layer::Runbook);
}

#[test]
fn action_node_shows_preview_and_guards_and_applies_only_after_the_typed_name() {
    let (mut app, _) = to_switch(false);
    let text = screen(&app);
    assert!(text.contains("ecs:UpdateService"), "{text}");
    assert!(text.contains("forceNewDeployment"), "{text}");
    insta::assert_snapshot!("runbook_action", text);

    // A opens the risky confirmation; nothing is applied by keys alone.
    assert!(press(&mut app, "A").is_empty());
    assert_eq!(app.layer(), Layer::Confirm);
    insta::assert_snapshot!("confirm_typed_name", screen(&app));
    assert!(
        press(&mut app, "orch\n").is_empty(),
        "a wrong name applies nothing"
    );
    assert!(screen(&app).contains("That is not orchestrator"));
    assert!(press(&mut app, "\x1b").is_empty());
    assert_eq!(app.layer(), Layer::Runbook);
    assert_eq!(current(&app), "switch-on-demand");

    let mut fx = press(&mut app, "Aorchestrator");
    assert!(fx.is_empty(), "typing alone applies nothing");
    fx = press(&mut app, "\n");
    assert_eq!(fx.len(), 1, "{fx:?}");
    match &fx[0] {
        Effect::Apply { action, purpose } => {
            assert_eq!(action.request().id(), "ecs.set_capacity_provider_strategy");
            assert_eq!(
                purpose,
                &Purpose::Node {
                    runbook: "spot-cascade".into(),
                    node: "switch-on-demand".into()
                }
            );
        }
        other => panic!("expected an apply, got {other:?}"),
    }
    assert!(screen(&app).contains("applying…"));
}

#[test]
fn ordinary_action_confirms_with_y() {
    let (mut app, _) = opened(false);
    let request = ActionRequest::SetDesiredCount {
        service: ServiceKey::new("manga-chatbot", "orchestrator"),
        desired: 14,
    };
    let snap = app.snapshot.clone().unwrap();
    app.runbooks.confirm = Some(crate::action::confirm::Pending {
        preview: crate::action::preview::preview(&request, &snap),
        confirmation: Confirmation::new(request),
        purpose: Purpose::Revert {
            entry_id: "e-1".into(),
        },
    });
    insta::assert_snapshot!("confirm_plain", screen(&app));
    assert!(press(&mut app, "x").is_empty());
    let fx = press(&mut app, "y");
    assert!(matches!(fx.as_slice(), [Effect::Apply { .. }]), "{fx:?}");
    assert!(app.runbooks.confirm.is_none());
}

#[test]
fn read_only_walks_and_previews_but_cannot_apply() {
    let (mut app, _) = to_switch(true);
    assert!(press(&mut app, "A").is_empty());
    assert_eq!(app.layer(), Layer::Runbook, "no confirmation opens");
    let text = screen(&app);
    assert!(text.contains("read-only session: cannot apply"), "{text}");
    assert!(text.contains("ecs:UpdateService"), "{text}");
    insta::assert_snapshot!("runbook_read_only_refusal", text);
    // R has no ledger to revert from either, and S walks on.
    assert!(press(&mut app, "R").is_empty());
    press(&mut app, "S");
    assert_eq!(current(&app), "dlq");
}

/// A check whose answers match nothing stops the walk: Enter does not take an
/// answer by position, it asks for one; a number key takes it.
#[test]
fn enter_at_a_check_that_matched_nothing_asks_for_a_choice() {
    const TEXT: &str = r#"
id = "owner"
title = "Who owns the interrupted service"
scope = "service"

[trigger]
when = "interrupted_share(10.0) > 10.0"
why = "interrupted"

[[node]]
id = "who"
kind = "check"
phase = "triage"
question = "Which team owns the service?"
answers = [
  { name = "realtime", when = "service.tags['team'] == 'realtime'" },
  { name = "backoffice", when = "service.tags['team'] == 'backoffice'" },
  { name = "other" },
]
edges = { realtime = "done", backoffice = "done", other = "done" }

[[node]]
id = "done"
kind = "done"
phase = "revert"
text = "Owner found"
"#;
    let mut sim = sim();
    let mut app = app_for(&sim, false);
    app.runbooks =
        crate::ui::runbooks::Runbooks::new(crate::runbook::library::Library::from_loaded([
            crate::runbook::library::Loaded {
                origin: "owner.toml".into(),
                result: crate::runbook::load_str("owner.toml", TEXT),
            },
        ]));
    advance(&mut app, &mut sim, TRIGGERED);
    press(&mut app, "r\n");
    assert_eq!(current(&app), "who");
    let text = screen(&app);
    assert!(
        text.contains("the evaluation found no answer: no answer matched the"),
        "{text}"
    );
    assert!(!text.contains("◀ evaluated"), "{text}");
    let fx = press(&mut app, "\n");
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(current(&app), "who", "Enter takes no answer by position");
    let message = app.message.as_ref().expect("a message");
    assert!(message.error);
    assert!(
        message.text.starts_with("the evaluation found no answer (")
            && message.text.ends_with("): choose 1-3"),
        "{}",
        message.text
    );
    press(&mut app, "3");
    let walk = app.runbooks.walk.as_ref().unwrap();
    assert!(walk.walker.machine().is_finished());
    assert_eq!(walk.walker.machine().path(), ["who", "done"]);
}

#[test]
fn broken_runbook_files_are_listed_with_their_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "id = \"bad\"\ntitle = \"Bad\"\nscope = \"planet\"\n",
    )
    .unwrap();
    let mut cfg = Config::default();
    cfg.runbooks.dirs = vec![dir.path().to_path_buf()];
    let (mut app, _) = opened(false);
    app.runbooks.library = crate::runbook::Library::load(&cfg);
    press(&mut app, "\x1br");
    press(&mut app, "C");
    press(&mut app, "r");
    let text = screen(&app);
    assert!(text.contains("not loaded"), "{text}");
    assert!(text.contains("bad.toml"), "{text}");
}

/// Keys and snapshots fed to the real loop, in order, with the simulator's
/// writer behind a real executor; returns the app once the loop ends.
struct Rig {
    sim: Arc<Mutex<Simulator>>,
    keys: mpsc::UnboundedSender<Event>,
    feed: mpsc::Sender<Box<crate::model::FleetSnapshot>>,
}

impl Rig {
    async fn settle() {
        for _ in 0..5 {
            tokio::task::yield_now().await;
        }
    }

    async fn minutes(&self, minutes: u32) {
        for _ in 0..(minutes * 60 / STEP_S) {
            let snap = {
                let mut sim = self.sim.lock().unwrap();
                sim.advance(STEP_S);
                sim.snapshot()
            };
            // The loop may have ended (a drill ends itself); later input goes nowhere.
            let _ = self.feed.send(Box::new(snap)).await;
            Self::settle().await;
        }
    }

    async fn keys(&self, keys: &str) {
        for c in keys.chars() {
            let _ = self.keys.send(Event::Key(key_event(c)));
            Self::settle().await;
        }
    }

    /// Give the spawned apply time to run and answer.
    async fn wait_for_apply() {
        for _ in 0..50 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

async fn run_spot_cascade(
    dir: &std::path::Path,
    drill: bool,
    script: impl AsyncFnOnce(&Rig),
) -> (App, Executor) {
    let sim = Arc::new(Mutex::new(sim()));
    let exec = |sim: &Arc<Mutex<Simulator>>| {
        Executor::new(
            Box::new(SimWriter::new(sim.clone())),
            AuditLog::new(dir.join("audit.jsonl")),
            Ledger::new(dir.join("ledger.jsonl"), 24.0),
            "tester".into(),
            sim.lock().unwrap().snapshot().source,
        )
    };
    let executor = Arc::new(exec(&sim));
    let mut app = app_for(&sim.lock().unwrap(), false);
    if drill {
        let sc = crate::sim::load_scenario(SCENARIO).unwrap();
        app.runbooks.drill = Some(crate::drill::start(&sc).unwrap());
    }
    let (key_tx, key_rx) = mpsc::unbounded_channel();
    let (feed_tx, feed) = mpsc::channel(4);
    let io = Io {
        config_dir: None,
        executor: Some(executor),
        audit: AuditLog::new(dir.join("audit.jsonl")),
        operator: "tester".into(),
        evidence: None,
        timeline: None,
        journal: None,
    };
    let rig = Rig {
        sim: sim.clone(),
        keys: key_tx,
        feed: feed_tx,
    };
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let keys =
        futures_util::stream::unfold(
            key_rx,
            |mut rx| async move { rx.recv().await.map(|e| (e, rx)) },
        )
        .boxed();
    let ticks = futures_util::stream::empty().boxed();
    let looped = drive(
        &mut terminal,
        &mut app,
        keys,
        feed,
        ticks,
        &io,
        Instant::now(),
    );
    let scripted = async move {
        script(&rig).await;
        drop(rig);
    };
    let (stats, ()) = tokio::join!(looped, scripted);
    stats.unwrap();
    (app, exec(&sim))
}

#[tokio::test]
async fn end_to_end_the_trigger_raises_the_runbook_and_the_switch_is_applied_audited_and_revertible()
 {
    let dir = tempfile::tempdir().unwrap();
    let (app, executor) = run_spot_cascade(dir.path(), false, async |rig: &Rig| {
        rig.minutes(TRIGGERED).await;
        rig.keys("r\n\nx\n").await;
        rig.minutes(16).await;
        rig.keys("Aorchestrator\n").await;
        Rig::wait_for_apply().await;
        rig.minutes(6).await;
    })
    .await;
    let walk = app.runbooks.walk.as_ref().unwrap();
    assert_eq!(
        walk.walker.machine().current(),
        "dlq",
        "verified, then on to the DLQ step"
    );
    let (applied, line) = walk.walker.last_outcome.clone().unwrap();
    assert!(applied, "{line}");

    let records = executor.audit().read().unwrap().records;
    let phases: Vec<&AuditEntry> = records.iter().map(|r| &r.entry).collect();
    assert!(
        phases
            .iter()
            .any(|e| matches!(e, AuditEntry::Intent { request, .. }
        if request.id() == "ecs.set_capacity_provider_strategy"))
    );
    assert!(
        phases
            .iter()
            .any(|e| matches!(e, AuditEntry::Result { .. }))
    );
    assert!(
        phases
            .iter()
            .any(|e| matches!(e, AuditEntry::NodeEntered { .. }))
    );
    assert!(
        phases
            .iter()
            .any(|e| matches!(e, AuditEntry::StepTicked { .. }))
    );
    assert!(
        records
            .iter()
            .any(|r| r.node.as_deref() == Some("switch-on-demand"))
    );

    let active = executor.ledger().active().unwrap();
    assert_eq!(active.len(), 1);
    let revert = executor.revert_request(&active[0].id).unwrap();
    assert_eq!(revert.id(), "ecs.set_capacity_provider_strategy");
}

#[tokio::test]
async fn revert_goes_through_the_same_confirm_and_executor() {
    let dir = tempfile::tempdir().unwrap();
    let (app, executor) = run_spot_cascade(dir.path(), false, async |rig: &Rig| {
        rig.minutes(TRIGGERED).await;
        rig.keys("r\n\nx\n").await;
        rig.minutes(16).await;
        rig.keys("Aorchestrator\n").await;
        Rig::wait_for_apply().await;
        rig.minutes(1).await;
        // R lists the ledger's active override; Enter opens its confirmation.
        rig.keys("R\norchestrator\n").await;
        Rig::wait_for_apply().await;
        rig.minutes(1).await;
    })
    .await;
    let message = app.message.clone().map(|m| m.text).unwrap_or_default();
    assert!(message.starts_with("applied"), "{message}");
    assert!(executor.ledger().active().unwrap().is_empty(), "reverted");
    let records = executor.audit().read().unwrap().records;
    assert!(records.iter().any(|r| matches!(
        &r.entry,
        AuditEntry::Intent {
            reverts_entry: Some(_),
            ..
        }
    )));
}

#[tokio::test]
async fn drill_walked_to_the_end_scores_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = run_spot_cascade(dir.path(), true, async |rig: &Rig| {
        rig.minutes(TRIGGERED).await;
        rig.keys("r").await;
        rig.keys("\n\nx\n").await;
        rig.minutes(16).await;
        rig.keys("Aorchestrator\n").await;
        Rig::wait_for_apply().await;
        rig.minutes(6).await;
        // DLQ step, the 5xx check, the post-mortem step: the drill ends at `done`.
        rig.keys("x\nx").await;
        rig.minutes(1).await;
    })
    .await;
    let drill = app.runbooks.drill.take().unwrap();
    let (score, file) =
        crate::drill::finish(&drill, None, dir.path(), crate::ui::fixtures::start())
            .expect("the report is written");
    assert!(score.runbook_done, "{score:?}");
    assert_eq!(score.actions.len(), 1, "{score:?}");
    // The switch is risky, but the evidence led to it: no risky move.
    assert!(score.risky_moves.is_empty(), "{score:?}");
    assert!(
        drill
            .steps
            .iter()
            .any(|s| s.contains("answered regional: local")),
        "{:?}",
        drill.steps
    );
    assert!(score.points > 0 && score.points <= 100, "{score:?}");
    let report = std::fs::read_to_string(&file).unwrap();
    assert!(report.contains("# Drill report: spot-cascade"), "{report}");
    assert!(file.starts_with(dir.path().join("drills")));
    let line = crate::drill::summary(&drill, &score);
    assert!(line.contains("runbook walked to the end"), "{line}");
}

#[test]
fn a_failing_guard_blocks_apply_and_its_fix_goes_through_the_confirmation() {
    let (mut app, _) = to_switch(false);
    let service = ServiceKey::new("manga-chatbot", "orchestrator");
    let fix = ActionRequest::SetBounds {
        service,
        min: 14,
        max: 120,
    };
    let view = app
        .runbooks
        .walk
        .as_mut()
        .unwrap()
        .walker
        .view
        .as_mut()
        .unwrap();
    view.guards.push(crate::action::guards::GuardResult {
        ok: false,
        warning: false,
        message: "desired 120 > max 60: raise max first".into(),
        fix: Some(fix.clone()),
    });
    assert!(press(&mut app, "A").is_empty());
    assert_eq!(app.layer(), Layer::Runbook, "blocked: no confirmation");
    let said = app.message.clone().unwrap();
    assert!(
        said.error && said.text.contains("F applies the fix"),
        "{said:?}"
    );
    assert!(screen(&app).contains("fix (F): "));
    assert!(press(&mut app, "F").is_empty());
    assert_eq!(app.layer(), Layer::Confirm);
    let fx = press(&mut app, "y");
    match fx.as_slice() {
        [Effect::Apply { action, purpose }] => {
            assert_eq!(action.request(), &fix);
            assert!(matches!(purpose, Purpose::Fix { node, .. } if node == "switch-on-demand"));
        }
        other => panic!("expected the fix applied, got {other:?}"),
    }
}

#[test]
fn while_applying_the_walk_holds_still_and_the_outcome_moves_it_to_verify() {
    let (mut app, _) = to_switch(false);
    let fx = press(&mut app, "Aorchestrator\n");
    let Some(Effect::Apply { action, purpose }) = fx.into_iter().next() else {
        panic!("expected an apply");
    };
    press(&mut app, "uS");
    assert_eq!(current(&app), "switch-on-demand", "held while applying");
    let outcome = crate::action::executor::Outcome::Applied {
        summary: "capacityProviderStrategy FARGATE:1/0".into(),
        revert: None,
        ledger: crate::action::ledger::LedgerChange::Nothing,
        warnings: Vec::new(),
    };
    app.handle(Event::Outcome(Box::new(ActionResult {
        purpose,
        request: action.request().clone(),
        outcome,
    })));
    let walk = app.runbooks.walk.as_ref().unwrap();
    assert!(!walk.walker.applying);
    assert!(matches!(
        walk.walker.machine().state(),
        crate::runbook::machine::State::Verifying { .. }
    ));
    let text = screen(&app);
    assert!(
        text.contains("verifying service.spot_share < 5.0"),
        "{text}"
    );
    assert!(text.contains("applied: capacityProviderStrategy"), "{text}");
}

#[test]
fn drill_quit_early_scores_an_unfinished_runbook() {
    let mut sim = sim();
    let mut app = app_for(&sim, false);
    let sc = crate::sim::load_scenario(SCENARIO).unwrap();
    app.runbooks.drill = Some(crate::drill::start(&sc).unwrap());
    advance(&mut app, &mut sim, 2);
    // Before any trigger, the drill's runbook leads the list.
    let entries = app.runbooks.entries();
    assert_eq!(entries[0].runbook.id, "spot-cascade");
    assert!(entries[0].drill && entries[0].suggestion.is_none());
    advance(&mut app, &mut sim, TRIGGERED);
    // At `regional` the data says local: answering 1 (regional) is an overrule.
    press(&mut app, "r\n\nx1");
    assert_eq!(current(&app), "regional-note");
    assert_eq!(press(&mut app, "q"), vec![Effect::Quit]);
    let drill = app.runbooks.drill.take().unwrap();
    let score = drill.scorer.score();
    assert!(!score.runbook_done);
    // Scored from the first snapshot, one step after the start.
    let expected = i64::from((TRIGGERED + 2) * 60 - STEP_S);
    assert_eq!(score.duration.num_seconds(), expected);
    assert_eq!(
        score.risky_moves,
        ["overruled: regional: local -> regional"]
    );
    assert!(score.points < 100, "{score:?}");
}

#[test]
fn a_hint_shows_the_next_node_on_the_evaluated_path_and_costs_once_per_node() {
    let mut sim = sim();
    let mut app = app_for(&sim, false);
    advance(&mut app, &mut sim, TRIGGERED);
    press(&mut app, "r\n");
    // Outside a drill there is nothing to charge a hint to.
    press(&mut app, "h");
    let said = app.message.as_ref().map(|m| m.text.clone()).unwrap();
    assert!(said.contains("hints are for drills"), "{said}");

    let sc = crate::sim::load_scenario(SCENARIO).unwrap();
    app.runbooks.drill = Some(crate::drill::start(&sc).unwrap());
    advance(&mut app, &mut sim, 1);
    let at = current(&app);
    press(&mut app, "h");
    let said = app.message.as_ref().map(|m| m.text.clone()).unwrap();
    assert!(
        said.starts_with("hint: the data says") && said.ends_with("(-5 points)"),
        "{said}"
    );
    // Pressing again at the same node repeats the hint for free.
    press(&mut app, "h");
    let again = app.message.as_ref().map(|m| m.text.clone()).unwrap();
    assert!(!again.contains("points"), "{again}");
    let drill = app.runbooks.drill.as_ref().unwrap();
    assert_eq!(drill.scorer.score().hints, 1);
    assert!(
        drill
            .steps
            .iter()
            .any(|s| s.contains(&format!("hint at {at}")))
    );
}

#[test]
fn a_blind_drill_does_not_point_out_its_runbook() {
    let mut sim = sim();
    let mut app = app_for(&sim, false);
    let sc = crate::sim::load_scenario(SCENARIO).unwrap();
    let mut drill = crate::drill::start(&sc).unwrap();
    drill.blind = true;
    app.runbooks.drill = Some(drill);
    advance(&mut app, &mut sim, 2);
    let entries = app.runbooks.entries();
    assert!(entries.iter().all(|e| !e.drill));
    assert_ne!(entries[0].runbook.id, "spot-cascade", "no runbook leads");
    assert!(screen(&app).contains("DRILL spot-cascade · blind"));
}

/// A drill whose runbook has a step with a command: the walk shows the
/// command, ticking it plays it on the simulator, and the verdict stays on
/// screen until the trainee closes it.
#[test]
fn a_drill_ends_on_its_verdict_and_waits_for_the_trainee() {
    let cfg = Config::default();
    let sc = crate::sim::load_scenario("p95-latency").unwrap();
    let mut fleet = Simulator::new(sc.clone(), 7);
    fleet.declare(&crate::runbook::Library::load(&cfg).declared());
    let drill = crate::drill::start(&sc).unwrap();
    // Six minutes in: open its runbook, follow the four checks to the AZ.
    let mut app = crate::ui::fixtures::stepped_drill(
        &mut fleet,
        STEP_S,
        &[(6, "r\n\n\n\n\nx")],
        &cfg,
        Some(drill),
    )
    .unwrap();
    let text = buffer_text(&render(&app, 160, 48, view::draw));
    assert!(
        text.contains("$ aws ecs update-service --cluster manga-chatbot"),
        "{text}"
    );
    // Ticked, the command is played; the verdict comes and stays.
    crate::ui::fixtures::play_plan(&mut app, &mut fleet, STEP_S, &[(0, "x"), (14, "")]);
    let verdict = app
        .runbooks
        .drill
        .as_ref()
        .and_then(|d| d.verdict())
        .cloned();
    assert!(verdict.is_some_and(|v| v.outcome == crate::drill::judge::Outcome::Won));
    let text = buffer_text(&render(&app, 160, 48, view::draw));
    assert!(
        text.contains("Drill over · p95-latency") && text.contains("WON"),
        "{text}"
    );
    assert_eq!(app.handle(Event::Key(key_event('j'))), Vec::<Effect>::new());
    assert_eq!(app.handle(Event::Key(key_event('q'))), vec![Effect::Quit]);
}
