//! Gemini error bodies (`{"error": {"code", "message", "status"}}`) to error
//! kinds. The key is never in a URL we build, and is scrubbed from bodies.

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
        .and_then(|v| {
            let error = v.get("error")?;
            let status = error.get("status").and_then(Value::as_str).unwrap_or("");
            let text = error.get("message").and_then(Value::as_str).unwrap_or("");
            Some(format!("{status}: {text}"))
        })
        .unwrap_or_else(|| body.chars().take(500).collect());
    let lower = message.to_lowercase();
    let kind = if lower.contains("api key not valid") || lower.contains("api_key_invalid") {
        ErrorKind::Authentication
    } else if status == 503 && lower.contains("overloaded") {
        // LiteLLM reads "overloaded" as a (retryable) server error.
        ErrorKind::InternalServer
    } else {
        classify(status, &message)
    };
    target
        .error(kind, format!("gemini returned HTTP {status}: {message}"))
        .with_status(status)
        .with_retry_after(retry_after_from_headers(
            headers,
            std::time::SystemTime::now(),
        ))
        .with_should_retry(should_retry_from_headers(headers))
        .with_body(body)
}
