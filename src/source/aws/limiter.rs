//! Client-side token buckets, one per AWS operation, shared by every call of
//! the process. The account's quota is shared with the console and every
//! other tool: sitrep keeps to a share of it (`[aws] quota_share`), slows
//! further while AWS still answers Throttling, and recovers gradually. Writes
//! take their token without waiting: a refresh never delays a mitigation.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::time::{Duration, Instant};

/// The documented (or, where AWS publishes none, observed) bucket of an
/// operation: burst and refill per second.
fn quota(api: &str) -> (f64, f64) {
    match api {
        // ECS: the token bucket of its request-throttling page.
        "ecs:UpdateService" => (50.0, 5.0),
        a if a.starts_with("ecs:") => (100.0, 20.0),
        "cloudwatch:GetMetricData" => (50.0, 50.0),
        "cloudwatch:DescribeAlarms" => (9.0, 9.0),
        "logs:FilterLogEvents" => (5.0, 5.0),
        a if a.starts_with("application-autoscaling:") => (40.0, 10.0),
        a if a.starts_with("elasticache:") => (20.0, 10.0),
        _ => (20.0, 5.0),
    }
}

/// How far throttling answers slow an operation down, at most.
const SLOWEST: f64 = 0.125;
/// Recovery per answered call after a slow-down.
const RECOVERY: f64 = 1.05;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
    /// 1.0 normally; halved by each throttling answer.
    pace: f64,
}

#[derive(Debug)]
pub struct Limiter {
    share: f64,
    buckets: Mutex<HashMap<&'static str, Bucket>>,
}

impl Limiter {
    /// Buckets at `share` (0-1] of each operation's quota.
    pub fn new(share: f64) -> Self {
        Self {
            share: share.clamp(0.01, 1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Wait for a token of `api`. A `priority` call (a write) takes its token
    /// at once, into debt if need be: later reads wait for it instead.
    pub async fn take(&self, api: &'static str, priority: bool) {
        loop {
            let wait = {
                let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
                let (burst, per_s) = self.scaled(api);
                let now = Instant::now();
                let b = buckets.entry(api).or_insert(Bucket {
                    tokens: burst,
                    at: now,
                    pace: 1.0,
                });
                let refill = per_s * b.pace;
                b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * refill).min(burst);
                b.at = now;
                if priority || b.tokens >= 1.0 {
                    b.tokens -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - b.tokens) / refill)
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// AWS answered Throttling anyway (the console or another tool spends the
    /// same quota): halve this operation's pace.
    pub fn throttled(&self, api: &'static str) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = buckets.get_mut(api) {
            b.pace = (b.pace * 0.5).max(SLOWEST);
            b.tokens = b.tokens.min(0.0);
        }
    }

    /// A call went through: recover the pace a little.
    pub fn answered(&self, api: &'static str) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = buckets.get_mut(api) {
            b.pace = (b.pace * RECOVERY).min(1.0);
        }
    }

    /// Burst and refill of `api` at this limiter's share.
    fn scaled(&self, api: &str) -> (f64, f64) {
        let (burst, per_s) = quota(api);
        ((burst * self.share).max(1.0), per_s * self.share)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn reads_keep_to_the_share_of_the_bucket() {
        // ECS describes at 80 %: a burst of 80, then 16 a second.
        let limiter = Limiter::new(0.8);
        let start = Instant::now();
        for _ in 0..80 {
            limiter.take("ecs:DescribeServices", false).await;
        }
        assert!(
            start.elapsed() < Duration::from_millis(1),
            "the burst is free"
        );
        for _ in 0..160 {
            limiter.take("ecs:DescribeServices", false).await;
        }
        let took = start.elapsed().as_secs_f64();
        assert!((9.9..10.2).contains(&took), "{took}");
        // Another operation has its own bucket.
        let other = Instant::now();
        limiter.take("ecs:ListServices", false).await;
        assert!(other.elapsed() < Duration::from_millis(1));
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_slows_and_answers_recover() {
        let limiter = Limiter::new(1.0);
        limiter.take("logs:FilterLogEvents", false).await;
        limiter.throttled("logs:FilterLogEvents");
        // Half the pace (2.5 a second) from an empty bucket.
        let start = Instant::now();
        limiter.take("logs:FilterLogEvents", false).await;
        let took = start.elapsed().as_secs_f64();
        assert!((0.39..0.41).contains(&took), "{took}");
        for _ in 0..20 {
            limiter.answered("logs:FilterLogEvents");
        }
        let pace = limiter.buckets.lock().unwrap()["logs:FilterLogEvents"].pace;
        assert_eq!(pace, 1.0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_never_waits_behind_reads() {
        let limiter = Limiter::new(0.5);
        for _ in 0..25 {
            limiter.take("ecs:UpdateService", false).await;
        }
        let start = Instant::now();
        limiter.take("ecs:UpdateService", true).await;
        assert!(start.elapsed() < Duration::from_millis(1));
    }
}
