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
    assert_eq!(
        text.lines().count(),
        sitrep::runbook::library::SHIPPED.len(),
        "{text}"
    );
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
        // On course for 75 % within 30 minutes: the walk starts before the alarm.
        text.contains("trigger: manga-cache at 70.9% memory, policy noeviction"),
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

/// `sitrep` with the given data dir and working directory.
fn sitrep_in(data: &Path, cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(args)
        .env("SITREP_CONFIG_DIR", data.join("config"))
        .env("SITREP_DATA_DIR", data)
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The run directory a run printed.
fn run_dir(o: &Output) -> std::path::PathBuf {
    let text = stdout(o);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("audit log, ledger and journal: "))
        .and_then(|l| l.split(" (`sitrep timeline").next())
        .unwrap_or_else(|| panic!("no run directory in {text}"));
    line.into()
}

/// Everything under `dir`, relative to it.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn run_read_only_with_auto_is_refused_and_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = sitrep_in(
        &data,
        here,
        &[
            "--read-only",
            "runbook",
            "run",
            "cache-memory",
            "--scenario",
            "cache-noeviction",
            "--auto",
        ],
    );
    assert!(!out.status.success(), "{out:?}");
    assert!(
        stderr(&out).contains("--read-only and --auto: a read-only run has no writer"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("applied"), "{}", stdout(&out));
    assert!(!data.join("runs").exists(), "{:?}", tree(&data));
    assert!(!data.join("ledger.jsonl").exists() && !data.join("sim").exists());

    // Read-only without --auto walks to the first action and writes nothing.
    let out = sitrep_in(
        &data,
        here,
        &[
            "--read-only",
            "runbook",
            "run",
            "cache-memory",
            "--scenario",
            "cache-noeviction",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.contains("result: stopped at `set-lfu`: a read-only run applies nothing"),
        "{text}"
    );
    assert!(
        text.contains("read-only: no writer existed, nothing was applied or recorded"),
        "{text}"
    );
    assert!(!data.join("runs").exists(), "{:?}", tree(&data));
}

#[test]
fn run_on_aws_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = sitrep_in(
        &dir.path().join("data"),
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            "--aws",
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "runbook",
            "run",
            "cache-memory",
            "--scenario",
            "cache-noeviction",
            "--auto",
        ],
    );
    assert!(!out.status.success(), "{out:?}");
    // Refused at the command line: `runbook run` takes no AWS flags.
    assert!(
        stderr(&out)
            .contains("--aws, --region, --endpoint-url do not apply to `sitrep runbook run`"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("data/runs").exists());
}

#[test]
fn runs_at_the_same_time_get_their_own_directories() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let args = [
        "runbook",
        "run",
        "spot-cascade",
        "--scenario",
        "calm",
        "--minutes",
        "1",
        "--auto",
    ];
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| sitrep_in(&data, here, &args));
        let b = s.spawn(|| sitrep_in(&data, here, &args));
        (a.join().unwrap(), b.join().unwrap())
    });
    let (a, b) = (run_dir(&a), run_dir(&b));
    assert_ne!(a, b);
    for d in [&a, &b] {
        assert_eq!(d.parent(), Some(data.join("runs").as_path()));
        assert!(d.is_dir());
    }
}

/// The run directory is named from the scenario's name, never from the path
/// given: `../../../../scen/x.toml` from four levels down stays in the data dir.
#[test]
fn a_scenario_path_never_places_the_run_outside_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let data = root.join("d1/d2/data");
    let cwd = root.join("c1/c2/c3/c4");
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(root.join("scen")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/calm.toml"),
        root.join("scen/x.toml"),
    )
    .unwrap();
    let out = sitrep_in(
        &data,
        &cwd,
        &[
            "runbook",
            "run",
            "spot-cascade",
            "--scenario",
            "../../../../scen/x.toml",
            "--minutes",
            "1",
            "--auto",
        ],
    );
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let run = run_dir(&out);
    assert_eq!(run.parent(), Some(data.join("runs").as_path()), "{run:?}");
    assert!(
        run.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with("-spot-cascade-x"),
        "{run:?}"
    );
    let outside: Vec<String> = tree(root)
        .into_iter()
        .filter(|p| !p.starts_with("d1/d2/data") && !p.starts_with("c1") && !p.starts_with("scen"))
        .filter(|p| p != "d1" && p != "d1/d2")
        .collect();
    assert!(
        outside.is_empty(),
        "written outside the data dir: {outside:?}"
    );
    assert_eq!(tree(&root.join("scen")), ["x.toml"]);
}

/// docs/runbooks.md is the generated reference: edit the code, then
/// `cargo run -- runbook docs > docs/runbooks.md`.
#[test]
fn the_committed_docs_page_is_the_generated_one() {
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/runbooks.md"))
            .unwrap();
    let generated = sitrep::runbook::reference::page();
    assert!(
        committed == generated,
        "docs/runbooks.md is out of date: run `cargo run -- runbook docs > docs/runbooks.md`"
    );
    let out = sitrep(&["runbook", "docs"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), generated);
}

#[test]
fn vars_helpers_and_actions_print_the_reference() {
    let out = sitrep(&["runbook", "vars"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains(
        "| `service.deployment` | string | `'stable'`, `'in_progress'`, `'failed'` | state of the latest deployment |"
    ), "{text}");
    let text = stdout(&sitrep(&["runbook", "helpers"]));
    assert!(
        text.contains("| `sustained_above(metric: metric, threshold: double, minutes: double) -> bool` | `minutes`, at most 60 min |"),
        "{text}"
    );
    let text = stdout(&sitrep(&["runbook", "actions"]));
    assert!(text.contains("### `autoscaling.set_bounds`"), "{text}");
    assert!(text.contains("- guard: max >= min"), "{text}");
}

#[test]
fn show_and_run_take_a_file_and_show_displays_reverts() {
    let out = sitrep(&["runbook", "show", "docs/examples/latency-sla.toml"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.starts_with("latency-sla — P95 above the 2 s SLA\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "revert: ecs.set_desired_count(desired = service.desired), evaluated before the change"
        ),
        "{text}"
    );
    let text = stdout(&sitrep(&["runbook", "show", "cost-overprovision"]));
    assert!(
        text.contains("revert: auto (the previous min and max"),
        "{text}"
    );

    // A file the walk cannot decide on: stuck, and a failure.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("owner.toml");
    std::fs::write(
        &file,
        r#"id = "owner"
title = "Who owns it"
scope = "service"

[trigger]
when = "service.name == 'orchestrator'"
why = "always"

[[node]]
id = "who"
kind = "check"
phase = "triage"
question = "Which team?"
answers = [
  { name = "realtime", when = "service.tags['team'] == 'realtime'" },
  { name = "other" },
]
edges = { realtime = "done", other = "done" }

[[node]]
id = "done"
kind = "done"
phase = "revert"
"#,
    )
    .unwrap();
    let out = sitrep(&[
        "runbook",
        "run",
        file.to_str().unwrap(),
        "--scenario",
        "calm",
        "--auto",
        "--minutes",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stdout(&out).contains(
            "result: stuck at who: no answer matched the data; other is the operator's to choose"
        ),
        "{}",
        stdout(&out)
    );
}
