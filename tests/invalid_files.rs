//! Bad values and odd files: every invalid config, scenario and theme fixture
//! fails with its message at `file:line:col`, and a FIFO (or a directory) in
//! place of any file sitrep reads is refused at once instead of hanging.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use sitrep::ui::keymap::Keymap;
use sitrep::ui::theme::Theme;

fn fixture(kind: &str, name: &str) -> String {
    format!("tests/fixtures/{kind}/invalid/{name}.toml")
}

/// Run the binary from the crate root with its own config and data dirs,
/// killing it if it has not finished within `limit`.
fn sitrep_within(args: &[&str], dirs: &Path, limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(args)
        .env("SITREP_CONFIG_DIR", dirs.join("config"))
        .env("SITREP_DATA_DIR", dirs.join("data"))
        .env_remove("SITREP_CONFIG")
        .env_remove("RUST_BACKTRACE")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            panic!("sitrep {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

fn sitrep(args: &[&str]) -> Output {
    let dirs = tempfile::tempdir().unwrap();
    sitrep_within(args, dirs.path(), Duration::from_secs(30))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// (fixture, `line:col: message` expected after its path)
const CONFIGS: &[(&str, &str)] = &[
    (
        "metrics-interval-zero",
        "3:22: 0 is out of range: expected seconds between metric polls, 1 to 3600 (field `aws.metrics_interval_s`)",
    ),
    (
        "call-timeout-zero",
        "3:18: 0 is out of range: expected seconds an AWS call may take, 1 to 300 (field `aws.call_timeout_s`)",
    ),
    (
        "max-attempts-zero",
        "2:16: 0 is out of range: expected attempts per AWS call, 1 to 10 (field `aws.max_attempts`)",
    ),
    (
        "revert-after-negative",
        "2:22: -1 is out of range: expected hours an override may stay before it is flagged, 0 to 8760 (field `ledger.revert_after_hours`)",
    ),
    (
        "sim-speed-negative",
        "5:9: -5 is out of range: expected simulated seconds per real second (0 pauses), 0 to 3600 (field `sim.speed`)",
    ),
    (
        "sim-speed-nan",
        "2:9: NaN is out of range: expected simulated seconds per real second (0 pauses), 0 to 3600 (field `sim.speed`)",
    ),
    (
        "config-interval-huge",
        "2:21: 100000000 is out of range: expected seconds between reads of the slow-changing parts, 1 to 86400 (field `aws.config_interval_s`)",
    ),
];

#[test]
fn every_invalid_config_fails_with_its_message() {
    for (name, expected) in CONFIGS {
        let file = fixture("config", name);
        let out = sitrep(&["--config", &file, "snapshot", "--json"]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out));
        let want = format!("{file}:{expected}");
        assert!(
            text(&out).contains(&want),
            "{name}: want {want}\n{}",
            text(&out)
        );
    }
}

const SCENARIOS: &[(&str, &str)] = &[
    (
        "max-tasks-huge",
        "10:7: 4000000000 is out of range: expected a task count (ECS runs at most 5000 per service), 0 to 5000",
    ),
    (
        "factor-nan",
        "11:10: NaN is out of range: expected a traffic multiplier, 0.01 to 100",
    ),
    (
        "factor-inf",
        "11:10: inf is out of range: expected a traffic multiplier, 0.01 to 100",
    ),
    (
        "spot-rate-huge",
        "3:13: 1e300 is out of range: expected Spot interruptions per Spot task-hour, 0 to 60",
    ),
    (
        "spot-rate-negative",
        "10:8: -1 is out of range: expected Spot interruptions per Spot task-hour, 0 to 60",
    ),
    (
        "cpu-zero",
        "10:7: 0 is out of range: expected vCPU per Fargate task, 0.25 to 16",
    ),
    (
        "weight-huge",
        "10:46: 5000 is out of range: expected a capacity-provider weight, 0 to 1000",
    ),
    (
        "cache-memory-over",
        "10:14: 140 is out of range: expected a percentage of cache memory, 0 to 100",
    ),
    (
        "load-too-late",
        "9:10: 99999 is out of range: expected minutes after start (a week at most), 0 to 10080",
    ),
    (
        "load-factor-negative",
        "10:15: -2 is out of range: expected a multiplier of the daily load, 0 to 100",
    ),
];

#[test]
fn every_invalid_scenario_fails_with_its_message() {
    for (name, expected) in SCENARIOS {
        let file = fixture("scenarios", name);
        let out = sitrep(&["--scenario", &file, "snapshot", "--json"]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out));
        let want = format!("{file}:{expected}");
        assert!(
            text(&out).contains(&want),
            "{name}: want {want}\n{}",
            text(&out)
        );
    }
}

/// A config dir holding the theme fixture `name` as `themes/NAME.toml`.
fn theme_dir(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("themes")).unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture("themes", name));
    std::fs::copy(from, dir.path().join(format!("themes/{name}.toml"))).unwrap();
    dir
}

#[test]
fn every_invalid_theme_fails_naming_its_file() {
    let cases: &[(&str, &str)] = &[
        (
            "incomplete",
            ": theme `incomplete` leaves roles unset: fg, bg, muted, accent, spot, on_demand, border, focus, selection_fg, selection_bg, header_fg, header_bg, badge_fg, badge_bg (set them, or add `parent = \"dark\"` to inherit the rest)",
        ),
        (
            "bad-colour",
            ":2:9: field `alert`: `reddish` is not a colour",
        ),
        ("unknown-role", ":3:1: unknown field `alarm`"),
    ];
    for (name, expected) in cases {
        let dir = theme_dir(name);
        let err = Theme::load(name, Some(dir.path())).unwrap_err();
        let file = dir.path().join(format!("themes/{name}.toml"));
        let want = format!("{}{expected}", file.display());
        assert!(err.contains(&want), "{name}: want {want}\n{err}");
    }
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(ok.success(), "mkfifo {}", path.display());
}

/// Each kind of file sitrep reads, replaced by a FIFO: refused within a second.
#[cfg(unix)]
#[test]
fn a_fifo_in_place_of_any_file_is_refused_at_once() {
    let second = Duration::from_secs(1);
    let dirs = tempfile::tempdir().unwrap();
    let config = dirs.path().join("config");
    std::fs::create_dir_all(config.join("themes")).unwrap();
    let fifo = |name: &str| -> PathBuf {
        let p = dirs.path().join(name);
        mkfifo(&p);
        p
    };
    let refused = |out: &Output, path: &Path| {
        let all = text(out);
        assert_eq!(out.status.code(), Some(1), "{all}");
        let want = format!("{}:", path.display());
        assert!(all.contains(&want), "want {want}\n{all}");
        assert!(
            all.contains("must be a regular file, and this is a FIFO"),
            "{all}"
        );
    };

    let file = fifo("config.toml");
    let out = sitrep_within(
        &["--config", file.to_str().unwrap(), "snapshot", "--json"],
        dirs.path(),
        second,
    );
    refused(&out, &file);

    let file = fifo("scenario.toml");
    let out = sitrep_within(
        &["--scenario", file.to_str().unwrap(), "snapshot", "--json"],
        dirs.path(),
        second,
    );
    refused(&out, &file);

    let file = fifo("runbook.toml");
    let out = sitrep_within(
        &["runbook", "check", file.to_str().unwrap()],
        dirs.path(),
        second,
    );
    refused(&out, &file);

    // In a runbook directory, too: reported, not skipped, not waited on.
    let runbooks = dirs.path().join("runbooks");
    std::fs::create_dir(&runbooks).unwrap();
    mkfifo(&runbooks.join("pipe.toml"));
    let out = sitrep_within(
        &["runbook", "check", runbooks.to_str().unwrap()],
        dirs.path(),
        second,
    );
    refused(&out, &runbooks.join("pipe.toml"));

    // Theme, keymap and baseline are read by the cockpit: load them as it does.
    let baseline = fifo("baseline.toml");
    let started = Instant::now();
    mkfifo(&config.join("themes/pipe.toml"));
    let err = Theme::load("pipe", Some(&config)).unwrap_err();
    assert!(
        err.contains("themes/pipe.toml: theme must be a regular file, and this is a FIFO"),
        "{err}"
    );
    mkfifo(&config.join("keymap.toml"));
    let err = Keymap::load(&config).unwrap_err();
    assert!(
        err.contains("keymap.toml: keymap must be a regular file, and this is a FIFO"),
        "{err}"
    );
    let err = sitrep::action::baseline::load(&baseline).unwrap_err();
    assert!(
        err.contains("baseline.toml: baseline must be a regular file"),
        "{err}"
    );
    assert!(started.elapsed() < second);
}

#[test]
fn runbook_check_on_a_directory_without_runbooks_fails() {
    let dirs = tempfile::tempdir().unwrap();
    let dir = dirs.path().join("x.toml");
    std::fs::create_dir(&dir).unwrap();
    let out = sitrep(&["runbook", "check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let want = format!(
        "{}:1:1: is a directory with no runbook files (*.toml) in it",
        dir.display()
    );
    assert!(text(&out).contains(&want), "{}", text(&out));
}

#[test]
fn a_directory_in_place_of_a_config_file_is_refused() {
    let dirs = tempfile::tempdir().unwrap();
    let out = sitrep(&[
        "--config",
        dirs.path().to_str().unwrap(),
        "snapshot",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("config must be a regular file, and this is a directory"),
        "{}",
        text(&out)
    );
}
