//! Loading and validating runbooks: every shipped and valid fixture loads,
//! every invalid fixture fails with its problems at the right place.

use std::path::{Path, PathBuf};

use sitrep::runbook::library::{self, Library};
use sitrep::runbook::{load_file, render};

fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/runbooks")
        .join(kind)
}

/// (line, col, message fragment)
type Expected = (usize, usize, &'static str);

/// (fixture, expected): all of a file's problems, in file order.
const INVALID: &[(&str, &[Expected])] = &[
    ("syntax", &[(7, 13, "invalid basic string")]),
    (
        "unknown-field",
        &[(4, 1, "unknown field `colour`, expected one of `id`")],
    ),
    ("unknown-node-field", &[(9, 1, "unknown field `colour`")]),
    (
        "field-on-wrong-kind",
        &[(
            9,
            8,
            "`next` does not belong on a `done` node (allowed: text)",
        )],
    ),
    ("dangling-edge", &[(10, 8, "no node with id `nowhere`")]),
    (
        "unreachable",
        &[(11, 6, "node `orphan` is unreachable from the start node")],
    ),
    (
        "cycle-without-wait",
        &[(6, 6, "cycle `b` -> `a` passes through no `wait` node")],
    ),
    (
        "unknown-action",
        &[(9, 10, "unknown action `ecs.reboot_everything`")],
    ),
    (
        "unknown-param",
        &[(
            10,
            43,
            "action `autoscaling.set_bounds` has no parameter `maximum` (parameters: min, max)",
        )],
    ),
    (
        "bad-param-value",
        &[(
            10,
            10,
            "parameter `desired` must be a whole number >= 0, got 67.75",
        )],
    ),
    (
        "expr-parse-error",
        &[(
            10,
            23,
            "expression does not parse: Syntax error: extraneous input '>'",
        )],
    ),
    (
        "expr-multiline-parse-error",
        &[(8, 6, "expression does not parse")],
    ),
    ("expr-too-deep", &[(6, 17, "nested deeper than 8 brackets")]),
    (
        "expr-unknown-field",
        &[(
            10,
            9,
            "No such key: cpu_pct: `service` has no field `cpu_pct` (did you mean `cpu`?)",
        )],
    ),
    // The column is the offending operand's: `service.max - 5`.
    (
        "expr-int-vs-double",
        &[(10, 28, "numbers are doubles: write 5.0, not 5")],
    ),
    (
        "check-not-bool",
        &[(10, 9, "must be true or false, got a double")],
    ),
    (
        "answers-not-covered",
        &[
            (11, 9, "answer `local` of node `a` has no edge"),
            (
                11,
                39,
                "edge `elsewhere` is not an answer of node `a` (answers: regional, local)",
            ),
        ],
    ),
    (
        "missing-revert",
        &[(
            9,
            10,
            "action `autoscaling.set_bounds` raises capacity or changes strategy: name its revert",
        )],
    ),
    // The column is the placeholder's, not the text's start.
    (
        "bad-template",
        &[(
            9,
            35,
            "expression `service.nmae` in text: No such key: nmae",
        )],
    ),
    (
        "unknown-phase-and-kind",
        &[
            (7, 8, "unknown node kind `question`"),
            (11, 6, "node `b` is unreachable"),
            (13, 9, "unknown phase `postmortem`"),
        ],
    ),
    (
        "duplicate-id",
        &[
            (13, 6, "duplicate node id `a`"),
            (13, 6, "node `a` is unreachable"),
        ],
    ),
    (
        "action-wrong-scope",
        &[(
            9,
            10,
            "action `elasticache.set_maxmemory_policy` cannot target this runbook's scope `service`",
        )],
    ),
    // Found statically now, at the argument: `10`.
    (
        "bad-trigger",
        &[(
            6,
            27,
            "`interrupted_share` takes `minutes` as a double, got an int: numbers are doubles: write 10.0, not 10",
        )],
    ),
    (
        "wait-bad-minutes",
        &[
            (10, 11, "minutes must be > 0 and at most a day, got 0"),
            (11, 9, "answer `timeout` of node `a` has no edge"),
        ],
    ),
    // The validator reads the logic: every operand, not one evaluation.
    (
        "typo-behind-and",
        &[(
            8,
            46,
            "`service` has no field `p95_mss` (did you mean `p95_ms`?)",
        )],
    ),
    (
        "typo-behind-ternary",
        &[(
            10,
            63,
            "`service` has no field `runing` (did you mean `running`?)",
        )],
    ),
    (
        "impossible-string",
        &[
            (
                10,
                31,
                "`service.deployment` is never 'rolling' (its values: 'stable', 'in_progress', 'failed')",
            ),
            (
                10,
                60,
                "`service.arch` is never 'amd64' (its values: 'x86', 'arm64') (did you mean `arm64`?)",
            ),
        ],
    ),
    (
        "lookback-past-ring",
        &[
            (
                10,
                38,
                "`sustained_above` looks back 120 min, but the history holds 60 min",
            ),
            (
                10,
                61,
                "`failed_tasks` looks back 90 min, but the history holds 60 min",
            ),
        ],
    ),
    // Counted before evaluation, by a walk's reader: literals, whole minutes to 60, no trigger.
    (
        "log-matches",
        &[
            (6, 20, "use it in a node, not in a trigger"),
            (
                14,
                41,
                "counts over 120 min, but the reader counts whole minutes from 1 to 60",
            ),
            (14, 69, "takes `pattern` as a string literal"),
        ],
    ),
    (
        "no-catch-all",
        &[(
            10,
            11,
            "check `a` has no catch-all answer: when no `when` holds, the walk stops here",
        )],
    ),
    // One problem, with the likely target; not "unreachable" for what it meant to reach.
    (
        "dangling-edge-typo",
        &[(
            11,
            17,
            "no node with id `rasie-max` (did you mean `raise-max`?)",
        )],
    ),
    (
        "declared-metrics",
        &[
            (10, 8, "unknown statistic `Summ`"),
            (13, 8, "metric name `cpu` is a built-in metric"),
            (
                23,
                10,
                "period 45: CloudWatch takes 1, 5, 10, 30 or a multiple of 60",
            ),
            (
                36,
                16,
                "unknown metric `ocus` declared (metrics: ocu) (did you mean `ocu`?)",
            ),
            (43, 11, "`command` does not belong on a `done` node"),
        ],
    ),
    (
        "unknown-names",
        &[
            (10, 25, "unknown metric `cpu_pct` for a service scope"),
            (
                10,
                64,
                "no function `sustaned_below` (did you mean `sustained_below`?)",
            ),
            (
                20,
                35,
                "the action has no parameter `maximum` (did you mean `max`?)",
            ),
        ],
    ),
];

#[test]
fn every_invalid_fixture_fails_with_all_its_problems_located() {
    let dir = fixtures("invalid");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    let mut listed: Vec<String> = INVALID.iter().map(|(f, _)| f.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed, "every invalid fixture has expectations");

    for (name, expected) in INVALID {
        let path = dir.join(format!("{name}.toml"));
        let problems = load_file(&path).expect_err(name);
        let got: Vec<(usize, usize, String)> = problems
            .iter()
            .map(|p| (p.line, p.col, p.message.clone()))
            .collect();
        assert_eq!(got.len(), expected.len(), "{name}: {got:#?}");
        for ((line, col, fragment), (gl, gc, msg)) in expected.iter().zip(&got) {
            assert_eq!((line, col), (gl, gc), "{name}: {msg}");
            assert!(msg.contains(fragment), "{name}: `{msg}` lacks `{fragment}`");
        }
        for p in &problems {
            assert_eq!(p.file, path.display().to_string());
            assert!(
                p.to_string()
                    .starts_with(&format!("{}:{}:{}: ", path.display(), p.line, p.col)),
                "{p}"
            );
        }
    }
}

#[test]
fn valid_fixtures_load() {
    let loaded = library::load_dir(&fixtures("valid"));
    assert_eq!(loaded.len(), 2);
    for l in loaded {
        let rb = l.result.unwrap_or_else(|p| panic!("{}: {p:#?}", l.origin));
        assert!(!rb.nodes.is_empty());
    }
}

#[test]
fn every_shipped_runbook_validates_and_renders() {
    let shipped = library::shipped();
    let ids: Vec<String> = shipped
        .iter()
        .map(|l| match &l.result {
            Ok(rb) => rb.id.clone(),
            Err(p) => panic!("{}: {p:#?}", l.origin),
        })
        .collect();
    assert_eq!(
        ids,
        [
            "ecs-saturation",
            "spot-cascade",
            "override-revert",
            "cache-memory",
            "cost-overprovision",
            "scheduled-prewarm",
            "failed-deploy",
            "dynamodb-throttling",
            "opensearch-lag",
            "p95-latency",
            "right-size"
        ]
    );
    for l in shipped {
        let rb = l.result.unwrap();
        let mermaid = render::mermaid(&rb);
        assert!(mermaid.starts_with("flowchart TD\n"));
        for node in &rb.nodes {
            assert!(mermaid.contains(&node.id.replace('-', "_")), "{}", node.id);
        }
        let tree = render::tree(&rb);
        assert!(tree.contains(&rb.nodes[rb.start].id));
        assert!(rb.trigger.is_some(), "{} has a trigger", rb.id);
    }
}

#[test]
fn shipped_runbooks_cover_all_five_phases() {
    use sitrep::runbook::model::Phase;
    for l in library::shipped() {
        let rb = l.result.unwrap();
        for phase in [Phase::Detect, Phase::Triage, Phase::Verify, Phase::Revert] {
            assert!(
                rb.nodes.iter().any(|n| n.phase == phase),
                "{} has no {phase:?} node",
                rb.id
            );
        }
    }
}

/// A metric name means one metric across the library: a user runbook that
/// declares a shipped name differently is listed as broken, naming the other.
#[test]
fn a_metric_declared_differently_by_two_runbooks_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ours = std::fs::read_to_string(fixtures("valid").join("minimal.toml"))
        .unwrap()
        .replace("id = \"minimal\"", "id = \"my-table\"")
        .replacen(
            "[[node]]",
            "[[metric]]\nname = \"read_throttles\"\nnamespace = \"AWS/DynamoDB\"\nmetric = \"ReadThrottleEvents\"\ndimensions = { TableName = \"orders\" }\nstat = \"Sum\"\n\n[[node]]",
            1,
        );
    std::fs::write(dir.path().join("mine.toml"), ours).unwrap();
    let mut loaded = library::shipped();
    loaded.extend(library::load_dir(dir.path()));
    let lib = Library::from_loaded(loaded);
    assert!(lib.get("my-table").is_none());
    assert!(lib.get("dynamodb-throttling").is_some());
    let (file, problems) = &lib.broken[0];
    assert!(file.ends_with("mine.toml"), "{file}");
    assert!(
        problems[0]
            .message
            .contains("declared differently by runbook `dynamodb-throttling`"),
        "{problems:?}"
    );
    // Each name once, whichever runbooks share it.
    let names: Vec<String> = lib.declared().into_iter().map(|d| d.name).collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(names.len(), unique.len());
    assert!(names.contains(&"search_ocu".to_string()));
}

#[test]
fn ecs_saturation_mermaid() {
    let rb = library::shipped().remove(0).result.unwrap();
    insta::assert_snapshot!(render::mermaid(&rb));
}

#[test]
fn user_runbook_replaces_shipped_one_with_same_id_and_broken_ones_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let ours = std::fs::read_to_string(fixtures("valid").join("minimal.toml"))
        .unwrap()
        .replace("id = \"minimal\"", "id = \"spot-cascade\"");
    std::fs::write(dir.path().join("spot.toml"), ours).unwrap();
    std::fs::write(dir.path().join("broken.toml"), "id = ").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a runbook").unwrap();
    let mut loaded = library::shipped();
    loaded.extend(library::load_dir(dir.path()));
    let lib = Library::from_loaded(loaded);
    assert_eq!(lib.runbooks.len(), library::SHIPPED.len());
    assert_eq!(
        lib.get("spot-cascade").unwrap().title,
        "The smallest runbook"
    );
    assert_eq!(lib.broken.len(), 1);
    assert!(lib.broken[0].0.ends_with("broken.toml"));
    assert_eq!(lib.broken[0].1[0].line, 1);
}
