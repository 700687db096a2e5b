//! OpenAI chat request to Google AI Studio's `generateContent` /
//! `streamGenerateContent?alt=sse`, as LiteLLM translates it.
//!
//! One deliberate difference: the API key always travels in the
//! `x-goog-api-key` header, never in the URL (LiteLLM puts it in `?key=` on
//! the default host), so no URL that reaches a log or an error holds it.

use lmrelay_types::{ChatCompletionRequest, JsonObject};
use serde_json::{Map, Value, json};

use super::schema::function_parameters;
use crate::error::{ErrorKind, Result};
use crate::models::{Capability, get_model_info};
use crate::providers::Target;
use crate::providers::adapter::check_unsupported;
use crate::request::CallOptions;
use crate::transport::WireRequest;

/// The public host; used with its API version when no base is given.
const DEFAULT_HOST: &str = "https://generativelanguage.googleapis.com";

/// Parameters Gemini has no equivalent for.
const UNSUPPORTED: &[&str] = &["seed", "top_logprobs", "logit_bias"];

/// `{base}/models/{model}:generateContent` (or the streaming method).
fn url(target: &Target, stream: bool) -> String {
    let base = target
        .api_base
        .as_deref()
        .unwrap_or(DEFAULT_HOST)
        .trim_end_matches('/');
    let base = if base == DEFAULT_HOST {
        let version = if target.model.starts_with("gemini-3") {
            "v1alpha"
        } else {
            "v1beta"
        };
        format!("{base}/{version}")
    } else {
        base.to_owned()
    };
    let method = if stream {
        "streamGenerateContent?alt=sse"
    } else {
        "generateContent"
    };
    format!("{base}/models/{}:{method}", target.model)
}

/// Builds the `generateContent` request.
pub fn chat_request(
    target: &Target,
    body: &ChatCompletionRequest,
    options: &CallOptions,
    stream: bool,
) -> Result<WireRequest> {
    let mut request = crate::providers::openai_compat::to_object(target, body)?;
    // Vertex AI takes a seed and labels; AI Studio takes neither.
    let vertex = target.provider.protocol == crate::providers::Protocol::VertexAi;
    let unsupported: &[&str] = if vertex { &["logit_bias"] } else { UNSUPPORTED };
    check_unsupported(target, &mut request, unsupported, options.drop_params)?;
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let supports_system = get_model_info(&format!("gemini/{}", target.model), None)
        .ok()
        .and_then(|info| info.supports(Capability::SystemMessages))
        .unwrap_or(false);
    let (system, mut contents, high_detail) = translate(target, &messages, supports_system)?;
    if contents.is_empty() {
        contents.push(json!({"role": "user", "parts": [{"text": "."}]}));
    }
    let mut out = Map::new();
    out.insert("contents".into(), Value::Array(contents));
    if !system.is_empty() {
        out.insert("system_instruction".into(), json!({"parts": system}));
    }
    if let Some(tools) = request
        .get("tools")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty())
    {
        let declarations: Vec<Value> = tools.iter().map(declaration).collect();
        out.insert(
            "tools".into(),
            json!([{"function_declarations": declarations}]),
        );
    }
    if let Some(config) = tool_config(request.get("tool_choice")) {
        out.insert("toolConfig".into(), config);
    }
    let mut config = generation_config(target, &request, high_detail);
    if vertex {
        if let Some(seed) = request.get("seed").filter(|v| !v.is_null()) {
            config.insert("seed".into(), seed.clone());
        }
        if let Some(labels) = request.get("labels").filter(|v| v.is_object()) {
            out.insert("labels".into(), labels.clone());
        }
    }
    if !config.is_empty() {
        out.insert("generationConfig".into(), Value::Object(config));
    }
    for (key, value) in &options.extra_body {
        out.insert(key.clone(), value.clone());
    }
    let mut headers = Vec::new();
    if let Some(key) = &target.api_key {
        headers.push(("x-goog-api-key".to_owned(), key.expose().to_owned()));
    }
    headers.extend(options.extra_headers.iter().cloned());
    Ok(WireRequest {
        url: url(target, stream),
        headers,
        body: Value::Object(out).into(),
    })
}

/// The kind of a turn: its role, and whether it carries function results
/// (those are never merged with text turns).
fn turn_kind(turn: &Value) -> (String, bool) {
    let role = turn["role"].as_str().unwrap_or("").to_owned();
    let results = turn["parts"]
        .as_array()
        .is_some_and(|parts| parts.iter().any(|p| p.get("function_response").is_some()));
    (role, results)
}

type Translated = (Vec<Value>, Vec<Value>, bool);

/// System parts, contents, and whether an image asked for high detail.
fn translate(target: &Target, messages: &[Value], supports_system: bool) -> Result<Translated> {
    let mut system = Vec::new();
    let mut contents: Vec<Value> = Vec::new();
    let mut high_detail = false;
    let mut tool_names: Map<String, Value> = Map::new();
    for (index, message) in messages.iter().enumerate() {
        let role = message["role"].as_str().unwrap_or("");
        let turn = match role {
            "system" | "developer" if supports_system => {
                system.extend(text_parts(&message["content"]));
                continue;
            }
            "system" | "developer" | "user" => {
                let parts = user_parts(target, &message["content"], index, &mut high_detail)?;
                json!({"role": "user", "parts": parts})
            }
            "assistant" => {
                let mut parts = text_parts(&message["content"]);
                for call in message["tool_calls"].as_array().into_iter().flatten() {
                    let name = call["function"]["name"].clone();
                    if let Some(id) = call["id"].as_str() {
                        tool_names.insert(id.to_owned(), name.clone());
                    }
                    let arguments = call["function"]["arguments"].as_str().unwrap_or("{}");
                    let args: Value = serde_json::from_str(arguments).unwrap_or_else(|_| json!({}));
                    parts.push(json!({"function_call": {"name": name, "args": args}}));
                }
                json!({"role": "model", "parts": parts})
            }
            "tool" | "function" => {
                let id = message["tool_call_id"].as_str().unwrap_or("");
                let name = message
                    .get("name")
                    .filter(|n| n.is_string())
                    .or_else(|| tool_names.get(id))
                    .cloned()
                    .unwrap_or(Value::String(String::new()));
                let text = match &message["content"] {
                    Value::String(text) => text.clone(),
                    Value::Array(parts) => parts
                        .iter()
                        .filter_map(|p| p["text"].as_str())
                        .collect::<Vec<_>>()
                        .join(""),
                    _ => String::new(),
                };
                let response = match serde_json::from_str::<Value>(&text) {
                    Ok(object @ Value::Object(_)) => object,
                    _ => json!({"content": text}),
                };
                json!({"role": "user", "parts": [{"function_response": {"name": name, "response": response}}]})
            }
            other => {
                return Err(target.error(
                    ErrorKind::BadRequest,
                    format!("messages[{index}] has role '{other}', which Gemini cannot take"),
                ));
            }
        };
        if turn["parts"].as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        match contents.last_mut() {
            Some(last) if turn_kind(last) == turn_kind(&turn) => {
                if let (Some(into), Some(from)) =
                    (last["parts"].as_array_mut(), turn["parts"].as_array())
                {
                    into.extend(from.iter().cloned());
                }
            }
            _ => contents.push(turn),
        }
    }
    Ok((system, contents, high_detail))
}

fn text_parts(content: &Value) -> Vec<Value> {
    match content {
        Value::String(text) if !text.is_empty() => vec![json!({"text": text})],
        Value::Array(parts) => parts
            .iter()
            .filter(|p| p["type"] == "text")
            .filter_map(|p| p["text"].as_str())
            .filter(|t| !t.is_empty())
            .map(|text| json!({"text": text}))
            .collect(),
        _ => Vec::new(),
    }
}

fn user_parts(
    target: &Target,
    content: &Value,
    index: usize,
    high: &mut bool,
) -> Result<Vec<Value>> {
    let Value::Array(parts) = content else {
        return Ok(text_parts(content));
    };
    let mut out = Vec::new();
    for part in parts {
        match part["type"].as_str() {
            Some("text") => {
                if let Some(text) = part["text"].as_str().filter(|t| !t.is_empty()) {
                    out.push(json!({"text": text}));
                }
            }
            Some("image_url") => {
                let url = part["image_url"]["url"]
                    .as_str()
                    .or_else(|| part["image_url"].as_str())
                    .unwrap_or("");
                if part["image_url"]["detail"] == "high" {
                    *high = true;
                }
                out.push(media_part(url));
            }
            Some("file") => {
                let data = part["file"]["file_data"].as_str().unwrap_or("");
                out.push(media_part(data));
            }
            other => {
                return Err(target.error(
                    ErrorKind::BadRequest,
                    format!(
                        "messages[{index}] has a content part of type {} that Gemini cannot take",
                        other.unwrap_or("(none)")
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// A data URL becomes `inline_data`; any other URL `file_data` (Gemini
/// fetches it; lmrelay never downloads on a caller's behalf).
fn media_part(url: &str) -> Value {
    if let Some(rest) = url.strip_prefix("data:")
        && let Some((meta, data)) = rest.split_once(',')
    {
        let mime = meta.split(';').next().unwrap_or("");
        return json!({"inline_data": {"data": data, "mime_type": mime}});
    }
    let lower = url.to_lowercase();
    let mime = [
        (".png", "image/png"),
        (".gif", "image/gif"),
        (".webp", "image/webp"),
        (".pdf", "application/pdf"),
        (".mp4", "video/mp4"),
        (".mp3", "audio/mpeg"),
    ]
    .iter()
    .find(|(ext, _)| lower.ends_with(ext))
    .map_or("image/jpeg", |(_, mime)| mime);
    json!({"file_data": {"file_uri": url, "mime_type": mime}})
}

fn declaration(tool: &Value) -> Value {
    let function = &tool["function"];
    let mut out = json!({"name": function["name"]});
    if let Some(description) = function.get("description").filter(|d| d.is_string()) {
        out["description"] = description.clone();
    }
    if let Some(parameters) = function.get("parameters").filter(|p| p.is_object()) {
        out["parameters"] = function_parameters(parameters);
    }
    out
}

fn tool_config(choice: Option<&Value>) -> Option<Value> {
    let config = match choice? {
        Value::String(kind) => match kind.as_str() {
            "required" => json!({"mode": "ANY"}),
            "none" => json!({"mode": "NONE"}),
            "auto" => json!({"mode": "AUTO"}),
            _ => return None,
        },
        Value::Object(named) => {
            let name = named
                .get("function")
                .map_or(Value::Null, |f| f["name"].clone());
            json!({"mode": "ANY", "allowed_function_names": [name]})
        }
        _ => return None,
    };
    Some(json!({"functionCallingConfig": config}))
}

fn generation_config(
    target: &Target,
    request: &JsonObject,
    high_detail: bool,
) -> Map<String, Value> {
    let mut config = Map::new();
    let mut copy = |from: &str, to: &str| {
        if let Some(value) = request.get(from).filter(|v| !v.is_null()) {
            config.insert(to.into(), value.clone());
        }
    };
    copy("temperature", "temperature");
    copy("top_p", "top_p");
    copy("n", "candidate_count");
    copy("presence_penalty", "presence_penalty");
    copy("frequency_penalty", "frequency_penalty");
    copy("max_tokens", "max_output_tokens");
    copy("max_completion_tokens", "max_output_tokens");
    match request.get("stop") {
        Some(Value::String(one)) => {
            config.insert("stop_sequences".into(), json!([one]));
        }
        Some(Value::Array(many)) if !many.is_empty() => {
            config.insert("stop_sequences".into(), Value::Array(many.clone()));
        }
        _ => {}
    }
    if request.get("logprobs") == Some(&Value::Bool(true)) {
        config.insert("responseLogprobs".into(), Value::Bool(true));
    }
    if let Some(format) = request.get("response_format") {
        match format["type"].as_str() {
            Some("json_object") => {
                config.insert("response_mime_type".into(), json!("application/json"));
            }
            Some("json_schema") => {
                config.insert("response_mime_type".into(), json!("application/json"));
                if let Some(schema) = format["json_schema"]
                    .get("schema")
                    .filter(|s| s.is_object())
                {
                    config.insert("response_json_schema".into(), schema.clone());
                }
            }
            _ => {}
        }
    }
    if let Some(effort) = request.get("reasoning_effort").and_then(Value::as_str) {
        let budget = match effort {
            "none" => Some(0),
            "minimal" => Some(128),
            "low" => Some(1024),
            "medium" => Some(2048),
            "high" => Some(4096),
            _ => None,
        };
        if let Some(budget) = budget {
            config.insert(
                "thinkingConfig".into(),
                json!({"thinkingBudget": budget, "includeThoughts": budget > 0}),
            );
        }
    }
    if high_detail {
        config.insert("mediaResolution".into(), json!("MEDIA_RESOLUTION_HIGH"));
    }
    if target.model.starts_with("gemini-3") && !config.contains_key("temperature") {
        config.insert("temperature".into(), json!(1.0));
    }
    config
}
