//! Runbooks: decision trees as data, walked by a state machine against live snapshots.

pub mod cli;
