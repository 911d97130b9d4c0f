//! The runbook reference, generated from the declarations the checker and the
//! walk use (`cel::schema`, `cel::functions::HELPERS`, the action catalogue):
//! `sitrep runbook vars|helpers|actions` print its parts, `sitrep runbook docs`
//! the whole page committed as docs/runbooks.md (a test holds them equal).

use std::fmt::Write as _;

use super::cel::functions::{CACHE_METRICS, HELPERS, LOOKBACK_S, SERVICE_METRICS};
use super::cel::schema::{self, AT_START_DOC, Object, PROPOSED_DOC, Ty, VARIABLES};
use super::raw::allowed_fields;
use crate::action::catalogue::{CATALOGUE, ParamType, TargetKind};
use crate::action::guards;

/// The worked example, a runbook that passes `runbook check`.
pub const EXAMPLE: &str = include_str!("../../docs/examples/latency-sla.toml");
const EXAMPLE_PATH: &str = "docs/examples/latency-sla.toml";

/// Markdown table cells: pipes would end the cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn values(ty: &Ty) -> String {
    match ty {
        Ty::Enum(v) => v
            .values
            .iter()
            .map(|v| format!("`'{v}'`"))
            .collect::<Vec<_>>()
            .join(", "),
        Ty::List(inner) => values(inner),
        _ => String::new(),
    }
}

fn object_rows(out: &mut String, prefix: &str, object: &Object) {
    for f in &object.fields {
        let name = format!("{prefix}.{}", f.name);
        let _ = writeln!(
            out,
            "| `{name}` | {} | {} | {} |",
            f.ty,
            values(&f.ty),
            cell(f.doc)
        );
        if let Ty::List(inner) = &f.ty
            && let Ty::Object(o) = inner.as_ref()
        {
            object_rows(out, &format!("{name}[]"), o);
        }
    }
}

/// Every variable with its type, known values and meaning.
pub fn vars() -> String {
    let mut out = String::from(
        "Numbers are doubles (write `5.0`, not `5`). A metric without a datapoint is -1 and its \
         `has_*` flag is false: guard \"below\" thresholds with the flag \
         (`service.has_cpu && service.cpu < 30.0`).\n\n\
         | variable | type | values | meaning |\n|---|---|---|---|\n",
    );
    for v in VARIABLES.iter() {
        let _ = writeln!(out, "| `{}` | {} | | {} |", v.name, v.ty, cell(v.doc));
        if let Ty::Object(o) = &v.ty {
            object_rows(&mut out, v.name, o);
        }
    }
    let _ = writeln!(
        out,
        "| `at_start` | service or cache | | {} |",
        cell(AT_START_DOC)
    );
    let _ = writeln!(out, "| `proposed` | map | | {} |", cell(PROPOSED_DOC));
    out
}

/// Every helper with its signature, lookback and meaning.
pub fn helpers() -> String {
    let limit = LOOKBACK_S / 60;
    let mut out = format!(
        "A lookback is a window of minutes back from the snapshot's time; the history holds \
         {limit} minutes, so `runbook check` refuses a longer one.\n\n\
         | helper | lookback | meaning |\n|---|---|---|\n"
    );
    for h in HELPERS {
        let lookback = h
            .lookback
            .map(|i| format!("`{}`, at most {limit} min", h.args[i].0))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| `{}` | {lookback} | {} |",
            cell(&h.signature()),
            cell(h.doc)
        );
    }
    let quote = |m: &[&str]| {
        m.iter()
            .map(|m| format!("`'{m}'`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        out,
        "\nMetric names: {} for a service; {} for a cache.\n\n\
         Standard CEL works too: `&&`, `||`, `!`, `?:`, `in`, `size`, `contains`, `startsWith`, \
         `endsWith`, `matches`, `timestamp('...')`, `duration('2h')`, `double(...)`, and the macros \
         `exists`, `all`, `exists_one`, `map`, `filter`.\n",
        quote(SERVICE_METRICS),
        quote(CACHE_METRICS)
    );
    out
}

fn param_type(ty: ParamType) -> &'static str {
    match ty {
        ParamType::Count => "a whole number >= 0 (a double such as `120.0` will do)",
        ParamType::Text => "text",
        ParamType::Strategy => "a list of `{'provider': ..., 'weight': ..., 'base': ...}`",
    }
}

/// Every action with its parameters, guards and revert.
pub fn actions() -> String {
    let mut out = String::from(
        "Every action goes through the one executor: guards, a confirmation, the audit log, and \
         (for an override) the ledger with its revert. Every action also checks:\n\n",
    );
    for g in guards::COMMON {
        let _ = writeln!(out, "- {g}");
    }
    for spec in CATALOGUE {
        let _ = writeln!(out, "\n### `{}`\n\n{}.\n", spec.id, spec.summary);
        let target = match spec.target {
            TargetKind::Service => "a service scope",
            TargetKind::Cache => "a cache scope",
            TargetKind::None => "nothing: write a `step` node instead",
        };
        let _ = writeln!(out, "- targets: {target}");
        if spec.target == TargetKind::None {
            continue;
        }
        if spec.params.is_empty() {
            let _ = writeln!(out, "- parameters: none");
        }
        for p in spec.params {
            let _ = writeln!(
                out,
                "- parameter `{}`{}: {}",
                p.name,
                if p.required { "" } else { " (optional)" },
                param_type(p.ty)
            );
        }
        for g in spec.guards {
            let _ = writeln!(out, "- guard: {g}");
        }
        let _ = writeln!(
            out,
            "- confirmation: {}",
            if spec.risky {
                "type the target's name"
            } else {
                "`y`"
            }
        );
        let _ = writeln!(
            out,
            "- revert: {}{}",
            if spec.needs_revert {
                "required in a runbook (`revert = \"auto\"` or `revert = { action = ..., params = { ... } }`); "
            } else {
                "optional; "
            },
            format_args!("`revert = \"auto\"` records: {}", spec.revert)
        );
    }
    out
}

/// What `runbook check` finds in the worked example with two typos.
fn typo_problems() -> String {
    let broken = EXAMPLE
        .replace(
            "expr = \"service.has_p95 && service.p95_ms > 2000.0\"",
            "expr = \"service.has_p95 && service.p95_mss > 2000.0\"",
        )
        .replace("'in_progress'", "'rolling'");
    match super::load_str("latency-sla.toml", &broken) {
        Ok(_) => "(no problem found: the example's typos are out of date)\n".into(),
        Err(problems) => problems.iter().map(|p| format!("{p}\n")).collect(),
    }
}

fn kinds() -> String {
    let mut out =
        String::from("| kind | fields besides `id`, `kind`, `phase`, `title` |\n|---|---|\n");
    for kind in ["check", "action", "step", "wait", "done", "escalate"] {
        let fields: Vec<String> = allowed_fields(kind)
            .unwrap_or(&[])
            .iter()
            .map(|f| format!("`{f}`"))
            .collect();
        let _ = writeln!(out, "| {kind} | {} |", fields.join(", "));
    }
    out
}

/// docs/runbooks.md.
pub fn page() -> String {
    let deployment = schema::DEPLOYMENT_STATES
        .iter()
        .map(|s| format!("`'{s}'`"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"# Writing runbooks

<!-- Generated by `sitrep runbook docs` from the code (variables, helpers, actions,
the worked example). Edit the code, not this page: a test holds them equal. -->

A runbook is a TOML file: a decision tree of nodes, walked by a state machine
against live snapshots. sitrep ships six (`runbooks/*.toml`); `runbooks.dirs` in
the config adds yours, and a file with a shipped runbook's `id` replaces it.

```
sitrep runbook check [FILE|DIR]...         # every problem as file:line:col: message
sitrep runbook show ID|FILE [--mermaid]    # the tree, with each action's revert
sitrep runbook run ID|FILE --scenario NAME [--auto|--dry-run]   # walk it on the simulator
sitrep runbook vars | helpers | actions    # the reference below
```

## The file

`id`, `title`, `scope` (`service` or `cache`), an optional `description`, `start`
(default: the first node) and `[trigger]` (`when`, an expression, and `why`, a
text): the cockpit suggests the runbook for each service or cache where `when`
holds. Then `[[node]]` tables, each with an `id`, a `kind`, a `phase` (detect,
triage, mitigate, verify, revert) and an optional short `title`:

{kinds}
- **check**: `question`, and either `expr` (answers `yes` and `no`) or
  `answers = [{{ name, when }}, ...]`; `edges` maps each answer to a node.
  The first answer whose `when` holds is the evaluated one. An answer without
  `when` is the operator's to choose. `evidence` lists expressions shown beside
  the question.
- **action**: `action` (a catalogue id), `params` (name -> expression), `revert`,
  `verify = {{ when, minutes }}` (`proposed.<param>` there is the value applied)
  and `next`. Revert parameters are evaluated when the action is proposed, so
  `service.max` there is the value before the change.
- **wait**: `when`, `minutes`, and edges `met` / `timeout`.
- **step**: `text` to do elsewhere and tick off; `next`; and `command`, the
  exact command to run where sitrep has no action for the fix (DynamoDB
  capacity, OpenSearch limits, a placement constraint). The walk shows it to
  copy; ticking the step records it in the audit log, and on the simulator a
  scenario's `[[fix]]` that the command starts with plays it.
- **done**, **escalate**: `text`. Texts take `{{expression}}` placeholders; `{{{{`
  and `}}}}` are literal braces.

## Any CloudWatch metric: `[[metric]]`

A runbook declares the metrics it reads beyond the fleet's own, each with a
`name`, `namespace`, `metric`, `dimensions` (a table), `stat` (`Average`,
`Sum`, `Maximum`, `Minimum`, `SampleCount` or a percentile such as `p95`) and
`period` (seconds: 1, 5, 10, 30 or a multiple of 60; default 60). A metric
of a high resolution (a period under the fleet's 60 s) is read at its own
period, alone, between the fleet's reads (at most once per 15 s refresh):

```toml
[[metric]]
name = "read_throttles"
namespace = "AWS/DynamoDB"
metric = "ReadThrottleEvents"
dimensions = {{ TableName = "manga-sessions" }}
stat = "Sum"
```

Expressions read it as `metric('read_throttles')` (-1 without a datapoint), and
the history helpers take its name like a scope metric's
(`sustained_above('read_throttles', 0.0, 5.0)`, `lowest`, `highest`, `average`).
On AWS each declared metric is one more query in the batched GetMetricData the
cockpit already makes (500 per call): it costs $0.01 per 1,000 reads like any
metric, and nothing per service. The simulator models those its scenarios use
(`[[table]]`, `[[collection]]`, `[[fault]]`, `[[metric]]` in a scenario file).
A name means one metric in the whole library: a runbook that declares a name
another declares differently is listed as broken.

## How a walk decides

Each check is evaluated on every snapshot and the evaluated answer is
highlighted; Enter takes it, a number key takes another (recorded as an
overrule). When no answer holds, or an expression cannot be evaluated (a
missing tag, a metric without data), nothing is taken by default: the walk
stays on the node, shows why, and the operator chooses. A headless
`sitrep runbook run --auto` ends there with `stuck at NODE: why` and a non-zero
exit. A wait whose condition cannot be evaluated neither meets nor times out.

## What `runbook check` checks

- the TOML, the fields each kind takes, every edge and node id (with the
  nearest id on a typo; a dangling edge is reported once, not as a cascade of
  unreachable nodes), cycles that pass through no `wait`;
- every expression, statically: each operand of `&&`, `||` and `?:` is typed
  against the variables and helpers below, so a typo behind a short-circuit is
  found (`did you mean p95_ms?`), at its line and column;
- string comparisons against the known values of enum-like fields:
  `service.deployment` is one of {deployment}, so `== 'rolling'` is refused;
- lookbacks past the history ({limit} minutes) and unknown metric names;
- checks whose answers have no catch-all (`when = "true"`, or an answer without
  `when`): when nothing holds the walk would stop there;
- every action against the catalogue: its parameters (evaluated on a sample
  fleet), and that an action raising capacity or changing strategy names its
  revert.

## Variables

{vars}
## Helpers

{helpers}
## Actions

{actions}
## A worked example: a new runbook

Seed 002 sets a 2 s P95 target. This runbook ({example_path}) pages nobody while
the cause is capacity: it adds the tasks the load needs, with the revert
planned, and watches the latency come back.

```toml
{example}```

1. Write it, and check it. Suppose `breach` reads `service.p95_mss` behind the
   `&&`, and `cause` compares the deployment with `'rolling'`:

   ```
   $ sitrep runbook check latency-sla.toml
{typos}   ```

   Fix both (`p95_ms`, `'in_progress'`) and `check` answers
   `latency-sla.toml: OK (latency-sla, 7 nodes)`.
2. Look at the tree, with each action's revert: `sitrep runbook show latency-sla.toml`
   (`--mermaid` for a diagram).
3. Walk it on the simulator without writing anything:
   `sitrep runbook run latency-sla.toml --scenario manga-release --dry-run`.
   The trigger holds first for the worker (its P95 sits near 3 s at 60 % CPU):
   neither a deployment nor saturation, so the walk stops at `cause` with
   `result: stuck at cause: no answer matched the data; other is the
   operator's to choose`. That is the walk saying it does not know; in the
   cockpit the operator picks `other` and reads the traces.
4. Drop it in a directory listed in `runbooks.dirs`: the cockpit suggests it
   when its trigger holds.
"#,
        kinds = kinds(),
        deployment = deployment,
        limit = LOOKBACK_S / 60,
        vars = vars(),
        helpers = helpers(),
        actions = actions(),
        example_path = EXAMPLE_PATH,
        example = EXAMPLE,
        typos = indent(&typo_problems(), "   "),
    )
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::cel::schema::{BASELINE, CACHE, FLEET, SERVICE, STRATEGY_ITEM};

    #[test]
    fn the_reference_lists_every_variable_helper_and_action() {
        let (vars, helpers, actions) = (vars(), helpers(), actions());
        for v in VARIABLES.iter() {
            assert!(vars.contains(&format!("| `{}` |", v.name)), "{}", v.name);
        }
        for (prefix, object) in [
            ("service", &*SERVICE),
            ("cache", &*CACHE),
            ("fleet", &*FLEET),
            ("baseline", &*BASELINE),
            ("service.strategy[]", &*STRATEGY_ITEM),
        ] {
            for f in &object.fields {
                let row = format!("| `{prefix}.{}` |", f.name);
                assert!(vars.contains(&row), "{row}");
            }
        }
        assert!(vars.contains("`'stable'`, `'in_progress'`, `'failed'`"));
        for h in HELPERS {
            assert!(helpers.contains(&format!("| `{}", h.name)), "{}", h.name);
        }
        assert!(helpers.contains("| `sustained_above(metric: metric, threshold: double, minutes: double) -> bool` | `minutes`, at most 60 min |"));
        for spec in CATALOGUE {
            assert!(
                actions.contains(&format!("### `{}`", spec.id)),
                "{}",
                spec.id
            );
            for p in spec.params {
                assert!(actions.contains(&format!("parameter `{}`", p.name)));
            }
        }
        let page = page();
        for part in [&vars, &helpers, &actions] {
            assert!(page.contains(part.as_str()));
        }
    }

    #[test]
    fn the_worked_example_passes_check_and_its_typos_do_not() {
        crate::runbook::load_str(EXAMPLE_PATH, EXAMPLE).unwrap_or_else(|p| panic!("{p:#?}"));
        let typos = typo_problems();
        assert!(typos.contains("(did you mean `p95_ms`?)"), "{typos}");
        assert!(
            typos.contains("`service.deployment` is never 'rolling'"),
            "{typos}"
        );
    }
}
