//! `sitrep snapshot --json` against moto, and its failure when nothing answers.

use crate::common::moto;

use std::process::{Command, Output};

use moto::moto;

fn sitrep(endpoint: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sitrep"));
    cmd.args([
        "snapshot",
        "--json",
        "--aws",
        "--endpoint-url",
        endpoint,
        "--region",
        "us-east-1",
    ])
    .env("AWS_ACCESS_KEY_ID", "testing")
    .env("AWS_SECRET_ACCESS_KEY", "testing")
    .env("AWS_EC2_METADATA_DISABLED", "true")
    .env("SITREP_CONFIG_DIR", env!("CARGO_TARGET_TMPDIR"))
    .env_remove("AWS_PROFILE");
    cmd
}

/// The JSON a successful run printed (its stderr is the message when it failed).
fn json_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn snapshot_json_matches_the_moto_fleet() {
    let cfg = moto().aws_config();
    let out = sitrep(cfg.endpoint_url.as_deref().unwrap())
        .output()
        .unwrap();
    let json = json_of(&out);
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["source"], "aws@us-east-1");
    let services = json["services"].as_array().unwrap();
    assert_eq!(services.len(), 24);
    let orch = services
        .iter()
        .find(|s| s["cluster"] == "manga" && s["name"] == "orchestrator")
        .unwrap();
    assert_eq!(orch["desired"], 12);
    assert_eq!(
        (orch["min"].clone(), orch["max"].clone()),
        (2.into(), 50.into())
    );
    assert_eq!(orch["cpu_pct"], 91.5);
    assert_eq!(orch["arch"], "x86");
    assert_eq!(orch["launch_type"], "FARGATE");
    let apis: Vec<_> = services.iter().filter(|s| s["name"] == "api").collect();
    assert_eq!(apis.len(), 2, "same name in two clusters");
    assert_eq!(json["caches"][0]["id"], "sessions");
    assert_eq!(json["caches"][0]["memory_pct"], 78.0);
    let alarm = json["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "orchestrator-cpu-high")
        .unwrap();
    assert_eq!(alarm["state"], "ALARM");
    // moto lacks DescribeScalingActivities and the cache parameter calls: reported, not fatal.
    let failed: Vec<_> = json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["part"].clone())
        .collect();
    assert!(failed.contains(&"events".into()), "{failed:?}");
    assert!(json["api_calls"].as_u64().unwrap() > 10);
}

#[test]
fn snapshot_json_fails_clearly_when_nothing_answers() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = sitrep(&format!("http://{closed}")).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nothing could be read from AWS (aws@us-east-1)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the AWS endpoint cannot be reached (Connection refused"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn snapshot_json_defaults_to_the_simulator() {
    let out = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(["snapshot", "--json"])
        .env("SITREP_CONFIG_DIR", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .unwrap();
    let json = json_of(&out);
    assert_eq!(json["schema_version"], 1);
    assert!(json["source"].as_str().unwrap().starts_with("SIM "));
    assert!(!json["services"].as_array().unwrap().is_empty());
}

#[test]
fn snapshot_json_names_missing_credentials() {
    let out = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args([
            "snapshot",
            "--json",
            "--aws",
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .env_clear()
        .env("HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("SITREP_CONFIG_DIR", env!("CARGO_TARGET_TMPDIR"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nothing could be read from AWS"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ecs:ListClusters: no AWS credentials found (environment, profile files"),
        "{stderr}"
    );
}

/// `sitrep snapshot --json --aws --profile PROFILE` with only the AWS files
/// written into a fresh `name` directory (nothing from the environment); its stderr.
fn with_aws_files(name: &str, config: &str, credentials: &str, profile: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config"), config).unwrap();
    std::fs::write(dir.join("credentials"), credentials).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(["snapshot", "--json", "--aws", "--profile", profile])
        .args([
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .env_clear()
        .env("HOME", &dir)
        .env("SITREP_CONFIG_DIR", &dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_unknown_profile_is_named_with_the_ones_that_exist() {
    let stderr = with_aws_files(
        "aws-profiles",
        "[profile prod]\nregion = us-east-1\n",
        "[staging]\naws_access_key_id = AKIAEXAMPLE\n",
        "nosuchprofile",
    );
    assert!(
        stderr.contains("no AWS profile named `nosuchprofile`; profiles found: prod, staging"),
        "{stderr}"
    );
}

#[test]
fn an_sso_profile_without_a_session_says_how_to_log_in() {
    let stderr = with_aws_files(
        "aws-sso",
        "[profile prod]\nsso_session = corp\nsso_account_id = 123456789012\n\
         sso_role_name = Admin\nregion = us-east-1\n\
         [sso-session corp]\nsso_start_url = https://corp.example/start\nsso_region = us-east-1\n",
        "",
        "prod",
    );
    assert!(
        stderr.contains(
            "ecs:ListClusters: the SSO session has expired or was never started: \
             run `aws sso login --profile prod`"
        ),
        "{stderr}"
    );
}
