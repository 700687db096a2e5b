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
    let hex = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn millis(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// Adds the `x-litellm-*` headers for `info` to `headers`.
pub fn apply(headers: &mut HeaderMap, info: &CallInfo) {
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("x-litellm-call-id", info.call_id.clone());
    if let Some(id) = &info.model_id {
        set("x-litellm-model-id", id.clone());
    }
    if let Some(group) = &info.model_group {
        set("x-litellm-model-group", group.clone());
    }
    if let Some(base) = &info.api_base {
        set("x-litellm-model-api-base", base.clone());
    }
    set("x-litellm-attempted-retries", info.retries.to_string());
    set("x-litellm-attempted-fallbacks", info.fallbacks.to_string());
    if let Some(cost) = info.cost {
        set("x-litellm-response-cost", cost.normalize().to_string());
    }
    if let Some(overhead) = info.overhead {
        set("x-litellm-overhead-duration-ms", millis(overhead));
    }
    if let Some(total) = info.total {
        set("x-litellm-response-duration-ms", millis(total));
    }
    set("x-litellm-version", env!("CARGO_PKG_VERSION").to_owned());
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
}
