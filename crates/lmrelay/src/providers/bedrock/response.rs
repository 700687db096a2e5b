//! Converse bodies to OpenAI chat completions.

use lmrelay_types::{ChatCompletionResponse, Usage};
use serde_json::{Value, json};

use super::JSON_TOOL_NAME;
use crate::error::{ErrorKind, Result};
use crate::providers::Target;
use crate::providers::python_json::python_json;

/// Bedrock's `stopReason` as OpenAI's `finish_reason`.
pub(super) fn finish_reason(reason: &str) -> &'static str {
    match reason {
        "tool_use" => "tool_calls",
        "max_tokens" => "length",
        "guardrail_intervened" | "content_filtered" => "content_filter",
        _ => "stop",
    }
}

/// Converse usage: prompt tokens include cache reads and writes.
pub(super) fn usage(raw: &Value) -> Usage {
    let n = |key: &str| raw.get(key).and_then(Value::as_u64).unwrap_or(0);
    let (input, output) = (n("inputTokens"), n("outputTokens"));
    let (read, write) = (n("cacheReadInputTokens"), n("cacheWriteInputTokens"));
    let prompt = input + read + write;
    let total = raw
        .get("totalTokens")
        .and_then(Value::as_u64)
        .unwrap_or(prompt + output);
    let mut value =
        json!({"prompt_tokens": prompt, "completion_tokens": output, "total_tokens": total});
    if read > 0 || write > 0 {
        value["prompt_tokens_details"] = json!({"cached_tokens": read});
        value["cache_read_input_tokens"] = json!(read);
        value["cache_creation_input_tokens"] = json!(write);
    }
    serde_json::from_value(value).unwrap_or_default()
}

/// Parses a Converse body.
pub fn parse_chat(target: &Target, body: &[u8]) -> Result<ChatCompletionResponse> {
    let value: Value = serde_json::from_slice(body).map_err(|err| {
        target.error(
            ErrorKind::APIError,
            format!("bedrock sent a body that is not JSON ({err})"),
        )
    })?;
    let (mut text, mut reasoning, mut calls, mut json_reply) =
        (String::new(), String::new(), Vec::new(), None);
    for block in value
        .pointer("/output/message/content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(t) = block["text"].as_str() {
            text.push_str(t);
        } else if let Some(tool) = block.get("toolUse") {
            if tool["name"] == JSON_TOOL_NAME {
                json_reply = Some(python_json(&tool["input"]));
                continue;
            }
            calls.push(json!({"id": tool["toolUseId"], "type": "function",
                "function": {"name": tool["name"], "arguments": python_json(&tool["input"])}}));
        } else if let Some(t) = block
            .pointer("/reasoningContent/reasoningText/text")
            .and_then(Value::as_str)
        {
            reasoning.push_str(t);
        }
    }
    let finish = finish_reason(value["stopReason"].as_str().unwrap_or("end_turn"));
    let mut message = json!({"role": "assistant", "content": json_reply.unwrap_or(text)});
    if !calls.is_empty() {
        message["tool_calls"] = Value::Array(calls);
    }
    if !reasoning.is_empty() {
        message["reasoning_content"] = json!(reasoning);
    }
    crate::providers::adapter::completion(
        target,
        None,
        &target.model,
        json!([{"index": 0, "message": message, "finish_reason": finish}]),
        usage(&value["usage"]),
    )
}
