//! Anthropic message bodies to OpenAI chat completions.

use lmrelay_types::{ChatCompletionResponse, Usage};
use serde_json::{Value, json};

use super::JSON_TOOL_NAME;
use super::errors::error_message;
use crate::error::{ErrorKind, Result};
use crate::providers::Target;
pub(super) use crate::providers::python_json::python_json;

/// Anthropic's `stop_reason` as an OpenAI `finish_reason`.
pub(super) fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    }
}

/// Anthropic's usage as OpenAI's: prompt tokens include cache reads and
/// writes; the cache counts stay in the details and at the top level.
pub(super) fn usage(raw: &Value) -> Usage {
    let n = |key: &str| raw.get(key).and_then(Value::as_u64).unwrap_or(0);
    let (input, output) = (n("input_tokens"), n("output_tokens"));
    let (read, written) = (
        n("cache_read_input_tokens"),
        n("cache_creation_input_tokens"),
    );
    let split = raw.get("cache_creation").cloned().unwrap_or_else(
        || json!({"ephemeral_5m_input_tokens": written, "ephemeral_1h_input_tokens": 0}),
    );
    let value = json!({
        "prompt_tokens": input + read + written,
        "completion_tokens": output,
        "total_tokens": input + read + written + output,
        "prompt_tokens_details": {
            "cached_tokens": read,
            "cache_creation_tokens": written,
            "cache_creation_token_details": split,
        },
        "completion_tokens_details": {"reasoning_tokens": 0, "text_tokens": output},
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": read,
    });
    serde_json::from_value(value).unwrap_or_default()
}

/// The JSON reply carried by the forced tool: its input, or the `values`
/// member when that is all there is (LiteLLM wraps non-object schemas so).
pub(super) fn json_reply_value(input: &Value) -> &Value {
    match input.as_object() {
        Some(object) if object.len() == 1 && object.contains_key("values") => &object["values"],
        _ => input,
    }
}

/// A fresh `chatcmpl-` id (LiteLLM does not reuse Anthropic's `msg_` id).
pub(super) fn completion_id() -> String {
    format!("chatcmpl-{:032x}", rand::random::<u128>())
}

pub(super) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Parses a Messages API body into a chat completion.
pub fn parse_chat(target: &Target, body: &[u8]) -> Result<ChatCompletionResponse> {
    let value: Value = serde_json::from_slice(body).map_err(|err| {
        target.error(
            ErrorKind::APIError,
            format!("anthropic sent a body that is not JSON ({err})"),
        )
    })?;
    if value.get("type").and_then(Value::as_str) == Some("error") || value.get("error").is_some() {
        let text = String::from_utf8_lossy(body);
        let message = error_message(&text);
        let kind = value
            .pointer("/error/type")
            .and_then(Value::as_str)
            .map_or(ErrorKind::APIError, super::errors::stream_error_kind);
        return Err(target.error(
            kind,
            format!("anthropic answered 200 with an error: {message}"),
        ));
    }
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut tool_calls = Vec::new();
    let mut json_reply = None;
    for block in value["content"].as_array().into_iter().flatten() {
        match block["type"].as_str() {
            Some("text") => text.push_str(block["text"].as_str().unwrap_or("")),
            Some("thinking") => reasoning.push_str(block["thinking"].as_str().unwrap_or("")),
            Some("tool_use") if block["name"] == JSON_TOOL_NAME => {
                json_reply = Some(python_json(json_reply_value(&block["input"])));
            }
            Some("tool_use") => tool_calls.push(json!({
                "id": block["id"],
                "type": "function",
                "function": {"name": block["name"], "arguments": python_json(&block["input"])},
            })),
            _ => {}
        }
    }
    let stop = value["stop_reason"].as_str().unwrap_or("end_turn");
    let finish = if json_reply.is_some() {
        "stop"
    } else {
        finish_reason(stop)
    };
    let content = json_reply.or((!text.is_empty() || tool_calls.is_empty()).then_some(text));
    let mut message = json!({"role": "assistant", "content": content});
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    if !reasoning.is_empty() {
        message["reasoning_content"] = Value::String(reasoning);
    }
    crate::providers::adapter::completion(
        target,
        None,
        value["model"].as_str().unwrap_or(&target.model),
        json!([{"index": 0, "message": message, "finish_reason": finish}]),
        usage(&value["usage"]),
    )
}
