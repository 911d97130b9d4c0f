//! The binary's answers to bad configuration: the file, line, column and field.

use std::process::Command;

fn sitrep(config_dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(args)
        .env("SITREP_CONFIG_DIR", config_dir)
        .env("SITREP_DATA_DIR", config_dir.join("data"))
        .env_remove("SITREP_CONFIG")
        .env_remove("SITREP_THEME")
        .output()
        .expect("the sitrep binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_config_file_names_file_line_column_and_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "[sim]\nseed = \"seven\"\n").unwrap();
    let (ok, stderr) = sitrep(dir.path(), &["config", "paths"]);
    assert!(!ok);
    assert!(stderr.contains("config.toml:2:8:"), "{stderr}");
    assert!(stderr.contains("field `sim.seed`"), "{stderr}");
}

#[test]
fn unknown_theme_fails_before_the_terminal_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stderr) = sitrep(dir.path(), &["--theme", "neon"]);
    assert!(!ok);
    assert!(stderr.contains("unknown theme `neon`"), "{stderr}");
}

#[test]
fn bad_user_theme_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("themes")).unwrap();
    std::fs::write(
        dir.path().join("themes/prod.toml"),
        "parent = \"high-contrast\"\nbg = \"#330000\"\nalert = \"blood\"\n",
    )
    .unwrap();
    let (ok, stderr) = sitrep(dir.path(), &["--theme", "prod"]);
    assert!(!ok);
    assert!(stderr.contains("prod.toml:3:9:"), "{stderr}");
    assert!(stderr.contains("field `alert`"), "{stderr}");
}

#[test]
fn default_config_text_is_printed_and_valid() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(["config", "print-default"])
        .env("SITREP_CONFIG_DIR", dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let cfg: sitrep::config::Config = toml::from_str(&text).unwrap();
    assert_eq!(cfg, sitrep::config::Config::default());
}
