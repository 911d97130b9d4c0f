//! Headless walks against the simulator, with the proposed actions applied
//! through the executor: each seed scenario recovers within a stated time.

use std::sync::{Arc, Mutex};

use sitrep::action::audit::AuditLog;
use sitrep::action::baseline;
use sitrep::action::executor::Executor;
use sitrep::action::ledger::Ledger;
use sitrep::config::Config;
use sitrep::headless::{Ending, Mode, RunOptions, RunReport, run};
use sitrep::model::FleetSnapshot;
use sitrep::runbook::library::Library;
use sitrep::runbook::model::Runbook;
use sitrep::sim::source::SimWriter;
use sitrep::sim::{Simulator, load_scenario};

fn simulator(scenario: &str) -> Simulator {
    Simulator::new(load_scenario(scenario).unwrap(), Config::default().sim.seed)
}

async fn walk(id: &str, scenario: &str, mode: Mode, minutes: u32) -> (RunReport, Vec<String>) {
    let lib = Library::load(&Config::default());
    walk_runbook(lib.get(id).unwrap().clone(), scenario, mode, minutes).await
}

async fn walk_runbook(
    runbook: Arc<Runbook>,
    scenario: &str,
    mode: Mode,
    minutes: u32,
) -> (RunReport, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let fleet = Arc::new(Mutex::new(simulator(scenario)));
    let executor = Executor::new(
        Box::new(SimWriter::new(fleet.clone())),
        AuditLog::new(dir.path().join("audit.jsonl")),
        Ledger::new(dir.path().join("ledger.jsonl"), 24.0),
        "runbook-run".into(),
        fleet.lock().unwrap().snapshot().source,
    );
    let opts = RunOptions {
        runbook,
        fleet,
        executor: Some(executor),
        mode,
        minutes,
        baseline: Some(baseline::capture(&simulator("calm").snapshot())),
    };
    let mut lines = Vec::new();
    let report = run(opts, &mut |l| lines.push(l)).await;
    (report, lines)
}

fn orchestrator(snap: &FleetSnapshot) -> &sitrep::model::Service {
    snap.services
        .iter()
        .find(|s| s.key.service == "orchestrator")
        .unwrap()
}

/// The first value the walk showed for this evidence (`expr = value`).
fn logged(lines: &[String], evidence: &str) -> u64 {
    let line = lines
        .iter()
        .find_map(|l| l.split_once(evidence))
        .unwrap_or_else(|| panic!("no `{evidence}` in {lines:#?}"));
    let value: String = line.1.chars().take_while(char::is_ascii_digit).collect();
    value
        .parse()
        .unwrap_or_else(|_| panic!("{evidence}{}", line.1))
}

fn ids(report: &RunReport) -> Vec<&'static str> {
    report.applied.iter().map(|r| r.id()).collect()
}

/// Desired is the immediate need computed from the fleet, not the seed's
/// literal 120: at the trigger CPU is pinned at 100 %, so the load is read
/// from requests per minute (per task at the last unsaturated sample) and
/// projected 15 minutes ahead on its trend (the event's ramp): 121 tasks,
/// about the seed's figure. The final fleet settles near it (~112).
#[tokio::test]
async fn manga_release_recovers_with_max_200_and_desired_120() {
    let (report, lines) = walk("ecs-saturation", "manga-release", Mode::Auto, 90).await;
    assert!(matches!(report.ending, Ending::Done(_)), "{lines:#?}");
    assert_eq!(
        ids(&report),
        ["autoscaling.set_bounds", "ecs.set_desired_count"]
    );
    assert!(
        lines.iter().any(|l| l.contains("max 50 -> 200")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("desiredCount 29 -> 121")),
        "{lines:#?}"
    );
    // Triggered by the 2-minute alarm, resolved after 30 quiet minutes.
    let t = report.triggered_at_min.unwrap();
    assert!((4.0..10.0).contains(&t), "triggered at {t}");
    assert!(
        report.ended_at_min < 45.0,
        "ended at {}",
        report.ended_at_min
    );
    let svc = orchestrator(&report.last);
    assert_eq!(svc.bounds().map(|b| b.1), Some(200));
    assert!(svc.metrics.p95_ms.unwrap() < 2000.0);
}

/// New worker tasks cannot pull their image: ecs-saturation adds no capacity,
/// waits for the fix, and escalates with the stop reason.
#[tokio::test]
async fn bad_image_raises_no_capacity_and_escalates_with_the_stop_reason() {
    let (report, lines) = walk("ecs-saturation", "bad-image", Mode::Auto, 90).await;
    assert!(
        report.applied.is_empty(),
        "{:?}\n{lines:#?}",
        report.applied
    );
    let Ending::Escalated(text) = &report.ending else {
        panic!("{:?}\n{lines:#?}", report.ending);
    };
    assert!(text.contains("CannotPullContainerError"), "{text}");
    assert!(text.contains("No capacity was added"), "{text}");
    // The pull errors the simulator logs are counted for the walk.
    let pulls = logged(&lines, "log_matches('CannotPullContainerError', 10.0) = ");
    assert!(pulls > 0, "{lines:#?}");
    assert!(report.path.contains(&"image-fixed".to_string()));
    for node in ["raise-max", "set-desired"] {
        assert!(
            !report.path.contains(&node.to_string()),
            "{:?}",
            report.path
        );
    }
    let worker = report
        .last
        .services
        .iter()
        .find(|s| s.key.service == "worker")
        .unwrap();
    assert_eq!(worker.bounds().map(|b| b.1), Some(20), "max untouched");
}

#[tokio::test]
async fn spot_cascade_falls_back_to_on_demand_after_15_minutes() {
    let (report, lines) = walk("spot-cascade", "spot-cascade", Mode::Auto, 60).await;
    assert!(matches!(report.ending, Ending::Done(_)), "{lines:#?}");
    let sigterms = logged(&lines, "log_matches('SIGTERM', 10.0) = ");
    assert!(sigterms > 0, "{lines:#?}");
    assert_eq!(ids(&report), ["ecs.set_capacity_provider_strategy"]);
    assert!(report.path.contains(&"sustained".to_string()));
    assert!(
        report.ended_at_min < 35.0,
        "ended at {}",
        report.ended_at_min
    );
    let svc = orchestrator(&report.last);
    assert_eq!(svc.running_mix.spot, 0);
    assert_eq!(svc.strategy.len(), 1);
    assert_eq!(svc.strategy[0].provider, "FARGATE");
}

#[tokio::test]
async fn override_left_behind_goes_back_to_baseline() {
    let (report, lines) = walk("override-revert", "override-left-behind", Mode::Auto, 90).await;
    assert!(matches!(report.ending, Ending::Done(_)), "{lines:#?}");
    assert_eq!(ids(&report), ["autoscaling.set_bounds"]);
    assert!(report.triggered_at_min.unwrap() < 1.0);
    assert!(
        report.ended_at_min < 30.0,
        "ended at {}",
        report.ended_at_min
    );
    let svc = orchestrator(&report.last);
    assert_eq!(svc.bounds(), Some((20, 60)), "the calm baseline");
    assert!(svc.desired <= 50, "desired {}", svc.desired);
}

#[tokio::test]
async fn cache_noeviction_switches_to_allkeys_lfu() {
    let (report, lines) = walk("cache-memory", "cache-noeviction", Mode::Auto, 60).await;
    assert!(matches!(report.ending, Ending::Done(_)), "{lines:#?}");
    assert_eq!(ids(&report), ["elasticache.set_maxmemory_policy"]);
    assert!(
        report.ended_at_min < 15.0,
        "ended at {}",
        report.ended_at_min
    );
    let cache = &report.last.caches[0];
    assert_eq!(cache.maxmemory_policy.as_deref(), Some("allkeys-lfu"));
    assert!(cache.memory_pct.unwrap() < 95.0);
    // Acted before the 75 % alarm: the memory was on course for it.
    let alert = lines
        .iter()
        .find(|l| l.contains("? How full is the cache"))
        .expect("the alert check");
    assert!(alert.contains("-> rising"), "{alert}");
    assert!(
        alert.contains("eta_above('cache_memory', 85.0) = "),
        "{alert}"
    );
    assert!(logged(&lines, "cache.memory_pct = ") < 75, "{alert}");
}

#[tokio::test]
async fn release_prewarm_schedules_min_100_and_the_scale_back() {
    let (report, lines) = walk("scheduled-prewarm", "release-prewarm", Mode::Auto, 90).await;
    assert!(matches!(report.ending, Ending::Done(_)), "{lines:#?}");
    assert_eq!(
        ids(&report),
        [
            "autoscaling.set_bounds",
            "autoscaling.put_scheduled_action",
            "autoscaling.put_scheduled_action"
        ]
    );
    let svc = orchestrator(&report.last);
    let scaling = svc.scaling.as_ref().unwrap();
    assert_eq!(scaling.max, 200, "room for min 100");
    let prewarm = scaling
        .scheduled
        .iter()
        .find(|a| a.name == "prewarm-event")
        .expect("the pre-warm is scheduled");
    // 30 minutes before the 20:00 JST release.
    assert_eq!(prewarm.schedule, "at(2026-11-27T10:30:00)");
    assert_eq!(prewarm.min, Some(100));
    assert!(
        scaling
            .scheduled
            .iter()
            .any(|a| a.name == "prewarm-event-end")
    );
    // The scale-back restores the bounds before the walk, max included.
    let back = scaling
        .scheduled
        .iter()
        .find(|a| a.name == "prewarm-event-end")
        .unwrap();
    assert_eq!((back.min, back.max), (Some(20), Some(60)));
    // The revert shown is the one the ledger keeps.
    assert!(
        lines.iter().any(|l| l.ends_with(
            "revert: manual: delete scheduled action prewarm-event of service/manga-chatbot/orchestrator (DeleteScheduledAction) (recorded by the executor)"
        )),
        "{lines:#?}"
    );
}

#[tokio::test]
async fn dry_run_walks_without_applying_and_walk_stops_at_the_first_action() {
    let (report, lines) = walk("cache-memory", "cache-noeviction", Mode::DryRun, 60).await;
    assert!(report.applied.is_empty());
    assert!(
        lines.iter().any(|l| l.ends_with("dry run: not applied")),
        "{lines:#?}"
    );
    assert_eq!(
        report.last.caches[0].maxmemory_policy.as_deref(),
        Some("noeviction")
    );

    let (report, _) = walk("override-revert", "override-left-behind", Mode::Walk, 10).await;
    assert_eq!(
        report.ending,
        Ending::AwaitingConfirmation("reset-min".into())
    );
    assert!(report.applied.is_empty());
}

#[tokio::test]
async fn a_trigger_that_never_holds_is_reported() {
    let (report, _) = walk("spot-cascade", "calm", Mode::Auto, 5).await;
    assert_eq!(report.ending, Ending::NeverTriggered);
    assert!(report.scope.is_none());
}

/// A check whose answers match nothing ends an `--auto` walk as stuck, at
/// that node and with the reason: never the last answer by default.
#[tokio::test]
async fn a_check_that_matches_nothing_ends_the_walk_stuck() {
    let text = r#"
id = "owner"
title = "Who owns the orchestrator"
scope = "service"

[trigger]
when = "service.name == 'orchestrator'"
why = "always"

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
edges = { realtime = "revert", backoffice = "done", other = "done" }

[[node]]
id = "revert"
kind = "action"
phase = "mitigate"
action = "autoscaling.set_bounds"
params = { min = "1.0", max = "2.0" }
revert = "auto"
next = "done"

[[node]]
id = "done"
kind = "done"
phase = "revert"
"#;
    let rb = Arc::new(sitrep::runbook::load_str("owner.toml", text).unwrap());
    let (report, lines) = walk_runbook(rb, "calm", Mode::Auto, 10).await;
    let Ending::Stuck { node, why } = &report.ending else {
        panic!("{:?}\n{lines:#?}", report.ending);
    };
    assert_eq!(node, "who");
    assert_eq!(
        why,
        "no answer matched the data; other is the operator's to choose"
    );
    assert_eq!(
        report.ending.to_string(),
        "stuck at who: no answer matched the data; other is the operator's to choose"
    );
    assert!(report.applied.is_empty());
    assert!(
        lines.iter().any(|l| l
            .contains("? Which team owns the service? -> ? (one of realtime, backoffice, other)")),
        "{lines:#?}"
    );
}

/// Seed 001 scenario 5 as a cost signal: the burn is far above what the load
/// needs (the seed saw 280 %; the alert is at 50 %); min goes back to the
/// baseline, the Bedrock and OpenSearch branches are steps, and the walk
/// verifies the cost came down.
#[tokio::test]
async fn cost_overprovision_alerts_on_cost_and_walks_the_seed_branches() {
    let (report, lines) = walk("cost-overprovision", "override-left-behind", Mode::Auto, 90).await;
    assert!(matches!(report.ending, Ending::Done(_)), "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("trigger: Burn $2.6/h, 350% over what the load needs")),
        "{lines:#?}"
    );
    assert_eq!(ids(&report), ["autoscaling.set_bounds"]);
    for node in [
        "reset-min",
        "bedrock",
        "opensearch",
        "baseline",
        "post-mortem",
        "implement",
    ] {
        assert!(report.path.contains(&node.to_string()), "{:?}", report.path);
    }
    let svc = orchestrator(&report.last);
    assert_eq!(
        svc.bounds().map(|b| b.0),
        Some(20),
        "min back to the calm baseline"
    );
    assert!(svc.desired < 50, "desired {}", svc.desired);
}
