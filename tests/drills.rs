//! Drills that teach: every shipped scenario with an objective and a runbook
//! is won when its runbook is walked as written and lost when nobody acts,
//! headless, on the default seed.

use sitrep::action::baseline;
use sitrep::config::Config;
use sitrep::drill::judge::Outcome;
use sitrep::drill::play::{Play, PlayResult, play};
use sitrep::runbook::library::Library;
use sitrep::sim::{Simulator, load_scenario, scenario_names};

async fn played(scenario: &str, who: Play) -> PlayResult {
    let cfg = Config::default();
    let sc = load_scenario(scenario).unwrap();
    let lib = Library::load(&cfg);
    let runbook = sc.runbook.as_deref().and_then(|id| lib.get(id).cloned());
    let calm = load_scenario("calm").unwrap();
    let baseline = baseline::capture(&Simulator::new(calm, cfg.sim.seed).snapshot());
    let dir = tempfile::tempdir().unwrap();
    play(&sc, cfg.sim.seed, who, runbook, Some(&baseline), dir.path())
        .await
        .unwrap()
}

async fn won_by_its_runbook_and_lost_by_nobody(scenario: &str) {
    let par = played(scenario, Play::Runbook).await;
    assert_eq!(
        par.verdict.outcome,
        Outcome::Won,
        "{scenario}: {:?}",
        par.verdict
    );
    assert!(par.verdict.mitigated_after.is_some());
    assert!(
        !par.score.actions.is_empty(),
        "{scenario}: the runbook acted"
    );
    let idle = played(scenario, Play::Idle).await;
    assert_eq!(
        idle.verdict.outcome,
        Outcome::Lost,
        "{scenario}: {:?}",
        idle.verdict
    );
    assert!(
        idle.verdict.why.starts_with("time limit"),
        "{}",
        idle.verdict.why
    );
    assert!(idle.score.actions.is_empty());
}

#[tokio::test]
async fn manga_release() {
    won_by_its_runbook_and_lost_by_nobody("manga-release").await;
}

#[tokio::test]
async fn spot_cascade() {
    won_by_its_runbook_and_lost_by_nobody("spot-cascade").await;
}

#[tokio::test]
async fn override_left_behind() {
    won_by_its_runbook_and_lost_by_nobody("override-left-behind").await;
}

#[tokio::test]
async fn cache_noeviction() {
    won_by_its_runbook_and_lost_by_nobody("cache-noeviction").await;
}

#[tokio::test]
async fn image_missing() {
    won_by_its_runbook_and_lost_by_nobody("image-missing").await;
}

#[tokio::test]
async fn scale_in_stuck() {
    won_by_its_runbook_and_lost_by_nobody("scale-in-stuck").await;
}

#[tokio::test]
async fn release_prewarm() {
    won_by_its_runbook_and_lost_by_nobody("release-prewarm").await;
}

#[tokio::test]
async fn dynamodb_throttling() {
    won_by_its_runbook_and_lost_by_nobody("dynamodb-throttling").await;
}

#[tokio::test]
async fn opensearch_lag() {
    won_by_its_runbook_and_lost_by_nobody("opensearch-lag").await;
}

#[tokio::test]
async fn p95_latency() {
    won_by_its_runbook_and_lost_by_nobody("p95-latency").await;
}

#[tokio::test]
async fn right_size() {
    won_by_its_runbook_and_lost_by_nobody("right-size").await;
}

/// Where sitrep has no action for the fix, the runbook's step names the
/// command; ticked, it is in the score's actions, and the simulator plays it.
#[tokio::test]
async fn a_ticked_command_is_an_action_and_the_simulator_plays_it() {
    let par = played("dynamodb-throttling", Play::Runbook).await;
    let ran = &par.score.actions;
    assert!(
        ran.iter().any(|a| a.contains(
            "aws dynamodb update-table --table-name manga-sessions --provisioned-throughput"
        )),
        "{ran:?}"
    );
    assert!(
        par.steps
            .iter()
            .any(|s| s.contains("ran: aws dynamodb update-table")),
        "{:?}",
        par.steps
    );
    // At least ten drills, each with its runbook.
    let drills = scenario_names()
        .into_iter()
        .filter(|n| load_scenario(n).unwrap().objective.is_some())
        .count();
    assert!(drills >= 10, "{drills}");
}

/// A scenario that names a runbook is a drill: it states what winning means.
#[test]
fn every_scenario_naming_a_runbook_has_an_objective() {
    for name in scenario_names() {
        let sc = load_scenario(name).unwrap();
        assert_eq!(sc.runbook.is_some(), sc.objective.is_some(), "{name}");
    }
}

#[test]
fn every_drill_is_tested_here() {
    let drills: Vec<&str> = scenario_names()
        .into_iter()
        .filter(|n| load_scenario(n).unwrap().objective.is_some())
        .collect();
    assert_eq!(
        drills,
        [
            "manga-release",
            "spot-cascade",
            "override-left-behind",
            "cache-noeviction",
            "image-missing",
            "scale-in-stuck",
            "release-prewarm",
            "dynamodb-throttling",
            "opensearch-lag",
            "p95-latency",
            "right-size"
        ]
    );
}

#[test]
fn headless_json_and_list_speak_for_scripts() {
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
            .args(args)
            .env("SITREP_DATA_DIR", data.path())
            .env("SITREP_CONFIG_DIR", data.path().join("config"))
            .output()
            .unwrap()
    };
    let out = run(&["drill", "--list"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("spot-cascade           runbook spot-cascade"),
        "{text}"
    );
    assert!(
        text.contains("bad-image              (not a drill"),
        "{text}"
    );

    let out = run(&[
        "drill",
        "override-left-behind",
        "--headless",
        "--play",
        "idle",
        "--json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["scenario"], "override-left-behind");
    assert_eq!(json["verdict"], "lost");
    assert_eq!(json["play"], "idle");
    assert_eq!(json["par"]["verdict"], "won");
    for field in [
        "score",
        "minutes_over_sla",
        "time_to_mitigate_s",
        "spent_usd",
        "actions",
    ] {
        assert!(json.get(field).is_some(), "{field} in {json}");
    }
    assert!(
        json["score"].as_u64().unwrap() <= 40,
        "a lost drill scores at most 40"
    );
}

/// The rollback is real in the simulator: an unknown revision is refused the
/// way ECS refuses it, and the last one that ran starts tasks again.
#[test]
fn a_rollback_to_the_last_revision_that_ran_starts_tasks_again() {
    use sitrep::model::ServiceKey;
    use sitrep::model::request::ActionRequest;

    let mut sim = Simulator::new(load_scenario("image-missing").unwrap(), 7);
    sim.advance(8 * 60);
    let key = ServiceKey::new("manga-chatbot", "worker");
    let snap = sim.snapshot();
    let worker = snap.service(&key).unwrap();
    assert_eq!(worker.task_definition.as_deref(), Some("worker:2"));
    assert_eq!(worker.previous_task_definition.as_deref(), Some("worker:1"));
    assert_eq!(worker.deployment.state(), "in_progress");

    let unknown = ActionRequest::SetTaskDefinition {
        service: key.clone(),
        task_definition: "worker:9".into(),
    };
    let err = sim.apply(&unknown).unwrap_err();
    assert!(err.message.contains("TaskDefinition not found"), "{err:?}");

    let rollback = ActionRequest::SetTaskDefinition {
        service: key.clone(),
        task_definition: "worker:1".into(),
    };
    assert_eq!(
        sim.apply(&rollback).unwrap(),
        "taskDefinition worker:2 -> worker:1"
    );
    sim.advance(15 * 60);
    let worker = sim.snapshot().service(&key).cloned().unwrap();
    assert_eq!(worker.task_definition.as_deref(), Some("worker:1"));
    assert_eq!(worker.deployment.state(), "stable");
    assert!(worker.running >= worker.desired, "{worker:?}");
}
