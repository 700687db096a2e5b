//! Ollama error bodies (`{"error": "..."}`) to error kinds by status and text.

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::error::Error;
use crate::providers::Target;
use crate::providers::openai_compat::classify;
use crate::retry::{retry_after_from_headers, should_retry_from_headers};

/// The error for a failure status. (LiteLLM reports every Ollama failure as
/// APIConnectionError; lmrelay keeps the status's meaning: a missing model is
/// NotFound, a bad request BadRequest, a busy server retryable.)
pub fn map_error(target: &Target, status: u16, headers: &HeaderMap, body: &str) -> Error {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(500).collect());
    let hint = if status == 404 && message.contains("not found") {
        format!(" (pull it first: ollama pull {})", target.model)
    } else {
        String::new()
    };
    target
        .error(
            classify(status, &message),
            format!("ollama returned HTTP {status}: {message}{hint}"),
        )
        .with_status(status)
        .with_retry_after(retry_after_from_headers(
            headers,
            std::time::SystemTime::now(),
        ))
        .with_should_retry(should_retry_from_headers(headers))
        .with_body(body.to_owned())
}
