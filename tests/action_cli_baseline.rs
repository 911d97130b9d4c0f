//! `sitrep baseline capture` through the real binary, on temporary dirs.

use std::process::Command;

use sitrep::action::baseline;

fn capture(config_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(["baseline", "capture"])
        .args(args)
        .env("SITREP_CONFIG_DIR", config_dir)
        .env("SITREP_DATA_DIR", config_dir.join("data"))
        .output()
        .unwrap()
}

#[test]
fn captures_the_simulated_fleet_to_the_config_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = capture(dir.path(), &["--seed", "7"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("from SIM calm written to"), "{stdout}");
    let path = dir.path().join("baseline.toml");
    let loaded = baseline::load(&path).unwrap();
    assert!(!loaded.services.is_empty());
    for (key, intended) in &loaded.services {
        assert!(key.contains('/'), "{key}");
        if let (Some(min), Some(max)) = (intended.min, intended.max) {
            assert!(max >= min, "{key}: {min}..{max}");
        }
    }
}

#[test]
fn out_flag_and_unknown_scenario_error() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("nested/dir/base.toml");
    let out = capture(dir.path(), &["--out", target.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(baseline::load(&target).is_ok());

    let out = capture(dir.path(), &["--scenario", "no-such-scenario"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no-such-scenario"), "{stderr}");
}
