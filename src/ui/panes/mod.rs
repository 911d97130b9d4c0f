//! One module per pane: each renders from `App` and its theme, with no IO.

pub mod cache;
pub mod capacity;
pub mod confirm;
pub mod cost;
pub mod detail;
pub mod errors;
pub mod events;
pub mod evidence;
pub mod fleet;
pub mod header;
pub mod help;
pub mod palette;
pub mod runbook_list;
pub mod status;
pub mod timeline;
pub mod verdict;
pub mod walk;
pub mod wall;
