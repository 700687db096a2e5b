use std::time::SystemTime;

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::providers::Target;
use crate::retry::{retry_after_from_headers, should_retry_from_headers};

/// Texts that mean the prompt did not fit (LiteLLM's list, plus llama.cpp's
/// own error type and message, which LiteLLM misses).
const CONTEXT_WINDOW_TEXTS: &[&str] = &[
    "exceed_context_size_error",
    "exceeds the available context size",
    "exceed context limit",
    "this model's maximum context length is",
    "string too long. expected a string with maximum length",
    "model's maximum context limit",
    "is longer than the model's context length",
    "input tokens exceed the configured limit",
    "`inputs` tokens + `max_new_tokens` must be",
    "exceeds the maximum number of tokens allowed",
    "context_length_exceeded",
    "prompt is too long",
];

const TIMEOUT_TEXTS: &[&str] = &[
    "request timed out",
    "timed out generating response",
    "the read operation timed out",
    "a timeout occurred",
];

const CONTENT_POLICY_TEXTS: &[&str] = &[
    "content_policy_violation",
    "violating our usage policy",
    "request was rejected as a result of the safety system",
];

/// The error kind for an HTTP failure with `status` and body `text`, in
/// LiteLLM's order: text patterns first, then the status table.
pub fn classify(status: u16, text: &str) -> ErrorKind {
    let lower = text.to_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    if status == 429 || mentions_rate_limit(&lower) {
        return ErrorKind::RateLimit;
    }
    if (400..500).contains(&status) && has(CONTEXT_WINDOW_TEXTS) {
        return ErrorKind::ContextWindowExceeded;
    }
    if has(TIMEOUT_TEXTS) {
        return ErrorKind::Timeout;
    }
    if lower.contains("model_not_found") {
        return ErrorKind::NotFound;
    }
    if (400..500).contains(&status) && has(CONTENT_POLICY_TEXTS) {
        return ErrorKind::ContentPolicyViolation;
    }
    match status {
        400 => ErrorKind::BadRequest,
        401 => ErrorKind::Authentication,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        408 | 504 => ErrorKind::Timeout,
        422 => ErrorKind::UnprocessableEntity,
        500 => ErrorKind::InternalServer,
        502 => ErrorKind::BadGateway,
        503 => ErrorKind::ServiceUnavailable,
        _ => ErrorKind::APIError,
    }
}

/// LiteLLM's `is_error_str_rate_limit`: a whole-word 429 or "rate limit"
/// spelled with a space, `_` or `-` (or nothing) in between.
fn mentions_rate_limit(lower: &str) -> bool {
    let bytes = lower.as_bytes();
    let word_429 = lower.match_indices("429").any(|(i, _)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + 3).copied();
        !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !after.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    if word_429 {
        return true;
    }
    lower.match_indices("rate").any(|(i, _)| {
        let rest = lower[i + 4..].trim_start_matches([' ', '\t', '\n', '_', '-']);
        rest.starts_with("limit")
    }) || lower.contains("service tier capacity exceeded")
}

/// The message inside an OpenAI-style error body, or the body itself.
fn error_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let from_json = parsed.as_ref().and_then(|v| {
        let error = v.get("error").unwrap_or(v);
        error
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| error.as_str())
            .or_else(|| v.get("detail").and_then(Value::as_str))
            .map(str::to_owned)
    });
    let text = from_json.unwrap_or_else(|| body.trim().to_owned());
    let mut text: String = text.chars().take(2000).collect();
    if text.is_empty() {
        text = "(empty response body)".to_owned();
    }
    text
}

/// Builds the error for a failed HTTP response: kind, message with a hint,
/// status, Retry-After and `x-should-retry`. The key is scrubbed from the body.
pub fn map_error(target: &Target, status: u16, headers: &HeaderMap, body: &str) -> Error {
    let body = match &target.api_key {
        Some(key) => key.scrub(body),
        None => body.to_owned(),
    };
    let kind = classify(status, &body);
    let message = error_message(&body);
    let hint = hint(target, kind);
    let message = if hint.is_empty() {
        format!(
            "{} returned HTTP {status}: {message}",
            target.provider.prefix
        )
    } else {
        format!(
            "{} returned HTTP {status}: {message}. {hint}",
            target.provider.prefix
        )
    };
    target
        .error(kind, message)
        .with_status(status)
        .with_retry_after(retry_after_from_headers(headers, SystemTime::now()))
        .with_should_retry(should_retry_from_headers(headers))
        .with_body(body)
}

fn hint(target: &Target, kind: ErrorKind) -> String {
    let key_env = target.provider.api_key_env.first().map(String::as_str);
    match kind {
        ErrorKind::Authentication => match key_env {
            Some(env) => format!("Check the API key: pass api_key or set {env}"),
            None => "Check the API key".to_owned(),
        },
        ErrorKind::ContextWindowExceeded => "Shorten the prompt, lower max_tokens, or use a model \
             with a larger context (context_window_fallbacks)"
            .to_owned(),
        ErrorKind::NotFound => format!("Check the model name '{}' and the API base", target.model),
        ErrorKind::RateLimit => {
            "Wait and retry (num_retries), or lower the request rate".to_owned()
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table() {
        for (status, kind) in [
            (400, ErrorKind::BadRequest),
            (401, ErrorKind::Authentication),
            (403, ErrorKind::PermissionDenied),
            (404, ErrorKind::NotFound),
            (408, ErrorKind::Timeout),
            (409, ErrorKind::APIError),
            (422, ErrorKind::UnprocessableEntity),
            (429, ErrorKind::RateLimit),
            (500, ErrorKind::InternalServer),
            (502, ErrorKind::BadGateway),
            (503, ErrorKind::ServiceUnavailable),
            (504, ErrorKind::Timeout),
            (529, ErrorKind::APIError),
        ] {
            assert_eq!(classify(status, "{}"), kind, "{status}");
        }
    }

    #[test]
    fn texts_beat_status() {
        let llama = r#"{"error":{"code":400,"message":"request (4476 tokens) exceeds the available context size (4096 tokens)","type":"exceed_context_size_error","n_prompt_tokens":4476,"n_ctx":4096}}"#;
        assert_eq!(classify(400, llama), ErrorKind::ContextWindowExceeded);
        let openai = r#"{"error":{"message":"This model's maximum context length is 4097 tokens.","type":"invalid_request_error","code":"context_length_exceeded"}}"#;
        assert_eq!(classify(400, openai), ErrorKind::ContextWindowExceeded);
        let policy = r#"{"error":{"message":"blocked","type":"invalid_request_error","code":"content_policy_violation"}}"#;
        assert_eq!(classify(400, policy), ErrorKind::ContentPolicyViolation);
        let missing = r#"{"error":{"message":"The model `x` does not exist","type":"invalid_request_error","code":"model_not_found"}}"#;
        assert_eq!(classify(404, missing), ErrorKind::NotFound);
        assert_eq!(classify(400, "Rate-limit reached"), ErrorKind::RateLimit);
        assert_eq!(
            classify(400, "error 429 from upstream"),
            ErrorKind::RateLimit
        );
        assert_eq!(classify(400, "token 14290 invalid"), ErrorKind::BadRequest);
    }

    #[test]
    fn message_is_extracted_and_key_scrubbed() {
        let target = crate::providers::resolve_with_env(
            "openai/gpt-4o",
            None,
            Some("sk-canary-abcdef123456"),
            &|_| None,
        )
        .unwrap();
        let body = r#"{"error":{"message":"Incorrect API key provided: sk-canary-abcdef123456","type":"invalid_request_error"}}"#;
        let err = map_error(&target, 401, &HeaderMap::new(), body);
        assert_eq!(err.kind(), ErrorKind::Authentication);
        assert!(!err.to_string().contains("canary"), "{err}");
        assert!(!err.body().unwrap_or("").contains("canary"));
        assert!(err.message().contains("OPENAI_API_KEY"), "{err}");
        assert_eq!(err.provider(), Some("openai"));
        assert_eq!(err.model(), Some("gpt-4o"));
        assert_eq!(err.upstream_status(), Some(401));
    }
}
