//! Actions: the closed catalogue of writes, their previews, guards, the one
//! executor, the audit log and the override ledger.

pub mod catalogue;
pub mod cli;
pub mod request;
