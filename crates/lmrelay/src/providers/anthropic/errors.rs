//! Anthropic error bodies (`{"type": "error", "error": {"type", "message"}}`)
//! to error kinds.

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::providers::Target;
use crate::providers::openai_compat::classify;
use crate::retry::{retry_after_from_headers, should_retry_from_headers};

/// The error for a failure status: the status table and LiteLLM's text
/// rules ("prompt is too long" is a context-window error), with
/// Retry-After and the provider's message.
pub fn map_error(target: &Target, status: u16, headers: &HeaderMap, body: &str) -> Error {
    let body = match &target.api_key {
        Some(key) => key.scrub(body),
        None => body.to_owned(),
    };
    let message = error_message(&body);
    let kind = match status {
        // LiteLLM: a body too large is a bad request; Anthropic's 529
        // "overloaded" is a (retryable) server error.
        413 => ErrorKind::BadRequest,
        529 => ErrorKind::InternalServer,
        _ => classify(status, &message),
    };
    target
        .error(kind, format!("anthropic returned HTTP {status}: {message}"))
        .with_status(status)
        .with_retry_after(retry_after_from_headers(
            headers,
            std::time::SystemTime::now(),
        ))
        .with_should_retry(should_retry_from_headers(headers))
        .with_body(body)
}

/// The message of an error body, or the body itself.
pub(super) fn error_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| {
            let error = v.get("error")?;
            let kind = error.get("type").and_then(Value::as_str).unwrap_or("error");
            let text = error.get("message").and_then(Value::as_str).unwrap_or("");
            Some(format!("{kind}: {text}"))
        })
        .unwrap_or_else(|| body.chars().take(500).collect())
}

/// The kind of an `error` event in a stream, by Anthropic's error type.
pub(super) fn stream_error_kind(error_type: &str) -> ErrorKind {
    match error_type {
        "rate_limit_error" => ErrorKind::RateLimit,
        "invalid_request_error" => ErrorKind::BadRequest,
        "authentication_error" => ErrorKind::Authentication,
        "permission_error" => ErrorKind::PermissionDenied,
        "not_found_error" => ErrorKind::NotFound,
        "overloaded_error" => ErrorKind::ServiceUnavailable,
        _ => ErrorKind::InternalServer,
    }
}
