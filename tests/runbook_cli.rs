//! `sitrep runbook check|show` as a user runs them.

use std::path::Path;
use std::process::{Command, Output};

fn sitrep(args: &[&str]) -> Output {
    let dirs = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(args)
        .env("SITREP_CONFIG_DIR", dirs.path().join("config"))
        .env("SITREP_DATA_DIR", dirs.path().join("data"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn check_without_paths_checks_the_shipped_runbooks() {
    let out = sitrep(&["runbook", "check"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(text.lines().all(|l| l.contains(": OK (")), "{text}");
    assert!(text.contains("runbooks/spot-cascade.toml: OK (spot-cascade, "));
}

#[test]
fn check_prints_file_line_col_and_fails() {
    let out = sitrep(&["runbook", "check", "tests/fixtures/runbooks/invalid"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(
            "tests/fixtures/runbooks/invalid/dangling-edge.toml:10:8: no node with id `nowhere`"
        ),
        "{text}"
    );
    assert!(text.contains(
        "tests/fixtures/runbooks/invalid/answers-not-covered.toml:11:9: answer `local` of node `a` has no edge"
    ));
    // A valid file and an invalid one together: still a failure, both reported.
    let valid = Path::new("tests/fixtures/runbooks/valid/minimal.toml");
    let out = sitrep(&[
        "runbook",
        "check",
        valid.to_str().unwrap(),
        "tests/fixtures/runbooks/invalid/missing-revert.toml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.starts_with("tests/fixtures/runbooks/valid/minimal.toml: OK (minimal, 1 nodes)\n")
    );
    assert!(
        text.contains("missing-revert.toml:9:10: action `autoscaling.set_bounds` raises capacity")
    );
}

#[test]
fn show_prints_a_tree_or_mermaid() {
    let out = sitrep(&["runbook", "show", "spot-cascade"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.starts_with("spot-cascade — Fargate Spot interruption cascade\n"));
    assert!(text.contains("[mitigate] switch-on-demand (action)"));
    let out = sitrep(&["runbook", "show", "cache-memory", "--mermaid"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.starts_with("flowchart TD\n"));
    assert!(text.contains("policy -->|\"noeviction\"| purpose"));
    let out = sitrep(&["runbook", "show", "nope"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no runbook `nope` (known: ecs-saturation")
    );
}

#[test]
fn run_walks_a_scenario_and_reports() {
    let out = sitrep(&[
        "runbook",
        "run",
        "cache-memory",
        "--scenario",
        "cache-noeviction",
        "--auto",
    ]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.contains("trigger: manga-cache at 75.1% memory, policy noeviction"),
        "{text}"
    );
    assert!(
        text.contains("applied: maxmemory-policy noeviction -> allkeys-lfu in manga-redis7"),
        "{text}"
    );
    assert!(
        text.contains(
            "summary: cache-memory on cache manga-cache; path alert > policy > purpose > set-lfu"
        ),
        "{text}"
    );
    // Without --auto the walk stops where a person must confirm.
    let out = sitrep(&[
        "runbook",
        "run",
        "cache-memory",
        "--scenario",
        "cache-noeviction",
    ]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("result: stopped at `set-lfu`: rerun with --auto to apply"));
    let out = sitrep(&[
        "runbook",
        "run",
        "spot-cascade",
        "--scenario",
        "calm",
        "--minutes",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out)
            .contains("result: the trigger of spot-cascade never held within 2 simulated minutes")
    );
}
