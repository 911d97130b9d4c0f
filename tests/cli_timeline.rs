//! `sitrep timeline` after a headless walk, through the real binary: the
//! fleet's alarms and scaling, the walk's checks with their evidence and its
//! actions with before/after and revert, in time order; the Markdown
//! post-mortem; filters and errors.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn sitrep(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .args(args)
        .env("SITREP_DATA_DIR", data)
        .env("SITREP_CONFIG_DIR", data.join("config"))
        .env_remove("SITREP_LOG")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A data dir with one `runbook run ecs-saturation --scenario manga-release --auto`.
fn walked() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let run = sitrep(
        dir.path(),
        &[
            "runbook",
            "run",
            "ecs-saturation",
            "--scenario",
            "manga-release",
            "--auto",
        ],
    );
    assert!(run.status.success(), "{}", text(&run));
    dir
}

fn kinds(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["kind"].as_str().unwrap()).collect()
}

#[test]
fn a_headless_walk_leaves_a_timeline_of_the_fleet_and_the_operator() {
    let dir = walked();
    let out = sitrep(dir.path(), &["timeline", "--run", "last", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let t: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(t["v"], 1);
    assert_eq!(t["source"], "SIM manga-release");
    let items = t["items"].as_array().unwrap();
    let times: Vec<&str> = items.iter().map(|i| i["at"].as_str().unwrap()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "items are in time order");
    let k = kinds(items);
    for kind in ["alarm", "scaling", "node", "check", "action"] {
        assert!(k.contains(&kind), "no {kind} in {k:?}");
    }
    // The orchestrator's P95 alarm fires before the first action, which comes before recovery.
    let pos = |pred: &dyn Fn(&Value) -> bool| items.iter().position(pred).unwrap();
    let alarm = pos(&|i| {
        i["kind"] == "alarm"
            && i["text"]
                .as_str()
                .unwrap()
                .starts_with("orchestrator-p95-high: OK -> ALARM")
    });
    let action = pos(&|i| i["kind"] == "action");
    assert!(alarm < action);
    // A check carries the evidence the operator saw.
    let check = items.iter().find(|i| i["kind"] == "check").unwrap();
    assert!(
        !check["detail"]["evidence"].as_array().unwrap().is_empty(),
        "{check}"
    );
    assert_eq!(check["by"], "operator");
    // An action carries its request, before/after, revert and outcome.
    let raise = &items[action];
    assert_eq!(raise["service"], "manga-chatbot/orchestrator");
    assert_eq!(
        raise["detail"]["request"]["action"], "autoscaling.set_bounds",
        "{raise}"
    );
    let changes = raise["detail"]["changes"].as_array().unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c["field"] == "max" && c["before"] == "50" && c["after"] == "200"),
        "{changes:?}"
    );
    assert!(raise["detail"]["revert"].is_object(), "{raise}");
    assert_eq!(raise["detail"]["outcome"], "ok");
    assert_eq!(raise["phase"], "mitigate");
    // The summary measures against the scenario's SLA; the raise is still in force.
    let s = &t["summary"];
    assert_eq!(s["sla"]["services"][0], "orchestrator");
    assert!(s["minutes_over_sla"].as_f64().unwrap() > 0.0, "{s}");
    assert!(s["minutes_to_mitigate"].as_f64().is_some(), "{s}");
    assert_eq!(s["actions"].as_array().unwrap().len(), 2);
    assert!(!t["overrides"].as_array().unwrap().is_empty());
}

#[test]
fn the_markdown_is_a_post_mortem_section() {
    let dir = walked();
    let out = sitrep(dir.path(), &["timeline", "--run", "last", "--format", "md"]);
    assert!(out.status.success(), "{}", text(&out));
    let md = String::from_utf8(out.stdout).unwrap();
    for part in [
        "## Incident timeline: SIM manga-release",
        "### Summary",
        "| Time to mitigate |",
        "### Actions taken",
        "### Triage",
        "### Mitigate",
        "| UTC | JST | by | kind | service | what |",
        "### Overrides still in force",
        " JST",
    ] {
        assert!(md.contains(part), "no {part:?} in\n{md}");
    }
}

#[test]
fn since_and_service_narrow_the_timeline() {
    let dir = walked();
    let all = sitrep(dir.path(), &["timeline", "--run", "last", "--json"]);
    let all: Value = serde_json::from_slice(&all.stdout).unwrap();
    let recent = sitrep(
        dir.path(),
        &["timeline", "--run", "last", "--json", "--since", "10m"],
    );
    let recent: Value = serde_json::from_slice(&recent.stdout).unwrap();
    let n = |t: &Value| t["items"].as_array().unwrap().len();
    assert!(n(&recent) < n(&all), "{} vs {}", n(&recent), n(&all));
    let ws = sitrep(
        dir.path(),
        &[
            "timeline",
            "--run",
            "last",
            "--json",
            "--service",
            "websocket-handler",
        ],
    );
    let ws: Value = serde_json::from_slice(&ws.stdout).unwrap();
    let items = ws["items"].as_array().unwrap();
    assert!(items.iter().all(|i| {
        i["service"].is_null() && i["by"] == "operator"
            || i["service"]
                .as_str()
                .unwrap()
                .ends_with("websocket-handler")
    }));
    assert!(items.iter().any(|i| i["kind"] == "scaling"));
}

#[test]
fn bad_input_and_missing_records_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let out = sitrep(dir.path(), &["timeline", "--since", "yesterday"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("expected a duration"), "{}", text(&out));
    let out = sitrep(dir.path(), &["timeline", "--run", "last"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no `sitrep runbook run` recorded"),
        "{}",
        text(&out)
    );
    let out = sitrep(dir.path(), &["timeline"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("no fleet journal"), "{}", text(&out));
}
