//! The log at `trace` after real SDK calls against moto: credentials given as
//! marker values never reach the file, the requests themselves still do, and
//! the file is readable by its owner only.

use crate::common::moto;

use std::path::Path;
use std::process::Command;

use moto::moto;

/// `sitrep snapshot --json --aws` on moto with `SITREP_LOG=trace`, data and
/// home in `dir`; returns the log's text.
fn traced_read(dir: &Path, extra_args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sitrep"));
    cmd.args([
        "snapshot",
        "--json",
        "--aws",
        "--endpoint-url",
        &moto().endpoint,
        "--region",
        "us-east-1",
    ])
    .args(extra_args)
    .env_remove("AWS_ACCESS_KEY_ID")
    .env_remove("AWS_SECRET_ACCESS_KEY")
    .env_remove("AWS_SESSION_TOKEN")
    .env_remove("AWS_PROFILE")
    .env("AWS_EC2_METADATA_DISABLED", "true")
    .env("HOME", dir)
    .env("AWS_CONFIG_FILE", dir.join(".aws/config"))
    .env("AWS_SHARED_CREDENTIALS_FILE", dir.join(".aws/credentials"))
    .env("SITREP_CONFIG_DIR", dir.join("config"))
    .env("SITREP_DATA_DIR", dir.join("data"))
    .env("SITREP_LOG", "trace");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the sitrep binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.join("data/sitrep.log")).expect("the log file was written")
}

fn assert_clean(log: &str, markers: &[&str]) {
    for marker in markers {
        if let Some(at) = log.find(marker) {
            let from = log[..at].rfind('\n').map_or(0, |n| n + 1);
            let to = log[at..].find('\n').map_or(log.len(), |n| at + n);
            panic!(
                "{marker} is in the log: {}",
                &log[from..to.min(from + 2000)]
            );
        }
    }
    // The calls are logged in full, only the credentials are gone.
    for expected in [
        "ListClusters",
        "canonical_request=",
        "x-amz-security-token",
        "authorization",
        "[redacted]",
    ] {
        assert!(log.contains(expected), "{expected} not in the log");
    }
}

#[test]
fn environment_credentials_never_reach_a_trace_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = traced_read(
        dir.path(),
        &[],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAMARKERKEYID00001"),
            ("AWS_SECRET_ACCESS_KEY", "marker-secret/access+key0001"),
            ("AWS_SESSION_TOKEN", "marker-session-token/0001+xyz=="),
        ],
    );
    assert_clean(
        &log,
        &["MARKERKEYID", "marker-secret", "marker-session-token"],
    );
}

#[test]
fn profile_credentials_never_reach_a_trace_log() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
    std::fs::write(
        dir.path().join(".aws/config"),
        "[profile marked]\nregion = us-east-1\n",
    )
    .unwrap();
    // Not shaped like AWS keys: only the resolved values and the keys naming them can catch these.
    std::fs::write(
        dir.path().join(".aws/credentials"),
        "[marked]\naws_access_key_id = profile-key-marker-01\naws_secret_access_key = profile-secret-marker-01\naws_session_token = profile-token-marker-01\n",
    )
    .unwrap();
    let log = traced_read(dir.path(), &["--profile", "marked"], &[]);
    assert_clean(
        &log,
        &[
            "profile-key-marker",
            "profile-secret-marker",
            "profile-token-marker",
        ],
    );
}

#[cfg(unix)]
#[test]
fn the_log_file_is_private_even_if_it_was_not() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data/sitrep.log");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "an older run\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(["config", "paths"])
        .env("SITREP_CONFIG_DIR", dir.path().join("config"))
        .env("SITREP_DATA_DIR", dir.path().join("data"))
        .env_remove("SITREP_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success());
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("an older run\n")
    );
}
