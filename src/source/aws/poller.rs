//! The one AWS poller of a process: refresh, send the whole snapshot, wait.
//! Waits longer after throttling (doubling, up to 8x, with jitter) so sitrep
//! never adds to an account-wide "Rate exceeded".

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinHandle;

use super::clients::AwsClients;
use super::reader::AwsReader;
use crate::config::AwsConfig;
use crate::model::{FleetSnapshot, Part, PartStatus, RefreshStats, SourceInfo};
use crate::source::FeedSender;

const MAX_BACKOFF: u32 = 8;

/// Build the clients from `cfg` and poll until the receiver is dropped.
pub fn spawn(cfg: &AwsConfig, tx: FeedSender) -> JoinHandle<()> {
    let cfg = cfg.clone();
    tokio::spawn(async move {
        match AwsClients::new(&cfg).await {
            Ok(clients) => poll(AwsReader::new(clients, &cfg), &cfg, tx).await,
            Err(e) => {
                tracing::error!("AWS source unavailable: {e}");
                let _ = tx.send(Box::new(unavailable(&cfg, &e.to_string()))).await;
            }
        }
    })
}

/// Poll with clients built by the caller (share them with an `AwsWriter` so a
/// write triggers an immediate re-read).
pub fn spawn_with(clients: AwsClients, cfg: &AwsConfig, tx: FeedSender) -> JoinHandle<()> {
    let cfg = cfg.clone();
    tokio::spawn(async move { poll(AwsReader::new(clients, &cfg), &cfg, tx).await })
}

async fn poll(mut reader: AwsReader, cfg: &AwsConfig, tx: FeedSender) {
    let base = Duration::from_secs(cfg.metrics_interval_s.max(1));
    let mut backoff = 1;
    loop {
        let snapshot = reader.refresh(Some(&tx)).await;
        if tx.send(Box::new(snapshot)).await.is_err() {
            return;
        }
        backoff = next_backoff(backoff, reader.throttled());
        let wait = base * backoff + jitter(base / 4);
        let changed = reader.clients().changed.clone();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = changed.wait() => {}
        }
    }
}

/// Interval multiplier: doubles after a throttled refresh, back to 1 after a clean one.
fn next_backoff(current: u32, throttled: bool) -> u32 {
    if throttled {
        (current * 2).min(MAX_BACKOFF)
    } else {
        1
    }
}

/// Up to `max`, from the clock's nanoseconds: enough to spread pollers apart.
fn jitter(max: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let max_ms = u32::try_from(max.as_millis()).unwrap_or(u32::MAX).max(1);
    Duration::from_millis(u64::from(nanos % max_ms))
}

/// An empty snapshot whose every part carries `reason`.
pub fn unavailable(cfg: &AwsConfig, reason: &str) -> FleetSnapshot {
    FleetSnapshot {
        taken_at: Utc::now(),
        source: SourceInfo::Aws {
            account: None,
            profile: cfg.profile.clone(),
            region: cfg.region.clone().unwrap_or_else(|| "?".into()),
            endpoint_url: cfg.endpoint_url.clone(),
        },
        clusters: Vec::new(),
        services: Vec::new(),
        caches: Vec::new(),
        alarms: Vec::new(),
        events: Vec::new(),
        parts: Part::ALL
            .iter()
            .map(|p| {
                (
                    *p,
                    PartStatus {
                        fetched_at: None,
                        error: Some(reason.to_string()),
                    },
                )
            })
            .collect::<BTreeMap<_, _>>(),
        stats: RefreshStats::default(),
        backfill: None,
        declared: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_doubles_the_wait_up_to_a_cap() {
        let mut b = 1;
        let seen: Vec<u32> = (0..5)
            .map(|_| {
                b = next_backoff(b, true);
                b
            })
            .collect();
        assert_eq!(seen, [2, 4, 8, 8, 8]);
        assert_eq!(next_backoff(8, false), 1);
        assert!(jitter(Duration::from_secs(4)) < Duration::from_secs(4));
    }
}
