//! The simulator's behaviour against the seeds' numbers.

use sitrep::model::request::ActionRequest;
use sitrep::model::request::WriteErrorKind;
use sitrep::model::{
    AlarmState, DeploymentState, EventKind, FleetSnapshot, Service, ServiceKey, SourceInfo,
    StrategyItem,
};
use sitrep::sim::{Simulator, load_scenario, scenario_names};

fn orch() -> ServiceKey {
    ServiceKey::new("manga-chatbot", "orchestrator")
}

fn sim(name: &str, seed: u64) -> Simulator {
    Simulator::new(load_scenario(name).unwrap(), seed)
}

fn svc<'a>(s: &'a FleetSnapshot, name: &str) -> &'a Service {
    s.services.iter().find(|x| x.key.service == name).unwrap()
}

/// Advance minute by minute until `pred` holds; the minute it did, if it did.
fn until(sim: &mut Simulator, minutes: u32, pred: impl Fn(&FleetSnapshot) -> bool) -> Option<u32> {
    (1..=minutes).find(|_| {
        sim.advance(60);
        pred(&sim.snapshot())
    })
}

fn saturated(s: &FleetSnapshot) -> bool {
    let o = svc(s, "orchestrator");
    o.metrics.cpu_pct.unwrap_or(0.0) > 85.0
        && o.running == 50
        && o.metrics.p95_ms.unwrap_or(0.0) > 3000.0
}

#[test]
fn same_seed_same_fleet_different_seed_differs() {
    let run = |seed| {
        let mut s = sim("manga-release", seed);
        (0..40)
            .map(|_| {
                s.advance(30);
                s.snapshot()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
}

#[test]
fn manga_release_saturates_at_max_50_then_recovers() {
    for seed in [1, 7, 42] {
        let mut s = sim("manga-release", seed);
        let hit = until(&mut s, 20, saturated);
        assert!(hit.is_some(), "seed {seed}: no saturation within 20 min");
        assert!(
            s.snapshot()
                .alarms
                .iter()
                .any(|a| a.name == "orchestrator-cpu-high")
        );

        s.apply(&ActionRequest::SetBounds {
            service: orch(),
            min: 20,
            max: 200,
        })
        .unwrap();
        s.apply(&ActionRequest::SetDesiredCount {
            service: orch(),
            desired: 120,
        })
        .unwrap();
        let healthy = |s: &FleetSnapshot| {
            let o = svc(s, "orchestrator");
            o.metrics.cpu_pct.unwrap() < 70.0 && o.metrics.p95_ms.unwrap() < 2000.0
        };
        let recovered = until(&mut s, 30, healthy);
        assert!(
            recovered.is_some_and(|m| m <= 20),
            "seed {seed}: {recovered:?}"
        );
        // And it stays recovered: target tracking holds it near 70 %.
        s.advance(20 * 60);
        let o = svc(&s.snapshot(), "orchestrator").clone();
        assert!(
            o.metrics.cpu_pct.unwrap() < 75.0,
            "seed {seed}: {:?}",
            o.metrics
        );
        assert!(
            o.metrics.p95_ms.unwrap() < 2000.0,
            "seed {seed}: {:?}",
            o.metrics
        );
    }
}

#[test]
fn calm_stays_calm() {
    let mut s = sim("calm", 7);
    for _ in 0..12 {
        s.advance(600);
        let snap = s.snapshot();
        let o = svc(&snap, "orchestrator");
        assert!(o.metrics.cpu_pct.unwrap() < 85.0, "{:?}", o.metrics);
        assert!(o.metrics.p95_ms.unwrap() < 3000.0, "{:?}", o.metrics);
        let cache = snap.cache("manga-cache").unwrap();
        assert!(cache.memory_pct.unwrap() < 75.0);
    }
}

#[test]
fn scale_outs_respect_the_cooldown() {
    let mut s = sim("manga-release", 3);
    s.advance(40 * 60);
    let outs: Vec<_> = s
        .snapshot()
        .events
        .iter()
        .filter(|e| {
            e.kind == EventKind::ScalingActivity
                && e.service.as_ref() == Some(&orch())
                && e.message.contains("AlarmHigh")
        })
        .map(|e| e.at)
        .collect();
    assert!(outs.len() >= 3, "{outs:?}");
    for w in outs.windows(2) {
        assert!((w[1] - w[0]).num_seconds() >= 60, "{outs:?}");
    }
}

#[test]
fn every_shipped_scenario_loads_and_runs() {
    assert!(scenario_names().len() >= 6);
    for name in scenario_names() {
        let scn = load_scenario(name).unwrap_or_else(|e| panic!("{e}"));
        assert!(!scn.description.is_empty());
        // Every drill names its runbook; calm is the everyday cockpit fleet,
        // large-fleet the cockpit at the size of a large account, bad-image
        // the evidence views' demo (its circuit breaker rolls back by itself).
        let not_a_drill = ["calm", "large-fleet", "bad-image"].contains(&name);
        assert_eq!(scn.runbook.is_none(), not_a_drill, "{name}");
        let mut s = Simulator::new(scn, 1);
        s.advance(600);
        let snap = s.snapshot();
        assert_eq!(snap.taken_at, s.now());
        assert!(snap.parts.values().all(|p| p.fetched_at == Some(s.now())));
    }
}

#[test]
fn apply_errors_are_aws_like() {
    let mut s = sim("calm", 1);
    let missing = ServiceKey::new("manga-chatbot", "nope");
    let err = s
        .apply(&ActionRequest::SetDesiredCount {
            service: missing,
            desired: 3,
        })
        .unwrap_err();
    assert_eq!(err.kind, WriteErrorKind::NotFound);
    let err = s
        .apply(&ActionRequest::SetBounds {
            service: orch(),
            min: 100,
            max: 50,
        })
        .unwrap_err();
    assert_eq!(err.kind, WriteErrorKind::Rejected);
    assert!(err.message.contains("MinCapacity"), "{}", err.message);
    let ws = ServiceKey::new("manga-chatbot", "websocket-handler");
    let err = s
        .apply(&ActionRequest::SetCapacityProviderStrategy {
            service: ws,
            strategy: vec![StrategyItem::new("FARGATE_SPOT", 1, 0)],
        })
        .unwrap_err();
    assert_eq!(
        err.kind,
        WriteErrorKind::Rejected,
        "ARM64 cannot run on Spot"
    );
    let before = s.snapshot().events.len();
    let ok = s
        .apply(&ActionRequest::SetBounds {
            service: orch(),
            min: 5,
            max: 8,
        })
        .unwrap();
    assert!(ok.contains("max 60 -> 8"), "{ok}");
    let snap = s.snapshot();
    assert!(
        svc(&snap, "orchestrator").desired <= 8,
        "clamped into the new range"
    );
    assert_eq!(snap.events.len(), before + 1);
    assert_eq!(snap.events.last().unwrap().kind, EventKind::Action);
}

fn interrupted_share_10min(s: &FleetSnapshot) -> f64 {
    let since = s.taken_at - chrono::Duration::minutes(10);
    let n = s
        .events_for(&orch(), since)
        .filter(|e| e.kind == EventKind::SpotInterruption)
        .count();
    n as f64 / f64::from(svc(s, "orchestrator").running.max(1))
}

#[test]
fn spot_cascade_interrupts_then_on_demand_ends_it() {
    for seed in [1, 7, 42] {
        let mut s = sim("spot-cascade", seed);
        let start = svc(&s.snapshot(), "orchestrator").running_mix;
        assert!(start.spot_share() > 0.55, "seed {seed}: {start:?}");
        assert!(
            until(&mut s, 10, |x| interrupted_share_10min(x) > 0.10).is_some(),
            "seed {seed}: no wave within 10 min"
        );
        // It persists: over 10 % for 15 more minutes (sampled each minute, some slack).
        let high = (0..15)
            .filter(|_| {
                s.advance(60);
                interrupted_share_10min(&s.snapshot()) > 0.10
            })
            .count();
        assert!(
            high >= 12,
            "seed {seed}: only {high} of 15 minutes above 10 %"
        );

        s.apply(&ActionRequest::SetCapacityProviderStrategy {
            service: orch(),
            strategy: vec![StrategyItem::new("FARGATE", 100, 0)],
        })
        .unwrap();
        let snap = s.snapshot();
        assert!(matches!(
            svc(&snap, "orchestrator").deployment,
            DeploymentState::InProgress { .. }
        ));
        let stable = until(&mut s, 15, |x| {
            svc(x, "orchestrator").deployment == DeploymentState::Stable
        });
        assert!(
            stable.is_some_and(|m| m >= 2),
            "seed {seed}: rolled in {stable:?} min"
        );
        assert_eq!(svc(&s.snapshot(), "orchestrator").running_mix.spot, 0);
        s.advance(12 * 60);
        let share = interrupted_share_10min(&s.snapshot());
        assert!(share < 0.05, "seed {seed}: {share}");
    }
}

#[test]
fn override_left_behind_scales_in_after_min_is_reverted() {
    let mut s = sim("override-left-behind", 5);
    let o = svc(&s.snapshot(), "orchestrator").clone();
    assert_eq!((o.desired, o.bounds().unwrap().0), (100, 100));
    assert!(o.metrics.cpu_pct.unwrap() < 15.0, "{:?}", o.metrics);
    s.advance(20 * 60);
    assert_eq!(
        svc(&s.snapshot(), "orchestrator").desired,
        100,
        "min pins it"
    );
    s.apply(&ActionRequest::SetBounds {
        service: orch(),
        min: 10,
        max: 200,
    })
    .unwrap();
    s.advance(60 * 60);
    let o = svc(&s.snapshot(), "orchestrator").clone();
    assert!(o.desired < 50, "{}", o.desired);
    assert!(o.running <= o.desired + 1);
}

#[test]
fn new_tasks_start_after_the_fargate_lag() {
    let mut s = sim("calm", 9);
    let before = svc(&s.snapshot(), "orchestrator").running;
    let at = s.now();
    s.apply(&ActionRequest::SetBounds {
        service: orch(),
        min: before + 20,
        max: 200,
    })
    .unwrap();
    s.advance(55);
    let o = svc(&s.snapshot(), "orchestrator").clone();
    assert_eq!(o.running, before, "nothing runs before 60 s");
    assert_eq!(o.pending, 20);
    s.advance(70);
    let o = svc(&s.snapshot(), "orchestrator").clone();
    assert_eq!(
        (o.running, o.pending),
        (before + 20, 0),
        "all running by 120 s"
    );
    let started = s
        .snapshot()
        .events
        .iter()
        .filter(|e| e.kind == EventKind::TaskStarted && e.service.as_ref() == Some(&orch()))
        .map(|e| (e.at - at).num_seconds())
        .collect::<Vec<_>>();
    assert!(
        started.iter().all(|d| (60..=125).contains(d)),
        "{started:?}"
    );
}

#[test]
fn noeviction_fills_and_lfu_holds() {
    let mut s = sim("cache-noeviction", 2);
    let full = until(&mut s, 60, |x| {
        x.cache("manga-cache").unwrap().memory_pct.unwrap() >= 99.5
    });
    assert!(full.is_some_and(|m| m >= 30), "{full:?}");
    s.advance(6 * 60);
    let snap = s.snapshot();
    let c = snap.cache("manga-cache").unwrap();
    assert_eq!(c.evictions_per_min, Some(0.0));
    let firing = |snap: &FleetSnapshot, name: &str| {
        snap.alarms.iter().any(|a| {
            a.name == name
                && a.state == AlarmState::Alarm
                && a.subject.as_deref() == Some("manga-cache")
        })
    };
    assert!(firing(&snap, "manga-cache-oom-writes"));
    assert!(firing(&snap, "manga-cache-memory-critical"));

    s.apply(&ActionRequest::SetMaxmemoryPolicy {
        cache_id: "manga-cache".into(),
        parameter_group: "manga-redis7".into(),
        policy: "allkeys-lfu".into(),
    })
    .unwrap();
    s.advance(15 * 60);
    for _ in 0..12 {
        s.advance(300);
        let snap = s.snapshot();
        let c = snap.cache("manga-cache").unwrap();
        assert!(c.memory_pct.unwrap() < 80.0, "{c:?}");
        assert!(c.evictions_per_min.unwrap() > 0.0);
        assert!(!firing(&snap, "manga-cache-oom-writes"));
    }
}

#[test]
fn bad_image_tasks_fail_and_the_deployment_fails() {
    let mut s = sim("bad-image", 4);
    s.advance(15 * 60);
    let snap = s.snapshot();
    let w = ServiceKey::new("manga-chatbot", "worker");
    let failed = snap
        .events
        .iter()
        .filter(|e| e.kind == EventKind::TaskFailed && e.service.as_ref() == Some(&w))
        .count();
    assert!(failed >= 3, "{failed}");
    assert!(matches!(
        svc(&snap, "worker").deployment,
        DeploymentState::Failed { .. }
    ));
    assert!(svc(&snap, "worker").running < svc(&snap, "worker").desired);
}

#[test]
fn malformed_scenarios_point_at_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let head = "description = \"x\"\nstart = 2026-11-20T10:00:00+09:00\n[sla]\nservice = \"orchestrator\"\np95_ms = 2000\n";
    let bad_syntax = write(
        "syntax.toml",
        &format!("{head}\n[[service]]\nname = \"orchestrator\"\nmax = = 3\n"),
    );
    let e = load_scenario(&bad_syntax).unwrap_err();
    assert_eq!(
        (e.line, e.file.clone()),
        (Some(9), bad_syntax.clone()),
        "{e}"
    );
    assert!(e.column.is_some());

    let unknown = write(
        "unknown.toml",
        &format!("{head}\n[[service]]\nname = \"orchestrator\"\nmaximum = 3\n"),
    );
    let e = load_scenario(&unknown).unwrap_err();
    assert_eq!(e.line, Some(9), "{e}");
    assert!(e.to_string().contains("maximum"), "{e}");

    let min_max = write(
        "minmax.toml",
        &format!("{head}\n[[service]]\nname = \"orchestrator\"\nmin = 9\nmax = 3\n"),
    );
    let e = load_scenario(&min_max).unwrap_err();
    assert_eq!(e.line, Some(7), "{e}");
    assert!(e.message.contains("min 9 is greater than max 3"), "{e}");

    assert!(
        load_scenario("no-such-scenario")
            .unwrap_err()
            .message
            .contains("calm")
    );
}

#[tokio::test]
async fn the_source_task_streams_snapshots_until_dropped() {
    use std::sync::{Arc, Mutex};
    let shared = Arc::new(Mutex::new(sim("calm", 1)));
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let handle = sitrep::sim::source::spawn(Arc::clone(&shared), 600.0, tx);
    let first = rx.recv().await.unwrap();
    let second = rx.recv().await.unwrap();
    assert!(second.taken_at > first.taken_at);
    assert!(matches!(second.source, SourceInfo::Sim { speed, .. } if speed == 600.0));
    drop(rx);
    tokio::time::timeout(std::time::Duration::from_secs(5), handle)
        .await
        .expect("the task stops once the receiver is gone")
        .unwrap();

    let writer = sitrep::sim::source::SimWriter::new(Arc::clone(&shared));
    let req = ActionRequest::SetDesiredCount {
        service: orch(),
        desired: 33,
    };
    let out = sitrep::source::FleetWriter::apply(&writer, &req)
        .await
        .unwrap();
    assert!(out.contains("-> 33"), "{out}");
    assert_eq!(
        svc(&shared.lock().unwrap().snapshot(), "orchestrator").desired,
        33
    );
}

#[test]
fn scheduled_actions_run_at_their_jst_times() {
    // calm starts 14:00 JST with the 8:45 pre-warm already applied.
    let mut s = sim("calm", 3);
    assert_eq!(svc(&s.snapshot(), "orchestrator").bounds(), Some((20, 60)));
    s.advance(9 * 3600 + 60); // 23:01 JST
    let snap = s.snapshot();
    assert_eq!(svc(&snap, "orchestrator").bounds(), Some((5, 60)));
    assert!(
        snap.events
            .iter()
            .any(|e| e.message.contains("scale-down-2300-jst"))
    );
    s.advance(9 * 3600 + 45 * 60); // 08:46 JST
    let snap = s.snapshot();
    let o = svc(&snap, "orchestrator");
    assert_eq!(o.bounds(), Some((20, 60)));
    assert!(o.desired >= 20);
}

#[test]
fn put_scheduled_action_fires_and_bad_schedules_are_rejected() {
    let mut s = sim("calm", 3);
    let at = (s.now() + chrono::Duration::minutes(3)).format("at(%Y-%m-%dT%H:%M:%S)");
    s.apply(&ActionRequest::PutScheduledAction {
        service: orch(),
        name: "release-prewarm".into(),
        schedule: at.to_string(),
        min: Some(40),
        max: Some(100),
    })
    .unwrap();
    s.advance(4 * 60);
    let o = svc(&s.snapshot(), "orchestrator").clone();
    assert_eq!(o.bounds(), Some((40, 100)));
    assert_eq!(o.desired, 40);
    let err = s
        .apply(&ActionRequest::PutScheduledAction {
            service: orch(),
            name: "x".into(),
            schedule: "every day".into(),
            min: Some(1),
            max: None,
        })
        .unwrap_err();
    assert_eq!(err.kind, WriteErrorKind::Rejected);
}

#[test]
fn desired_outside_bounds_is_pulled_back() {
    let mut s = sim("calm", 3);
    let out = s
        .apply(&ActionRequest::SetDesiredCount {
            service: orch(),
            desired: 500,
        })
        .unwrap();
    assert!(out.contains("pull it back"), "{out}");
    assert_eq!(svc(&s.snapshot(), "orchestrator").desired, 500);
    s.advance(65);
    let snap = s.snapshot();
    assert!(svc(&snap, "orchestrator").desired <= 60);
    assert!(
        snap.events
            .iter()
            .any(|e| e.message.contains("outside the scalable target's range"))
    );
}

#[test]
fn suspended_scale_in_is_respected() {
    let mut s = sim("override-left-behind", 5);
    s.apply(&ActionRequest::SuspendScaleIn { service: orch() })
        .unwrap();
    s.apply(&ActionRequest::SetBounds {
        service: orch(),
        min: 10,
        max: 200,
    })
    .unwrap();
    s.advance(40 * 60);
    assert_eq!(svc(&s.snapshot(), "orchestrator").desired, 100);
    s.apply(&ActionRequest::ResumeScaleIn { service: orch() })
        .unwrap();
    s.advance(10 * 60);
    assert!(svc(&s.snapshot(), "orchestrator").desired < 100);
}

#[test]
fn synthetic_fleets_have_the_asked_size() {
    let mut s = Simulator::synthetic(37, 1);
    s.advance(300);
    let snap = s.snapshot();
    assert_eq!(snap.services.len(), 37);
    assert!(snap.services.iter().all(|x| x.running > 0));
    assert!(s.spent_usd() > 0.0);
}

mod random_writes {
    use super::*;
    use proptest::prelude::*;

    fn service_key() -> impl Strategy<Value = ServiceKey> {
        prop_oneof![
            Just(orch()),
            Just(ServiceKey::new("manga-chatbot", "websocket-handler")),
            Just(ServiceKey::new("manga-chatbot", "admin-api")),
            Just(ServiceKey::new("other", "orchestrator")),
        ]
    }

    fn request() -> impl Strategy<Value = ActionRequest> {
        let provider = prop_oneof![Just("FARGATE"), Just("FARGATE_SPOT"), Just("EC2")];
        let item =
            (provider, 0u32..1200, 0u32..20).prop_map(|(p, w, b)| StrategyItem::new(p, w, b));
        prop_oneof![
            (service_key(), 0u32..6000)
                .prop_map(|(service, desired)| ActionRequest::SetDesiredCount { service, desired }),
            (service_key(), 0u32..300, 0u32..300)
                .prop_map(|(service, min, max)| ActionRequest::SetBounds { service, min, max }),
            (service_key(), prop::collection::vec(item, 0..3)).prop_map(|(service, strategy)| {
                ActionRequest::SetCapacityProviderStrategy { service, strategy }
            }),
            service_key().prop_map(|service| ActionRequest::ForceNewDeployment { service }),
            (
                service_key(),
                prop_oneof![Just("1"), Just("2"), Just("9"), Just("x")]
            )
                .prop_map(|(service, revision)| ActionRequest::SetTaskDefinition {
                    task_definition: format!("{}:{revision}", service.service),
                    service,
                }),
            service_key().prop_map(|service| ActionRequest::SuspendScaleIn { service }),
            service_key().prop_map(|service| ActionRequest::ResumeScaleIn { service }),
            (
                service_key(),
                prop_oneof![
                    Just("cron(0 1 * * ? *)"),
                    Just("rate(2 minutes)"),
                    Just("nope")
                ],
                prop::option::of(0u32..50),
                prop::option::of(0u32..50)
            )
                .prop_map(|(service, schedule, min, max)| {
                    ActionRequest::PutScheduledAction {
                        service,
                        name: "p".into(),
                        schedule: schedule.into(),
                        min,
                        max,
                    }
                }),
            (
                prop_oneof![Just("manga-cache"), Just("manga-jobs"), Just("x")],
                prop_oneof![Just("allkeys-lru"), Just("noeviction"), Just("lru")]
            )
                .prop_map(|(id, policy)| ActionRequest::SetMaxmemoryPolicy {
                    cache_id: id.into(),
                    parameter_group: "manga-redis7".into(),
                    policy: policy.into(),
                }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_writes_keep_the_fleet_consistent(reqs in prop::collection::vec((request(), 0u32..400), 1..12)) {
            let mut s = sim("spot-cascade", 3);
            for (req, wait) in reqs {
                let _ = s.apply(&req);
                s.advance(wait);
                let snap = s.snapshot();
                for x in &snap.services {
                    prop_assert_eq!(x.running_mix.total(), x.running);
                    if let Some((min, max)) = x.bounds() {
                        prop_assert!(min <= max);
                    }
                }
            }
            // Once the scaler has evaluated, desired is back inside the bounds.
            s.advance(120);
            for x in &s.snapshot().services {
                if let Some((min, max)) = x.bounds() {
                    prop_assert!((min..=max).contains(&x.desired), "{} {} {}..{}", x.key, x.desired, min, max);
                }
            }
        }
    }
}

#[test]
fn from_config_uses_scenario_seed_and_speed() {
    let cfg = sitrep::config::SimConfig {
        scenario: "spot-cascade".into(),
        seed: 99,
        speed: 60.0,
    };
    let s = Simulator::from_config(&cfg).unwrap();
    assert_eq!(
        s.snapshot().source,
        SourceInfo::Sim {
            scenario: "spot-cascade".into(),
            seed: 99,
            speed: 60.0
        }
    );
    let bad = sitrep::config::SimConfig {
        scenario: "nope".into(),
        ..cfg
    };
    assert!(Simulator::from_config(&bad).is_err());
}

#[test]
fn a_prewarm_absorbs_the_release_and_no_prewarm_saturates() {
    let peak = |prewarm: bool| {
        let mut s = sim("release-prewarm", 8);
        if prewarm {
            let at = (s.now() + chrono::Duration::minutes(30)).format("at(%Y-%m-%dT%H:%M:%S)");
            s.apply(&ActionRequest::PutScheduledAction {
                service: orch(),
                name: "release-prewarm".into(),
                schedule: at.to_string(),
                min: Some(100),
                max: Some(200),
            })
            .unwrap();
        }
        (0..100)
            .map(|_| {
                s.advance(60);
                svc(&s.snapshot(), "orchestrator").metrics.p95_ms.unwrap()
            })
            .fold(0.0, f64::max)
    };
    // Brushes the 2 s SLA while target tracking adds the last tasks; never alarms.
    assert!(peak(true) < 3000.0, "{}", peak(true));
    assert!(peak(false) > 3000.0, "{}", peak(false));
}

/// The hour before the start, for the cockpit's sparklines: a point a
/// minute per series, all before the start, and the simulation unchanged.
#[test]
fn the_past_hour_fills_the_history_without_changing_the_simulation() {
    use sitrep::model::history::{FleetHistory, Metric};
    let mut plain = sim("manga-release", 7);
    let mut told = sim("manga-release", 7);
    let start = told.snapshot().taken_at;
    let past = told.past_hour();
    assert_eq!(past, sim("manga-release", 7).past_hour(), "deterministic");
    for (_, _, points) in &past.series {
        assert_eq!(points.len(), 60);
        assert!(points.iter().all(|(t, _)| *t < start.timestamp()));
    }
    let mut first = told.snapshot();
    first.backfill = Some(std::sync::Arc::new(past));
    let mut history = FleetHistory::default();
    history.record(&first);
    let cpu = history.service(&orch(), Metric::Cpu).unwrap();
    assert_eq!(cpu.fine.len(), 61, "an hour of minutes, then the snapshot");
    assert!(
        cpu.fine.iter().all(|(_, v)| v > 0.0 && v < 85.0),
        "calm before the release"
    );
    plain.advance(600);
    told.advance(600);
    assert_eq!(plain.snapshot(), told.snapshot());
}
