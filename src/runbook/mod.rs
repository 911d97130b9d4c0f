//! Runbooks: decision trees as data, walked by a state machine against live snapshots.

pub mod cli;
pub mod expr;
pub mod facts;
mod helpers;
pub mod library;
pub mod load;
pub mod machine;
pub mod model;
mod raw;
pub mod render;
pub mod run;
pub mod sample;
pub mod trigger;
pub mod vars;

pub use facts::{EvalContext, OverrideFacts, Scope};
pub use load::{Problem, load_file, load_str, validate};
pub use model::Runbook;
