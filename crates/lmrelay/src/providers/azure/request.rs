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
use crate::transport::WireRequest;

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
    if let Value::Object(json) = &mut wire.body {
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
