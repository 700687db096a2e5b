//! Cohere error bodies (`{"message": "..."}`) to error kinds by status and
//! text; 498 (invalid token) is an authentication failure.

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::providers::Target;
use crate::providers::openai_compat::classify;
use crate::retry::{retry_after_from_headers, should_retry_from_headers};

/// The error for a failure status.
pub fn map_error(target: &Target, status: u16, headers: &HeaderMap, body: &str) -> Error {
    let body = match &target.api_key {
        Some(key) => key.scrub(body),
        None => body.to_owned(),
    };
    let message = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(500).collect());
    let lower = message.to_lowercase();
    let kind = if status == 498 || lower.contains("invalid api token") {
        ErrorKind::Authentication
    } else if status == 422 && lower.contains("too many tokens") {
        ErrorKind::ContextWindowExceeded
    } else {
        classify(status, &message)
    };
    target
        .error(kind, format!("cohere returned HTTP {status}: {message}"))
        .with_status(status)
        .with_retry_after(retry_after_from_headers(
            headers,
            std::time::SystemTime::now(),
        ))
        .with_should_retry(should_retry_from_headers(headers))
        .with_body(body)
}
