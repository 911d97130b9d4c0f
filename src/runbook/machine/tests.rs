use std::sync::Arc;

use chrono::Duration;

use super::*;
use crate::model::history::FleetHistory;
use crate::model::{EventKind, FleetEvent, FleetSnapshot};
use crate::runbook::cel::facts::{OverdueOverride, OverrideFacts};
use crate::runbook::library;
use crate::runbook::sample;

fn runbook(id: &str) -> Arc<Runbook> {
    let rb = library::shipped()
        .into_iter()
        .find_map(|l| l.result.ok().filter(|r| r.id == id))
        .unwrap_or_else(|| panic!("shipped runbook {id}"));
    Arc::new(rb)
}

/// The seed's manga-release moment: 95 % CPU, P95 12.4 s, 45 of max 50.
fn saturated() -> FleetSnapshot {
    let mut snap = sample::snapshot();
    let s = &mut snap.services[0];
    s.metrics.cpu_pct = Some(95.0);
    s.metrics.p95_ms = Some(12_400.0);
    s.running = 45;
    s.desired = 50;
    snap
}

struct World {
    snap: FleetSnapshot,
    history: FleetHistory,
    facts: OverrideFacts,
}

impl World {
    fn new(snap: FleetSnapshot) -> Self {
        let mut history = FleetHistory::default();
        history.record(&snap);
        Self {
            snap,
            history,
            facts: sample::facts(),
        }
    }

    fn send(&self, m: &mut Machine, e: Event) -> Vec<Effect> {
        m.handle(e, &EvalContext::new(&self.snap, &self.history, &self.facts))
    }

    /// Move data time on by `minutes`, changing the scoped service first.
    fn advance(&mut self, minutes: i64, change: impl FnOnce(&mut FleetSnapshot)) {
        change(&mut self.snap);
        self.snap.taken_at += Duration::minutes(minutes);
        self.history.record(&self.snap);
    }
}

/// ecs-saturation from the alert to `scaling-responding`: saturated (yes),
/// and new tasks start fine (no failures, so capacity may be added).
fn past_the_alert(w: &World, m: &mut Machine) -> Vec<Effect> {
    w.send(m, Event::Evaluate);
    w.send(m, Event::Choose("yes".into()));
    w.send(m, Event::Choose("no".into()))
}

/// ecs-saturation from the alert to the raise-max proposal.
fn to_raise_max(w: &World, m: &mut Machine) -> Vec<Effect> {
    past_the_alert(w, m);
    w.send(m, Event::Choose("yes".into()));
    w.send(m, Event::Choose("yes".into()))
}

fn service_machine(id: &str) -> Machine {
    Machine::new(runbook(id), Scope::Service(sample::service_key()))
}

fn suggested(fx: &[Effect]) -> Option<String> {
    fx.iter().find_map(|e| match e {
        Effect::AwaitAnswer { suggested, .. } => Some(suggested.clone()),
        _ => None,
    })?
}

fn proposal(fx: &[Effect]) -> &Proposal {
    fx.iter()
        .find_map(|e| match e {
            Effect::ProposeAction(p) => Some(p),
            _ => None,
        })
        .expect("a proposal")
}

fn errors(fx: &[Effect]) -> Vec<&str> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Error(m) => Some(m.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn first_evaluate_enters_start_and_suggests_from_data() {
    let w = World::new(saturated());
    let mut m = service_machine("ecs-saturation");
    let fx = w.send(&mut m, Event::Evaluate);
    assert!(matches!(&fx[0], Effect::Entered { node, phase: Phase::Detect } if node == "alert"));
    assert_eq!(suggested(&fx).as_deref(), Some("yes"));
    let Some(Effect::AwaitAnswer { evidence, .. }) =
        fx.iter().find(|e| matches!(e, Effect::AwaitAnswer { .. }))
    else {
        panic!("no question in {fx:?}");
    };
    assert_eq!(evidence[0].expr, "service.cpu");
    assert_eq!(evidence[0].value, "95");
    assert_eq!(evidence[1].value, "12400");
}

#[test]
fn ecs_saturation_walks_to_resolution_with_seed_numbers() {
    let mut w = World::new(saturated());
    let mut m = service_machine("ecs-saturation");
    let fx = past_the_alert(&w, &mut m);
    assert_eq!(m.current(), "scaling-responding");
    assert_eq!(
        suggested(&fx).as_deref(),
        Some("yes"),
        "desired 50 > running 45"
    );
    let fx = w.send(&mut m, Event::Choose("yes".into()));
    assert_eq!(suggested(&fx).as_deref(), Some("yes"), "45 >= 0.9 * 50");
    let fx = w.send(&mut m, Event::Choose("yes".into()));
    let p = proposal(&fx);
    let key = sample::service_key();
    assert_eq!(
        p.request,
        Ok(ActionRequest::SetBounds {
            service: key.clone(),
            min: 10,
            max: 200
        })
    );
    assert_eq!(
        p.revert,
        RevertPlan::Request(Ok(ActionRequest::SetBounds {
            service: key.clone(),
            min: 10,
            max: 50
        }))
    );
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::AwaitConfirmation { .. }))
    );

    w.send(&mut m, Event::ActionApplied(ActionOutcome::Applied));
    assert!(matches!(m.state(), State::Verifying { .. }));
    // The next snapshot shows the new max: verified, on to desired.
    w.advance(1, |s| {
        if let Some(t) = s.services[0].scaling.as_mut() {
            t.max = 200;
        }
    });
    let fx = w.send(&mut m, Event::Evaluate);
    assert_eq!(m.current(), "set-desired");
    // The immediate need from the data, not the seed's literal 120: with no
    // unsaturated sample to read the load from, ceil(45 x 95 / 70) = 62
    // (`needed_tasks_reads_the_load_past_saturated_cpu` finds the seed's 120).
    assert_eq!(
        proposal(&fx).request,
        Ok(ActionRequest::SetDesiredCount {
            service: key.clone(),
            desired: 62
        })
    );
    w.send(&mut m, Event::ActionApplied(ActionOutcome::Applied));
    assert_eq!(m.current(), "tasks-up");

    // Fargate lag: tasks still starting at 2 minutes.
    w.advance(2, |s| {
        s.services[0].desired = 120;
        s.services[0].running = 80;
        s.services[0].metrics.cpu_pct = Some(88.0);
    });
    w.send(&mut m, Event::WaitTick);
    assert_eq!(m.current(), "tasks-up");
    // Five minutes on, CPU is down but not yet under 70: the wait times out.
    w.advance(4, |s| {
        s.services[0].running = 120;
        s.services[0].metrics.cpu_pct = Some(75.0);
    });
    let fx = w.send(&mut m, Event::WaitTick);
    assert_eq!(m.current(), "cpu-after-5");
    assert_eq!(suggested(&fx).as_deref(), Some("no"));
    w.send(&mut m, Event::Choose("no".into()));
    assert_eq!(m.current(), "recovery");
    // Monitoring: 30 minutes without a relapse end the incident.
    w.advance(5, |s| {
        s.services[0].metrics.cpu_pct = Some(55.0);
        s.services[0].metrics.p95_ms = Some(1_400.0);
    });
    w.send(&mut m, Event::Evaluate);
    assert_eq!(m.current(), "recovery");
    w.advance(26, |_| {});
    let fx = w.send(&mut m, Event::WaitTick);
    assert_eq!(m.current(), "healthy");
    assert_eq!(suggested(&fx).as_deref(), Some("yes"));
    let fx = w.send(&mut m, Event::Choose("yes".into()));
    assert_eq!(m.current(), "review-scaling");
    assert!(fx.iter().any(|e| matches!(e, Effect::AwaitStep { .. })));
    w.send(&mut m, Event::TickStep);
    let fx = w.send(&mut m, Event::TickStep);
    assert!(m.is_finished());
    assert!(fx.iter().any(
        |e| matches!(e, Effect::Done(t) if t == "Resolved: CPU 55%, P95 1400 ms, 120 tasks.")
    ));
    assert_eq!(
        m.path(),
        [
            "alert",
            "tasks-failing",
            "scaling-responding",
            "near-max",
            "raise-max",
            "set-desired",
            "tasks-up",
            "cpu-after-5",
            "recovery",
            "healthy",
            "review-scaling",
            "plan-revert",
            "resolved"
        ]
    );
    assert!(
        m.history()
            .iter()
            .any(|h| h.node == "raise-max" && h.what == Walked::Verified)
    );
}

#[test]
fn cpu_still_above_90_after_five_minutes_escalates() {
    let mut w = World::new(saturated());
    let mut m = service_machine("ecs-saturation");
    to_raise_max(&w, &mut m);
    w.send(&mut m, Event::ActionSkipped);
    w.send(&mut m, Event::ActionApplied(ActionOutcome::Applied));
    assert_eq!(m.current(), "tasks-up");
    // Max was raised elsewhere: CPU above 90 % with room to grow is no longer a max problem.
    w.advance(6, |s| {
        if let Some(t) = s.services[0].scaling.as_mut() {
            t.max = 200;
        }
    });
    let fx = w.send(&mut m, Event::WaitTick);
    assert_eq!(suggested(&fx).as_deref(), Some("yes"));
    let fx = w.send(&mut m, Event::Choose("yes".into()));
    assert!(m.is_finished());
    let text = fx.iter().find_map(|e| match e {
        Effect::Escalate(t) => Some(t.clone()),
        _ => None,
    });
    assert!(text.is_some_and(|t| t.contains("CPU still 95% with 45 tasks")));
    assert!(
        m.history()
            .iter()
            .any(|h| h.node == "raise-max" && h.what == Walked::Skipped)
    );
}

#[test]
fn choosing_against_the_data_is_an_overrule_and_recorded() {
    let w = World::new(saturated());
    let mut m = service_machine("ecs-saturation");
    w.send(&mut m, Event::Evaluate);
    w.send(&mut m, Event::Choose("no".into()));
    assert_eq!(m.current(), "not-saturated");
    assert_eq!(m.overrules().len(), 1);
    assert_eq!(m.overrules()[0].suggested.as_deref(), Some("yes"));
    assert_eq!(m.overrules()[0].chosen, "no");
    assert_eq!(m.evidence("alert").map(|e| e[0].value.as_str()), Some("95"));
    let answered = m.history().iter().find_map(|h| match &h.what {
        Walked::Answered { overruled, .. } => Some(*overruled),
        _ => None,
    });
    assert_eq!(answered, Some(true));
}

#[test]
fn explicit_overrule_is_recorded_even_when_it_matches() {
    let w = World::new(saturated());
    let mut m = service_machine("ecs-saturation");
    w.send(&mut m, Event::Evaluate);
    w.send(&mut m, Event::Overrule("yes".into()));
    assert_eq!(m.current(), "tasks-failing");
    assert_eq!(m.overrules().len(), 1);
}

#[test]
fn back_undoes_navigation() {
    let w = World::new(saturated());
    let mut m = service_machine("ecs-saturation");
    past_the_alert(&w, &mut m);
    w.send(&mut m, Event::Choose("no".into()));
    assert_eq!(m.current(), "policy-attached");
    let fx = w.send(&mut m, Event::Back);
    assert_eq!(m.current(), "scaling-responding");
    assert_eq!(m.path(), ["alert", "tasks-failing", "scaling-responding"]);
    assert_eq!(suggested(&fx).as_deref(), Some("yes"));
    assert!(
        m.history()
            .iter()
            .any(|h| matches!(&h.what, Walked::Back { from } if from == "policy-attached"))
    );
    w.send(&mut m, Event::Back);
    w.send(&mut m, Event::Back);
    let fx = w.send(&mut m, Event::Back);
    assert_eq!(errors(&fx), ["already at the start"]);
    assert_eq!(m.current(), "alert");
}

#[test]
fn events_that_do_not_fit_are_errors_and_change_nothing() {
    let w = World::new(saturated());
    let mut m = service_machine("ecs-saturation");
    w.send(&mut m, Event::Evaluate);
    let fx = w.send(&mut m, Event::TickStep);
    assert_eq!(errors(&fx).len(), 1);
    let fx = w.send(&mut m, Event::ActionApplied(ActionOutcome::Applied));
    assert_eq!(errors(&fx).len(), 1);
    let fx = w.send(&mut m, Event::Choose("maybe".into()));
    assert!(errors(&fx)[0].contains("not an answer"));
    assert_eq!(m.current(), "alert");
    assert!(m.overrules().is_empty());
}

#[test]
fn failed_action_stays_proposed() {
    let w = World::new(saturated());
    let mut m = service_machine("ecs-saturation");
    to_raise_max(&w, &mut m);
    let fx = w.send(
        &mut m,
        Event::ActionApplied(ActionOutcome::Failed("throttled".into())),
    );
    assert_eq!(errors(&fx), ["action failed: throttled"]);
    assert_eq!(m.current(), "raise-max");
    assert!(m.proposal().is_some());
}

#[test]
fn verify_times_out_in_data_time_and_moves_on() {
    let mut w = World::new(saturated());
    let mut m = service_machine("ecs-saturation");
    to_raise_max(&w, &mut m);
    w.send(&mut m, Event::ActionApplied(ActionOutcome::Applied));
    w.advance(1, |_| {});
    w.send(&mut m, Event::Evaluate);
    assert_eq!(m.current(), "raise-max", "max still 50 after 1 min");
    w.advance(2, |_| {});
    w.send(&mut m, Event::Evaluate);
    assert_eq!(m.current(), "set-desired");
    assert!(
        m.history()
            .iter()
            .any(|h| h.node == "raise-max" && h.what == Walked::VerifyTimedOut)
    );
    // Max never rose, so desired stays within it.
    let p = m.proposal().expect("proposal");
    assert!(matches!(
        p.request,
        Ok(ActionRequest::SetDesiredCount { desired: 50, .. })
    ));
}

#[test]
fn missing_metrics_do_not_panic_and_do_not_trip_thresholds() {
    let mut snap = sample::snapshot();
    snap.services[0].metrics = Default::default();
    let w = World::new(snap);
    let mut m = service_machine("ecs-saturation");
    let fx = w.send(&mut m, Event::Evaluate);
    assert_eq!(suggested(&fx).as_deref(), Some("no"));
    let mut m = service_machine("override-revert");
    w.send(&mut m, Event::Evaluate);
    let mut m = service_machine("cost-overprovision");
    let fx = w.send(&mut m, Event::Evaluate);
    assert_eq!(
        suggested(&fx).as_deref(),
        Some("no"),
        "-1 CPU is not 'below 30'"
    );
}

#[test]
fn unknown_scope_evaluates_without_panicking() {
    let w = World::new(saturated());
    let mut m = Machine::new(
        runbook("ecs-saturation"),
        Scope::Service(crate::model::ServiceKey::new("x", "gone")),
    );
    let fx = w.send(&mut m, Event::Evaluate);
    assert_eq!(suggested(&fx).as_deref(), Some("no"));
}

/// The sample fleet with 6 Spot interruptions of its service in the last 6 minutes.
fn interrupted_six_times() -> FleetSnapshot {
    let mut snap = sample::snapshot();
    let key = sample::service_key();
    for i in 0..6 {
        snap.events.push(FleetEvent {
            at: snap.taken_at - Duration::minutes(i),
            kind: EventKind::SpotInterruption,
            service: Some(key.clone()),
            message: "SpotInterruption".into(),
            stop: None,
        });
    }
    snap
}

#[test]
fn spot_cascade_counts_interruptions_and_switches_to_on_demand() {
    let mut w = World::new(interrupted_six_times());
    let mut m = service_machine("spot-cascade");
    let fx = w.send(&mut m, Event::Evaluate);
    assert_eq!(suggested(&fx).as_deref(), Some("yes"), "6 of 45 = 13 %");
    w.send(&mut m, Event::Choose("yes".into()));
    let fx = w.send(&mut m, Event::TickStep);
    assert_eq!(suggested(&fx).as_deref(), Some("local"));
    w.send(&mut m, Event::Choose("local".into()));
    assert_eq!(m.current(), "sustained");
    // Interruptions keep coming for 15 minutes.
    for step in 1..=16 {
        w.advance(1, |s| {
            s.events.push(FleetEvent {
                at: s.taken_at + Duration::minutes(1),
                kind: EventKind::SpotInterruption,
                service: Some(sample::service_key()),
                message: format!("interruption {step}"),
                stop: None,
            });
        });
        w.send(&mut m, Event::WaitTick);
    }
    assert_eq!(m.current(), "switch-on-demand");
    let p = m.proposal().expect("proposal");
    let Ok(ActionRequest::SetCapacityProviderStrategy { strategy, .. }) = &p.request else {
        panic!("{p:?}");
    };
    assert_eq!(strategy.len(), 1);
    assert_eq!(strategy[0].provider, "FARGATE");
    let RevertPlan::Request(Ok(ActionRequest::SetCapacityProviderStrategy { strategy, .. })) =
        &p.revert
    else {
        panic!("{p:?}");
    };
    assert_eq!(
        strategy.len(),
        2,
        "the revert restores the previous strategy"
    );
}

#[test]
fn cache_memory_proposes_allkeys_lfu_for_a_cache_and_keeps_queues() {
    let mut snap = sample::snapshot();
    snap.caches[0].memory_pct = Some(96.0);
    snap.caches[0].maxmemory_policy = Some("noeviction".into());
    let w = World::new(snap.clone());
    let scope = Scope::Cache(sample::CACHE_ID.into());
    let mut m = Machine::new(runbook("cache-memory"), scope.clone());
    let fx = w.send(&mut m, Event::Evaluate);
    assert_eq!(suggested(&fx).as_deref(), Some("critical"));
    let fx = w.send(&mut m, Event::Choose("critical".into()));
    assert_eq!(suggested(&fx).as_deref(), Some("noeviction"));
    let fx = w.send(&mut m, Event::Choose("noeviction".into()));
    assert_eq!(suggested(&fx).as_deref(), Some("cache"));
    let fx = w.send(&mut m, Event::Choose("cache".into()));
    let p = proposal(&fx);
    assert_eq!(
        p.request,
        Ok(ActionRequest::SetMaxmemoryPolicy {
            cache_id: sample::CACHE_ID.into(),
            parameter_group: "sample-redis7".into(),
            policy: "allkeys-lfu".into()
        })
    );
    assert!(matches!(
        &p.revert,
        RevertPlan::Request(Ok(ActionRequest::SetMaxmemoryPolicy { policy, .. })) if policy == "noeviction"
    ));

    // A queue keeps noeviction.
    snap.caches[0].tags.insert("purpose".into(), "queue".into());
    let w = World::new(snap);
    let mut m = Machine::new(runbook("cache-memory"), scope);
    w.send(&mut m, Event::Evaluate);
    w.send(&mut m, Event::Choose("critical".into()));
    let fx = w.send(&mut m, Event::Choose("noeviction".into()));
    assert_eq!(suggested(&fx).as_deref(), Some("queue"));
    let fx = w.send(&mut m, Event::Choose("queue".into()));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Escalate(t) if t.contains("keep noeviction")))
    );
}

#[test]
fn override_revert_uses_ledger_facts_and_baseline() {
    let mut snap = sample::snapshot();
    let key = sample::service_key();
    {
        let s = &mut snap.services[0];
        s.metrics.cpu_pct = Some(12.0);
        s.running = 100;
        s.desired = 100;
        if let Some(t) = s.scaling.as_mut() {
            t.min = 100;
            t.max = 200;
        }
    }
    let mut w = World::new(snap);
    let mut m = service_machine("override-revert");
    let fx = w.send(&mut m, Event::Evaluate);
    assert_eq!(suggested(&fx).as_deref(), Some("no"), "no facts yet");
    w.facts.overdue.push(OverdueOverride {
        service: key.clone(),
        action: "autoscaling.set_bounds".into(),
        revert_by: w.snap.taken_at - Duration::hours(48),
    });
    let fx = w.send(&mut m, Event::Evaluate);
    assert_eq!(suggested(&fx).as_deref(), Some("yes"));
    let fx = w.send(&mut m, Event::Choose("yes".into()));
    assert_eq!(suggested(&fx).as_deref(), Some("yes"), "CPU 12 % is quiet");
    let fx = w.send(&mut m, Event::Choose("yes".into()));
    let p = proposal(&fx);
    assert_eq!(
        p.request,
        Ok(ActionRequest::SetBounds {
            service: key,
            min: 10,
            max: 50
        })
    );
    assert_eq!(p.revert, RevertPlan::Auto);
}

#[test]
fn scheduled_prewarm_schedules_min_100_thirty_minutes_before() {
    let mut snap = sample::snapshot();
    // The sample event is at 2026-03-20T10:00:00Z; be 90 minutes before it.
    snap.taken_at = chrono::DateTime::parse_from_rfc3339("2026-03-20T08:30:00Z")
        .map(|t| t.to_utc())
        .unwrap_or_default();
    let w = World::new(snap);
    let mut m = service_machine("scheduled-prewarm");
    let fx = w.send(&mut m, Event::Evaluate);
    assert_eq!(suggested(&fx).as_deref(), Some("yes"));
    w.send(&mut m, Event::Choose("yes".into()));
    w.send(&mut m, Event::Choose("no".into()));
    let fx = w.send(&mut m, Event::Choose("no".into()));
    assert!(matches!(
        proposal(&fx).request,
        Ok(ActionRequest::SetBounds { max: 200, .. })
    ));
    let fx = w.send(&mut m, Event::ActionSkipped);
    let p = proposal(&fx);
    let Ok(ActionRequest::PutScheduledAction {
        name,
        schedule,
        min,
        ..
    }) = &p.request
    else {
        panic!("{p:?}");
    };
    assert_eq!(name, "prewarm-event");
    assert_eq!(schedule, "at(2026-03-20T09:30:00)");
    assert_eq!(*min, Some(100));
    let fx = w.send(&mut m, Event::ActionSkipped);
    let Ok(ActionRequest::PutScheduledAction { schedule, min, .. }) = &proposal(&fx).request else {
        panic!("{fx:?}");
    };
    assert_eq!(schedule, "at(2026-03-20T12:00:00)");
    assert_eq!(
        *min,
        Some(10),
        "scale back to the minimum before the pre-warm"
    );
}

#[test]
fn machines_and_runbooks_can_move_between_tasks() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Machine>();
    send_sync::<Runbook>();
    send_sync::<crate::runbook::library::Library>();
}

#[test]
fn back_from_past_a_met_wait_lands_before_the_wait() {
    let mut w = World::new(interrupted_six_times());
    let mut m = service_machine("spot-cascade");
    w.send(&mut m, Event::Evaluate);
    w.send(&mut m, Event::Choose("yes".into()));
    w.send(&mut m, Event::TickStep);
    w.send(&mut m, Event::Choose("local".into()));
    assert_eq!(m.current(), "sustained");
    // The interruptions age out of the window: the wait is met and the walk moves on.
    w.advance(11, |_| {});
    w.send(&mut m, Event::WaitTick);
    assert_eq!(m.current(), "dlq");
    w.send(&mut m, Event::Back);
    assert_eq!(
        m.current(),
        "regional",
        "not back into the met wait and out again"
    );
}

/// A runbook from text, for walks the shipped ones do not take.
fn custom(text: &str) -> Arc<Runbook> {
    Arc::new(crate::runbook::load_str("test.toml", text).unwrap_or_else(|p| panic!("{p:#?}")))
}

fn stuck(fx: &[Effect]) -> Option<&str> {
    fx.iter().find_map(|e| match e {
        Effect::Stuck { why, .. } => Some(why.as_str()),
        _ => None,
    })
}

const OWNER_CHECK: &str = r#"
id = "owner"
title = "Who owns it"
scope = "service"

[[node]]
id = "who"
kind = "check"
phase = "triage"
question = "Which team owns the service?"
answers = [
  { name = "platform", when = "service.tags['team'] == 'platform'" },
  { name = "realtime", when = "service.tags['team'] == 'realtime'" },
  { name = "someone-else" },
]
edges = { platform = "done", realtime = "done", someone-else = "done" }

[[node]]
id = "done"
kind = "done"
phase = "revert"
"#;

#[test]
fn a_check_that_matches_nothing_stays_and_says_why() {
    let mut snap = sample::snapshot();
    snap.services[0]
        .tags
        .insert("team".into(), "backoffice".into());
    let mut w = World::new(snap);
    let mut m = Machine::new(custom(OWNER_CHECK), Scope::Service(sample::service_key()));
    let fx = w.send(&mut m, Event::Evaluate);
    assert_eq!(suggested(&fx), None);
    assert_eq!(
        stuck(&fx),
        Some("no answer matched the data; someone-else is the operator's to choose")
    );
    assert_eq!(m.current(), "who");
    assert!(m.stuck().is_some());
    // Nothing moves it on its own, however long it waits.
    w.advance(30, |_| {});
    let fx = w.send(&mut m, Event::Evaluate);
    assert!(fx.is_empty(), "nothing changed, nothing said: {fx:?}");
    assert_eq!(m.current(), "who");
    // The data changes: the answer is evaluated and the walk is no longer stuck.
    w.advance(1, |s| {
        s.services[0].tags.insert("team".into(), "realtime".into());
    });
    let fx = w.send(&mut m, Event::Evaluate);
    assert_eq!(suggested(&fx).as_deref(), Some("realtime"));
    assert_eq!(m.stuck(), None);
}

#[test]
fn an_answer_that_fails_to_evaluate_is_not_taken_as_no() {
    let mut snap = sample::snapshot();
    snap.services[0].tags.clear();
    let w = World::new(snap);
    let mut m = Machine::new(custom(OWNER_CHECK), Scope::Service(sample::service_key()));
    let fx = w.send(&mut m, Event::Evaluate);
    assert_eq!(suggested(&fx), None);
    let why = stuck(&fx).expect("stuck");
    assert!(
        why.starts_with("answer `platform` (`service.tags['team'] == 'platform'`) cannot be evaluated: No such key: team"),
        "{why}"
    );
    assert!(errors(&fx)[0].contains("cannot be evaluated"));
    // The operator decides; the choice is recorded against no evaluated answer.
    let fx = w.send(&mut m, Event::Choose("someone-else".into()));
    assert!(m.is_finished(), "{fx:?}");
    assert_eq!(m.overrules().len(), 0, "nothing was evaluated to overrule");
}

#[test]
fn a_wait_that_cannot_evaluate_never_times_out_by_itself() {
    const TEXT: &str = r#"
id = "waits"
title = "A wait on a tag"
scope = "service"

[[node]]
id = "w"
kind = "wait"
phase = "verify"
when = "timestamp(service.tags['next-event']) <= now"
minutes = 5.0
edges = { met = "fine", timeout = "late" }

[[node]]
id = "fine"
kind = "done"
phase = "verify"

[[node]]
id = "late"
kind = "escalate"
phase = "verify"
text = "late"
"#;
    let mut snap = sample::snapshot();
    snap.services[0].tags.clear();
    let mut w = World::new(snap);
    let mut m = Machine::new(custom(TEXT), Scope::Service(sample::service_key()));
    let fx = w.send(&mut m, Event::Evaluate);
    assert!(
        stuck(&fx).unwrap().contains("No such key: next-event"),
        "{fx:?}"
    );
    w.advance(10, |_| {});
    let fx = w.send(&mut m, Event::WaitTick);
    assert_eq!(m.current(), "w", "past the deadline, still waiting");
    assert!(stuck(&fx).is_none(), "said once: {fx:?}");
    assert!(m.stuck().is_some());
    let fx = w.send(&mut m, Event::Choose("sideways".into()));
    assert!(errors(&fx)[0].contains("not an edge of `w`"));
    w.send(&mut m, Event::Choose("timeout".into()));
    assert_eq!(m.current(), "late");
    assert_eq!(m.overrules()[0].chosen, "timeout");
}

/// The seed's bad-image case: new tasks fail to start, so the walk adds no
/// capacity; it waits for starts and escalates with the stop reason.
#[test]
fn ecs_saturation_adds_no_capacity_while_tasks_fail_to_start() {
    let mut snap = saturated();
    let key = sample::service_key();
    snap.services[0].running = 4;
    snap.services[0].desired = 6;
    for minutes_ago in [1, 3, 6] {
        snap.events.push(FleetEvent {
            at: snap.taken_at - Duration::minutes(minutes_ago),
            kind: EventKind::TaskFailed,
            service: Some(key.clone()),
            message: "stopped: CannotPullContainerError: ref not found".into(),
            stop: None,
        });
    }
    let mut w = World::new(snap);
    let mut m = service_machine("ecs-saturation");
    w.send(&mut m, Event::Evaluate);
    let fx = w.send(&mut m, Event::Choose("yes".into()));
    assert_eq!(m.current(), "tasks-failing");
    assert_eq!(suggested(&fx).as_deref(), Some("yes"));
    let fx = w.send(&mut m, Event::Choose("yes".into()));
    let step = fx.iter().find_map(|e| match e {
        Effect::AwaitStep { text, .. } => Some(text.clone()),
        _ => None,
    });
    assert!(
        step.is_some_and(|t| t.contains("3 failed starts in 10 min")
            && t.ends_with("Last stop reason: stopped: CannotPullContainerError: ref not found")),
        "{fx:?}"
    );
    w.send(&mut m, Event::TickStep);
    w.send(&mut m, Event::TickStep);
    assert_eq!(m.current(), "image-fixed");
    // Still failing after 15 minutes: escalate with the reason, nothing proposed.
    w.advance(16, |s| {
        s.events.push(FleetEvent {
            at: s.taken_at + Duration::minutes(15),
            kind: EventKind::TaskFailed,
            service: Some(sample::service_key()),
            message: "stopped: CannotPullContainerError: ref not found".into(),
            stop: None,
        });
    });
    let fx = w.send(&mut m, Event::WaitTick);
    assert!(m.is_finished());
    let text = fx.iter().find_map(|e| match e {
        Effect::Escalate(t) => Some(t.clone()),
        _ => None,
    });
    assert!(
        text.as_deref().is_some_and(|t| t
            .contains("Stop reason: stopped: CannotPullContainerError")
            && t.contains("No capacity was added")),
        "{text:?}"
    );
    assert!(
        m.history()
            .iter()
            .all(|h| !matches!(h.what, Walked::Applied(_))),
        "no action on the way"
    );
    assert!(!m.path().contains(&"raise-max"));
    assert!(!m.path().contains(&"set-desired"));
}

/// "Always plan the revert", and show the one that will be kept: where a
/// shipped runbook declares a revert, it is the revert the executor records in
/// the ledger (computed from the same before-state), so the operator confirms
/// what the ledger will undo.
#[test]
fn declared_reverts_are_the_reverts_the_ledger_records() {
    use crate::action::catalogue::{self, Target};
    use crate::action::revert::revert_of;
    let snap = sample::snapshot();
    let history = FleetHistory::default();
    let facts = sample::facts();
    let ec = EvalContext::new(&snap, &history, &facts);
    let mut compared = 0;
    for loaded in library::shipped() {
        let rb = loaded.result.unwrap();
        let scope = sample::scope(rb.scope);
        let target = match &scope {
            Scope::Service(k) => Target::Service(k.clone()),
            Scope::Cache(id) => Target::Cache {
                id: id.clone(),
                parameter_group: "sample-redis7".into(),
            },
        };
        let mut eval = Evaluator::new(&ec, &scope);
        eval.set_at_start(&Evaluator::subject(&ec, &scope));
        let build = |action: &str, params: &[(String, Expr)]| {
            let values = params
                .iter()
                .map(|(n, e)| Ok((n.clone(), eval.eval_json(e)?)))
                .collect::<Result<serde_json::Map<_, _>, String>>()?;
            catalogue::build(action, &target, &values)
        };
        for node in &rb.nodes {
            let NodeKind::Action(a) = &node.kind else {
                continue;
            };
            let Revert::Action { action, params } = &a.revert else {
                continue;
            };
            let request = build(&a.action, &a.params).unwrap();
            let declared = build(action, params).unwrap();
            // A request that changes nothing has nothing to record.
            if let Some(recorded) = revert_of(&request, &snap) {
                assert_eq!(
                    recorded.request(),
                    Some(&declared),
                    "{}/{}: declared revert differs from the ledger's",
                    rb.id,
                    node.id
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 3, "{compared}");
}
