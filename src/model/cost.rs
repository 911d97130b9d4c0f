//! Fargate burn rate from the seed prices (US-04): x86 on-demand
//! $0.04048 per vCPU-hour + $0.004445 per GB-hour, ARM64 20 % less, Spot 70 % less.

use serde::{Deserialize, Serialize};

use super::{Arch, FARGATE_SPOT, FleetSnapshot, Service, StrategyItem};

pub const VCPU_HOUR_USD: f64 = 0.04048;
pub const GB_HOUR_USD: f64 = 0.004445;
pub const ARM64_FACTOR: f64 = 0.80;
pub const SPOT_FACTOR: f64 = 0.30;

/// Hourly price of one on-demand task of this size and architecture.
pub fn task_hour_usd(vcpu: f64, memory_gb: f64, arch: Arch) -> f64 {
    let x86 = vcpu * VCPU_HOUR_USD + memory_gb * GB_HOUR_USD;
    match arch {
        Arch::X86_64 => x86,
        Arch::Arm64 => x86 * ARM64_FACTOR,
    }
}

/// What a set of running tasks costs per hour, and what it would cost all on-demand x86.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Burn {
    pub usd_per_hour: f64,
    pub baseline_usd_per_hour: f64,
}

impl Burn {
    pub fn savings_per_hour(&self) -> f64 {
        self.baseline_usd_per_hour - self.usd_per_hour
    }

    /// Savings as a share of the baseline (0.0..=1.0); 0 when nothing runs.
    pub fn savings_share(&self) -> f64 {
        if self.baseline_usd_per_hour <= 0.0 {
            0.0
        } else {
            self.savings_per_hour() / self.baseline_usd_per_hour
        }
    }

    pub fn per_month(usd_per_hour: f64) -> f64 {
        usd_per_hour * 730.0
    }
}

impl std::ops::Add for Burn {
    type Output = Burn;
    fn add(self, o: Burn) -> Burn {
        Burn {
            usd_per_hour: self.usd_per_hour + o.usd_per_hour,
            baseline_usd_per_hour: self.baseline_usd_per_hour + o.baseline_usd_per_hour,
        }
    }
}

pub fn service_burn(s: &Service) -> Burn {
    let on_demand = task_hour_usd(s.task_vcpu, s.task_memory_gb, s.arch);
    let baseline = task_hour_usd(s.task_vcpu, s.task_memory_gb, Arch::X86_64);
    let mix = s.running_mix;
    Burn {
        usd_per_hour: f64::from(mix.on_demand) * on_demand
            + f64::from(mix.spot) * on_demand * SPOT_FACTOR,
        baseline_usd_per_hour: f64::from(mix.total()) * baseline,
    }
}

/// How `tasks` tasks split between on-demand and Spot under a strategy, as ECS
/// places them: each provider's base first, the rest by weight. No strategy
/// (a launch type) means all on-demand. Fractions are kept: this is a price.
pub fn split(tasks: f64, strategy: &[StrategyItem]) -> (f64, f64) {
    if strategy.is_empty() {
        return (tasks, 0.0);
    }
    let is_spot = |i: &StrategyItem| i.provider == FARGATE_SPOT;
    let mut left = tasks;
    let (mut on_demand, mut spot) = (0.0, 0.0);
    for item in strategy {
        let base = f64::from(item.base).min(left);
        left -= base;
        if is_spot(item) {
            spot += base;
        } else {
            on_demand += base;
        }
    }
    let weights: f64 = strategy.iter().map(|i| f64::from(i.weight)).sum();
    if weights > 0.0 {
        for item in strategy {
            let share = left * f64::from(item.weight) / weights;
            if is_spot(item) {
                spot += share;
            } else {
                on_demand += share;
            }
        }
    } else {
        on_demand += left;
    }
    (on_demand, spot)
}

/// Hourly burn of `tasks` tasks of this service under `strategy`.
pub fn tasks_burn(s: &Service, tasks: f64, strategy: &[StrategyItem]) -> f64 {
    let per_task = task_hour_usd(s.task_vcpu, s.task_memory_gb, s.arch);
    let (on_demand, spot) = split(tasks, strategy);
    on_demand * per_task + spot * per_task * SPOT_FACTOR
}

/// What a change does to a service's burn, at the seed prices: now, and once
/// it has taken effect (`after`). `ceiling` is the burn at max tasks, before
/// and after, when the change moves max.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostChange {
    pub before_usd_per_hour: f64,
    pub after_usd_per_hour: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceiling_usd_per_hour: Option<(f64, f64)>,
}

impl CostChange {
    pub fn delta(&self) -> f64 {
        self.after_usd_per_hour - self.before_usd_per_hour
    }
}

/// `$0.47/h -> $0.72/h, +$0.25/h` (and `; at max $2.47/h -> $9.87/h`).
impl std::fmt::Display for CostChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.delta();
        let sign = if d < -0.005 { "-" } else { "+" };
        write!(
            f,
            "${:.2}/h -> ${:.2}/h, {sign}${:.2}/h",
            self.before_usd_per_hour,
            self.after_usd_per_hour,
            d.abs()
        )?;
        if let Some((before, after)) = self.ceiling_usd_per_hour {
            write!(f, "; at max ${before:.2}/h -> ${after:.2}/h")?;
        }
        Ok(())
    }
}

pub fn fleet_burn(snapshot: &FleetSnapshot) -> Burn {
    snapshot
        .services
        .iter()
        .map(service_burn)
        .fold(Burn::default(), |a, b| a + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn seed_task_prices() {
        // 2 vCPU / 4 GB x86: $0.0987/h (seed 000 math validation).
        assert!(close(task_hour_usd(2.0, 4.0, Arch::X86_64), 0.09874));
        // Right-sized 1 vCPU / 2 GB: $0.04937/h, exactly half.
        assert!(close(task_hour_usd(1.0, 2.0, Arch::X86_64), 0.04937));
        // ARM64 1 vCPU / 2 GB: $0.03950/h.
        assert!(close(task_hour_usd(1.0, 2.0, Arch::Arm64), 0.039496));
    }

    #[test]
    fn thirty_tasks_a_month_matches_seed() {
        let per_month = Burn::per_month(30.0 * task_hour_usd(2.0, 4.0, Arch::X86_64));
        assert!((per_month - 2162.4).abs() < 1.0, "{per_month}");
    }

    #[test]
    fn strategies_split_base_first_then_by_weight() {
        use crate::model::{FARGATE, FARGATE_SPOT};
        let spot_heavy = [
            StrategyItem::new(FARGATE, 30, 1),
            StrategyItem::new(FARGATE_SPOT, 70, 0),
        ];
        let (od, spot) = split(11.0, &spot_heavy);
        assert!(close(od, 4.0) && close(spot, 7.0), "{od} {spot}");
        assert_eq!(split(5.0, &[]), (5.0, 0.0));
        assert_eq!(split(2.0, &[StrategyItem::new(FARGATE, 1, 10)]), (2.0, 0.0));
        let change = CostChange {
            before_usd_per_hour: 0.47,
            after_usd_per_hour: 0.72,
            ceiling_usd_per_hour: None,
        };
        assert_eq!(change.to_string(), "$0.47/h -> $0.72/h, +$0.25/h");
    }

    #[test]
    fn spot_is_seventy_percent_off() {
        let od = task_hour_usd(1.0, 2.0, Arch::X86_64);
        assert!(close(od * SPOT_FACTOR, od * 0.3));
        // 70 % Spot x 70 % discount = 49 % off the fleet (seed 000).
        let mixed = 0.3 * od + 0.7 * od * SPOT_FACTOR;
        assert!(close(1.0 - mixed / od, 0.49));
    }
}
