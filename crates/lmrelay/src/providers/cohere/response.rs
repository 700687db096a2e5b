//! Cohere v2 chat bodies to OpenAI chat completions.

use lmrelay_types::{ChatCompletionResponse, Usage};
use serde_json::{Value, json};

use crate::error::{ErrorKind, Result};
use crate::providers::Target;

/// Cohere's `finish_reason` as OpenAI's.
pub(super) fn finish_reason(reason: &str) -> &'static str {
    match reason {
        "MAX_TOKENS" => "length",
        "TOOL_CALL" => "tool_calls",
        _ => "stop",
    }
}

/// `usage.tokens` (the model's own counts) as OpenAI usage.
pub(super) fn usage(raw: &Value) -> Usage {
    let n = |key: &str| raw["tokens"][key].as_u64().unwrap_or(0);
    Usage::new(n("input_tokens"), n("output_tokens"))
}

/// Parses a `/v2/chat` body.
pub fn parse_chat(target: &Target, body: &[u8]) -> Result<ChatCompletionResponse> {
    let value: Value = serde_json::from_slice(body).map_err(|err| {
        target.error(
            ErrorKind::APIError,
            format!("cohere sent a body that is not JSON ({err})"),
        )
    })?;
    let message = &value["message"];
    let text: String = message["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|part| part["text"].as_str())
        .collect();
    let calls = message["tool_calls"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut out = json!({"role": "assistant", "content": (!text.is_empty()).then_some(text)});
    if !calls.is_empty() {
        out["tool_calls"] = Value::Array(calls);
    }
    let finish = finish_reason(value["finish_reason"].as_str().unwrap_or("COMPLETE"));
    crate::providers::adapter::completion(
        target,
        None,
        &target.model,
        json!([{"index": 0, "message": out, "finish_reason": finish}]),
        usage(&value["usage"]),
    )
}
