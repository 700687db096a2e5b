//! Picking one deployment among a group's healthy ones.

use std::sync::Arc;
use std::time::Instant;

use super::state::DeploymentState;
use crate::config::RoutingStrategy;

/// Picks one of `healthy` (never empty) by `strategy`. `tokens` is the
/// request's estimated size, for usage-based routing's limits.
pub fn pick(
    strategy: &RoutingStrategy,
    healthy: &[Arc<DeploymentState>],
    now: Instant,
    epoch: Instant,
    tokens: u64,
) -> Option<Arc<DeploymentState>> {
    // Deployments with the lowest `order` go first while any is healthy.
    let best_order = healthy
        .iter()
        .map(|d| d.config.order.unwrap_or(u32::MAX))
        .min()?;
    let pool: Vec<&Arc<DeploymentState>> = healthy
        .iter()
        .filter(|d| d.config.order.unwrap_or(u32::MAX) == best_order)
        .collect();
    if pool.len() == 1 {
        return pool.first().map(|d| Arc::clone(d));
    }
    let chosen = match strategy {
        RoutingStrategy::SimpleShuffle => weighted(&pool),
        RoutingStrategy::LeastBusy => {
            let least = pool.iter().map(|d| d.in_flight()).min()?;
            let idle: Vec<_> = pool
                .iter()
                .copied()
                .filter(|d| d.in_flight() == least)
                .collect();
            uniform(&idle)
        }
        RoutingStrategy::LatencyBased { buffer, ttl } => {
            // Untried deployments count as fastest, so each gets measured.
            let latencies: Vec<f64> = pool
                .iter()
                .map(|d| d.mean_latency(now, *ttl).unwrap_or(0.0))
                .collect();
            let lowest = latencies.iter().copied().fold(f64::INFINITY, f64::min);
            let limit = lowest * (1.0 + buffer.max(0.0));
            let near: Vec<_> = pool
                .iter()
                .zip(&latencies)
                .filter(|(_, l)| **l <= limit)
                .map(|(d, _)| *d)
                .collect();
            uniform(&near)
        }
        RoutingStrategy::UsageBased => {
            let fits: Vec<(&Arc<DeploymentState>, u64)> = pool
                .iter()
                .filter_map(|d| {
                    let (requests, used) = d.usage(now, epoch);
                    let rpm_ok = d.config.rpm.is_none_or(|rpm| requests < rpm);
                    let tpm_ok = d.config.tpm.is_none_or(|tpm| used + tokens <= tpm);
                    (rpm_ok && tpm_ok).then_some((*d, used))
                })
                .collect();
            let lowest = fits.iter().map(|(_, used)| *used).min()?;
            let least: Vec<_> = fits
                .iter()
                .filter(|(_, used)| *used == lowest)
                .map(|(d, _)| *d)
                .collect();
            uniform(&least)
        }
    };
    chosen.map(Arc::clone)
}

fn uniform<'a>(pool: &[&'a Arc<DeploymentState>]) -> Option<&'a Arc<DeploymentState>> {
    if pool.is_empty() {
        return None;
    }
    let i = (rand::random::<u64>() % pool.len() as u64) as usize;
    pool.get(i).copied()
}

/// LiteLLM's simple-shuffle: weights from `weight`, else `rpm`, else `tpm`
/// (the first of these any deployment sets); uniform when none does.
fn weighted<'a>(pool: &[&'a Arc<DeploymentState>]) -> Option<&'a Arc<DeploymentState>> {
    let weight_of: Option<fn(&DeploymentState) -> Option<f64>> =
        if pool.iter().any(|d| d.config.weight.is_some()) {
            Some(|d| d.config.weight)
        } else if pool.iter().any(|d| d.config.rpm.is_some()) {
            Some(|d| d.config.rpm.map(|v| v as f64))
        } else if pool.iter().any(|d| d.config.tpm.is_some()) {
            Some(|d| d.config.tpm.map(|v| v as f64))
        } else {
            None
        };
    let Some(weight_of) = weight_of else {
        return uniform(pool);
    };
    let weights: Vec<f64> = pool
        .iter()
        .map(|d| weight_of(d).unwrap_or(0.0).max(0.0))
        .collect();
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return uniform(pool);
    }
    let mut point = rand::random::<f64>() * total;
    for (d, w) in pool.iter().zip(&weights) {
        if point < *w {
            return Some(d);
        }
        point -= w;
    }
    pool.last().copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::time::Duration;

    fn deployment(
        id: &str,
        f: impl FnOnce(&mut crate::config::Deployment),
    ) -> Arc<DeploymentState> {
        let mut config = Config::single("g", "openai/m", None, None)
            .model_list
            .pop()
            .unwrap_or_else(|| unreachable!());
        config.id = id.to_owned();
        f(&mut config);
        Arc::new(DeploymentState::new(config))
    }

    fn counts(strategy: &RoutingStrategy, pool: &[Arc<DeploymentState>], n: usize) -> Vec<usize> {
        let now = Instant::now();
        let mut counts = vec![0; pool.len()];
        for _ in 0..n {
            let chosen = pick(strategy, pool, now, now, 0).unwrap_or_else(|| unreachable!());
            let i = pool
                .iter()
                .position(|d| Arc::ptr_eq(d, &chosen))
                .unwrap_or(0);
            counts[i] += 1;
        }
        counts
    }

    #[test]
    fn simple_shuffle_follows_the_weights() {
        let pool = vec![
            deployment("a", |d| d.weight = Some(9.0)),
            deployment("b", |d| d.weight = Some(1.0)),
        ];
        let c = counts(&RoutingStrategy::SimpleShuffle, &pool, 10_000);
        // 9:1 expected; 8,500..9,500 holds with overwhelming probability.
        assert!((8_500..9_500).contains(&c[0]), "{c:?}");
    }

    #[test]
    fn simple_shuffle_uses_rpm_when_no_weight_is_set() {
        let pool = vec![
            deployment("a", |d| d.rpm = Some(100)),
            deployment("b", |d| d.rpm = Some(300)),
        ];
        let c = counts(&RoutingStrategy::SimpleShuffle, &pool, 10_000);
        assert!((2_000..3_000).contains(&c[0]), "{c:?}");
    }

    #[test]
    fn lower_order_wins_while_healthy() {
        let pool = vec![
            deployment("a", |d| d.order = Some(2)),
            deployment("b", |d| d.order = Some(1)),
        ];
        assert_eq!(
            counts(&RoutingStrategy::SimpleShuffle, &pool, 100),
            vec![0, 100]
        );
    }

    #[test]
    fn least_busy_picks_the_idle_deployment() {
        let pool = vec![deployment("a", |_| {}), deployment("b", |_| {})];
        let _busy = pool[0].start();
        assert_eq!(counts(&RoutingStrategy::LeastBusy, &pool, 50), vec![0, 50]);
    }

    #[test]
    fn latency_based_prefers_the_fast_and_tries_the_unmeasured() {
        let now = Instant::now();
        let pool = vec![
            deployment("a", |_| {}),
            deployment("b", |_| {}),
            deployment("c", |_| {}),
        ];
        pool[0].record_latency(now, 0.5);
        pool[1].record_latency(now, 0.1);
        pool[2].record_latency(now, 0.105);
        let s = RoutingStrategy::LatencyBased {
            buffer: 0.1,
            ttl: Duration::from_secs(60),
        };
        let c = counts(&s, &pool, 200);
        assert_eq!(c[0], 0, "{c:?}");
        assert!(c[1] > 0 && c[2] > 0, "{c:?}");
        let fresh = deployment("d", |_| {});
        let pool = vec![pool[1].clone(), fresh];
        assert_eq!(counts(&s, &pool, 20), vec![0, 20]);
    }

    #[test]
    fn usage_based_skips_full_deployments_and_picks_the_least_used() {
        let now = Instant::now();
        let pool = vec![
            deployment("a", |d| d.tpm = Some(1_000)),
            deployment("b", |d| d.rpm = Some(1)),
            deployment("c", |_| {}),
        ];
        pool[0].record_usage(now, now, 1, 990);
        pool[1].record_usage(now, now, 1, 0);
        pool[2].record_usage(now, now, 1, 500);
        let chosen = pick(&RoutingStrategy::UsageBased, &pool, now, now, 20);
        assert_eq!(chosen.map(|d| d.config.id.clone()).as_deref(), Some("c"));
    }
}
