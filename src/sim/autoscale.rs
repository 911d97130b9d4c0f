//! Application Auto Scaling for one service: scheduled actions when their time
//! comes, target tracking on CPU with cooldowns, and desired pulled back into
//! min..max at each evaluation.

use super::schedule::Schedule;
use super::state::{MINUTES_KEPT, SvcState};
use super::tasks::Step;
use crate::model::EventKind;

/// Datapoints above target before the high alarm fires (1-minute periods).
const SCALE_OUT_DATAPOINTS: usize = 3;
/// Datapoints below 90 % of target before the low alarm fires (seed 001: 15 min).
const SCALE_IN_DATAPOINTS: usize = 15;

pub fn step_scaling(svc: &mut SvcState, step: &mut Step) {
    if svc.scaling.is_none() {
        return;
    }
    run_scheduled(svc, step);
    let minute_done = record_cpu(svc, step);
    if minute_done {
        evaluate(svc, step);
    }
}

/// Feed the CPU sample into the current minute; true when a minute completed.
fn record_cpu(svc: &mut SvcState, step: &Step) -> bool {
    let cpu = svc.metrics.cpu_pct;
    let Some(sc) = svc.scaling.as_mut() else {
        return false;
    };
    if let Some(cpu) = cpu {
        sc.minute_sum += cpu;
        sc.minute_samples += 1;
    }
    let crossed = (step.t - step.dt).div_euclid(60) != step.t.div_euclid(60);
    if crossed && sc.minute_samples > 0 {
        sc.minutes
            .push_back(sc.minute_sum / f64::from(sc.minute_samples));
        if sc.minutes.len() > MINUTES_KEPT {
            sc.minutes.pop_front();
        }
        sc.minute_sum = 0.0;
        sc.minute_samples = 0;
    }
    crossed
}

fn run_scheduled(svc: &mut SvcState, step: &mut Step) {
    let Some(sc) = svc.scaling.as_mut() else {
        return;
    };
    if sc.suspended.scheduled {
        return;
    }
    let (from, to) = (step.at(step.t - step.dt), step.at(step.t));
    let mut fired = Vec::new();
    for (action, put_at) in &sc.scheduled {
        let Ok(schedule) = Schedule::parse(&action.schedule) else {
            continue;
        };
        if schedule.fires_between(from, to, step.at(*put_at)) {
            fired.push(action.clone());
        }
    }
    for action in fired {
        let (old_min, old_max, old_desired) = (sc.min, sc.max, svc.desired);
        sc.min = action.min.unwrap_or(sc.min);
        sc.max = action.max.unwrap_or(sc.max).max(sc.min);
        svc.desired = svc.desired.clamp(sc.min, sc.max);
        let msg = format!(
            "Scheduled action {} executed: min {old_min} -> {}, max {old_max} -> {}, desired {old_desired} -> {}",
            action.name, sc.min, sc.max, svc.desired
        );
        step.events
            .push(to, EventKind::ScalingActivity, Some(&svc.spec.key), msg);
    }
}

fn evaluate(svc: &mut SvcState, step: &mut Step) {
    let running = svc.running();
    let key = svc.spec.key.clone();
    let at = step.at(step.t);
    let Some(sc) = svc.scaling.as_mut() else {
        return;
    };
    let t = step.t;
    // Out of bounds (e.g. UpdateService set desired past max): pulled back.
    let bounded = svc.desired.clamp(sc.min, sc.max);
    if bounded != svc.desired {
        let msg = format!(
            "Setting desired count to {bounded}. Cause: desired count {} was outside the scalable target's range {}..{}",
            svc.desired, sc.min, sc.max
        );
        svc.desired = bounded;
        step.events
            .push(at, EventKind::ScalingActivity, Some(&key), msg);
    }
    let Some(&latest) = sc.minutes.back() else {
        return;
    };
    for policy in sc.policies.clone() {
        let target = policy.target;
        let recent = |n: usize| sc.minutes.iter().rev().take(n);
        let high = sc.minutes.len() >= SCALE_OUT_DATAPOINTS
            && recent(SCALE_OUT_DATAPOINTS).all(|v| *v > target);
        let low = sc.minutes.len() >= SCALE_IN_DATAPOINTS
            && recent(SCALE_IN_DATAPOINTS).all(|v| *v < target * 0.9);
        let since = |last: Option<i64>| last.map_or(i64::MAX, |l| t - l);
        let wanted = (f64::from(running) * latest / target).ceil() as u32;
        if high
            && !sc.suspended.scale_out
            && since(sc.last_scale_out) >= i64::from(policy.scale_out_cooldown_s)
        {
            let new = wanted.clamp(sc.min, sc.max);
            if new > svc.desired {
                let msg = format!(
                    "Setting desired count to {new}. Cause: monitor alarm TargetTracking-{}-AlarmHigh in state ALARM triggered policy {} (CPU {latest:.1} % > {target:.0} %)",
                    key.resource_id(),
                    policy.name
                );
                svc.desired = new;
                sc.last_scale_out = Some(t);
                step.events
                    .push(at, EventKind::ScalingActivity, Some(&key), msg);
            }
        } else if low
            && !sc.suspended.scale_in
            && !policy.disable_scale_in
            && since(sc.last_scale_in) >= i64::from(policy.scale_in_cooldown_s)
            && since(sc.last_scale_out) >= i64::from(policy.scale_out_cooldown_s)
        {
            // Scale in gently: at most a tenth of the capacity at a time.
            let floor = svc.desired - svc.desired.div_ceil(10);
            let new = wanted.max(floor).max(1).clamp(sc.min, sc.max);
            if new < svc.desired {
                let msg = format!(
                    "Setting desired count to {new}. Cause: monitor alarm TargetTracking-{}-AlarmLow in state ALARM triggered policy {} (CPU {latest:.1} % < {:.0} %)",
                    key.resource_id(),
                    policy.name,
                    target * 0.9
                );
                svc.desired = new;
                sc.last_scale_in = Some(t);
                step.events
                    .push(at, EventKind::ScalingActivity, Some(&key), msg);
            }
        }
    }
}
