//! Runbooks: decision trees as data, walked by a state machine against live snapshots.
//!
//! A runbook is a TOML file (`runbooks/*.toml` are shipped; `runbooks.dirs` in
//! the config adds more, and a user file replaces a shipped one with the same id):
//!
//! ```toml
//! id = "ecs-saturation"
//! title = "ECS service saturated"
//! scope = "service"                 # or "cache"
//! start = "alert"                   # optional; default the first node
//!
//! [trigger]                         # the cockpit suggests the runbook where this holds
//! when = "sustained_above('cpu', 85.0, 2.0) && service.p95_ms > 3000.0"
//! why = "CPU {service.cpu}% with {service.running}/{service.max} tasks"
//!
//! [[node]]
//! id = "alert"
//! kind = "check"                    # check, action, step, wait, done, escalate
//! phase = "detect"                  # detect, triage, mitigate, verify, revert
//! question = "Is CPU above 85 %?"
//! expr = "service.cpu > 85.0"       # yes/no; or answers = [{ name, when }, ...]
//! evidence = ["service.cpu"]
//! edges = { yes = "raise-max", no = "done" }
//!
//! [[node]]
//! id = "raise-max"
//! kind = "action"
//! phase = "mitigate"
//! action = "autoscaling.set_bounds"
//! params = { min = "service.min", max = "200.0" }
//! revert = { action = "autoscaling.set_bounds", params = { min = "service.min", max = "service.max" } }
//! verify = { when = "service.max >= 200.0", minutes = 2.0 }
//! next = "done"
//! ```
//!
//! Steps have `text` and `next`; waits have `when`, `minutes` and edges `met` /
//! `timeout`; done and escalate have `text`. Texts take `{expression}`
//! placeholders. Expressions are CEL over `service`, `cache`, `fleet`,
//! `baseline`, `now`, `scope`, `at_start` (nodes) and `proposed` (verify),
//! declared in `cel::schema`, and the helpers of `cel::functions::HELPERS`;
//! numbers are doubles, and a missing metric is -1 with a `has_*` flag.
//! Revert parameters are evaluated when the action is proposed, so they see
//! the state before the change. `sitrep runbook check` type-checks every
//! expression statically (`cel::check`) and lists every problem of a file as
//! `file:line:col: message`. `reference` prints all of it: docs/runbooks.md.
//!
//! A walk never takes a branch the data did not decide: no matching answer,
//! or an expression that fails, leaves it at the node (`Effect::Stuck`) for
//! the operator.

pub mod cel;
mod graph;
pub mod library;
pub mod load;
pub mod machine;
pub mod model;
mod raw;
pub mod reference;
pub mod render;
pub mod sample;
pub mod trigger;
pub mod walker;

pub use cel::{EvalContext, OverrideFacts};
pub use library::{Library, load_dir};
pub use load::{Problem, load_file, load_str, validate};
pub use machine::{Effect, Event, Machine};
pub use model::{Runbook, Scope};
pub use walker::{Input, Output, WalkContext, Walker};
