//! The response headers LiteLLM's proxy sets (`x-litellm-*`), so clients and
//! dashboards that read them keep working.
//!
//! A handler leaves them in the response's extensions ([`defer`]). Our
//! HTTP/1 server writes them straight into the response head ([`write`]);
//! the public application and the HTTP/2 server put them in the header map
//! first ([`apply_deferred`]). Ten header-map inserts cost about 4,000
//! instructions a request; writing the bytes costs a fifth of that.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use rust_decimal::Decimal;

/// What one call did, for its response headers.
#[derive(Debug, Clone)]
pub struct CallInfo {
    /// A fresh UUID per request (`x-litellm-call-id`).
    pub call_id: HeaderValue,
    /// The answering deployment's id, group and upstream base.
    pub deployment: DeploymentHeaders,
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

/// A deployment's header values, made once when the config is loaded (a
/// value that is not a valid header, such as one with a line break, is
/// left out).
#[derive(Debug, Clone, Default)]
pub struct DeploymentHeaders {
    /// `x-litellm-model-id`.
    pub model_id: Option<HeaderValue>,
    /// `x-litellm-model-group`.
    pub model_group: Option<HeaderValue>,
    /// `x-litellm-model-api-base`.
    pub api_base: Option<HeaderValue>,
}

impl DeploymentHeaders {
    /// The header values of a deployment with this id, group and base.
    pub fn new(model_id: &str, model_group: &str, api_base: Option<&str>) -> Self {
        Self {
            model_id: HeaderValue::from_str(model_id).ok(),
            model_group: HeaderValue::from_str(model_group).ok(),
            api_base: api_base.and_then(|base| HeaderValue::from_str(base).ok()),
        }
    }
}

/// A random version-4 UUID, as LiteLLM's call ids.
pub fn call_id() -> String {
    let mut n = rand::random::<u128>();
    n = (n & !(0xf << 76)) | (0x4 << 76);
    n = (n & !(0x3 << 62)) | (0x2 << 62);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(36);
    for (i, byte) in n.to_be_bytes().into_iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0xf)]));
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

/// A count as a header value: the usual small ones without formatting.
fn count(n: u32) -> HeaderValue {
    const SMALL: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    match SMALL.get(n as usize) {
        Some(text) => HeaderValue::from_static(text),
        None => HeaderValue::from(n),
    }
}

/// Leaves `info` in the response for the server to write as headers.
pub fn defer(response: &mut axum::response::Response, info: CallInfo) {
    response.extensions_mut().insert(info);
}

/// Moves deferred headers into the response's header map (for servers
/// other than our HTTP/1 writer).
pub fn apply_deferred(mut response: axum::response::Response) -> axum::response::Response {
    if let Some(info) = response.extensions_mut().remove::<CallInfo>() {
        apply(response.headers_mut(), &info);
    }
    response
}

/// Appends `name: value\r\n`.
fn put(out: &mut Vec<u8>, name: &HeaderName, value: &[u8]) {
    out.extend_from_slice(name.as_str().as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Appends the headers [`apply`] would add, as HTTP/1 head lines.
pub fn write(out: &mut Vec<u8>, info: &CallInfo) {
    put(out, &CALL_ID, info.call_id.as_bytes());
    let deployment = &info.deployment;
    for (name, value) in [
        (&MODEL_ID, &deployment.model_id),
        (&MODEL_GROUP, &deployment.model_group),
        (&API_BASE, &deployment.api_base),
    ] {
        if let Some(value) = value {
            put(out, name, value.as_bytes());
        }
    }
    if let Some(cost) = info.cost.and_then(usd) {
        put(out, &RESPONSE_COST, cost.as_bytes());
    }
    put(out, &RETRIES, count(info.retries).as_bytes());
    put(out, &FALLBACKS, count(info.fallbacks).as_bytes());
    let mut buf = [0u8; 48];
    if let Some(overhead) = info.overhead {
        let at = write_decimal(overhead.as_micros(), 3, &mut buf);
        put(out, &OVERHEAD, &buf[at..]);
    }
    if let Some(total) = info.total {
        let at = write_decimal(total.as_micros(), 3, &mut buf);
        put(out, &DURATION, &buf[at..]);
    }
    put(out, &VERSION, env!("CARGO_PKG_VERSION").as_bytes());
}

/// Adds the `x-litellm-*` headers for `info` to `headers`.
pub fn apply(headers: &mut HeaderMap, info: &CallInfo) {
    headers.reserve(MAX_HEADERS);
    headers.insert(CALL_ID, info.call_id.clone());
    let deployment = &info.deployment;
    for (name, value) in [
        (MODEL_ID, &deployment.model_id),
        (MODEL_GROUP, &deployment.model_group),
        (API_BASE, &deployment.api_base),
    ] {
        if let Some(value) = value {
            headers.insert(name, value.clone());
        }
    }
    if let Some(cost) = info.cost.and_then(usd) {
        headers.insert(RESPONSE_COST, cost);
    }
    headers.insert(RETRIES, count(info.retries));
    headers.insert(FALLBACKS, count(info.fallbacks));
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
        for (i, c) in id.chars().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                assert_eq!(c, '-', "{id}");
            } else {
                assert!(matches!(c, '0'..='9' | 'a'..='f'), "{id}");
            }
        }
        assert_ne!(id, call_id());
    }

    #[test]
    fn headers_carry_retries_fallbacks_and_cost() {
        let mut headers = HeaderMap::new();
        let mut info = CallInfo {
            call_id: HeaderValue::from_static("c"),
            deployment: DeploymentHeaders::new("d1", "gpt", Some("http://h/v1\nx")),
            retries: 2,
            fallbacks: 1,
            cost: Some(Decimal::new(15, 6)),
            overhead: Some(Duration::from_micros(250)),
            total: None,
        };
        apply(&mut headers, &info);
        assert_eq!(headers["x-litellm-call-id"], "c");
        assert_eq!(headers["x-litellm-attempted-retries"], "2");
        assert_eq!(headers["x-litellm-attempted-fallbacks"], "1");
        assert_eq!(headers["x-litellm-response-cost"], "0.000015");
        assert_eq!(headers["x-litellm-overhead-duration-ms"], "0.250");
        assert_eq!(headers["x-litellm-model-id"], "d1");
        assert_eq!(headers["x-litellm-model-group"], "gpt");
        assert!(
            !headers.contains_key("x-litellm-model-api-base"),
            "a base with a line break is left out, not sent broken"
        );
        assert!(!headers.contains_key("x-litellm-response-duration-ms"));
        info.retries = 12;
        info.fallbacks = 0;
        apply(&mut headers, &info);
        assert_eq!(headers["x-litellm-attempted-retries"], "12");
        assert_eq!(headers["x-litellm-attempted-fallbacks"], "0");
    }

    #[test]
    fn written_lines_are_the_applied_headers() {
        let info = CallInfo {
            call_id: HeaderValue::from_static("c-1"),
            deployment: DeploymentHeaders::new("d1", "gpt", Some("http://h/v1")),
            retries: 12,
            fallbacks: 1,
            cost: Some(Decimal::new(15, 6)),
            overhead: Some(Duration::from_micros(250)),
            total: Some(Duration::from_micros(1_234_567)),
        };
        let mut headers = HeaderMap::new();
        apply(&mut headers, &info);
        let mut applied: Vec<String> = headers
            .iter()
            .map(|(name, value)| format!("{name}: {}\r\n", value.to_str().unwrap_or("?")))
            .collect();
        let mut out = Vec::new();
        write(&mut out, &info);
        let text = String::from_utf8(out).unwrap_or_default();
        let mut written: Vec<String> = text.split_inclusive("\r\n").map(str::to_owned).collect();
        applied.sort();
        written.sort();
        assert_eq!(written, applied);
        assert_eq!(applied.len(), 10);
        let mut response = axum::response::Response::new(axum::body::Body::empty());
        defer(&mut response, info);
        let response = apply_deferred(response);
        assert_eq!(
            response.headers()["x-litellm-response-duration-ms"],
            "1234.567"
        );
        assert!(response.extensions().get::<CallInfo>().is_none());
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
