//! Bedrock errors (`{"message"}` with the type in `x-amzn-ErrorType`) to
//! error kinds: the type when Bedrock names it, else LiteLLM's text rules
//! and the status.

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::providers::Target;
use crate::providers::openai_compat::classify;
use crate::retry::{retry_after_from_headers, should_retry_from_headers};

/// Texts that mean the prompt did not fit.
const TOO_LONG: &[&str] = &[
    "too many tokens",
    "input is too long",
    "prompt is too long",
    "too many input tokens",
    "expected maxlength:",
];

/// The error for a failure status.
pub fn map_error(target: &Target, status: u16, headers: &HeaderMap, body: &str) -> Error {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(500).collect());
    let error_type = headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(':').next().unwrap_or(v).to_owned())
        .unwrap_or_default();
    let lower = message.to_lowercase();
    let kind = if TOO_LONG.iter().any(|t| lower.contains(t)) {
        ErrorKind::ContextWindowExceeded
    } else if lower.contains("security token included in the request is invalid") {
        ErrorKind::Authentication
    } else {
        match error_type.as_str() {
            "ThrottlingException" | "ModelNotReadyException" => ErrorKind::RateLimit,
            "ValidationException" => ErrorKind::BadRequest,
            "AccessDeniedException" => ErrorKind::PermissionDenied,
            "UnrecognizedClientException" => ErrorKind::Authentication,
            "ResourceNotFoundException" => ErrorKind::NotFound,
            "ModelTimeoutException" => ErrorKind::Timeout,
            "ServiceUnavailableException" => ErrorKind::ServiceUnavailable,
            "InternalServerException" => ErrorKind::InternalServer,
            _ => classify(status, &message),
        }
    };
    let named = if error_type.is_empty() {
        String::new()
    } else {
        format!("{error_type}: ")
    };
    target
        .error(
            kind,
            format!("bedrock returned HTTP {status}: {named}{message}"),
        )
        .with_status(status)
        .with_retry_after(retry_after_from_headers(
            headers,
            std::time::SystemTime::now(),
        ))
        .with_should_retry(should_retry_from_headers(headers))
        .with_body(body.to_owned())
}
