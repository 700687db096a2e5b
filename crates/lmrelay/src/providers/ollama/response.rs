//! Ollama `/api/chat` bodies to OpenAI chat completions.

use lmrelay_types::{ChatCompletionResponse, Usage};
use serde_json::{Value, json};

use crate::error::{ErrorKind, Result};
use crate::providers::Target;
use crate::providers::python_json::python_json;

/// `<think>...</think>` at the start of the content is reasoning.
pub(super) fn split_think(content: &str) -> (String, Option<String>) {
    let trimmed = content.trim_start();
    if let Some(rest) = trimmed.strip_prefix("<think>")
        && let Some((thought, answer)) = rest.split_once("</think>")
    {
        return (answer.to_owned(), Some(thought.to_owned()));
    }
    (content.to_owned(), None)
}

/// Tool calls with generated ids and Python-style argument text.
pub(super) fn tool_calls(calls: &Value, first_index: u32) -> Vec<Value> {
    calls
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, call)| {
            let arguments = match &call["function"]["arguments"] {
                Value::String(text) => text.clone(),
                other => python_json(other),
            };
            json!({
                "index": first_index + u32::try_from(i).unwrap_or(0),
                "id": format!("call_{:032x}", rand::random::<u128>()),
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": arguments},
            })
        })
        .collect()
}

/// `prompt_eval_count` and `eval_count` as usage.
pub(super) fn usage(body: &Value) -> Usage {
    let n = |key: &str| body.get(key).and_then(Value::as_u64).unwrap_or(0);
    Usage::new(n("prompt_eval_count"), n("eval_count"))
}

pub(super) fn finish_reason(body: &Value, has_tool_calls: bool) -> &'static str {
    if has_tool_calls {
        return "tool_calls";
    }
    match body["done_reason"].as_str() {
        Some("length") => "length",
        _ => "stop",
    }
}

/// Parses an `/api/chat` body.
pub fn parse_chat(target: &Target, body: &[u8]) -> Result<ChatCompletionResponse> {
    let value: Value = serde_json::from_slice(body).map_err(|err| {
        target.error(
            ErrorKind::APIError,
            format!("ollama sent a body that is not JSON ({err})"),
        )
    })?;
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        return Err(target.error(
            ErrorKind::APIError,
            format!("ollama answered with an error: {error}"),
        ));
    }
    let message = &value["message"];
    let (content, mut reasoning) = split_think(message["content"].as_str().unwrap_or(""));
    if let Some(thinking) = message["thinking"].as_str().filter(|t| !t.is_empty()) {
        reasoning = Some(thinking.to_owned());
    }
    let calls = tool_calls(&message["tool_calls"], 0);
    let mut out = json!({"role": "assistant", "content": content});
    if !calls.is_empty() {
        out["tool_calls"] = Value::Array(calls.clone());
    }
    if let Some(reasoning) = reasoning {
        out["reasoning_content"] = json!(reasoning);
    }
    crate::providers::adapter::completion(
        target,
        None,
        value["model"].as_str().unwrap_or(&target.model),
        json!([{"index": 0, "message": out, "finish_reason": finish_reason(&value, !calls.is_empty())}]),
        usage(&value),
    )
}
