//! OpenAI chat request to Ollama's `POST /api/chat`.

use lmrelay_types::{ChatCompletionRequest, JsonObject};
use serde_json::{Map, Value, json};

use crate::error::Result;
use crate::providers::Target;
use crate::providers::adapter::check_unsupported;
use crate::request::CallOptions;
use crate::transport::WireRequest;

/// Parameters Ollama has no option for.
const UNSUPPORTED: &[&str] = &[
    "presence_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "n",
];

/// OpenAI fields this translation handles; other body fields are Ollama
/// options (`num_ctx`, `top_k`...) or top-level fields (`keep_alive`).
const KNOWN: &[&str] = &[
    "model",
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "stop",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "seed",
    "frequency_penalty",
    "reasoning_effort",
    "stream",
    "stream_options",
    "user",
];

/// Fields Ollama takes at the top level rather than in `options`.
const TOP_LEVEL: &[&str] = &["keep_alive", "think", "format"];

/// `{api_base}/api/chat`: the server root, whatever path the base carries.
fn url(target: &Target) -> String {
    let base = target
        .api_base
        .as_deref()
        .unwrap_or("http://localhost:11434");
    let root = url::Url::parse(base)
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|| base.trim_end_matches('/').to_owned());
    format!("{root}/api/chat")
}

/// Builds the `/api/chat` request.
pub fn chat_request(
    target: &Target,
    body: &ChatCompletionRequest,
    options: &CallOptions,
    stream: bool,
) -> Result<WireRequest> {
    let mut request = crate::providers::openai_compat::to_object(target, body)?;
    check_unsupported(target, &mut request, UNSUPPORTED, options.drop_params)?;
    let messages: Vec<Value> = request
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(message)
        .collect();
    let mut settings = Map::new();
    let mut copy = |from: &str, to: &str| {
        if let Some(value) = request.get(from).filter(|v| !v.is_null()) {
            settings.insert(to.into(), value.clone());
        }
    };
    copy("temperature", "temperature");
    copy("top_p", "top_p");
    copy("stop", "stop");
    copy("max_tokens", "num_predict");
    copy("max_completion_tokens", "num_predict");
    copy("frequency_penalty", "repeat_penalty");
    copy("seed", "seed");
    let mut out = Map::new();
    out.insert("model".into(), json!(target.model));
    out.insert("messages".into(), Value::Array(messages));
    let mut extra: JsonObject = request
        .iter()
        .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    extra.extend(options.extra_body.clone());
    for (key, value) in extra {
        if TOP_LEVEL.contains(&key.as_str()) {
            out.insert(key, value);
        } else {
            settings.insert(key, value);
        }
    }
    out.insert("options".into(), Value::Object(settings));
    out.insert("stream".into(), Value::Bool(stream));
    if let Some(tools) = request
        .get("tools")
        .filter(|t| t.as_array().is_some_and(|a| !a.is_empty()))
    {
        out.insert("tools".into(), tools.clone());
    }
    if let Some(format) = request.get("response_format") {
        match format["type"].as_str() {
            Some("json_object") => {
                out.insert("format".into(), json!("json"));
            }
            Some("json_schema") => {
                out.insert("format".into(), format["json_schema"]["schema"].clone());
            }
            _ => {}
        }
    }
    if request
        .get("reasoning_effort")
        .and_then(Value::as_str)
        .is_some_and(|e| e != "none")
    {
        out.insert("think".into(), Value::Bool(true));
    }
    let mut headers = Vec::new();
    if let Some(key) = &target.api_key {
        headers.push((
            "authorization".to_owned(),
            format!("Bearer {}", key.expose()),
        ));
    }
    headers.extend(options.extra_headers.iter().cloned());
    Ok(WireRequest {
        url: url(target),
        headers,
        body: Value::Object(out).into(),
    })
}

/// One message: text joined, images as base64 (data URLs stripped) or URLs,
/// assistant tool calls with object arguments, tool results by name.
fn message(message: &Value) -> Value {
    let role = message["role"].as_str().unwrap_or("user");
    let role = if role == "developer" { "system" } else { role };
    let mut text = String::new();
    let mut images = Vec::new();
    match &message["content"] {
        Value::String(content) => text.push_str(content),
        Value::Array(parts) => {
            for part in parts {
                match part["type"].as_str() {
                    Some("text") => text.push_str(part["text"].as_str().unwrap_or("")),
                    Some("image_url") => {
                        let url = part["image_url"]["url"]
                            .as_str()
                            .or_else(|| part["image_url"].as_str())
                            .unwrap_or("");
                        let data = url
                            .strip_prefix("data:")
                            .and_then(|rest| rest.split_once(','))
                            .map_or(url, |(_, data)| data);
                        images.push(json!(data));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    let mut out = json!({"role": role, "content": text, "images": images});
    if let Some(calls) = message["tool_calls"].as_array().filter(|c| !c.is_empty()) {
        let calls: Vec<Value> = calls
            .iter()
            .map(|call| {
                let arguments = call["function"]["arguments"].as_str().unwrap_or("{}");
                let arguments: Value =
                    serde_json::from_str(arguments).unwrap_or_else(|_| json!({}));
                json!({"function": {"name": call["function"]["name"], "arguments": arguments}})
            })
            .collect();
        out["tool_calls"] = Value::Array(calls);
    }
    if role == "tool"
        && let Some(name) = message.get("name").filter(|n| n.is_string())
    {
        out["tool_name"] = name.clone();
    }
    out
}
