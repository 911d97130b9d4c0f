//! Actions: the closed catalogue of writes, their previews, guards, the one
//! executor, the audit log and the override ledger.
//!
//! The path of a write: `catalogue::build` -> `preview::preview` +
//! `guards::check` -> `confirm::Confirmation` -> `ConfirmedAction` ->
//! `executor::Executor::apply` (the only caller of `FleetWriter::apply`) ->
//! `audit` + `ledger`. The runbook walk verifies the result on later snapshots.

pub mod audit;
pub mod baseline;
pub mod catalogue;
pub mod confirm;
pub mod executor;
pub mod guards;
pub mod ledger;
pub mod preview;
pub mod revert;
#[cfg(test)]
pub(crate) mod testing;
pub mod watch;
