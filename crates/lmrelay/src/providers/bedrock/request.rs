//! OpenAI chat request to Bedrock's Converse API
//! (`POST {endpoint}/model/{id}/converse` or `/converse-stream`), SigV4-signed
//! (or with a Bedrock API key as a bearer token), as LiteLLM builds it.

use lmrelay_types::{ChatCompletionRequest, JsonObject};
use serde_json::{Map, Value, json};

use super::sigv4::{amz_date_now, encode_segment, sign};
use super::{JSON_TOOL_NAME, credentials};
use crate::error::{ErrorKind, Result};
use crate::providers::Target;
use crate::providers::adapter::check_unsupported;
use crate::request::CallOptions;
use crate::transport::WireRequest;

/// OpenAI fields this translation handles; others go to
/// `additionalModelRequestFields`.
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
    "stream",
    "stream_options",
    "user",
    "top_k",
    "thinking",
];

/// Parameters Converse has no equivalent for.
const UNSUPPORTED: &[&str] = &[
    "n",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "seed",
];

/// The model id Bedrock knows: routing prefixes and a region segment removed.
fn model_id(model: &str) -> (&str, Option<&str>) {
    let mut id = model;
    for prefix in ["converse/", "bedrock/"] {
        id = id.strip_prefix(prefix).unwrap_or(id);
    }
    if let Some((first, rest)) = id.split_once('/')
        && first.split('-').count() >= 3
        && first.chars().last().is_some_and(|c| c.is_ascii_digit())
        && !id.starts_with("arn:")
    {
        return (rest, Some(first));
    }
    (id, None)
}

fn bad(target: &Target, message: String) -> crate::Error {
    target.error(ErrorKind::BadRequest, message)
}

/// Builds the Converse request.
pub fn chat_request(
    target: &Target,
    body: &ChatCompletionRequest,
    options: &CallOptions,
    stream: bool,
) -> Result<WireRequest> {
    let mut request = crate::providers::openai_compat::to_object(target, body)?;
    check_unsupported(target, &mut request, UNSUPPORTED, options.drop_params)?;
    let (id, region_in_model) = model_id(&target.model);
    let mut aws = options.aws.clone();
    if aws.region.is_none() {
        aws.region = region_in_model.map(str::to_owned);
    }
    let region = credentials::region(&aws, id);
    let out = converse_body(target, &request, id)?;
    let base = target
        .api_base
        .clone()
        .unwrap_or_else(|| format!("https://bedrock-runtime.{region}.amazonaws.com"));
    let base = base.trim_end_matches('/');
    let method = if stream {
        "converse-stream"
    } else {
        "converse"
    };
    let url = format!("{base}/model/{}/{method}", encode_segment(id));
    let body = Value::Object(out);
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if let Some(key) = &target.api_key {
        headers.push((
            "authorization".to_owned(),
            format!("Bearer {}", key.expose()),
        ));
    } else {
        let Some(creds) = credentials::credentials(&aws) else {
            return Err(target.error(
                ErrorKind::Authentication,
                "no AWS credentials for Bedrock: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
                 (or a profile in ~/.aws/credentials), pass them in the call's aws options, or \
                 use a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK)",
            ));
        };
        let parsed = url::Url::parse(&url).map_err(|err| {
            bad(
                target,
                format!("the Bedrock endpoint '{base}' is not a URL: {err}"),
            )
        })?;
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => {
                return Err(bad(
                    target,
                    format!("the Bedrock endpoint '{base}' has no host"),
                ));
            }
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        headers.extend(sign(
            &creds,
            &region,
            &host,
            parsed.path(),
            &bytes,
            &amz_date_now(),
        ));
    }
    headers.extend(options.extra_headers.iter().cloned());
    Ok(WireRequest {
        url,
        headers,
        body: body.into(),
    })
}

fn converse_body(target: &Target, request: &JsonObject, id: &str) -> Result<Map<String, Value>> {
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let (system, turns) = translate_messages(target, &messages)?;
    let has_tool_history = turns.iter().any(|t| {
        t["content"].as_array().is_some_and(|blocks| {
            blocks
                .iter()
                .any(|b| b.get("toolUse").is_some() || b.get("toolResult").is_some())
        })
    });
    let tools = request
        .get("tools")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty());
    if has_tool_history && tools.is_none() {
        return Err(target.error(
            ErrorKind::UnsupportedParams,
            "the messages contain tool calls or results but no tools are passed; Bedrock needs \
             the tool definitions whenever the conversation has tool calls: pass `tools`",
        ));
    }
    let mut inference = Map::new();
    if let Some(value) = request.get("temperature") {
        inference.insert("temperature".into(), value.clone());
    }
    if let Some(value) = request.get("top_p") {
        inference.insert("topP".into(), value.clone());
    }
    match request.get("stop") {
        Some(Value::String(one)) if !one.is_empty() => {
            inference.insert("stopSequences".into(), json!([one]));
        }
        Some(Value::Array(many)) if !many.is_empty() => {
            inference.insert("stopSequences".into(), Value::Array(many.clone()));
        }
        _ => {}
    }
    let explicit_max = request
        .get("max_completion_tokens")
        .or_else(|| request.get("max_tokens"))
        .and_then(Value::as_u64);
    let mut additional = Map::new();
    if let Some(top_k) = request.get("top_k") {
        if id.contains("nova") {
            additional.insert("inferenceConfig".into(), json!({"topK": top_k}));
        } else {
            additional.insert("top_k".into(), top_k.clone());
        }
    }
    if let Some(thinking) = request.get("thinking") {
        additional.insert("thinking".into(), thinking.clone());
    }
    let budget = request
        .get("thinking")
        .and_then(|t| t["budget_tokens"].as_u64());
    match (explicit_max, budget) {
        (Some(max), _) => {
            inference.insert("maxTokens".into(), json!(max));
        }
        (None, Some(budget)) => {
            inference.insert("maxTokens".into(), json!(budget + 4096));
        }
        _ => {}
    }
    for (key, value) in request.iter().filter(|(k, _)| !KNOWN.contains(&k.as_str())) {
        additional.insert(key.clone(), value.clone());
    }
    let mut out = Map::new();
    out.insert("messages".into(), Value::Array(turns));
    out.insert(
        "additionalModelRequestFields".into(),
        Value::Object(additional),
    );
    out.insert("system".into(), Value::Array(system));
    out.insert("inferenceConfig".into(), Value::Object(inference));
    let mut specs: Vec<Value> = tools.into_iter().flatten().map(tool_spec).collect();
    let mut choice = match request.get("tool_choice") {
        Some(Value::String(kind)) if kind == "auto" => Some(json!({"auto": {}})),
        Some(Value::String(kind)) if kind == "required" => Some(json!({"any": {}})),
        Some(Value::String(kind)) if kind == "none" => {
            return Err(target.error(
                ErrorKind::UnsupportedParams,
                "bedrock does not take tool_choice='none': remove the tools instead, or set \
                 drop_params=true",
            ));
        }
        Some(Value::Object(named)) => Some(
            json!({"tool": {"name": named.get("function").map_or(Value::Null, |f| f["name"].clone())}}),
        ),
        _ => None,
    };
    if let Some(format) = request.get("response_format")
        && let Some(schema) = format["json_schema"]
            .get("schema")
            .filter(|s| s.is_object())
    {
        specs.push(
            json!({"toolSpec": {"inputSchema": {"json": schema}, "name": JSON_TOOL_NAME,
            "description": JSON_TOOL_NAME}}),
        );
        choice = Some(json!({"tool": {"name": JSON_TOOL_NAME}}));
    }
    if !specs.is_empty() {
        let mut config = json!({"tools": specs});
        if let Some(choice) = choice {
            config["toolChoice"] = choice;
        }
        out.insert("toolConfig".into(), config);
    }
    Ok(out)
}

fn tool_spec(tool: &Value) -> Value {
    let function = &tool["function"];
    let mut schema = function
        .get("parameters")
        .filter(|p| p.is_object())
        .cloned()
        .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
    if schema.get("required").is_none() {
        schema["required"] = json!([]);
    }
    let description = function
        .get("description")
        .filter(|d| d.is_string())
        .cloned()
        .unwrap_or_else(|| function["name"].clone());
    json!({"toolSpec": {"inputSchema": {"json": schema}, "name": function["name"], "description": description}})
}

type Turns = (Vec<Value>, Vec<Value>);

fn translate_messages(target: &Target, messages: &[Value]) -> Result<Turns> {
    let mut system = Vec::new();
    let mut turns: Vec<Value> = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let role = message["role"].as_str().unwrap_or("");
        let (role, blocks) = match role {
            "system" | "developer" => {
                system.extend(system_blocks(message));
                continue;
            }
            "user" => ("user", user_blocks(target, &message["content"], index)?),
            "assistant" => {
                let mut blocks: Vec<Value> = texts(&message["content"])
                    .into_iter()
                    .map(|text| json!({"text": text}))
                    .collect();
                for call in message["tool_calls"].as_array().into_iter().flatten() {
                    let arguments = call["function"]["arguments"].as_str().unwrap_or("{}");
                    let input: Value =
                        serde_json::from_str(arguments).unwrap_or_else(|_| json!({}));
                    blocks.push(
                        json!({"toolUse": {"input": input, "name": call["function"]["name"],
                        "toolUseId": call["id"]}}),
                    );
                }
                ("assistant", blocks)
            }
            "tool" | "function" => {
                let text = texts(&message["content"]).join("");
                (
                    "user",
                    vec![json!({"toolResult": {"content": [{"text": text}],
                    "toolUseId": message["tool_call_id"]}})],
                )
            }
            other => {
                return Err(bad(
                    target,
                    format!("messages[{index}] has role '{other}', which Bedrock cannot take"),
                ));
            }
        };
        match turns.last_mut() {
            Some(last) if last["role"] == role => {
                if let Some(into) = last["content"].as_array_mut() {
                    into.extend(blocks);
                    // Tool results go before text in a merged user turn.
                    into.sort_by_key(|b| b.get("toolResult").is_none());
                }
            }
            _ => turns.push(json!({"role": role, "content": blocks})),
        }
    }
    Ok((system, turns))
}

/// A system message's text blocks; a `cache_control` (on a part or on the
/// message) puts a cache point after its block.
fn system_blocks(message: &Value) -> Vec<Value> {
    let mut blocks = Vec::new();
    match &message["content"] {
        Value::String(text) if !text.is_empty() => {
            blocks.push(json!({"text": text}));
            if message.get("cache_control").is_some() {
                blocks.push(json!({"cachePoint": {"type": "default"}}));
            }
        }
        Value::Array(parts) => {
            for part in parts.iter().filter(|p| p["type"] == "text") {
                if let Some(text) = part["text"].as_str().filter(|t| !t.is_empty()) {
                    blocks.push(json!({"text": text}));
                    if part.get("cache_control").is_some() {
                        blocks.push(json!({"cachePoint": {"type": "default"}}));
                    }
                }
            }
        }
        _ => {}
    }
    blocks
}

fn texts(content: &Value) -> Vec<String> {
    match content {
        Value::String(text) if !text.is_empty() => vec![text.clone()],
        Value::Array(parts) => parts
            .iter()
            .filter(|p| p["type"] == "text")
            .filter_map(|p| p["text"].as_str())
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn user_blocks(target: &Target, content: &Value, index: usize) -> Result<Vec<Value>> {
    let Value::Array(parts) = content else {
        return Ok(texts(content)
            .into_iter()
            .map(|text| json!({"text": text}))
            .collect());
    };
    let mut blocks = Vec::new();
    for part in parts {
        match part["type"].as_str() {
            Some("text") => {
                if let Some(text) = part["text"].as_str().filter(|t| !t.is_empty()) {
                    blocks.push(json!({"text": text}));
                }
            }
            Some("image_url") => {
                let url = part["image_url"]["url"]
                    .as_str()
                    .or_else(|| part["image_url"].as_str())
                    .unwrap_or("");
                let Some((meta, data)) = url.strip_prefix("data:").and_then(|r| r.split_once(','))
                else {
                    return Err(bad(
                        target,
                        format!(
                            "messages[{index}]: Bedrock takes images as data: URLs (base64); \
                         lmrelay does not download {url}"
                        ),
                    ));
                };
                let format = meta
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("image/");
                blocks.push(json!({"image": {"format": format, "source": {"bytes": data}}}));
            }
            other => {
                return Err(bad(
                    target,
                    format!(
                        "messages[{index}] has a content part of type {} that Bedrock cannot take",
                        other.unwrap_or("(none)")
                    ),
                ));
            }
        }
    }
    Ok(blocks)
}
