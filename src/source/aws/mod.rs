//! The AWS source: ECS, Application Auto Scaling, CloudWatch and ElastiCache
//! read into whole snapshots by one poller, and a separate writer.

mod cache;
pub mod calls;
pub mod clients;
mod diagnose;
mod ecs;
pub mod evidence;
mod kept;
pub mod limiter;
mod metrics;
mod poller;
mod profiles;
pub mod reader;
mod scaling;
mod secrets;
pub mod writer;

pub use calls::ApiError;
pub use clients::{AwsClients, ChangeHint};
pub use evidence::AwsEvidence;
pub use poller::{spawn, spawn_with, unavailable};
pub use reader::AwsReader;
pub use writer::AwsWriter;

use chrono::{DateTime, Utc};

use crate::config::AwsConfig;
use crate::model::FleetSnapshot;

/// One whole snapshot read now (for `snapshot --json`, baseline capture). Fails
/// only when no clients can be built; read errors are in the part statuses.
pub async fn snapshot_once(cfg: &AwsConfig) -> color_eyre::Result<FleetSnapshot> {
    let clients = AwsClients::new(cfg).await?;
    Ok(AwsReader::new(clients, cfg).refresh(None).await)
}

/// SDK time to chrono; out-of-range times become the epoch.
fn time(t: &aws_smithy_types::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_default()
}
