//! Admission of one request against its key's limits: budget (reserved
//! before the call, reconciled after, so concurrent requests cannot
//! overshoot by more than one reservation), requests and tokens per minute
//! (LiteLLM's fixed 60 s window from the first request) and requests in
//! flight. All checks and the reservation happen under one lock.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use super::KeyEntry;
use crate::GatewayError;
use crate::clock;

/// LiteLLM's rate-limit window.
pub const WINDOW: Duration = Duration::from_secs(60);

/// A key's live counters.
#[derive(Debug, Default)]
pub struct Usage {
    window_start: Option<Instant>,
    requests: u64,
    tokens: u64,
    reserved: Decimal,
}

/// A request admitted against a key; [`Admission::finish`] records what it
/// cost. Dropped unfinished, it releases its reservation and its slot.
#[derive(Debug)]
pub struct Admission {
    entry: Arc<KeyEntry>,
    reserved: Decimal,
    finished: bool,
    /// `x-ratelimit-*` headers for the response.
    pub headers: Vec<(&'static str, String)>,
    /// The budget period rolled over: the record must be saved.
    pub budget_reset: bool,
}

fn rate_limited(name: &str, kind: &str, limit: u64, wait: Duration) -> GatewayError {
    let reset = clock::iso(clock::now() + i64::try_from(wait.as_secs()).unwrap_or(60));
    GatewayError::RateLimited {
        message: format!(
            "Rate limit exceeded for api_key: {name}. Limit type: {kind}. Current limit: {limit}, Remaining: 0. \
             Limit resets at: {reset}"
        ),
        retry_after: Some(wait.max(Duration::from_secs(1))),
        headers: vec![("rate_limit_type", kind.to_owned()), ("reset_at", reset)],
    }
}

/// Admits one request costing at most `estimate` USD, or says which limit
/// refuses it.
pub fn admit(
    entry: &Arc<KeyEntry>,
    estimate: Decimal,
    now: Instant,
) -> Result<Admission, GatewayError> {
    let mut record = entry.record();
    let mut usage = entry.usage.lock().unwrap_or_else(PoisonError::into_inner);
    let name = record
        .key_alias
        .clone()
        .unwrap_or_else(|| record.key_name.clone());
    let mut budget_reset = false;
    let unix = clock::now();
    if let Some(reset_at) = record.budget_reset_at
        && reset_at <= unix
    {
        record.spend = Decimal::ZERO;
        record.budget_reset_at = record
            .budget_duration
            .as_deref()
            .and_then(|d| clock::parse_span(d).ok())
            .map(|span| clock::next_reset(unix, span));
        budget_reset = true;
    }
    if let Some(max) = record.max_budget {
        if record.spend >= max {
            return Err(GatewayError::BudgetExceeded(format!(
                "Budget has been exceeded! Current cost: {}, Max budget: {}",
                record.spend.normalize(),
                max.normalize()
            )));
        }
        if record.spend + usage.reserved + estimate > max {
            return Err(GatewayError::BudgetExceeded(format!(
                "Budget has been exceeded! Current cost: {}, Max budget: {}. This request could cost up to {} \
                 and requests in flight hold {}; lower max_tokens or raise the key's max_budget",
                record.spend.normalize(),
                max.normalize(),
                estimate.normalize(),
                usage.reserved.normalize()
            )));
        }
    }
    let in_flight = entry.in_flight.load(Ordering::Relaxed);
    if let Some(max) = record.max_parallel_requests
        && in_flight >= max
    {
        return Err(rate_limited(
            &name,
            "max_parallel_requests",
            u64::from(max),
            Duration::from_secs(1),
        ));
    }
    let window_start = match usage.window_start {
        Some(start) if now.saturating_duration_since(start) < WINDOW => start,
        _ => {
            usage.requests = 0;
            usage.tokens = 0;
            usage.window_start = Some(now);
            now
        }
    };
    let wait = WINDOW.saturating_sub(now.saturating_duration_since(window_start));
    if let Some(rpm) = record.rpm_limit
        && usage.requests >= rpm
    {
        return Err(rate_limited(&name, "requests", rpm, wait));
    }
    if let Some(tpm) = record.tpm_limit
        && usage.tokens >= tpm
    {
        return Err(rate_limited(&name, "tokens", tpm, wait));
    }
    usage.requests += 1;
    usage.reserved += estimate;
    entry.in_flight.fetch_add(1, Ordering::Relaxed);
    let mut headers = Vec::new();
    if let Some(rpm) = record.rpm_limit {
        headers.push(("x-ratelimit-api_key-limit-requests", rpm.to_string()));
        headers.push((
            "x-ratelimit-api_key-remaining-requests",
            rpm.saturating_sub(usage.requests).to_string(),
        ));
    }
    if let Some(tpm) = record.tpm_limit {
        headers.push(("x-ratelimit-api_key-limit-tokens", tpm.to_string()));
        headers.push((
            "x-ratelimit-api_key-remaining-tokens",
            tpm.saturating_sub(usage.tokens).to_string(),
        ));
    }
    Ok(Admission {
        entry: Arc::clone(entry),
        reserved: estimate,
        finished: false,
        headers,
        budget_reset,
    })
}

impl Admission {
    /// Records the real cost and tokens; returns the key's hash and the
    /// spend to persist.
    pub fn finish(mut self, cost: Decimal, tokens: u64) -> (String, Decimal) {
        self.finished = true;
        let mut record = self.entry.record();
        let mut usage = self
            .entry
            .usage
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        usage.reserved -= self.reserved;
        usage.tokens += tokens;
        record.spend += cost;
        self.entry.in_flight.fetch_sub(1, Ordering::Relaxed);
        (record.token.clone(), cost)
    }

    /// The key this admission is for.
    pub fn entry(&self) -> &Arc<KeyEntry> {
        &self.entry
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        if !self.finished {
            let mut usage = self
                .entry
                .usage
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            usage.reserved -= self.reserved;
            self.entry.in_flight.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::KeyRecord;

    fn entry(f: impl FnOnce(&mut KeyRecord)) -> Arc<KeyEntry> {
        let mut record = KeyRecord {
            token: "t".into(),
            key_name: "sk-...abcd".into(),
            key_alias: None,
            models: vec![],
            max_budget: None,
            budget_duration: None,
            budget_reset_at: None,
            spend: Decimal::ZERO,
            rpm_limit: None,
            tpm_limit: None,
            max_parallel_requests: None,
            expires: None,
            metadata: serde_json::Value::Null,
            user_id: None,
            team_id: None,
            blocked: false,
            created_at: 0,
            updated_at: 0,
        };
        f(&mut record);
        Arc::new(KeyEntry::new(record))
    }

    #[test]
    fn rpm_refuses_the_request_past_the_limit_until_the_window_ends() {
        let e = entry(|r| r.rpm_limit = Some(2));
        let t0 = Instant::now();
        let a = admit(&e, Decimal::ZERO, t0);
        let b = admit(&e, Decimal::ZERO, t0);
        assert!(a.is_ok() && b.is_ok());
        let err = admit(&e, Decimal::ZERO, t0 + Duration::from_secs(10)).err();
        let err = err.map(|e| (e.status(), e.retry_after(), e.to_string()));
        let (status, wait, text) = err.unwrap_or_default();
        assert_eq!(status, 429);
        assert_eq!(wait, Some(Duration::from_secs(50)));
        assert!(
            text.contains("Limit type: requests. Current limit: 2"),
            "{text}"
        );
        assert!(admit(&e, Decimal::ZERO, t0 + WINDOW).is_ok());
    }

    #[test]
    fn parallel_slots_free_up_when_admissions_end() {
        let e = entry(|r| r.max_parallel_requests = Some(1));
        let now = Instant::now();
        let first = admit(&e, Decimal::ZERO, now);
        assert!(first.is_ok());
        assert_eq!(
            admit(&e, Decimal::ZERO, now).err().map(|e| e.status()),
            Some(429)
        );
        drop(first);
        let again = admit(&e, Decimal::ZERO, now);
        assert!(again.is_ok());
        if let Ok(a) = again {
            a.finish(Decimal::ZERO, 0);
        }
        assert!(admit(&e, Decimal::ZERO, now).is_ok());
    }

    #[test]
    fn budgets_count_reservations_in_flight_and_reconcile_real_costs() {
        let e = entry(|r| r.max_budget = Some(Decimal::new(10, 0)));
        let now = Instant::now();
        let a = admit(&e, Decimal::new(6, 0), now);
        assert!(a.is_ok());
        let over = admit(&e, Decimal::new(5, 0), now).err().map(|e| e.status());
        assert_eq!(over, Some(400));
        let (_, cost) = a
            .map(|a| a.finish(Decimal::new(1, 0), 10))
            .unwrap_or_default();
        assert_eq!(cost, Decimal::new(1, 0));
        assert!(admit(&e, Decimal::new(5, 0), now).is_ok());
        assert_eq!(e.record().spend, Decimal::new(1, 0));
    }

    #[test]
    fn tpm_counts_real_tokens() {
        let e = entry(|r| r.tpm_limit = Some(100));
        let now = Instant::now();
        if let Ok(a) = admit(&e, Decimal::ZERO, now) {
            a.finish(Decimal::ZERO, 100);
        }
        let err = admit(&e, Decimal::ZERO, now)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("Limit type: tokens"), "{err}");
    }
}
