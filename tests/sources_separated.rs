//! Sources are separated: an override applied on the simulator is never
//! listed, superseded or reverted by a session on AWS, even when both share a
//! ledger file; entries written before sources were recorded belong to no
//! session; simulator sessions keep their records apart from AWS sessions'.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_mocks::{RuleMode, mock, mock_client};
use chrono::Utc;
use sitrep::action::audit::AuditLog;
use sitrep::action::confirm::{ConfirmInput, ConfirmStep, Confirmation, ConfirmedAction};
use sitrep::action::executor::{ApplyContext, Executor, Outcome};
use sitrep::action::ledger::{Ledger, LedgerChange};
use sitrep::config::{Config, Paths, SimConfig};
use sitrep::model::request::ActionRequest;
use sitrep::model::{FleetSnapshot, ServiceKey, SourceId, SourceInfo};
use sitrep::sim::Simulator;
use sitrep::sim::source::SimWriter;
use sitrep::source::aws::{AwsClients, AwsWriter};

fn yes(request: ActionRequest) -> ConfirmedAction {
    match Confirmation::new(request).handle(ConfirmInput::Char('y')) {
        ConfirmStep::Confirmed(done) => done,
        other => panic!("{other:?}"),
    }
}

fn manga_release() -> Arc<Mutex<Simulator>> {
    let cfg = SimConfig {
        scenario: "manga-release".into(),
        seed: 7,
        speed: 1.0,
    };
    Arc::new(Mutex::new(Simulator::from_config(&cfg).unwrap()))
}

fn snapshot(sim: &Arc<Mutex<Simulator>>) -> FleetSnapshot {
    let mut s = sim.lock().unwrap();
    s.advance(60);
    s.snapshot()
}

fn orchestrator() -> ServiceKey {
    ServiceKey::new("manga-chatbot", "orchestrator")
}

fn prod() -> SourceInfo {
    SourceInfo::Aws {
        account: Some("123456789012".into()),
        profile: Some("prod-admin".into()),
        region: "ap-northeast-1".into(),
        endpoint_url: None,
    }
}

/// The real AWS writer on mocked clients; the returned rule counts the
/// RegisterScalableTarget calls that reach "AWS".
fn aws_executor(
    ledger: &std::path::Path,
    audit: &std::path::Path,
) -> (Executor, aws_smithy_mocks::Rule) {
    use aws_sdk_applicationautoscaling::Client;
    let register = mock!(Client::register_scalable_target).then_output(|| {
        aws_sdk_applicationautoscaling::operation::register_scalable_target::RegisterScalableTargetOutput::builder().build()
    });
    let mut clients = AwsClients::from_clients(
        mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &[]),
        mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            [&register]
        ),
        mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, &[]),
        mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, &[]),
        Duration::from_secs(5),
    );
    clients.source = prod();
    let executor = Executor::new(
        Box::new(AwsWriter::new(&clients)),
        AuditLog::new(audit),
        Ledger::new(ledger, 24.0),
        "sre".into(),
        clients.source.clone(),
    );
    (executor, register)
}

#[tokio::test]
async fn a_simulated_override_is_never_listed_or_reverted_by_an_aws_session() {
    let dir = tempfile::tempdir().unwrap();
    // One ledger file for both, as every session shared before sources were kept.
    let ledger = dir.path().join("ledger.jsonl");
    let audit = dir.path().join("audit.jsonl");

    let sim = manga_release();
    let sim_exec = Executor::new(
        Box::new(SimWriter::new(sim.clone())),
        AuditLog::new(&audit),
        Ledger::new(&ledger, 24.0),
        "sre".into(),
        sim.lock().unwrap().snapshot().source,
    );
    let snap = snapshot(&sim);
    let raise = ActionRequest::SetBounds {
        service: orchestrator(),
        min: 20,
        max: 200,
    };
    let outcome = sim_exec.apply(yes(raise), ApplyContext::new(&snap)).await;
    let Outcome::Applied {
        ledger: LedgerChange::Recorded(entry),
        ..
    } = outcome
    else {
        panic!("{outcome}")
    };
    assert_eq!(
        entry.source,
        Some(SourceId::Sim {
            scenario: "manga-release".into(),
            seed: 7
        })
    );
    assert_eq!(sim_exec.ledger().active().unwrap().len(), 1);
    let sim_revert = sim_exec.revert_request(&entry.id).unwrap();

    let (aws_exec, register) = aws_executor(&ledger, &audit);
    assert!(aws_exec.ledger().active().unwrap().is_empty());
    let later = Utc::now() + chrono::Duration::days(400);
    assert!(aws_exec.ledger().overdue(later).unwrap().is_empty());
    let view = aws_exec.ledger().active_view().unwrap();
    assert!(view.own.is_empty() && view.unknown.is_empty());
    assert_eq!(view.others, 1);
    let refused = aws_exec.revert_request(&entry.id).unwrap_err();
    assert!(
        refused.contains("belongs to SIM manga-release seed 7, not to account 123456789012"),
        "{refused}"
    );
    // Even a confirmed revert does not reach AWS.
    let outcome = aws_exec
        .revert(&entry.id, yes(sim_revert), ApplyContext::new(&snap))
        .await;
    assert!(matches!(outcome, Outcome::NotSent { .. }), "{outcome}");
    assert_eq!(register.num_calls(), 0, "RegisterScalableTarget sent");
    // The simulator's entry is still active for the simulator.
    assert_eq!(sim_exec.ledger().active().unwrap().len(), 1);
    // The same setting overridden on AWS starts its own entry rather than superseding the simulator's.
    let outcome = aws_exec
        .apply(
            yes(ActionRequest::SetBounds {
                service: orchestrator(),
                min: 20,
                max: 120,
            }),
            ApplyContext::new(&snap),
        )
        .await;
    assert!(outcome.is_applied(), "{outcome}");
    assert_eq!(register.num_calls(), 1);
    assert_eq!(sim_exec.ledger().active().unwrap()[0].id, entry.id);
    let aws_active = aws_exec.ledger().active().unwrap();
    assert_eq!(aws_active.len(), 1);
    assert_eq!(aws_active[0].source, Some(prod().id()));
    // Each audit record names its fleet.
    let records = AuditLog::new(&audit).read().unwrap().records;
    assert!(records.iter().all(|r| r.source_id.is_some()));
    assert!(
        records
            .iter()
            .any(|r| r.source_id == Some(prod().id()) && r.source == "prod-admin@ap-northeast-1")
    );
}

#[tokio::test]
async fn an_entry_without_a_source_is_listed_but_never_reverted() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    // An `applied` record as sitrep wrote it before entries carried their source.
    std::fs::write(
        &ledger,
        concat!(
            r#"{"record":"applied","id":"20261120T110000Z-1","service":{"cluster":"manga-chatbot","service":"orchestrator"},"#,
            r#""target":"manga-chatbot/orchestrator","request":{"action":"autoscaling.set_bounds","service":{"cluster":"manga-chatbot","service":"orchestrator"},"min":20,"max":200},"#,
            r#""applied_at":"2026-11-20T11:00:00Z","revert":{"kind":"request","request":{"action":"autoscaling.set_bounds","service":{"cluster":"manga-chatbot","service":"orchestrator"},"min":20,"max":50}},"#,
            r#""revert_by":"2026-11-21T11:00:00Z","iac":null,"operator":"sre","runbook":null,"state":{"state":"active"}}"#,
            "\n"
        ),
    )
    .unwrap();
    let (aws_exec, register) = aws_executor(&ledger, &dir.path().join("audit.jsonl"));
    let view = aws_exec.ledger().active_view().unwrap();
    assert!(view.problems.is_empty(), "{:?}", view.problems);
    assert_eq!(view.unknown.len(), 1, "listed, with a warning");
    assert!(view.own.is_empty());
    assert!(aws_exec.ledger().active().unwrap().is_empty());
    let refused = aws_exec.revert_request("20261120T110000Z-1").unwrap_err();
    assert!(refused.contains("recorded without its source"), "{refused}");
    let snap = snapshot(&manga_release());
    let outcome = aws_exec
        .revert(
            "20261120T110000Z-1",
            yes(ActionRequest::SetBounds {
                service: orchestrator(),
                min: 20,
                max: 50,
            }),
            ApplyContext::new(&snap),
        )
        .await;
    assert!(matches!(outcome, Outcome::NotSent { .. }), "{outcome}");
    assert_eq!(register.num_calls(), 0);
}

#[test]
fn aws_identity_is_the_account_when_known_else_the_profile() {
    let aws = |account: Option<&str>, profile: Option<&str>, region: &str| SourceId::Aws {
        account: account.map(Into::into),
        profile: profile.map(Into::into),
        region: region.into(),
        endpoint_url: None,
    };
    let prod = aws(Some("111"), Some("prod"), "ap-northeast-1");
    assert!(prod.same_fleet(&aws(Some("111"), Some("prod-admin"), "ap-northeast-1")));
    assert!(!prod.same_fleet(&aws(Some("222"), Some("prod"), "ap-northeast-1")));
    assert!(!prod.same_fleet(&aws(Some("111"), Some("prod"), "us-east-1")));
    assert!(prod.same_fleet(&aws(None, Some("prod"), "ap-northeast-1")));
    assert!(!prod.same_fleet(&aws(None, Some("dev"), "ap-northeast-1")));
    let moto = SourceId::Aws {
        account: Some("111".into()),
        profile: Some("prod".into()),
        region: "ap-northeast-1".into(),
        endpoint_url: Some("http://127.0.0.1:5000".into()),
    };
    assert!(!prod.same_fleet(&moto));
    let sim = SourceId::Sim {
        scenario: "manga-release".into(),
        seed: 7,
    };
    assert!(!sim.same_fleet(&prod) && !prod.same_fleet(&sim));
    assert!(!sim.same_fleet(&SourceId::Sim {
        scenario: "manga-release".into(),
        seed: 8
    }));
}

/// A simulator session (and so a drill) writes `sim/ledger.jsonl` and
/// `sim/audit.jsonl`; AWS sessions keep `ledger.jsonl` and `audit.jsonl`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_sessions_keep_their_own_files() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths {
        config_dir: dir.path().join("config"),
        data_dir: dir.path().join("data"),
    };
    let mut cfg = Config::default();
    cfg.sim.scenario = "manga-release".into();
    let session = sitrep::session::Session::open(&cfg, &paths, &[])
        .await
        .unwrap();
    let executor = session.executor.as_ref().unwrap();
    assert_eq!(executor.ledger().path(), paths.sim_ledger());
    assert_eq!(executor.audit().path(), paths.sim_audit_log());
    assert_eq!(session.audit.path(), paths.sim_audit_log());
    assert_ne!(paths.sim_ledger(), paths.ledger());
    assert_eq!(paths.ledger_for(&prod()), paths.ledger());
    assert_eq!(paths.audit_log_for(&prod()), paths.audit_log());
    assert!(matches!(
        executor.ledger().source(),
        Some(SourceId::Sim { scenario, .. }) if scenario == "manga-release"
    ));

    cfg.read_only = true;
    let read_only = sitrep::session::Session::open(&cfg, &paths, &[])
        .await
        .unwrap();
    assert!(read_only.executor.is_none());
    assert_eq!(read_only.audit.path(), paths.sim_audit_log());
}
