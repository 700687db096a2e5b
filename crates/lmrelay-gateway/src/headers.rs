//! The response headers LiteLLM's proxy sets (`x-litellm-*`), so clients and
//! dashboards that read them keep working.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use rust_decimal::Decimal;

/// What one call did, for its response headers.
#[derive(Debug, Clone, Default)]
pub struct CallInfo {
    /// A fresh UUID per request (`x-litellm-call-id`).
    pub call_id: String,
    /// The deployment that answered (`x-litellm-model-id`).
    pub model_id: Option<String>,
    /// The group that answered (`x-litellm-model-group`).
    pub model_group: Option<String>,
    /// The upstream base (`x-litellm-model-api-base`).
    pub api_base: Option<String>,
    /// Attempts after the first (`x-litellm-attempted-retries`).
    pub retries: u32,
    /// Fallback groups tried (`x-litellm-attempted-fallbacks`).
    pub fallbacks: u32,
    /// The call's cost in USD (`x-litellm-response-cost`).
    pub cost: Option<Decimal>,
    /// Time spent in the gateway itself (`x-litellm-overhead-duration-ms`).
    pub overhead: Option<Duration>,
    /// Time from request to response (`x-litellm-response-duration-ms`).
    pub total: Option<Duration>,
}

/// A random version-4 UUID, as LiteLLM's call ids.
pub fn call_id() -> String {
    let mut n = rand::random::<u128>();
    n = (n & !(0xf << 76)) | (0x4 << 76);
    n = (n & !(0x3 << 62)) | (0x2 << 62);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(36);
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            text.push('-');
        }
        let nibble = (n >> (124 - 4 * i)) & 0xf;
        // `nibble` < 16 by the mask.
        text.push(char::from(HEX[nibble as usize]));
    }
    text
}

/// Writes `mantissa / 10^scale` into the end of `buf` with all `scale`
/// decimals and at least one digit before the point; returns where the
/// text starts (digits written by hand: `format!` cost more than the rest
/// of the headers together).
fn write_decimal(mut mantissa: u128, scale: u32, buf: &mut [u8; 48]) -> usize {
    let mut at = buf.len();
    let mut count = 0;
    while mantissa > 0 || count <= scale {
        if count == scale && scale > 0 {
            at -= 1;
            buf[at] = b'.';
        }
        at -= 1;
        // `mantissa % 10` < 10.
        buf[at] = b'0' + (mantissa % 10) as u8;
        mantissa /= 10;
        count += 1;
    }
    at
}

/// Milliseconds with three decimals (`0.250`), from whole microseconds.
fn millis(d: Duration) -> HeaderValue {
    let mut buf = [0u8; 48];
    let at = write_decimal(d.as_micros(), 3, &mut buf);
    HeaderValue::from_bytes(&buf[at..]).unwrap_or_else(|_| HeaderValue::from_static("0.000"))
}

const CALL_ID: HeaderName = HeaderName::from_static("x-litellm-call-id");
const MODEL_ID: HeaderName = HeaderName::from_static("x-litellm-model-id");
const MODEL_GROUP: HeaderName = HeaderName::from_static("x-litellm-model-group");
const API_BASE: HeaderName = HeaderName::from_static("x-litellm-model-api-base");
const RESPONSE_COST: HeaderName = HeaderName::from_static("x-litellm-response-cost");
const RETRIES: HeaderName = HeaderName::from_static("x-litellm-attempted-retries");
const FALLBACKS: HeaderName = HeaderName::from_static("x-litellm-attempted-fallbacks");
const OVERHEAD: HeaderName = HeaderName::from_static("x-litellm-overhead-duration-ms");
const DURATION: HeaderName = HeaderName::from_static("x-litellm-response-duration-ms");
const VERSION: HeaderName = HeaderName::from_static("x-litellm-version");

/// The most headers [`apply`] adds.
const MAX_HEADERS: usize = 10;

/// A cost in USD as its shortest exact decimal (`0.000015`, `2`), written
/// by hand: `to_string` went through `format!` on every response.
fn usd(cost: Decimal) -> Option<HeaderValue> {
    let cost = cost.normalize();
    let mut buf = [0u8; 48];
    let mut at = write_decimal(cost.mantissa().unsigned_abs(), cost.scale(), &mut buf);
    if cost.is_sign_negative() && !cost.is_zero() {
        at -= 1;
        buf[at] = b'-';
    }
    HeaderValue::from_bytes(&buf[at..]).ok()
}

/// Adds the `x-litellm-*` headers for `info` to `headers`.
pub fn apply(headers: &mut HeaderMap, info: &CallInfo) {
    headers.reserve(MAX_HEADERS);
    let mut text = |name: HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    text(CALL_ID, &info.call_id);
    if let Some(id) = &info.model_id {
        text(MODEL_ID, id);
    }
    if let Some(group) = &info.model_group {
        text(MODEL_GROUP, group);
    }
    if let Some(base) = &info.api_base {
        text(API_BASE, base);
    }
    if let Some(cost) = info.cost.and_then(usd) {
        headers.insert(RESPONSE_COST, cost);
    }
    headers.insert(RETRIES, HeaderValue::from(info.retries));
    headers.insert(FALLBACKS, HeaderValue::from(info.fallbacks));
    if let Some(overhead) = info.overhead {
        headers.insert(OVERHEAD, millis(overhead));
    }
    if let Some(total) = info.total {
        headers.insert(DURATION, millis(total));
    }
    headers.insert(VERSION, HeaderValue::from_static(env!("CARGO_PKG_VERSION")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids_are_version_4_uuids() {
        let id = call_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
        assert_ne!(id, call_id());
    }

    #[test]
    fn headers_carry_retries_fallbacks_and_cost() {
        let mut headers = HeaderMap::new();
        apply(
            &mut headers,
            &CallInfo {
                call_id: "c".into(),
                model_id: Some("d1".into()),
                retries: 2,
                fallbacks: 1,
                cost: Some(Decimal::new(15, 6)),
                overhead: Some(Duration::from_micros(250)),
                ..CallInfo::default()
            },
        );
        assert_eq!(headers["x-litellm-attempted-retries"], "2");
        assert_eq!(headers["x-litellm-attempted-fallbacks"], "1");
        assert_eq!(headers["x-litellm-response-cost"], "0.000015");
        assert_eq!(headers["x-litellm-overhead-duration-ms"], "0.250");
        assert_eq!(headers["x-litellm-model-id"], "d1");
    }

    #[test]
    fn costs_print_as_their_shortest_exact_decimal() {
        let cases = [
            (Decimal::new(15, 6), "0.000015"),
            (Decimal::new(150, 7), "0.000015"),
            (Decimal::new(2, 0), "2"),
            (Decimal::new(20, 1), "2"),
            (Decimal::ZERO, "0"),
            (Decimal::new(0, 5), "0"),
            (Decimal::new(12345, 2), "123.45"),
            (Decimal::new(1, 28), "0.0000000000000000000000000001"),
            (Decimal::MAX, "79228162514264337593543950335"),
            (Decimal::new(-5, 1), "-0.5"),
        ];
        for (cost, text) in cases {
            assert_eq!(usd(cost).unwrap(), text, "{cost}");
            assert_eq!(
                cost.normalize().to_string(),
                text,
                "to_string agrees for {cost}"
            );
        }
    }

    #[test]
    fn durations_print_whole_milliseconds_with_three_decimals() {
        assert_eq!(millis(Duration::from_micros(0)), "0.000");
        assert_eq!(millis(Duration::from_micros(1_234_567)), "1234.567");
        assert_eq!(millis(Duration::from_nanos(2_500)), "0.002");
        assert_eq!(millis(Duration::from_micros(250)), "0.250");
        assert_eq!(millis(Duration::from_micros(7_000)), "7.000");
        // Exact even at the largest duration (the old code clamped it).
        assert_eq!(millis(Duration::MAX), "18446744073709551615999.999");
    }
}
