//! The executor against a recording fake writer: audit, ledger, guards, revert.

use crate::common;

use chrono::Duration;
use common::{Rig, confirm, fleet, orchestrator, phase};
use sitrep::action::audit::{AuditEntry, AuditLog, AuditOutcome};
use sitrep::action::confirm::{ConfirmedAction, ConfirmedBy};
use sitrep::action::executor::{ApplyContext, Executor, Outcome};
use sitrep::action::ledger::{EntryState, Ledger, LedgerChange};
use sitrep::action::revert::Revert;
use sitrep::model::ServiceKey;
use sitrep::model::request::ActionRequest;
use sitrep::model::request::{WriteError, WriteErrorKind};
use sitrep::source::FleetWriter;

fn raise_bounds() -> ActionRequest {
    ActionRequest::SetBounds {
        service: orchestrator(),
        min: 100,
        max: 200,
    }
}

/// `raise_bounds()`, confirmed, applied against the fixture fleet outside any runbook.
async fn apply_raise(rig: &Rig) -> Outcome {
    rig.executor
        .apply(confirm(raise_bounds()), ApplyContext::new(&fleet()))
        .await
}

#[tokio::test]
async fn apply_audits_intent_before_the_call_and_result_after() {
    let rig = Rig::new(Ok("RegisterScalableTarget ok".into()));
    let snap = fleet();
    let outcome = rig
        .executor
        .apply(
            confirm(raise_bounds()),
            ApplyContext::new(&snap).in_runbook("override-revert", "raise"),
        )
        .await;
    let Outcome::Applied {
        summary,
        revert,
        ledger: LedgerChange::Recorded(entry),
        warnings,
    } = outcome
    else {
        panic!("not applied with a ledger entry: {outcome:?}")
    };
    assert_eq!(summary, "RegisterScalableTarget ok");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        Outcome::Applied {
            summary: summary.clone(),
            revert: revert.clone(),
            ledger: LedgerChange::Recorded(entry.clone()),
            warnings: vec![],
        }
        .to_string(),
        format!(
            "applied: RegisterScalableTarget ok; override {} recorded, revert by 2026-11-22 14:00 UTC; \
             revert: autoscaling.set_bounds min 10 max 50",
            entry.id
        )
    );

    // The writer ran once, and at that moment the intent was already on disk.
    let calls = rig.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].request, raise_bounds());
    let on_disk = calls[0]
        .last_audit
        .as_ref()
        .expect("intent fsync'd before the call");
    assert_eq!(phase(on_disk), "intent");

    let audit = rig.audit();
    assert_eq!(
        audit.iter().map(phase).collect::<Vec<_>>(),
        ["intent", "result"]
    );
    let AuditEntry::Intent {
        apply_id,
        api_call,
        changes,
        confirmed_by,
        ..
    } = &audit[0].entry
    else {
        unreachable!()
    };
    assert_eq!(
        api_call.operation,
        "application-autoscaling:RegisterScalableTarget"
    );
    assert_eq!(*confirmed_by, ConfirmedBy::Yes);
    assert_eq!(changes[0].before, "10");
    assert_eq!(changes[0].after, "100");
    let AuditEntry::Result {
        apply_id: result_id,
        outcome: AuditOutcome::Ok { .. },
        ledger_id,
        ..
    } = &audit[1].entry
    else {
        panic!("result not ok: {:?}", audit[1])
    };
    assert_eq!(apply_id, result_id);
    assert_eq!(ledger_id.as_deref(), Some(entry.id.as_str()));
    assert_eq!(audit[0].operator, "sre-test");
    assert_eq!(audit[0].source, "SIM calm");
    assert_eq!(audit[0].runbook.as_deref(), Some("override-revert"));
    assert_eq!(audit[0].data_time, snap.taken_at);

    // The revert is the state before, due 24 h (data time) later.
    let undo = ActionRequest::SetBounds {
        service: orchestrator(),
        min: 10,
        max: 50,
    };
    assert_eq!(
        revert,
        Some(Revert::Request {
            request: undo.clone()
        })
    );
    assert_eq!(entry.revert.request(), Some(&undo));
    assert_eq!(entry.revert_by, snap.taken_at + Duration::hours(24));
    let ledger = rig.executor.ledger();
    assert_eq!(ledger.active().unwrap().len(), 1);
    assert_eq!(
        ledger.overdue(snap.taken_at + Duration::hours(25)).unwrap()[0].id,
        entry.id
    );
}

#[tokio::test]
async fn writer_error_is_audited_and_leaves_no_ledger_entry() {
    let rig = Rig::new(Err(WriteError::new(
        WriteErrorKind::Denied,
        "not authorized; key AKIAIOSFODNN7EXAMPLE",
    )));
    let outcome = apply_raise(&rig).await;
    assert!(
        matches!(outcome, Outcome::Failed { ref error } if error.kind == WriteErrorKind::Denied)
    );
    assert_eq!(rig.calls().len(), 1);
    let audit = rig.audit();
    assert_eq!(
        audit.iter().map(phase).collect::<Vec<_>>(),
        ["intent", "result"]
    );
    let AuditEntry::Result {
        outcome: AuditOutcome::Error { kind, message },
        ledger_id: None,
        ..
    } = &audit[1].entry
    else {
        panic!("{:?}", audit[1])
    };
    assert_eq!(*kind, WriteErrorKind::Denied);
    assert_eq!(
        message, "not authorized; key AKIA****",
        "credentials never reach the log"
    );
    assert!(rig.executor.ledger().entries().unwrap().is_empty());
}

#[tokio::test]
async fn guard_failure_never_reaches_the_writer() {
    let rig = Rig::new(Ok("ok".into()));
    let snap = fleet();
    let request = ActionRequest::SetDesiredCount {
        service: orchestrator(),
        desired: 120,
    };
    let outcome = rig
        .executor
        .apply(confirm(request), ApplyContext::new(&snap))
        .await;
    assert!(
        outcome
            .to_string()
            .starts_with("refused: desired 120 > max 50"),
        "{outcome}"
    );
    let Outcome::Refused { guards } = outcome else {
        panic!("{outcome:?}")
    };
    let failed = guards.iter().find(|g| !g.ok).unwrap();
    assert!(
        failed
            .message
            .starts_with("desired 120 > max 50: raise max first")
    );
    assert_eq!(
        failed.fix,
        Some(ActionRequest::SetBounds {
            service: orchestrator(),
            min: 10,
            max: 120
        })
    );
    assert!(rig.calls().is_empty());
    assert_eq!(
        rig.audit().iter().map(phase).collect::<Vec<_>>(),
        ["refused"]
    );
}

#[tokio::test]
async fn stale_data_at_apply_time_is_refused() {
    let rig = Rig::new(Ok("ok".into()));
    let snap = fleet();
    let ctx = ApplyContext::new(&snap).at(snap.taken_at + Duration::minutes(10));
    let outcome = rig.executor.apply(confirm(raise_bounds()), ctx).await;
    assert!(matches!(outcome, Outcome::Refused { .. }), "{outcome:?}");
    assert!(rig.calls().is_empty());
}

#[tokio::test]
async fn revert_applies_the_recorded_revert_and_closes_the_entry() {
    let rig = Rig::new(Ok("ok".into()));
    let Outcome::Applied {
        ledger: LedgerChange::Recorded(entry),
        ..
    } = apply_raise(&rig).await
    else {
        panic!("not applied")
    };
    // A snapshot after the override: live bounds are 100/200.
    let mut later = fleet();
    later.taken_at += Duration::hours(30);
    for part in later.parts.values_mut() {
        part.fetched_at = Some(later.taken_at);
    }
    let t = later.services[0].scaling.as_mut().unwrap();
    (t.min, t.max) = (100, 200);

    // The wrong request is not accepted as the revert.
    let wrong = confirm(ActionRequest::SetBounds {
        service: orchestrator(),
        min: 1,
        max: 2,
    });
    let outcome = rig
        .executor
        .revert(&entry.id, wrong, ApplyContext::new(&later))
        .await;
    assert!(matches!(outcome, Outcome::NotSent { .. }), "{outcome:?}");
    assert_eq!(rig.calls().len(), 1);

    let undo = rig.executor.revert_request(&entry.id).unwrap();
    let outcome = rig
        .executor
        .revert(&entry.id, confirm(undo.clone()), ApplyContext::new(&later))
        .await;
    let Outcome::Applied {
        ledger: LedgerChange::Closed(ids),
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(ids, vec![entry.id.clone()]);
    assert_eq!(rig.calls()[1].request, undo);
    let closed = rig.executor.ledger().find(&entry.id).unwrap().unwrap();
    assert!(matches!(closed.state, EntryState::Reverted { .. }));
    assert!(rig.executor.ledger().active().unwrap().is_empty());
    let audit = rig.audit();
    assert_eq!(
        audit.iter().map(phase).collect::<Vec<_>>(),
        ["intent", "result", "intent", "result"]
    );
    let AuditEntry::Intent { reverts_entry, .. } = &audit[2].entry else {
        unreachable!()
    };
    assert_eq!(reverts_entry.as_deref(), Some(entry.id.as_str()));
    // Reverting again is refused: the entry is closed.
    assert!(rig.executor.revert_request(&entry.id).is_err());
}

#[tokio::test]
async fn iac_owned_service_ledger_entry_says_land_it_in_code() {
    let rig = Rig::new(Ok("ok".into()));
    let snap = fleet();
    let request = ActionRequest::SetDesiredCount {
        service: ServiceKey::new("manga", "search-api"),
        desired: 9,
    };
    let Outcome::Applied {
        ledger: LedgerChange::Recorded(entry),
        ..
    } = rig
        .executor
        .apply(confirm(request), ApplyContext::new(&snap))
        .await
    else {
        panic!("not applied")
    };
    assert_eq!(
        entry.iac.as_deref(),
        Some(
            "managed by aws:cloudformation:stack-name=manga-search: \
             the change must also land in the code"
        )
    );
}

#[tokio::test]
async fn unwritable_audit_log_means_nothing_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    // The audit path is a directory: the intent cannot be appended.
    std::fs::create_dir_all(dir.path().join("data/audit.jsonl")).unwrap();
    let rig = Rig::in_dir(dir, Ok("ok".into()));
    let outcome = apply_raise(&rig).await;
    assert!(
        matches!(outcome, Outcome::NotSent { ref reason } if reason.contains("nothing was sent")),
        "{outcome:?}"
    );
    assert!(rig.calls().is_empty());
    assert!(rig.data_dir().join("data/audit.jsonl").is_dir());
}

#[tokio::test]
async fn auto_flag_approval_is_recorded_as_such() {
    let rig = Rig::new(Ok("ok".into()));
    let snap = fleet();
    let action = ConfirmedAction::approved_by_auto_flag(ActionRequest::SuspendScaleIn {
        service: orchestrator(),
    });
    assert!(
        rig.executor
            .apply(action, ApplyContext::new(&snap))
            .await
            .is_applied()
    );
    let AuditEntry::Intent { confirmed_by, .. } = &rig.audit()[0].entry else {
        unreachable!()
    };
    assert_eq!(*confirmed_by, ConfirmedBy::AutoFlag);
}

/// Read-only is a property of the types, not a check: `Executor::new` needs a
/// `Box<dyn FleetWriter>`, `apply` needs a `ConfirmedAction`, and a read-only
/// session gets `None` from `for_session` without the writer factory ever
/// running, so no writer value exists anywhere in that process.
#[test]
fn read_only_session_never_builds_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let make_writer =
        || -> Box<dyn FleetWriter> { panic!("a read-only session must not construct a writer") };
    let executor: Option<Executor> = Executor::for_session(
        true,
        make_writer,
        AuditLog::new(dir.path().join("audit.jsonl")),
        Ledger::new(dir.path().join("ledger.jsonl"), 24.0),
        "sre".into(),
        common::fleet().source,
    );
    assert!(executor.is_none());

    let writable = Executor::for_session(
        false,
        || -> Box<dyn FleetWriter> {
            Box::new(common::Recording {
                calls: Default::default(),
                audit_path: dir.path().join("audit.jsonl"),
                answer: Ok("ok".into()),
            })
        },
        AuditLog::new(dir.path().join("audit.jsonl")),
        Ledger::new(dir.path().join("ledger.jsonl"), 24.0),
        "sre".into(),
        common::fleet().source,
    );
    assert!(writable.is_some());
}

/// The ledger records what an override costs (and so what its revert saves),
/// from the same preview the operator confirmed.
#[tokio::test]
async fn the_ledger_records_the_cost_of_a_strategy_switch() {
    let rig = Rig::new(Ok("UpdateService ok".into()));
    let snap = fleet();
    let on_demand = ActionRequest::SetCapacityProviderStrategy {
        service: orchestrator(),
        strategy: vec![sitrep::model::StrategyItem::new(
            sitrep::model::FARGATE,
            1,
            0,
        )],
    };
    let preview = sitrep::action::preview::preview(&on_demand, &snap);
    let cost = preview.cost.expect("a strategy switch has a price");
    // 30 arm64 tasks of 1 vCPU / 2 GB: 7.6 on-demand + 22.4 Spot -> 30 on-demand.
    assert_eq!(cost.to_string(), "$0.57/h -> $1.18/h, +$0.62/h");
    assert!(
        preview
            .to_text()
            .contains("cost: $0.57/h -> $1.18/h, +$0.62/h")
    );
    let outcome = rig
        .executor
        .apply(confirm(on_demand), ApplyContext::new(&snap))
        .await;
    let Outcome::Applied {
        ledger: LedgerChange::Recorded(entry),
        ..
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(entry.cost, Some(cost));
    let stored = rig.executor.ledger().find(&entry.id).unwrap().unwrap();
    assert_eq!(stored.cost, Some(cost));
}
