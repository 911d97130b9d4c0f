//! Fargate burn rate from the seed prices (US-04): x86 on-demand
//! $0.04048 per vCPU-hour + $0.004445 per GB-hour, ARM64 20 % less, Spot 70 % less.

use super::{Arch, FleetSnapshot, Service};

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
    fn spot_is_seventy_percent_off() {
        let od = task_hour_usd(1.0, 2.0, Arch::X86_64);
        assert!(close(od * SPOT_FACTOR, od * 0.3));
        // 70 % Spot x 70 % discount = 49 % off the fleet (seed 000).
        let mixed = 0.3 * od + 0.7 * od * SPOT_FACTOR;
        assert!(close(1.0 - mixed / od, 0.49));
    }
}
