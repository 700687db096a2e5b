//! OpenAI chat request to Anthropic's `POST /v1/messages`, as LiteLLM
//! translates it.

use lmrelay_types::ChatCompletionRequest;
use serde_json::{Map, Value, json};

use super::schema::json_schema_tool;
use super::{ANTHROPIC_VERSION, JSON_TOOL_NAME};
use crate::error::{ErrorKind, Result};
use crate::providers::Target;
use crate::providers::adapter::check_unsupported;
use crate::request::CallOptions;
use crate::transport::WireRequest;

/// Completion tokens asked for when the request sets none and the table
/// does not know the model.
const DEFAULT_MAX_TOKENS: u64 = 4096;

/// Parameters Anthropic has no equivalent for (LiteLLM's unsupported list).
const UNSUPPORTED: &[&str] = &[
    "n",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "seed",
    "service_tier",
];

/// `{api_base}/v1/messages`, accepting a base that already ends in `/v1`
/// or `/v1/messages`.
pub(super) fn messages_url(target: &Target) -> String {
    let base = target
        .api_base
        .as_deref()
        .unwrap_or("https://api.anthropic.com")
        .trim_end_matches('/');
    if base.ends_with("/v1/messages") {
        base.to_owned()
    } else if base.ends_with("/v1") {
        format!("{base}/messages")
    } else {
        format!("{base}/v1/messages")
    }
}

/// Builds the Messages API request.
pub fn chat_request(
    target: &Target,
    body: &ChatCompletionRequest,
    options: &CallOptions,
    stream: bool,
) -> Result<WireRequest> {
    let mut request = crate::providers::openai_compat::to_object(target, body)?;
    check_unsupported(target, &mut request, UNSUPPORTED, options.drop_params)?;
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if messages.is_empty() {
        return Err(target.error(
            ErrorKind::BadRequest,
            "messages is empty: Anthropic needs at least one message",
        ));
    }
    let (system, mut turns) = translate_messages(target, &messages)?;
    if turns.is_empty() {
        return Err(target.error(
            ErrorKind::BadRequest,
            "the messages hold only system instructions: Anthropic needs at least one user or \
             assistant message",
        ));
    }
    trim_final_assistant(&mut turns);
    let has_tool_history = turns.iter().any(|turn| {
        turn["content"].as_array().is_some_and(|blocks| {
            blocks
                .iter()
                .any(|b| matches!(b["type"].as_str(), Some("tool_use" | "tool_result")))
        })
    });
    let mut out = Map::new();
    out.insert("model".into(), Value::String(target.model.clone()));
    out.insert("messages".into(), Value::Array(turns));
    if !system.is_empty() {
        out.insert("system".into(), Value::Array(system));
    }
    let tools = request.get("tools").and_then(Value::as_array);
    if has_tool_history && tools.is_none_or(Vec::is_empty) {
        return Err(target.error(
            ErrorKind::UnsupportedParams,
            "the messages contain tool calls or tool results but no tools are passed; Anthropic \
             needs the tool definitions whenever the conversation has tool calls: pass `tools`",
        ));
    }
    let thinking_requested = request.get("thinking").is_some()
        || request
            .get("reasoning_effort")
            .and_then(Value::as_str)
            .is_some_and(|e| e != "none");
    let json_tool = json_schema_tool(target, &request, &mut out);
    let mut all_tools: Vec<Value> = json_tool.iter().cloned().collect();
    if let Some(tools) = tools {
        all_tools.extend(tools.iter().map(tool));
    }
    if !all_tools.is_empty() {
        out.insert("tools".into(), Value::Array(all_tools));
    }
    let user_choice = tool_choice(
        request.get("tool_choice"),
        request.get("parallel_tool_calls"),
    );
    match (&json_tool, tools.is_some_and(|t| !t.is_empty())) {
        (Some(_), true) => {
            out.insert("tool_choice".into(), json!({"type": "auto"}));
        }
        (Some(_), false) if !thinking_requested => {
            out.insert(
                "tool_choice".into(),
                json!({"name": JSON_TOOL_NAME, "type": "tool"}),
            );
        }
        (Some(_), false) => {}
        (None, _) => {
            if let Some(choice) = user_choice {
                out.insert("tool_choice".into(), choice);
            }
        }
    }
    if let Some(stop) = request.get("stop") {
        let stops = match stop {
            Value::String(one) => vec![Value::String(one.clone())],
            Value::Array(many) => many.clone(),
            _ => Vec::new(),
        };
        if !stops.is_empty() {
            out.insert("stop_sequences".into(), Value::Array(stops));
        }
    }
    for key in ["temperature", "top_p"] {
        if let Some(value) = request.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    if let Some(user) = request.get("user").and_then(Value::as_str)
        && !looks_like_email(user)
    {
        out.insert("metadata".into(), json!({"user_id": user}));
    }
    let explicit_max = request
        .get("max_completion_tokens")
        .or_else(|| request.get("max_tokens"))
        .and_then(Value::as_u64);
    if let Some(effort) = request.get("reasoning_effort").and_then(Value::as_str) {
        apply_reasoning_effort(&target.model, effort, &mut out);
    }
    if let Some(thinking) = request.get("thinking") {
        out.insert("thinking".into(), thinking.clone());
    }
    let budget = out
        .get("thinking")
        .filter(|t| t["type"] == "enabled")
        .and_then(|t| t["budget_tokens"].as_u64());
    let max_tokens = match (explicit_max, budget) {
        (Some(max), _) => max,
        (None, Some(budget)) => budget + DEFAULT_MAX_TOKENS,
        (None, None) => default_max_tokens(&target.model),
    };
    out.insert("max_tokens".into(), Value::from(max_tokens));
    // Provider-specific fields given in the body (top_k, thinking, metadata...).
    for (key, value) in request
        .iter()
        .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()))
    {
        out.insert(key.clone(), value.clone());
    }
    for (key, value) in &options.extra_body {
        out.insert(key.clone(), value.clone());
    }
    if stream {
        out.insert("stream".into(), Value::Bool(true));
    }
    let mut headers = vec![
        ("anthropic-version".to_owned(), ANTHROPIC_VERSION.to_owned()),
        ("accept".to_owned(), "application/json".to_owned()),
    ];
    let mut betas: Vec<String> = Vec::new();
    if let Some(key) = &target.api_key {
        if key.expose().starts_with("sk-ant-oat") {
            headers.push((
                "authorization".to_owned(),
                format!("Bearer {}", key.expose()),
            ));
            betas.push("oauth-2025-04-20".to_owned());
        } else {
            headers.push(("x-api-key".to_owned(), key.expose().to_owned()));
        }
    }
    if out.contains_key("output_format") {
        betas.push("structured-outputs-2025-11-13".to_owned());
    }
    if let Some(position) = options
        .extra_headers
        .iter()
        .position(|(name, _)| name == "anthropic-beta")
    {
        betas.insert(0, options.extra_headers[position].1.clone());
    }
    if !betas.is_empty() {
        headers.push(("anthropic-beta".to_owned(), betas.join(",")));
    }
    headers.extend(
        options
            .extra_headers
            .iter()
            .filter(|(name, _)| name != "anthropic-beta")
            .cloned(),
    );
    Ok(WireRequest {
        url: messages_url(target),
        headers,
        body: Value::Object(out).into(),
    })
}

/// OpenAI fields this translation handles (the rest pass through).
const KNOWN_FIELDS: &[&str] = &[
    "model",
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "stop",
    "temperature",
    "top_p",
    "user",
    "max_tokens",
    "max_completion_tokens",
    "reasoning_effort",
    "thinking",
    "stream",
    "stream_options",
];

fn looks_like_email(user: &str) -> bool {
    user.split_once('@')
        .is_some_and(|(name, domain)| !name.is_empty() && domain.contains('.'))
}

/// The model's largest completion from the table, else 4096.
fn default_max_tokens(model: &str) -> u64 {
    crate::models::get_model_info(model, Some("anthropic"))
        .ok()
        .and_then(|info| info.max_output_tokens.or(info.max_tokens))
        .unwrap_or(DEFAULT_MAX_TOKENS)
}

/// Claude 4.6 models take adaptive thinking with an effort level.
fn is_claude_4_6(model: &str) -> bool {
    let lower = model.to_lowercase();
    [
        "opus-4-6",
        "opus_4_6",
        "opus-4.6",
        "opus_4.6",
        "sonnet-4-6",
        "sonnet_4_6",
        "sonnet-4.6",
        "sonnet_4.6",
    ]
    .iter()
    .any(|v| lower.contains(v))
}

/// LiteLLM's thinking for `reasoning_effort`: a budget, or adaptive
/// thinking with `output_config.effort` on Claude 4.6; `none` turns it off.
fn apply_reasoning_effort(model: &str, effort: &str, out: &mut Map<String, Value>) {
    if effort == "none" {
        return;
    }
    if is_claude_4_6(model) {
        out.insert("thinking".into(), json!({"type": "adaptive"}));
        let level = if effort == "minimal" { "low" } else { effort };
        out.insert("output_config".into(), json!({"effort": level}));
        return;
    }
    let budget: u64 = match effort {
        "minimal" => 128,
        "low" => 1024,
        "medium" => 2048,
        _ => 4096,
    };
    out.insert(
        "thinking".into(),
        json!({"type": "enabled", "budget_tokens": budget}),
    );
}

/// Anthropic refuses a final assistant turn that ends in whitespace.
fn trim_final_assistant(turns: &mut [Value]) {
    if let Some(last) = turns.last_mut()
        && last["role"] == "assistant"
        && let Some(block) = last["content"].as_array_mut().and_then(|b| b.last_mut())
        && let Some(text) = block["text"].as_str()
    {
        block["text"] = Value::String(text.trim_end().to_owned());
    }
}

/// System and developer messages, lifted into `system` blocks, and the
/// other turns with consecutive same-role messages merged.
fn translate_messages(target: &Target, messages: &[Value]) -> Result<(Vec<Value>, Vec<Value>)> {
    let mut system = Vec::new();
    let mut turns: Vec<Value> = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let role = message["role"].as_str().unwrap_or("");
        let (role, blocks) = match role {
            "system" | "developer" => {
                let mut blocks = text_blocks(&message["content"]);
                blocks.retain(|b| b["text"].as_str().is_some_and(|t| !t.is_empty()));
                system.extend(blocks);
                continue;
            }
            "user" => {
                let mut blocks = content_blocks(target, &message["content"], index)?;
                if let (Some(cache), Some(last)) = (message.get("cache_control"), blocks.last_mut())
                {
                    last["cache_control"] = cache.clone();
                }
                ("user", blocks)
            }
            "assistant" => ("assistant", assistant_blocks(message)),
            "tool" | "function" => ("user", vec![tool_result(message)]),
            other => {
                return Err(target.error(
                    ErrorKind::BadRequest,
                    format!("messages[{index}] has role '{other}', which Anthropic cannot take"),
                ));
            }
        };
        match turns.last_mut() {
            Some(last) if last["role"] == role => {
                if let Some(existing) = last["content"].as_array_mut() {
                    existing.extend(blocks);
                }
            }
            _ => turns.push(json!({"role": role, "content": blocks})),
        }
    }
    Ok((system, turns))
}

fn text_blocks(content: &Value) -> Vec<Value> {
    match content {
        Value::String(text) => vec![json!({"type": "text", "text": text})],
        Value::Array(parts) => parts
            .iter()
            .filter(|p| p["type"] == "text")
            .map(|p| {
                let mut block = json!({"type": "text", "text": p["text"]});
                if let Some(cache) = p.get("cache_control") {
                    block["cache_control"] = cache.clone();
                }
                block
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn content_blocks(target: &Target, content: &Value, index: usize) -> Result<Vec<Value>> {
    let Value::Array(parts) = content else {
        return Ok(text_blocks(content));
    };
    let mut blocks = Vec::with_capacity(parts.len());
    for part in parts {
        let block = match part["type"].as_str() {
            Some("text") => {
                let mut block = json!({"type": "text", "text": part["text"]});
                if let Some(cache) = part.get("cache_control") {
                    block["cache_control"] = cache.clone();
                }
                block
            }
            Some("image_url") => {
                let url = part["image_url"]["url"]
                    .as_str()
                    .or_else(|| part["image_url"].as_str())
                    .unwrap_or("");
                json!({"type": "image", "source": media_source(url)})
            }
            Some("file") => {
                let data = part["file"]["file_data"].as_str().unwrap_or("");
                json!({"type": "document", "source": media_source(data)})
            }
            other => {
                return Err(target.error(
                    ErrorKind::BadRequest,
                    format!(
                        "messages[{index}] has a content part of type {} that Anthropic cannot \
                         take (text, image_url and file can)",
                        other.unwrap_or("(none)")
                    ),
                ));
            }
        };
        blocks.push(block);
    }
    Ok(blocks)
}

/// A data URL becomes a base64 source; anything else a URL source.
fn media_source(url: &str) -> Value {
    if let Some(rest) = url.strip_prefix("data:")
        && let Some((meta, data)) = rest.split_once(',')
    {
        let media_type = meta.split(';').next().unwrap_or("");
        return json!({"type": "base64", "media_type": media_type, "data": data});
    }
    json!({"type": "url", "url": url})
}

fn assistant_blocks(message: &Value) -> Vec<Value> {
    let mut blocks = text_blocks(&message["content"]);
    blocks.retain(|b| b["text"].as_str().is_some_and(|t| !t.is_empty()));
    for call in message["tool_calls"].as_array().into_iter().flatten() {
        let arguments = call["function"]["arguments"].as_str().unwrap_or("{}");
        let input: Value = serde_json::from_str(arguments).unwrap_or_else(|_| json!({}));
        blocks.push(json!({
            "type": "tool_use",
            "id": tool_id(&call["id"]),
            "name": call["function"]["name"],
            "input": input,
        }));
    }
    blocks
}

fn tool_result(message: &Value) -> Value {
    let content = match &message["content"] {
        Value::Array(parts) => Value::Array(
            parts
                .iter()
                .filter(|p| p["type"] == "text")
                .map(|p| json!({"type": "text", "text": p["text"]}))
                .collect(),
        ),
        Value::Null => Value::String(String::new()),
        other => other.clone(),
    };
    json!({"type": "tool_result", "tool_use_id": tool_id(&message["tool_call_id"]), "content": content})
}

/// Anthropic takes tool ids of letters, digits, `_` and `-` only.
fn tool_id(id: &Value) -> Value {
    match id.as_str() {
        Some(id) => Value::String(
            id.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect(),
        ),
        None => id.clone(),
    }
}

fn tool(tool: &Value) -> Value {
    let function = &tool["function"];
    let schema = function
        .get("parameters")
        .filter(|p| !p.is_null())
        .cloned()
        .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
    let mut out = json!({"name": function["name"], "input_schema": schema, "type": "custom"});
    if let Some(description) = function.get("description").filter(|d| !d.is_null()) {
        out["description"] = description.clone();
    }
    out
}

fn tool_choice(choice: Option<&Value>, parallel: Option<&Value>) -> Option<Value> {
    let mut out = match choice {
        Some(Value::String(kind)) => match kind.as_str() {
            "auto" => json!({"type": "auto"}),
            "required" => json!({"type": "any"}),
            "none" => json!({"type": "none"}),
            _ => return None,
        },
        Some(Value::Object(named)) => {
            json!({"type": "tool", "name": named.get("function").map_or(&Value::Null, |f| &f["name"])})
        }
        _ => Value::Null,
    };
    if parallel == Some(&Value::Bool(false)) {
        if out.is_null() {
            out = json!({"type": "auto"});
        }
        out["disable_parallel_tool_use"] = Value::Bool(true);
    }
    (!out.is_null()).then_some(out)
}
