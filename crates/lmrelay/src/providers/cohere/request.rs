//! OpenAI chat request to Cohere's `POST /v2/chat`: messages and tools as
//! OpenAI writes them, `top_p` as `p`, `n` as `num_generations`, `stop` as
//! `stop_sequences`, a JSON schema as `response_format: {type: json_object,
//! json_schema}`; `tool_choice` is not sent (Cohere's differs).

use lmrelay_types::ChatCompletionRequest;
use serde_json::{Value, json};

use crate::error::Result;
use crate::providers::Target;
use crate::providers::adapter::check_unsupported;
use crate::request::CallOptions;
use crate::transport::WireRequest;

/// Parameters Cohere has no equivalent for.
const UNSUPPORTED: &[&str] = &["logit_bias", "logprobs", "top_logprobs"];

/// The chat URL: an `api_base` that ends in `/chat` as given, else the
/// base (default `https://api.cohere.com`) plus `/v2/chat`.
fn url(target: &Target) -> String {
    let base = target
        .api_base
        .as_deref()
        .unwrap_or("https://api.cohere.com")
        .trim_end_matches('/');
    if base.ends_with("/chat") {
        base.to_owned()
    } else if base.ends_with("/v2") {
        format!("{base}/chat")
    } else {
        format!("{base}/v2/chat")
    }
}

/// Builds the `/v2/chat` request.
pub fn chat_request(
    target: &Target,
    body: &ChatCompletionRequest,
    options: &CallOptions,
    stream: bool,
) -> Result<WireRequest> {
    let mut json = crate::providers::openai_compat::to_object(target, body)?;
    check_unsupported(target, &mut json, UNSUPPORTED, options.drop_params)?;
    let model = target.model.strip_prefix("v2/").unwrap_or(&target.model);
    json.insert("model".into(), json!(model));
    for (from, to) in [
        ("top_p", "p"),
        ("n", "num_generations"),
        ("stop", "stop_sequences"),
    ] {
        if let Some(value) = json.remove(from) {
            json.insert(to.into(), value);
        }
    }
    json.remove("tool_choice");
    json.remove("parallel_tool_calls");
    json.remove("stream_options");
    json.remove("user");
    if let Some(format) = json.remove("response_format") {
        match format["type"].as_str() {
            Some("json_object") => {
                json.insert("response_format".into(), json!({"type": "json_object"}));
            }
            Some("json_schema") => {
                json.insert(
                    "response_format".into(),
                    json!({"type": "json_object", "json_schema": format["json_schema"]["schema"]}),
                );
            }
            _ => {}
        }
    }
    if stream {
        json.insert("stream".into(), Value::Bool(true));
    } else {
        json.remove("stream");
    }
    for (key, value) in &options.extra_body {
        json.insert(key.clone(), value.clone());
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
        body: Value::Object(json).into(),
    })
}
