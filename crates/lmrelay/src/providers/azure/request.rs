//! OpenAI chat request to an Azure OpenAI deployment, with LiteLLM's Azure
//! rules: the deployment from the model (or from an `api_base` that already
//! names one), `api-version` (the `v1` API has none), o-series models take
//! `max_completion_tokens` and no system role, API versions before
//! 2024-08-01 get a JSON schema as a forced `json_tool_call` tool, and before
//! 2024-06-01 refuse `tool_choice: required`.

use lmrelay_types::ChatCompletionRequest;
use serde_json::{Value, json};

use super::JSON_TOOL_NAME;
use crate::error::{ErrorKind, Result};
use crate::providers::{Target, openai_compat};
use crate::request::CallOptions;
use crate::transport::{WireBody, WireRequest};

/// The `api-version` sent when neither the call nor `AZURE_API_VERSION` gives
/// one (LiteLLM 1.82.6's default).
pub const DEFAULT_API_VERSION: &str = "2025-02-01-preview";

/// The API version: the call's, else `AZURE_API_VERSION`, else the default.
fn api_version(options: &CallOptions) -> String {
    options
        .api_version
        .clone()
        .or_else(|| {
            std::env::var("AZURE_API_VERSION")
                .ok()
                .filter(|v| !v.is_empty())
        })
        .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned())
}

fn is_o_series(model: &str) -> bool {
    let bare = model.rsplit('/').next().unwrap_or(model);
    ["o1", "o3", "o4"].iter().any(|p| bare.starts_with(p))
}

/// Builds the deployment's chat request.
pub fn chat_request(
    target: &Target,
    body: &ChatCompletionRequest,
    options: &CallOptions,
    stream: bool,
) -> Result<WireRequest> {
    let Some(base) = target.api_base.as_deref() else {
        return Err(target.error(
            ErrorKind::BadRequest,
            "azure needs the resource's endpoint: pass api_base (https://NAME.openai.azure.com) \
             or set AZURE_API_BASE",
        ));
    };
    let version = api_version(options);
    let dated = version
        .get(..10)
        .filter(|d| d.as_bytes().get(4).copied() == Some(b'-'));
    if dated.is_some_and(|d| d < "2024-06-01")
        && body.tool_choice.as_ref().and_then(Value::as_str) == Some("required")
    {
        return Err(target.error(
            ErrorKind::UnsupportedParams,
            format!(
                "azure api-version {version} does not take tool_choice='required' (2024-06-01 \
                 and later do): use a newer api_version, or drop_params=true"
            ),
        ));
    }
    let mut wire = openai_compat::chat_request_unchecked(target, body, options, stream)?;
    if let WireBody::Json(Value::Object(json)) = &mut wire.body {
        if is_o_series(&target.model) {
            if let Some(max) = json.remove("max_tokens") {
                json.entry("max_completion_tokens").or_insert(max);
            }
            if let Some(Value::Array(messages)) = json.get_mut("messages") {
                for message in messages {
                    if message["role"] == "system" {
                        message["role"] = json!("user");
                    }
                }
            }
        }
        if dated.is_some_and(|d| d < "2024-08-01")
            && json
                .get("response_format")
                .is_some_and(|f| f["type"] == "json_schema")
            && let Some(format) = json.remove("response_format")
        {
            let schema = format["json_schema"]["schema"].clone();
            json.insert(
                "tools".into(),
                json!([{"type": "function", "function": {"name": JSON_TOOL_NAME, "parameters": schema}}]),
            );
            json.insert(
                "tool_choice".into(),
                json!({"type": "function", "function": {"name": JSON_TOOL_NAME}}),
            );
        }
    }
    let root = base.trim_end_matches('/');
    let (root, deployment) = match root.split_once("/openai/deployments/") {
        Some((root, rest)) => (root, rest.split('/').next().unwrap_or(&target.model)),
        None => (root, target.model.as_str()),
    };
    wire.url = if version == "v1" {
        format!("{root}/openai/v1/chat/completions")
    } else {
        format!("{root}/openai/deployments/{deployment}/chat/completions?api-version={version}")
    };
    let caller_authorizes = options
        .extra_headers
        .iter()
        .any(|(name, _)| name == "authorization");
    wire.headers.retain(|(name, _)| name != "authorization");
    if caller_authorizes {
        wire.headers.extend(
            options
                .extra_headers
                .iter()
                .filter(|(name, _)| name == "authorization")
                .cloned(),
        );
    } else if let Some(key) = &target.api_key {
        // As the OpenAI SDK's Azure client (and so LiteLLM) sends it: both,
        // except on the v1 API, which takes the bearer form only.
        if version != "v1" {
            wire.headers
                .push(("api-key".to_owned(), key.expose().to_owned()));
        }
        wire.headers.push((
            "authorization".to_owned(),
            format!("Bearer {}", key.expose()),
        ));
    }
    Ok(wire)
}

/// The deployment URL of another endpoint (`completions`, `embeddings`).
fn endpoint_url(target: &Target, options: &CallOptions, endpoint: &str) -> Result<String> {
    let Some(base) = target.api_base.as_deref() else {
        return Err(target.error(
            ErrorKind::BadRequest,
            "azure needs the resource's endpoint: pass api_base (https://NAME.openai.azure.com) \
             or set AZURE_API_BASE",
        ));
    };
    let version = api_version(options);
    let root = base.trim_end_matches('/');
    let (root, deployment) = match root.split_once("/openai/deployments/") {
        Some((root, rest)) => (root, rest.split('/').next().unwrap_or(&target.model)),
        None => (root, target.model.as_str()),
    };
    Ok(if version == "v1" {
        format!("{root}/openai/v1/{endpoint}")
    } else {
        format!("{root}/openai/deployments/{deployment}/{endpoint}?api-version={version}")
    })
}

/// The key headers of a deployment call (as for chat).
fn auth_headers(target: &Target, options: &CallOptions) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = options.extra_headers.clone();
    if !headers.iter().any(|(name, _)| name == "authorization")
        && let Some(key) = &target.api_key
    {
        headers.push(("api-key".to_owned(), key.expose().to_owned()));
        headers.push((
            "authorization".to_owned(),
            format!("Bearer {}", key.expose()),
        ));
    }
    headers
}

fn body_of(target: &Target, body: &impl serde::Serialize, options: &CallOptions) -> Result<Value> {
    let mut json = openai_compat::to_object(target, body)?;
    json.insert("model".into(), json!(target.model));
    json.remove("stream");
    for (key, extra) in &options.extra_body {
        json.insert(key.clone(), extra.clone());
    }
    Ok(Value::Object(json))
}

/// A deployment's text completion (`/completions`).
pub fn text_request(
    target: &Target,
    body: &lmrelay_types::TextCompletionRequest,
    options: &CallOptions,
) -> Result<WireRequest> {
    Ok(WireRequest {
        url: endpoint_url(target, options, "completions")?,
        headers: auth_headers(target, options),
        body: body_of(target, body, options)?.into(),
    })
}

/// A deployment's embeddings (`/embeddings`).
pub fn embedding_request(
    target: &Target,
    body: &lmrelay_types::EmbeddingRequest,
    options: &CallOptions,
) -> Result<WireRequest> {
    Ok(WireRequest {
        url: endpoint_url(target, options, "embeddings")?,
        headers: auth_headers(target, options),
        body: body_of(target, body, options)?.into(),
    })
}
