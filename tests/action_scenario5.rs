//! Seed 001 scenario 5 end to end on the simulator: a manual override left in
//! force after an event is found (ledger overdue, baseline drift) and reverted
//! through the executor, and the revert never leaves a new override behind.

use std::sync::{Arc, Mutex};

use chrono::Duration;
use sitrep::action::audit::AuditLog;
use sitrep::action::baseline::{self, Baseline};
use sitrep::action::confirm::{ConfirmInput, ConfirmStep, Confirmation, ConfirmedAction};
use sitrep::action::executor::{ApplyContext, Executor, Outcome};
use sitrep::action::ledger::{Ledger, LedgerChange};
use sitrep::config::SimConfig;
use sitrep::model::request::ActionRequest;
use sitrep::model::{FleetSnapshot, ServiceKey};
use sitrep::sim::Simulator;
use sitrep::sim::source::SimWriter;

fn sim(scenario: &str) -> Arc<Mutex<Simulator>> {
    let cfg = SimConfig {
        scenario: scenario.into(),
        seed: 7,
        speed: 1.0,
    };
    Arc::new(Mutex::new(Simulator::from_config(&cfg).unwrap()))
}

fn snapshot(sim: &Arc<Mutex<Simulator>>, advance_s: u32) -> FleetSnapshot {
    let mut s = sim.lock().unwrap();
    s.advance(advance_s);
    s.snapshot()
}

fn executor(sim: &Arc<Mutex<Simulator>>, dir: &std::path::Path) -> Executor {
    Executor::new(
        Box::new(SimWriter::new(sim.clone())),
        AuditLog::new(dir.join("audit.jsonl")),
        Ledger::new(dir.join("ledger.jsonl"), 24.0),
        "sre".into(),
        sim.lock().unwrap().snapshot().source,
    )
}

fn yes(request: ActionRequest) -> ConfirmedAction {
    match Confirmation::new(request).handle(ConfirmInput::Char('y')) {
        ConfirmStep::Confirmed(done) => done,
        other => panic!("{other:?}"),
    }
}

fn orchestrator() -> ServiceKey {
    ServiceKey::new("manga-chatbot", "orchestrator")
}

fn calm_baseline() -> Baseline {
    baseline::capture(&snapshot(&sim("calm"), 0))
}

#[tokio::test]
async fn override_left_behind_is_drift_and_restoring_it_records_no_new_override() {
    let dir = tempfile::tempdir().unwrap();
    let base = calm_baseline();
    let fleet = sim("override-left-behind");
    let exec = executor(&fleet, dir.path());
    let snap = snapshot(&fleet, 60);

    let drift = baseline::drift(&base, &snap);
    let bounds = drift
        .iter()
        .find(|d| d.service == orchestrator() && d.field == "bounds")
        .expect("min 100 left behind is drift");
    assert!(
        bounds
            .message
            .starts_with("min 100 vs baseline 20, max 200 vs baseline 60 while CPU"),
        "{}",
        bounds.message
    );
    let fix = bounds.fix.clone().unwrap();
    assert_eq!(
        fix,
        ActionRequest::SetBounds {
            service: orchestrator(),
            min: 20,
            max: 60
        }
    );

    let outcome = exec
        .apply(
            yes(fix),
            ApplyContext::new(&snap)
                .in_runbook("override-revert", "reset-min")
                .with_baseline(&base),
        )
        .await;
    let Outcome::Applied { ledger, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        *ledger,
        LedgerChange::Nothing,
        "a restore is not an override"
    );
    assert!(exec.ledger().entries().unwrap().is_empty());

    let after = snapshot(&fleet, 30);
    assert_eq!(
        after.service(&orchestrator()).unwrap().bounds(),
        Some((20, 60))
    );
    assert!(
        baseline::drift(&base, &after)
            .iter()
            .all(|d| !(d.service == orchestrator() && d.field == "bounds"))
    );
}

#[tokio::test]
async fn event_override_goes_overdue_and_reverts_through_the_executor() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = sim("calm");
    let exec = executor(&fleet, dir.path());
    let snap = snapshot(&fleet, 0);
    let raise = ActionRequest::SetBounds {
        service: orchestrator(),
        min: 100,
        max: 200,
    };
    let Outcome::Applied {
        ledger: LedgerChange::Recorded(entry),
        ..
    } = exec.apply(yes(raise), ApplyContext::new(&snap)).await
    else {
        panic!("the event override is recorded")
    };
    assert!(
        exec.ledger()
            .overdue(snap.taken_at + Duration::hours(23))
            .unwrap()
            .is_empty()
    );
    let overdue = exec
        .ledger()
        .overdue(snap.taken_at + Duration::hours(24))
        .unwrap();
    assert_eq!(overdue[0].id, entry.id);

    let later = snapshot(&fleet, 120);
    assert_eq!(
        later.service(&orchestrator()).unwrap().bounds(),
        Some((100, 200))
    );
    let undo = exec.revert_request(&entry.id).unwrap();
    let outcome = exec
        .revert(&entry.id, yes(undo), ApplyContext::new(&later))
        .await;
    assert!(outcome.is_applied(), "{outcome:?}");
    let reverted = snapshot(&fleet, 30);
    assert_eq!(
        reverted.service(&orchestrator()).unwrap().bounds(),
        Some((20, 60))
    );
    assert!(exec.ledger().active().unwrap().is_empty());
}
