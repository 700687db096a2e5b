//! What the router remembers about each deployment: requests in flight,
//! recent failures and cooldown, latency samples and this minute's usage.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::config::Deployment;

/// How many latency samples are kept per deployment.
const LATENCY_SAMPLES: usize = 10;
/// The window failures are counted in before a cooldown.
const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// A deployment and its live counters.
#[derive(Debug)]
pub struct DeploymentState {
    /// The deployment as configured.
    pub config: Deployment,
    in_flight: AtomicU32,
    stats: Mutex<Stats>,
    /// Whether the price table knows this deployment's model (learnt on the
    /// first priced call, so unknown models are not looked up every time).
    pub priced: std::sync::OnceLock<bool>,
    /// Its `x-litellm-model-*` header values.
    pub headers: crate::headers::DeploymentHeaders,
}

#[derive(Debug)]
struct Stats {
    failures: VecDeque<Instant>,
    /// Outcomes per second over the last minute (second, ok, failed), for
    /// LiteLLM's failure-rate rule: constant work per call.
    outcomes: [(u64, u32, u32); 60],
    cooldown_until: Option<Instant>,
    latencies: VecDeque<(Instant, f64)>,
    minute: u64,
    minute_requests: u64,
    minute_tokens: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            failures: VecDeque::new(),
            outcomes: [(0, 0, 0); 60],
            cooldown_until: None,
            latencies: VecDeque::new(),
            minute: 0,
            minute_requests: 0,
            minute_tokens: 0,
        }
    }
}

/// Counts a request in flight until dropped.
#[derive(Debug)]
pub struct InFlight<'a>(&'a AtomicU32);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn minute_of(now: Instant, epoch: Instant) -> u64 {
    now.saturating_duration_since(epoch).as_secs() / 60
}

impl DeploymentState {
    /// Fresh state for `config`.
    pub fn new(config: Deployment) -> Self {
        let headers = crate::headers::DeploymentHeaders::new(
            &config.id,
            &config.model_name,
            config.api_base.as_deref(),
        );
        Self {
            headers,
            config,
            in_flight: AtomicU32::new(0),
            stats: Mutex::new(Stats::default()),
            priced: std::sync::OnceLock::new(),
        }
    }

    fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        // A poisoned lock only means a panic elsewhere mid-update of plain
        // counters; the counters are still usable.
        self.stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Marks one more request in flight until the guard drops.
    pub fn start(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(&self.in_flight)
    }

    /// When the deployment's cooldown ends, if it is cooling down at `now`.
    pub fn cooldown_until(&self, now: Instant) -> Option<Instant> {
        self.stats().cooldown_until.filter(|until| *until > now)
    }

    /// Counts a failure (LiteLLM's count mode); true when the failures
    /// within a minute now exceed `allowed_fails` (the count then restarts).
    pub fn record_failure(&self, now: Instant, allowed_fails: u32) -> bool {
        let mut stats = self.stats();
        while stats
            .failures
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > FAILURE_WINDOW)
        {
            stats.failures.pop_front();
        }
        stats.failures.push_back(now);
        if stats.failures.len() > allowed_fails as usize {
            stats.failures.clear();
            return true;
        }
        false
    }

    /// Records an outcome; returns (failures, total) within the last minute.
    pub fn record_outcome(&self, now: Instant, epoch: Instant, ok: bool) -> (usize, usize) {
        let second = now.saturating_duration_since(epoch).as_secs();
        let mut stats = self.stats();
        let slot = &mut stats.outcomes[(second % 60) as usize];
        if slot.0 != second {
            *slot = (second, 0, 0);
        }
        if ok {
            slot.1 += 1;
            return (0, 0);
        }
        slot.2 += 1;
        stats
            .outcomes
            .iter()
            .filter(|(s, _, _)| second.saturating_sub(*s) < 60)
            .fold((0, 0), |(failed, total), (_, ok, bad)| {
                (failed + *bad as usize, total + (*ok + *bad) as usize)
            })
    }

    /// Starts (or extends) a cooldown of `cooldown` from `now`.
    pub fn cool_down(&self, now: Instant, cooldown: Duration) {
        let mut stats = self.stats();
        let until = now + cooldown;
        stats.cooldown_until = Some(stats.cooldown_until.map_or(until, |u| u.max(until)));
    }

    /// Records a success's latency (seconds; time to first chunk for streams).
    pub fn record_latency(&self, now: Instant, seconds: f64) {
        let mut stats = self.stats();
        if stats.latencies.len() == LATENCY_SAMPLES {
            stats.latencies.pop_front();
        }
        stats.latencies.push_back((now, seconds));
    }

    /// The mean latency of samples younger than `ttl` (None: no samples).
    pub fn mean_latency(&self, now: Instant, ttl: Duration) -> Option<f64> {
        let stats = self.stats();
        let fresh: Vec<f64> = stats
            .latencies
            .iter()
            .filter(|(t, _)| now.saturating_duration_since(*t) <= ttl)
            .map(|(_, s)| *s)
            .collect();
        (!fresh.is_empty()).then(|| fresh.iter().sum::<f64>() / fresh.len() as f64)
    }

    /// Counts a request and its tokens against this minute.
    pub fn record_usage(&self, now: Instant, epoch: Instant, requests: u64, tokens: u64) {
        let minute = minute_of(now, epoch);
        let mut stats = self.stats();
        if stats.minute != minute {
            stats.minute = minute;
            stats.minute_requests = 0;
            stats.minute_tokens = 0;
        }
        stats.minute_requests += requests;
        stats.minute_tokens += tokens;
    }

    /// (requests, tokens) used this minute.
    pub fn usage(&self, now: Instant, epoch: Instant) -> (u64, u64) {
        let stats = self.stats();
        if stats.minute == minute_of(now, epoch) {
            (stats.minute_requests, stats.minute_tokens)
        } else {
            (0, 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn state() -> DeploymentState {
        let config = Config::single("m", "openai/m", None, None);
        DeploymentState::new(
            config
                .model_list
                .into_iter()
                .next()
                .unwrap_or_else(|| unreachable!()),
        )
    }

    #[test]
    fn failures_count_past_allowed_fails_and_cooldowns_never_shorten() {
        let d = state();
        let t0 = Instant::now();
        assert!(!d.record_failure(t0, 2));
        assert!(!d.record_failure(t0, 2));
        assert!(d.record_failure(t0, 2));
        assert!(!d.record_failure(t0, 2), "the count restarts");
        d.cool_down(t0, Duration::from_secs(5));
        assert!(d.cooldown_until(t0).is_some());
        assert!(d.cooldown_until(t0 + Duration::from_secs(6)).is_none());
        d.cool_down(t0, Duration::from_secs(60));
        d.cool_down(t0, Duration::from_secs(1));
        assert!(d.cooldown_until(t0 + Duration::from_secs(30)).is_some());
    }

    #[test]
    fn old_failures_fall_out_of_the_window() {
        let d = state();
        let t0 = Instant::now();
        assert!(!d.record_failure(t0, 1));
        assert!(!d.record_failure(t0 + Duration::from_secs(61), 1));
        assert_eq!(d.record_outcome(t0, t0, false), (1, 1));
        assert_eq!(
            d.record_outcome(t0, t0, true),
            (0, 0),
            "successes only count"
        );
        assert_eq!(
            d.record_outcome(t0 + Duration::from_secs(1), t0, false),
            (2, 3)
        );
        assert_eq!(
            d.record_outcome(t0 + Duration::from_secs(70), t0, false),
            (1, 1)
        );
    }

    #[test]
    fn in_flight_counts_until_the_guard_drops() {
        let d = state();
        let guard = d.start();
        assert_eq!(d.in_flight(), 1);
        drop(guard);
        assert_eq!(d.in_flight(), 0);
    }

    #[test]
    fn usage_resets_each_minute() {
        let d = state();
        let epoch = Instant::now();
        d.record_usage(epoch, epoch, 1, 100);
        d.record_usage(epoch + Duration::from_secs(1), epoch, 1, 50);
        assert_eq!(d.usage(epoch + Duration::from_secs(2), epoch), (2, 150));
        assert_eq!(d.usage(epoch + Duration::from_secs(61), epoch), (0, 0));
    }
}
