//! CEL, the language of runbook expressions: what an expression is evaluated
//! against (`context`, `facts`), the variables it sees (`variables`), the
//! functions it may call (`functions`), which of them it reads (`needs`), and
//! compiling and evaluating it (`expr`).

pub mod check;
pub mod context;
pub mod expr;
pub mod facts;
pub mod functions;
pub mod needs;
pub mod schema;
pub mod variables;

pub use context::{EvalContext, FleetIndex};
pub use expr::{Evaluator, Expr, FleetEvaluator, Template, display};
pub use facts::OverrideFacts;
