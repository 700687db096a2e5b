//! Anthropic's Messages API in front of any model: a `/v1/messages` body
//! becomes an OpenAI-shaped chat request, and the answer (or its stream)
//! goes back as a Message (or Anthropic's stream events). Pure translation;
//! the route in `routes.rs` does the I/O.

use lmrelay::ErrorKind;
use lmrelay_types::{ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse};
use serde_json::{Map, Value, json};

use crate::GatewayError;

fn bad(message: impl Into<String>) -> GatewayError {
    GatewayError::BadRequest(message.into())
}

/// A Messages API body as an OpenAI chat request, and whether it streams.
pub fn to_openai(body: &Value) -> Result<(ChatCompletionRequest, bool), GatewayError> {
    let object = body
        .as_object()
        .ok_or_else(|| bad("the body must be a JSON object"))?;
    let model = object
        .get("model")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("model: required (the model_name of a configured model)"))?;
    let max_tokens = object
        .get("max_tokens")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("max_tokens: required, a whole number of tokens"))?;
    let mut messages = Vec::new();
    match object.get("system") {
        Some(Value::String(text)) => messages.push(json!({"role": "system", "content": text})),
        Some(Value::Array(blocks)) => {
            let text: Vec<&str> = blocks.iter().filter_map(|b| b["text"].as_str()).collect();
            messages.push(json!({"role": "system", "content": text.join("\n")}));
        }
        _ => {}
    }
    let turns = object
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("messages: required, a list of {role, content}"))?;
    for (index, turn) in turns.iter().enumerate() {
        translate_turn(turn, index, &mut messages)?;
    }
    let mut out = Map::new();
    out.insert("model".into(), json!(model));
    out.insert("messages".into(), Value::Array(messages));
    out.insert("max_tokens".into(), json!(max_tokens));
    for key in ["temperature", "top_p", "top_k"] {
        if let Some(value) = object.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    if let Some(stops) = object.get("stop_sequences") {
        out.insert("stop".into(), stops.clone());
    }
    if let Some(user) = object.get("metadata").and_then(|m| m.get("user_id")) {
        out.insert("user".into(), user.clone());
    }
    if let Some(tools) = object.get("tools").and_then(Value::as_array) {
        let tools: Vec<Value> = tools
            .iter()
            .map(|tool| {
                json!({"type": "function", "function": {"name": tool["name"],
                    "description": tool.get("description").cloned().unwrap_or(Value::Null),
                    "parameters": tool.get("input_schema").cloned().unwrap_or_else(|| json!({"type": "object"}))}})
            })
            .collect();
        out.insert("tools".into(), Value::Array(tools));
    }
    if let Some(choice) = object.get("tool_choice") {
        let mapped = match choice["type"].as_str() {
            Some("auto") => json!("auto"),
            Some("any") => json!("required"),
            Some("none") => json!("none"),
            Some("tool") => json!({"type": "function", "function": {"name": choice["name"]}}),
            _ => return Err(bad("tool_choice.type: one of auto, any, tool, none")),
        };
        out.insert("tool_choice".into(), mapped);
        if choice["disable_parallel_tool_use"] == true {
            out.insert("parallel_tool_calls".into(), json!(false));
        }
    }
    let stream = object.get("stream") == Some(&Value::Bool(true));
    if stream {
        out.insert("stream_options".into(), json!({"include_usage": true}));
    }
    let request = serde_json::from_value(Value::Object(out))
        .map_err(|err| bad(format!("the request cannot be translated: {err}")))?;
    Ok((request, stream))
}

fn translate_turn(
    turn: &Value,
    index: usize,
    messages: &mut Vec<Value>,
) -> Result<(), GatewayError> {
    let role = turn["role"].as_str().unwrap_or("");
    if role != "user" && role != "assistant" {
        return Err(bad(format!(
            "messages[{index}].role: user or assistant, got '{role}'"
        )));
    }
    let blocks = match &turn["content"] {
        Value::String(text) => {
            messages.push(json!({"role": role, "content": text}));
            return Ok(());
        }
        Value::Array(blocks) => blocks,
        _ => {
            return Err(bad(format!(
                "messages[{index}].content: a string or a list of blocks"
            )));
        }
    };
    let mut parts = Vec::new();
    let mut tool_calls = Vec::new();
    for block in blocks {
        match block["type"].as_str() {
            Some("text") => parts.push(json!({"type": "text", "text": block["text"]})),
            Some("image") => {
                let source = &block["source"];
                let url = match source["type"].as_str() {
                    Some("base64") => format!(
                        "data:{};base64,{}",
                        source["media_type"].as_str().unwrap_or("image/png"),
                        source["data"].as_str().unwrap_or("")
                    ),
                    _ => source["url"].as_str().unwrap_or("").to_owned(),
                };
                parts.push(json!({"type": "image_url", "image_url": {"url": url}}));
            }
            Some("tool_use") => tool_calls.push(json!({"id": block["id"], "type": "function",
                "function": {"name": block["name"], "arguments": block["input"].to_string()}})),
            Some("tool_result") => {
                let content = match &block["content"] {
                    Value::String(text) => text.clone(),
                    Value::Array(inner) => {
                        inner.iter().filter_map(|b| b["text"].as_str()).collect()
                    }
                    _ => String::new(),
                };
                messages.push(json!({"role": "tool", "tool_call_id": block["tool_use_id"], "content": content}));
            }
            Some("thinking" | "redacted_thinking") => {}
            other => {
                return Err(bad(format!(
                    "messages[{index}]: content blocks of type {} are not supported",
                    other.unwrap_or("(none)")
                )));
            }
        }
    }
    if parts.is_empty() && tool_calls.is_empty() {
        return Ok(());
    }
    let mut message = json!({"role": role, "content": if parts.is_empty() { Value::Null } else { Value::Array(parts) }});
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    messages.push(message);
    Ok(())
}

/// OpenAI's `finish_reason` as Anthropic's `stop_reason`.
fn stop_reason(finish: Option<&str>) -> &'static str {
    match finish {
        Some("length") => "max_tokens",
        Some("tool_calls") => "tool_use",
        Some("content_filter") => "refusal",
        _ => "end_turn",
    }
}

fn message_id() -> String {
    format!("msg_{:024x}", rand::random::<u128>() & ((1u128 << 96) - 1))
}

/// A chat completion as a Message.
pub fn to_anthropic(response: &ChatCompletionResponse, model: &str) -> Value {
    let choice = response.choices.first();
    let mut content = Vec::new();
    if let Some(message) = choice.map(|c| &c.message) {
        if let Some(text) = message
            .content
            .as_ref()
            .map(|c| c.text())
            .filter(|t| !t.is_empty())
        {
            content.push(json!({"type": "text", "text": text}));
        }
        for call in message.tool_calls.iter().flatten() {
            let input: Value =
                serde_json::from_str(&call.function.arguments).unwrap_or_else(|_| json!({}));
            content.push(json!({"type": "tool_use", "id": call.id, "name": call.function.name, "input": input}));
        }
    }
    let usage = response.usage.clone().unwrap_or_default();
    json!({
        "id": message_id(),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason(choice.and_then(|c| c.finish_reason.as_deref())),
        "stop_sequence": null,
        "usage": {"input_tokens": usage.prompt_tokens, "output_tokens": usage.completion_tokens},
    })
}

/// An error in Anthropic's shape, with the status to send.
pub fn error_body(err: &GatewayError) -> (u16, Value) {
    let (status, kind, message) = match err {
        GatewayError::BadRequest(message) => (400, "invalid_request_error", message.clone()),
        GatewayError::Upstream(err) => {
            let kind = match err.kind() {
                ErrorKind::Authentication => "authentication_error",
                ErrorKind::PermissionDenied => "permission_error",
                ErrorKind::NotFound => "not_found_error",
                ErrorKind::RateLimit => "rate_limit_error",
                ErrorKind::ServiceUnavailable => "overloaded_error",
                ErrorKind::BadRequest
                | ErrorKind::ContextWindowExceeded
                | ErrorKind::ContentPolicyViolation
                | ErrorKind::UnsupportedParams
                | ErrorKind::UnprocessableEntity => "invalid_request_error",
                _ => "api_error",
            };
            (err.status_code(), kind, err.to_string())
        }
        GatewayError::Unauthorized(message) => (401, "authentication_error", message.clone()),
        GatewayError::Forbidden { message, status } => {
            (*status, "permission_error", message.clone())
        }
        GatewayError::RateLimited { message, .. } => (429, "rate_limit_error", message.clone()),
        GatewayError::NotFound(message) => (404, "not_found_error", message.clone()),
        GatewayError::PayloadTooLarge(message) => (413, "request_too_large", message.clone()),
        other => (other.status(), "api_error", other.to_string()),
    };
    (
        status,
        json!({"type": "error", "error": {"type": kind, "message": message}}),
    )
}

/// Turns OpenAI chunks into Anthropic stream events, block by block.
#[derive(Debug, Default)]
pub struct EventWriter {
    started: bool,
    /// The open block: its index, and whether it is text (else a tool).
    open: Option<(u32, bool)>,
    next_index: u32,
    /// OpenAI tool index to Anthropic block index.
    tools: Vec<(u32, u32)>,
    finish: Option<String>,
    output_tokens: u64,
    input_tokens: u64,
}

fn event(name: &str, data: &Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

impl EventWriter {
    fn start(&mut self, model: &str, out: &mut String) {
        if !self.started {
            self.started = true;
            out.push_str(&event(
                "message_start",
                &json!({"type": "message_start", "message": {
                "id": message_id(), "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 0, "output_tokens": 0}}}),
            ));
        }
    }

    fn close(&mut self, out: &mut String) {
        if let Some((index, _)) = self.open.take() {
            out.push_str(&event(
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": index}),
            ));
        }
    }

    /// The events of one chunk.
    pub fn chunk(&mut self, chunk: &ChatCompletionChunk, model: &str) -> String {
        let mut out = String::new();
        self.start(model, &mut out);
        if let Some(usage) = &chunk.usage {
            self.input_tokens = usage.prompt_tokens;
            self.output_tokens = usage.completion_tokens;
        }
        for choice in chunk.choices.iter().filter(|c| c.index == 0) {
            let delta = &choice.delta;
            if let Some(text) = delta.content.as_deref().filter(|t| !t.is_empty()) {
                if !matches!(self.open, Some((_, true))) {
                    self.close(&mut out);
                    let index = self.next_index;
                    self.next_index += 1;
                    self.open = Some((index, true));
                    out.push_str(&event(
                        "content_block_start",
                        &json!({"type": "content_block_start",
                        "index": index, "content_block": {"type": "text", "text": ""}}),
                    ));
                }
                let index = self.open.map_or(0, |(i, _)| i);
                out.push_str(&event(
                    "content_block_delta",
                    &json!({"type": "content_block_delta",
                    "index": index, "delta": {"type": "text_delta", "text": text}}),
                ));
            }
            for call in delta.tool_calls.iter().flatten() {
                let known = self
                    .tools
                    .iter()
                    .find(|(t, _)| *t == call.index)
                    .map(|(_, b)| *b);
                let block = match known {
                    Some(block) => block,
                    None => {
                        self.close(&mut out);
                        let index = self.next_index;
                        self.next_index += 1;
                        self.tools.push((call.index, index));
                        self.open = Some((index, false));
                        let function = call.function.as_ref();
                        out.push_str(&event(
                            "content_block_start",
                            &json!({"type": "content_block_start",
                            "index": index, "content_block": {"type": "tool_use",
                            "id": call.id.clone().unwrap_or_default(),
                            "name": function.and_then(|f| f.name.clone()).unwrap_or_default(),
                            "input": {}}}),
                        ));
                        index
                    }
                };
                if let Some(arguments) = call
                    .function
                    .as_ref()
                    .and_then(|f| f.arguments.as_deref())
                    .filter(|a| !a.is_empty())
                {
                    out.push_str(&event("content_block_delta", &json!({"type": "content_block_delta",
                        "index": block, "delta": {"type": "input_json_delta", "partial_json": arguments}})));
                }
            }
            if let Some(finish) = &choice.finish_reason {
                self.finish = Some(finish.clone());
            }
        }
        out
    }

    /// The closing events (after the last chunk).
    pub fn finish(&mut self, model: &str) -> String {
        let mut out = String::new();
        self.start(model, &mut out);
        self.close(&mut out);
        out.push_str(&event(
            "message_delta",
            &json!({"type": "message_delta",
            "delta": {"stop_reason": stop_reason(self.finish.as_deref()), "stop_sequence": null},
            "usage": {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens}}),
        ));
        out.push_str(&event("message_stop", &json!({"type": "message_stop"})));
        out
    }

    /// An error event that ends the stream.
    pub fn error(err: &GatewayError) -> String {
        let (_, body) = error_body(err);
        event("error", &body)
    }
}
