//! Redis memory under a maxmemory-policy. With `noeviction` the data set grows
//! until maxmemory and writes fail (no evictions). With an eviction policy,
//! Redis evicts as memory rises past its working level, so it holds steady.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::state::CacheState;

/// Where memory settles with `allkeys-*` policies; `volatile-*` can evict only
/// keys with a TTL, so it settles higher.
const ALLKEYS_LEVEL: f64 = 70.0;
const VOLATILE_LEVEL: f64 = 78.0;
/// Seconds for eviction to close the gap to the working level.
const EVICTION_TIME_CONSTANT_S: f64 = 180.0;
/// Keys per percent of memory (seed 001: ~250K entries in 12.5 GB).
const KEYS_PER_PCT: f64 = 2500.0;

pub fn step_cache(cache: &mut CacheState, dt: i64, clients: f64, rng: &mut ChaCha8Rng) {
    let dt_f = dt as f64;
    let growth = cache.spec.growth_pct_per_hour * dt_f / 3600.0;
    cache.noise = cache.noise * 0.98 + (rng.random::<f64>() - 0.5) * 0.3;
    cache.connections = 40.0 + clients;
    let level = match cache.policy.as_str() {
        "noeviction" => None,
        p if p.starts_with("volatile") => Some(VOLATILE_LEVEL),
        _ => Some(ALLKEYS_LEVEL),
    };
    cache.memory_pct = (cache.memory_pct + growth).min(100.0);
    let evicted = match level {
        Some(level) if cache.memory_pct > level => {
            let gap = cache.memory_pct - level;
            gap * (1.0 - (-dt_f / EVICTION_TIME_CONSTANT_S).exp())
        }
        _ => 0.0,
    };
    cache.memory_pct -= evicted;
    cache.evictions_per_min = evicted * KEYS_PER_PCT * 60.0 / dt_f;
    cache.writes_failing = level.is_none() && cache.memory_pct >= 100.0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::fleet::CacheSpec;
    use rand::SeedableRng;
    use std::collections::BTreeMap;

    fn cache(policy: &str, pct: f64) -> CacheState {
        crate::sim::init::cache(&CacheSpec {
            id: "c".into(),
            node_type: "cache.r6g.large".into(),
            max_memory_gb: 13.07,
            parameter_group: "g".into(),
            policy: policy.into(),
            memory_pct: pct,
            growth_pct_per_hour: 35.0,
            tags: BTreeMap::new(),
        })
    }

    fn run(c: &mut CacheState, minutes: i64) {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..minutes * 12 {
            step_cache(c, 5, 10.0, &mut rng);
        }
    }

    #[test]
    fn noeviction_fills_and_fails_writes() {
        let mut c = cache("noeviction", 70.0);
        run(&mut c, 60);
        assert_eq!(c.memory_pct, 100.0);
        assert!(c.writes_failing);
        assert_eq!(c.evictions_per_min, 0.0);
    }

    #[test]
    fn lfu_holds_and_evicts() {
        let mut c = cache("allkeys-lfu", 100.0);
        run(&mut c, 30);
        assert!(c.memory_pct < 75.0, "{}", c.memory_pct);
        assert!(c.evictions_per_min > 0.0);
        assert!(!c.writes_failing);
    }
}
