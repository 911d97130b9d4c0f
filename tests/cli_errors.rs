//! What a person sees on the command line: an expected failure is one plain
//! `sitrep: ...` line (no backtrace even with RUST_BACKTRACE=1, no escape
//! codes when stderr is not a terminal), and the shell completions and the
//! man page come from the same definition as `--help`.

use std::path::Path;
use std::process::{Command, Output};

fn sitrep(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LIB_BACKTRACE", "1")
        .env("HOME", home)
        .env("SITREP_CONFIG_DIR", home.join("config"))
        .env("SITREP_DATA_DIR", home.join("data"))
        .env("AWS_CONFIG_FILE", home.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.join("no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .env_remove("SITREP_CONFIG")
        .env_remove("SITREP_THEME")
        .env_remove("SITREP_SCENARIO")
        .output()
        .expect("the sitrep binary runs")
}

/// The one line a failing run printed, after checking that it is exactly that.
fn plain_error(home: &Path, args: &[&str]) -> String {
    let out = sitrep(home, args);
    let stderr = String::from_utf8(out.stderr).expect("UTF-8 on stderr");
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.starts_with("sitrep: "), "{args:?}: {stderr}");
    assert!(
        !stderr.contains('\x1b'),
        "{args:?}: escape codes in {stderr:?}"
    );
    for noise in [
        "Location",
        "acktrace",
        "src/",
        "rust_begin_unwind",
        "Error:",
    ] {
        assert!(!stderr.contains(noise), "{args:?}: {noise} in {stderr}");
    }
    stderr.trim_end().to_string()
}

#[test]
fn expected_failures_are_one_plain_line() {
    let home = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--theme", "neon"], "unknown theme `neon`"),
        (
            &["snapshot", "--json", "--scenario", "no-such-scenario"],
            "no-such-scenario: unknown scenario",
        ),
        (&["drill", "no-such-scenario"], "unknown scenario"),
        (
            &["runbook", "show", "no-such-runbook"],
            "no runbook `no-such-runbook`",
        ),
        (&["snapshot", "--json", "--aws"], "no AWS region"),
        (
            &["--wall", "audit"],
            "--wall does not apply to `sitrep audit`",
        ),
    ];
    for (args, expected) in cases {
        let line = plain_error(home.path(), args);
        assert!(line.contains(expected), "{args:?}: {line}");
    }
}

#[test]
fn a_bad_config_is_one_plain_line_with_file_line_and_column() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/config.toml"),
        "[sim]\nseed = \"seven\"\n",
    )
    .unwrap();
    let line = plain_error(home.path(), &["config", "paths"]);
    assert!(line.contains("config.toml:2:8:"), "{line}");
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    let home = tempfile::tempdir().unwrap();
    // Completions read no config: a broken one does not stop them.
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(home.path().join("config/config.toml"), "not toml [").unwrap();
    for (shell, marker) in [
        ("bash", "complete -F _sitrep"),
        ("zsh", "#compdef sitrep"),
        ("fish", "complete -c sitrep"),
    ] {
        let out = sitrep(home.path(), &["completions", shell]);
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: no {marker}");
        for word in ["snapshot", "runbook", "endpoint-url", "completions"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
    assert!(
        !home.path().join("data/sitrep.log").exists(),
        "no log for completions"
    );
    let out = sitrep(home.path(), &["completions", "tcsh"]);
    assert!(!out.status.success());
}

#[test]
fn man_page_in_roff() {
    let home = tempfile::tempdir().unwrap();
    let out = sitrep(home.path(), &["man"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = String::from_utf8(out.stdout).unwrap();
    for part in [
        ".TH sitrep 1",
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH COMMANDS",
        ".SS \"sitrep snapshot\"",
        ".SS \"sitrep runbook run\"",
        "\\-\\-read\\-only",
    ] {
        assert!(page.contains(part), "no {part} in the man page");
    }
}
