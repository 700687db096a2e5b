//! Gemini `GenerateContentResponse` bodies to OpenAI chat completions.

use lmrelay_types::{ChatCompletionResponse, Usage};
use serde_json::{Value, json};

use crate::error::{ErrorKind, Result};
use crate::providers::Target;
use crate::providers::python_json::python_json;

/// Gemini's `finishReason` as an OpenAI `finish_reason`.
pub(super) fn finish_reason(reason: &str) -> &'static str {
    match reason {
        "MAX_TOKENS" => "length",
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => {
            "content_filter"
        }
        _ => "stop",
    }
}

/// `usageMetadata` as OpenAI usage: completion tokens include thoughts.
pub(super) fn usage(meta: &Value) -> Usage {
    let n = |key: &str| meta.get(key).and_then(Value::as_u64).unwrap_or(0);
    let prompt = n("promptTokenCount");
    let thoughts = n("thoughtsTokenCount");
    let completion = n("candidatesTokenCount") + thoughts;
    let cached = n("cachedContentTokenCount");
    let total = meta
        .get("totalTokenCount")
        .and_then(Value::as_u64)
        .unwrap_or(prompt + completion);
    let mut value = json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": total,
    });
    if cached > 0 {
        value["prompt_tokens_details"] =
            json!({"cached_tokens": cached, "text_tokens": prompt - cached});
        value["cache_read_input_tokens"] = json!(cached);
    }
    if thoughts > 0 {
        value["completion_tokens_details"] =
            json!({"reasoning_tokens": thoughts, "text_tokens": completion - thoughts});
    }
    serde_json::from_value(value).unwrap_or_default()
}

/// A tool-call id in LiteLLM's form (`call_` and 28 hex digits).
pub(super) fn tool_call_id() -> String {
    let hex = format!("{:032x}", rand::random::<u128>());
    format!("call_{}", &hex[..28])
}

/// Text, reasoning and tool calls of one candidate's parts.
pub(super) fn split_parts(parts: &Value) -> (String, String, Vec<Value>) {
    let (mut text, mut reasoning, mut calls) = (String::new(), String::new(), Vec::new());
    for part in parts.as_array().into_iter().flatten() {
        if let Some(call) = part.get("functionCall") {
            calls.push(json!({
                "id": tool_call_id(),
                "type": "function",
                "function": {"name": call["name"], "arguments": python_json(call.get("args").unwrap_or(&json!({})))},
            }));
        } else if let Some(t) = part["text"].as_str() {
            if part["thought"] == true {
                reasoning.push_str(t);
            } else {
                text.push_str(t);
            }
        }
    }
    (text, reasoning, calls)
}

/// Parses a `generateContent` body.
pub fn parse_chat(target: &Target, body: &[u8]) -> Result<ChatCompletionResponse> {
    let value: Value = serde_json::from_slice(body).map_err(|err| {
        target.error(
            ErrorKind::APIError,
            format!("gemini sent a body that is not JSON ({err})"),
        )
    })?;
    if let Some(error) = value.get("error") {
        let message = error["message"].as_str().unwrap_or("");
        return Err(target.error(
            ErrorKind::APIError,
            format!("gemini answered 200 with an error: {message}"),
        ));
    }
    let candidates = value["candidates"].as_array().cloned().unwrap_or_default();
    let blocked = value.pointer("/promptFeedback/blockReason").is_some();
    if candidates.is_empty() && !blocked {
        return Err(target.error(
            ErrorKind::APIError,
            "gemini answered with no candidates and no block reason",
        ));
    }
    let mut choices = Vec::new();
    for (position, candidate) in candidates.iter().enumerate() {
        let (text, reasoning, calls) = split_parts(&candidate["content"]["parts"]);
        let finish = if calls.is_empty() {
            finish_reason(candidate["finishReason"].as_str().unwrap_or("STOP"))
        } else {
            "tool_calls"
        };
        // A filtered candidate's partial text is withheld, as LiteLLM does.
        let shown = (!text.is_empty() && finish != "content_filter").then_some(text);
        let mut message = json!({"role": "assistant", "content": shown});
        if !calls.is_empty() {
            message["tool_calls"] = Value::Array(calls);
        }
        if !reasoning.is_empty() {
            message["reasoning_content"] = Value::String(reasoning);
        }
        let index = candidate["index"].as_u64().unwrap_or(position as u64);
        choices.push(json!({"index": index, "message": message, "finish_reason": finish}));
    }
    if choices.is_empty() {
        choices.push(
            json!({"index": 0, "message": {"role": "assistant", "content": null},
            "finish_reason": "content_filter"}),
        );
    }
    crate::providers::adapter::completion(
        target,
        value["responseId"].as_str(),
        value["modelVersion"].as_str().unwrap_or(&target.model),
        Value::Array(choices),
        usage(&value["usageMetadata"]),
    )
}
