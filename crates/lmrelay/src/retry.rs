//! Retry policy: how long to wait before the next attempt. Whether to retry
//! at all is the error's own call ([`crate::Error::is_retryable`]); this module
//! only decides the wait, and reads the provider's advice from headers.

use std::time::{Duration, SystemTime};

use rand::RngExt;
use reqwest::header::HeaderMap;

use crate::error::Error;

/// How many times to retry and how long to wait in between.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt: at most `1 + num_retries` attempts.
    pub num_retries: u32,
    /// The first backoff delay (doubled on each retry).
    pub initial_delay: Duration,
    /// The largest backoff delay.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a longer one falls back to backoff.
    pub max_retry_after: Duration,
}

/// Retries when none are configured: 2, as the OpenAI SDK (and so LiteLLM's
/// OpenAI-compatible path) does.
pub const DEFAULT_NUM_RETRIES: u32 = 2;

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            num_retries: DEFAULT_NUM_RETRIES,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A default policy with `num_retries` retries.
    pub fn with_retries(num_retries: u32) -> Self {
        Self {
            num_retries,
            ..Self::default()
        }
    }

    /// Whether retry number `retry` (0-based) may follow `error`.
    pub fn should_retry(&self, retry: u32, error: &Error) -> bool {
        retry < self.num_retries && error.is_retryable()
    }

    /// The wait before retry number `retry` (0-based): the provider's
    /// `Retry-After` when it gave one within the cap, else exponential backoff
    /// (`initial * 2^retry`, capped) less up to 25 % jitter.
    pub fn delay(&self, retry: u32, error: &Error) -> Duration {
        if let Some(wait) = error.retry_after()
            && wait <= self.max_retry_after
        {
            return wait;
        }
        let factor = 2u32.saturating_pow(retry.min(16));
        let backoff = self
            .initial_delay
            .saturating_mul(factor)
            .min(self.max_delay);
        let jitter = 1.0 - 0.25 * rand::rng().random::<f64>();
        backoff.mul_f64(jitter)
    }
}

/// Reads the provider's wait advice: `retry-after-ms`, then `retry-after` in
/// seconds (fractions allowed) or as an HTTP date.
pub fn retry_after_from_headers(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(capped_seconds(ms / 1000.0));
    }
    let value = text("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| capped_seconds(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

/// The longest wait advice kept: longer ones read as this (a header such as
/// `retry-after: 1e300` must not overflow a clock or panic).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(365 * 86_400);

/// Non-negative finite seconds as a wait, at most [`MAX_RETRY_AFTER`].
fn capped_seconds(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).map_or(MAX_RETRY_AFTER, |d| d.min(MAX_RETRY_AFTER))
}

/// Reads `x-should-retry: true|false`.
pub fn should_retry_from_headers(headers: &HeaderMap) -> Option<bool> {
    match headers.get("x-should-retry")?.to_str().ok()?.trim() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after_from_headers(&headers(&[("retry-after", "3")]), now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after_from_headers(&headers(&[("retry-after", "0.25")]), now),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after_from_headers(
                &headers(&[("retry-after", "9"), ("retry-after-ms", "120")]),
                now
            ),
            Some(Duration::from_millis(120)),
            "retry-after-ms wins"
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(5));
        assert_eq!(
            retry_after_from_headers(&headers(&[("retry-after", &date)]), now),
            Some(Duration::from_secs(5))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(5));
        assert_eq!(
            retry_after_from_headers(&headers(&[("retry-after", &past)]), now),
            Some(Duration::ZERO)
        );
        // Absurd advice from an upstream is capped, never a panic.
        let year = Some(Duration::from_secs(365 * 86_400));
        for (name, value) in [
            ("retry-after", "1e300"),
            ("retry-after-ms", "1e300"),
            ("retry-after", "18446744073709551616"),
            ("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"),
        ] {
            assert_eq!(
                retry_after_from_headers(&headers(&[(name, value)]), now),
                year,
                "{value}"
            );
        }
        assert_eq!(
            retry_after_from_headers(&headers(&[("retry-after", "inf")]), now),
            None
        );
        assert_eq!(
            retry_after_from_headers(&headers(&[("retry-after", "soon")]), now),
            None
        );
        assert_eq!(
            retry_after_from_headers(&headers(&[("retry-after", "-1")]), now),
            None
        );
        assert_eq!(retry_after_from_headers(&HeaderMap::new(), now), None);
    }

    #[test]
    fn should_retry_header() {
        assert_eq!(
            should_retry_from_headers(&headers(&[("x-should-retry", "false")])),
            Some(false)
        );
        assert_eq!(
            should_retry_from_headers(&headers(&[("x-should-retry", "true")])),
            Some(true)
        );
        assert_eq!(
            should_retry_from_headers(&headers(&[("x-should-retry", "maybe")])),
            None
        );
    }

    #[test]
    fn delay_honours_retry_after_within_cap_else_backs_off() {
        let policy = RetryPolicy::default();
        let told =
            Error::new(ErrorKind::RateLimit, "x").with_retry_after(Some(Duration::from_secs(2)));
        assert_eq!(policy.delay(0, &told), Duration::from_secs(2));
        let too_long =
            Error::new(ErrorKind::RateLimit, "x").with_retry_after(Some(Duration::from_secs(3600)));
        assert!(policy.delay(0, &too_long) <= Duration::from_millis(500));
        let plain = Error::new(ErrorKind::InternalServer, "x").with_status(500);
        for retry in 0..8 {
            let d = policy.delay(retry, &plain);
            let full = Duration::from_millis(500)
                .saturating_mul(1 << retry)
                .min(policy.max_delay);
            assert!(
                d <= full && d >= full.mul_f64(0.75),
                "retry {retry}: {d:?} vs {full:?}"
            );
        }
    }

    #[test]
    fn never_retries_non_retryable_errors() {
        let policy = RetryPolicy::with_retries(5);
        for status in [400, 401, 403, 404, 422] {
            let err = Error::new(ErrorKind::BadRequest, "x").with_status(status);
            assert!(!policy.should_retry(0, &err), "{status}");
        }
        let err = Error::new(ErrorKind::RateLimit, "x").with_status(429);
        assert!(policy.should_retry(4, &err));
        assert!(!policy.should_retry(5, &err));
    }
}
