//! `sitrep audit` on a temporary data dir, through the real binary.

use crate::common;

use std::io::Write;
use std::process::Command;

use common::{Rig, confirm, fleet, orchestrator, phase};
use sitrep::action::audit::{AuditEntry, AuditLog, AuditRecord};
use sitrep::action::executor::ApplyContext;
use sitrep::model::request::ActionRequest;

fn sitrep(data_dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(args)
        .env("SITREP_DATA_DIR", data_dir)
        .env("SITREP_CONFIG_DIR", data_dir.join("config"))
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A data dir with one applied override, one refusal and one walk step.
async fn populated() -> Rig {
    let rig = Rig::new(Ok("MinCapacity 100, MaxCapacity 200".into()));
    let snap = fleet();
    let ctx = ApplyContext::new(&snap).in_runbook("ecs-saturation", "raise-max");
    let bounds = ActionRequest::SetBounds {
        service: orchestrator(),
        min: 100,
        max: 200,
    };
    assert!(
        rig.executor
            .apply(confirm(bounds.clone()), ctx)
            .await
            .is_applied()
    );
    let too_many = ActionRequest::SetDesiredCount {
        service: orchestrator(),
        desired: 500,
    };
    rig.executor.apply(confirm(too_many), ctx).await;
    AuditLog::new(rig.data_dir().join("data/audit.jsonl"))
        .append(&AuditRecord::new(
            snap.taken_at,
            "sre-test",
            Some(&snap.source),
            Some("ecs-saturation"),
            Some("wait-fargate"),
            AuditEntry::StepTicked {
                step: "told #incident the fleet is scaling".into(),
                command: None,
            },
        ))
        .unwrap();
    assert_eq!(
        rig.audit().iter().map(phase).collect::<Vec<_>>(),
        ["intent", "result", "refused", "step_ticked"]
    );
    let calls = rig.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].request, bounds);
    assert!(
        calls[0]
            .last_audit
            .as_ref()
            .is_some_and(|r| phase(r) == "intent")
    );
    rig
}

#[tokio::test]
async fn audit_prints_a_table_of_applies_refusals_and_steps() {
    let rig = populated().await;
    let (ok, stdout, stderr) = sitrep(&rig.data_dir().join("data"), &["audit"]);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    for column in [
        "TIME (UTC)",
        "OPERATOR",
        "RUNBOOK/NODE",
        "ACTION",
        "TARGET",
        "OUTCOME",
        "REVERT",
    ] {
        assert!(lines[0].contains(column), "{}", lines[0]);
    }
    assert!(lines[1].contains("sre-test"), "{}", lines[1]);
    assert!(
        lines[1].contains("ecs-saturation/raise-max"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("autoscaling.set_bounds"), "{}", lines[1]);
    assert!(lines[1].contains("manga/orchestrator"), "{}", lines[1]);
    assert!(
        lines[1].contains("ok: MinCapacity 100, MaxCapacity 200 (ledger "),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].ends_with("autoscaling.set_bounds min 10 max 50"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("refused: desired 500 > max 50: raise max first"),
        "{}",
        lines[2]
    );
    assert!(lines[3].contains("step_ticked"), "{}", lines[3]);
    assert!(lines[3].contains("told #incident"), "{}", lines[3]);
}

#[tokio::test]
async fn audit_json_prints_every_record_and_survives_a_torn_line() {
    let rig = populated().await;
    let data = rig.data_dir().join("data");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("audit.jsonl"))
        .unwrap();
    f.write_all(br#"{"time":"2026-11-21T14:"#).unwrap();
    let (ok, stdout, stderr) = sitrep(&data, &["audit", "--json"]);
    assert!(ok, "{stderr}");
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let phases: Vec<&str> = records
        .iter()
        .map(|r| r["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["intent", "result", "refused", "step_ticked"]);
    assert_eq!(records[0]["request"]["action"], "autoscaling.set_bounds");
    assert_eq!(
        records[0]["api_call"]["operation"],
        "application-autoscaling:RegisterScalableTarget"
    );
    assert!(stderr.contains("audit.jsonl:5: torn last line"), "{stderr}");
}

#[test]
fn audit_on_an_empty_data_dir_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stdout, _) = sitrep(dir.path(), &["audit"]);
    assert!(ok);
    assert!(stdout.starts_with("no audit records in "), "{stdout}");
}

/// One line that is not UTF-8 and one that is not a record cost only their own
/// lines: each is a `path:line:` warning on stderr, every other record prints.
#[test]
fn audit_names_bad_lines_and_shows_every_other_record() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/records/audit_bad_lines.jsonl");
    std::fs::copy(&fixture, dir.path().join("audit.jsonl")).unwrap();
    let (ok, stdout, stderr) = sitrep(dir.path(), &["audit", "--json"]);
    assert!(ok, "{stderr}");
    let phases: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["phase"].to_string())
        .collect();
    assert_eq!(
        phases,
        [r#""node_entered""#, r#""refused""#, r#""step_ticked""#]
    );
    let path = dir.path().join("audit.jsonl");
    assert!(
        stderr.contains(&format!(
            "warning: {}:2: not UTF-8 (invalid byte at column 44), line skipped",
            path.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("warning: {}:4: not a record (", path.display())),
        "{stderr}"
    );
    let (ok, stdout, stderr) = sitrep(dir.path(), &["audit"]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    assert!(stdout.contains("told #incident"), "{stdout}");
}

/// Simulator sessions and drills write `sim/audit.jsonl`: `sitrep audit`
/// shows the AWS sessions' log, `--sim` the simulator's.
#[test]
fn audit_sim_reads_the_simulator_log() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/records/audit_bad_lines.jsonl");
    std::fs::create_dir_all(dir.path().join("sim")).unwrap();
    std::fs::copy(&fixture, dir.path().join("sim/audit.jsonl")).unwrap();
    let (ok, stdout, _) = sitrep(dir.path(), &["audit"]);
    assert!(ok);
    assert!(stdout.starts_with("no audit records in "), "{stdout}");
    let (ok, stdout, stderr) = sitrep(dir.path(), &["audit", "--sim", "--json"]);
    assert!(ok, "{stderr}");
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(stderr.contains("sim/audit.jsonl:2: not UTF-8"), "{stderr}");
}
