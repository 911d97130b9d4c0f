//! The fleet journal on the simulator: what a drill's fleet did is recorded
//! once, with the reasons tasks stopped, and survives a restart of the recorder.

use chrono::Utc;

use crate::journal::files;
use crate::journal::recorder::Recorder;
use crate::journal::{Recorded, Retention};
use crate::sim::{STEP_S, Simulator, load_scenario};

/// Record `minutes` of `scenario` into `dir`, a snapshot per simulator step.
fn record(scenario: &str, dir: &std::path::Path, minutes: u32) {
    let mut sim = Simulator::new(load_scenario(scenario).unwrap(), 7);
    let snap = sim.snapshot();
    let mut recorder =
        Recorder::open(dir, Retention::default(), &snap.source, true, Utc::now()).unwrap();
    recorder.record(&snap);
    for _ in 0..(minutes * 60 / STEP_S) {
        sim.advance(STEP_S);
        recorder.record(&sim.snapshot());
    }
}

#[test]
fn failed_starts_are_kept_with_their_stop_code_reason_and_container_reason() {
    let dir = tempfile::tempdir().unwrap();
    record("bad-image", dir.path(), 12);
    let read = files::read(dir.path(), None, None).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    let stops: Vec<_> = read
        .entries
        .iter()
        .filter_map(|e| match &e.what {
            Recorded::Task {
                service,
                stop: Some(stop),
                ..
            } => Some((service.clone(), stop.clone())),
            _ => None,
        })
        .collect();
    assert!(!stops.is_empty(), "no task stop recorded");
    let (service, stop) = &stops[0];
    assert_eq!(service.as_deref(), Some("manga-chatbot/worker"));
    assert_eq!(stop.code, "TaskFailedToStart");
    assert!(
        stop.reason.contains("CannotPullContainerError"),
        "{}",
        stop.reason
    );
    assert!(!stop.tasks.is_empty());
    assert!(
        stop.containers[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("image tag not found")),
        "{stop:?}"
    );
    // The rollout of the broken revision is there too, and a sample a minute.
    assert!(read.entries.iter().any(|e| matches!(&e.what,
        Recorded::Deployment { service, state, .. } if service == "manga-chatbot/worker" && state == "started")));
    let samples = read
        .entries
        .iter()
        .filter(|e| matches!(e.what, Recorded::Sample { .. }))
        .count();
    assert!(
        (12..=14).contains(&samples),
        "{samples} samples in 12 minutes"
    );
}

#[test]
fn spot_reclaims_keep_the_exit_code_and_each_line_is_written_once() {
    let dir = tempfile::tempdir().unwrap();
    record("spot-cascade", dir.path(), 20);
    let read = files::read(dir.path(), None, None).unwrap();
    let interruptions: Vec<_> = read
        .entries
        .iter()
        .filter_map(|e| match &e.what {
            Recorded::Interruption { stop: Some(s), .. } => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert!(!interruptions.is_empty());
    assert!(
        interruptions.iter().all(|s| s.code == "SpotInterruption"
            && s.containers.iter().any(|c| c.exit_code == Some(143)))
    );
    // Snapshots list the same events for a long while: each is recorded once.
    let mut lines: Vec<String> = read
        .entries
        .iter()
        .filter(|e| !matches!(e.what, Recorded::Sample { .. } | Recorded::Session { .. }))
        .map(|e| format!("{} {}", e.at, e.what.describe()))
        .collect();
    let all = lines.len();
    lines.sort();
    lines.dedup();
    assert_eq!(lines.len(), all, "a line was recorded twice");
}

#[test]
fn a_restarted_recorder_continues_without_repeating_what_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = load_scenario("spot-cascade").unwrap();
    let mut sim = Simulator::new(scenario, 7);
    let source = sim.snapshot().source;
    let mut first =
        Recorder::open(dir.path(), Retention::default(), &source, true, Utc::now()).unwrap();
    for _ in 0..120 {
        sim.advance(STEP_S);
        first.record(&sim.snapshot());
    }
    drop(first);
    let before = files::read(dir.path(), None, None).unwrap().entries.len();
    // The same fleet, read again: what AWS still lists is not recorded twice.
    let mut second =
        Recorder::open(dir.path(), Retention::default(), &source, true, Utc::now()).unwrap();
    second.record(&sim.snapshot());
    let after = files::read(dir.path(), None, None).unwrap().entries;
    let added: Vec<&str> = after[before..].iter().map(|e| e.what.kind()).collect();
    assert!(
        added.iter().all(|k| matches!(*k, "session" | "sample")),
        "{added:?}"
    );
}
