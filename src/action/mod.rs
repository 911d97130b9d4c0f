//! Actions: the closed catalogue of writes, their previews, guards, the one
//! executor, the audit log and the override ledger.
//!
//! The path of a write: `catalogue::build` -> `preview::preview` +
//! `guards::check` -> `confirm::Confirmation` -> `ConfirmedAction` ->
//! `executor::Executor::apply` (the only caller of `FleetWriter::apply`) ->
//! `audit` + `ledger`; then `verify::Verifier` watches the result.

pub mod audit;
pub mod baseline;
pub mod catalogue;
pub mod cli;
pub mod confirm;
pub mod executor;
pub mod guards;
mod jsonl;
pub mod ledger;
pub mod preview;
pub mod request;
pub mod revert;
#[cfg(test)]
mod testing;
pub mod verify;

pub use jsonl::Read as JsonlRead;
