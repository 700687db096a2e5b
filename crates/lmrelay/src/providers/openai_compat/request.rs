use lmrelay_types::{ChatCompletionRequest, EmbeddingRequest, JsonObject, TextCompletionRequest};
use serde::Serialize;
use serde_json::Value;

use crate::error::{ErrorKind, Result};
use crate::providers::{Endpoint, Target};
use crate::request::CallOptions;
use crate::transport::{WireBody, WireRequest};

use super::chat_body::{ChatBody, sendable_as_is};

/// The OpenAI chat parameters checked against a provider's `supported_params`.
pub(super) const OPENAI_CHAT_PARAMS: &[&str] = &[
    "temperature",
    "top_p",
    "n",
    "stream_options",
    "stop",
    "max_tokens",
    "max_completion_tokens",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "seed",
    "user",
    "response_format",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "reasoning_effort",
];

/// Builds `POST {api_base}/chat/completions`.
pub fn chat_request(
    target: &Target,
    body: &ChatCompletionRequest,
    options: &CallOptions,
    stream: bool,
) -> Result<WireRequest> {
    if sendable_as_is(target, body, options) {
        // No parameter rule applies: the body is written straight from its
        // types, without building a JSON value first (about 5% of a gateway
        // request's instructions went to that value and back).
        let chat = ChatBody {
            body,
            model: &target.model,
            stream,
        };
        let encoded = serde_json::to_vec(&chat).map_err(|err| {
            target.error(
                ErrorKind::BadRequest,
                format!("request cannot be encoded as JSON: {err}"),
            )
        })?;
        return Ok(WireRequest {
            url: target.endpoint_url(Endpoint::Chat)?,
            headers: headers(target, options),
            body: WireBody::Encoded(encoded.into()),
        });
    }
    chat_request_general(target, body, options, stream)
}

/// The chat body through a JSON value, with the provider's parameter rules
/// and the extra body fields applied.
fn chat_request_general(
    target: &Target,
    body: &ChatCompletionRequest,
    options: &CallOptions,
    stream: bool,
) -> Result<WireRequest> {
    let mut json = to_object(target, body)?;
    check_params(target, &mut json, options.drop_params)?;
    if stream {
        json.insert("stream".to_owned(), Value::Bool(true));
    } else {
        json.remove("stream");
        json.remove("stream_options");
    }
    finish(target, Endpoint::Chat, json, options)
}

/// The chat body for a provider that speaks OpenAI's format at its own URL
/// (Azure): no parameter table checks, no URL check; the caller sets the
/// URL and the credentials.
pub fn chat_request_unchecked(
    target: &Target,
    body: &ChatCompletionRequest,
    options: &CallOptions,
    stream: bool,
) -> Result<WireRequest> {
    let mut json = to_object(target, body)?;
    if stream {
        json.insert("stream".to_owned(), Value::Bool(true));
    } else {
        json.remove("stream");
        json.remove("stream_options");
    }
    json.insert("model".to_owned(), Value::String(target.model.clone()));
    for (key, value) in &options.extra_body {
        json.insert(key.clone(), value.clone());
    }
    Ok(WireRequest {
        url: String::new(),
        headers: options
            .extra_headers
            .iter()
            .filter(|(name, _)| name != "authorization")
            .cloned()
            .collect(),
        body: Value::Object(json).into(),
    })
}

/// Builds `POST {api_base}/completions`.
pub fn text_request(
    target: &Target,
    body: &TextCompletionRequest,
    options: &CallOptions,
) -> Result<WireRequest> {
    let mut json = to_object(target, body)?;
    json.remove("stream");
    finish(target, Endpoint::Completions, json, options)
}

/// Builds `POST {api_base}/embeddings`.
pub fn embedding_request(
    target: &Target,
    body: &EmbeddingRequest,
    options: &CallOptions,
) -> Result<WireRequest> {
    let json = to_object(target, body)?;
    finish(target, Endpoint::Embeddings, json, options)
}

/// A request body as a JSON object, or a BadRequest naming why not (every
/// adapter starts from this).
pub fn to_object(target: &Target, body: &impl Serialize) -> Result<JsonObject> {
    match serde_json::to_value(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(target.error(ErrorKind::BadRequest, "request body is not a JSON object")),
        Err(err) => Err(target.error(
            ErrorKind::BadRequest,
            format!("request cannot be encoded as JSON: {err}"),
        )),
    }
}

/// Applies the provider's parameter rules: unsupported parameters are an
/// error (or dropped with `drop_params`), renamed ones are moved.
fn check_params(target: &Target, json: &mut JsonObject, drop_params: bool) -> Result<()> {
    let spec = target.provider;
    if let Some(supported) = &spec.supported_params {
        let unsupported: Vec<String> = OPENAI_CHAT_PARAMS
            .iter()
            .filter(|param| json.contains_key(**param) && !supported.iter().any(|s| s == *param))
            .map(|param| (*param).to_owned())
            .collect();
        if !unsupported.is_empty() {
            if drop_params {
                for param in &unsupported {
                    json.remove(param);
                }
            } else {
                return Err(target.error(
                    ErrorKind::UnsupportedParams,
                    format!(
                        "{} does not support parameters: {}. Remove them, or set \
                         drop_params=true to drop them silently (supported: {})",
                        spec.prefix,
                        unsupported.join(", "),
                        supported.join(", ")
                    ),
                ));
            }
        }
    }
    for (from, to) in &spec.rename_params {
        if let Some(value) = json.remove(from)
            && !json.contains_key(to)
        {
            json.insert(to.clone(), value);
        }
    }
    Ok(())
}

fn finish(
    target: &Target,
    endpoint: Endpoint,
    mut json: JsonObject,
    options: &CallOptions,
) -> Result<WireRequest> {
    json.insert("model".to_owned(), Value::String(target.model.clone()));
    for (key, value) in &options.extra_body {
        json.insert(key.clone(), value.clone());
    }
    Ok(WireRequest {
        url: target.endpoint_url(endpoint)?,
        headers: headers(target, options),
        body: Value::Object(json).into(),
    })
}

/// The key as a bearer token, then the caller's extra headers.
fn headers(target: &Target, options: &CallOptions) -> Vec<(String, String)> {
    let mut headers = Vec::with_capacity(2 + options.extra_headers.len());
    if let Some(key) = &target.api_key {
        let key = key.expose();
        let mut value = String::with_capacity("Bearer ".len() + key.len());
        value.push_str("Bearer ");
        value.push_str(key);
        headers.push(("authorization".to_owned(), value));
    }
    headers.extend(options.extra_headers.iter().cloned());
    headers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::resolve_with_env;
    use lmrelay_types::{ChatMessage, FunctionDefinition, Tool};

    fn target(model: &str) -> Target {
        resolve_with_env(model, None, None, &|_| None).unwrap()
    }

    fn body() -> ChatCompletionRequest {
        let mut body = ChatCompletionRequest::new("ignored", vec![ChatMessage::user("hi")]);
        body.max_completion_tokens = Some(7);
        body.temperature = Some(0.0);
        body
    }

    #[test]
    fn llamafile_request_shape() {
        let t = target("llamafile/mistralai/mistral-7b");
        let mut options = CallOptions::default();
        options.extra_body.insert("top_k".into(), 5.into());
        options.extra_headers.push(("x-trace".into(), "1".into()));
        let wire = chat_request(&t, &body(), &options, true).unwrap();
        assert_eq!(wire.url, "http://127.0.0.1:8080/v1/chat/completions");
        let sent = wire.body.to_value();
        assert_eq!(sent["model"], "mistralai/mistral-7b");
        assert_eq!(sent["stream"], true);
        assert_eq!(sent["top_k"], 5);
        assert_eq!(sent["max_completion_tokens"], 7);
        assert!(
            wire.headers
                .contains(&("authorization".into(), "Bearer fake-api-key".into()))
        );
        assert!(wire.headers.contains(&("x-trace".into(), "1".into())));
    }

    #[test]
    fn unsupported_params_error_or_drop() {
        let t = target("perplexity/sonar");
        let mut b = body();
        b.tools = Some(vec![Tool {
            kind: "function".into(),
            function: FunctionDefinition {
                name: "f".into(),
                description: None,
                parameters: None,
                strict: None,
            },
        }]);
        b.seed = Some(1);
        let err = chat_request(&t, &b, &CallOptions::default(), false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnsupportedParams);
        assert!(err.message().contains("seed, tools"), "{err}");
        assert!(err.message().contains("drop_params"), "{err}");
        let options = CallOptions {
            drop_params: true,
            ..CallOptions::default()
        };
        let sent = chat_request(&t, &b, &options, false)
            .unwrap()
            .body
            .to_value();
        assert!(sent.get("tools").is_none());
        assert!(sent.get("seed").is_none());
        assert_eq!(sent["temperature"], 0.0);
    }

    #[test]
    fn non_stream_request_drops_stream_fields() {
        let t = target("openai/gpt-4o-mini");
        let mut b = body();
        b.stream = Some(true);
        let wire = chat_request(&t, &b, &CallOptions::default(), false).unwrap();
        assert!(wire.body.to_value().get("stream").is_none());
        assert!(
            !wire.headers.iter().any(|(k, _)| k == "authorization"),
            "no key, no header"
        );
    }

    /// Bodies that touch every typed field, extras, and each stream state.
    fn varied_bodies() -> Vec<ChatCompletionRequest> {
        let mut full = body();
        full.top_p = Some(0.5);
        full.n = Some(2);
        full.stream = Some(false);
        full.stream_options = Some(lmrelay_types::StreamOptions {
            include_usage: Some(true),
        });
        full.stop = Some(lmrelay_types::StopSequences::Many(vec!["\n".into()]));
        full.max_tokens = Some(9);
        full.presence_penalty = Some(-0.25);
        full.frequency_penalty = Some(1e-7);
        full.logit_bias = Some(serde_json::from_str(r#"{"50256": -100}"#).unwrap());
        full.logprobs = Some(true);
        full.top_logprobs = Some(3);
        full.seed = Some(-4);
        full.user = Some("u\"1".into());
        full.response_format = Some(lmrelay_types::ResponseFormat::JsonObject);
        full.tools = Some(vec![Tool {
            kind: "function".into(),
            function: FunctionDefinition {
                name: "f".into(),
                description: Some("d".into()),
                parameters: Some(serde_json::json!({"type": "object"})),
                strict: Some(true),
            },
        }]);
        full.tool_choice = Some(serde_json::json!("auto"));
        full.parallel_tool_calls = Some(false);
        full.reasoning_effort = Some("low".into());
        full.extra.insert("top_k".into(), 5.into());
        full.extra.insert("cache_prompt".into(), true.into());
        let mut streamed = body();
        streamed.stream = Some(true);
        let bare = ChatCompletionRequest::new("x", vec![ChatMessage::user("héllo \u{1F600}")]);
        vec![body(), full, streamed, bare]
    }

    #[test]
    fn bodies_written_from_types_equal_the_general_path() {
        for model in ["openai/gpt-4o-mini", "llamafile/org/m"] {
            let t = target(model);
            for b in varied_bodies() {
                for stream in [false, true] {
                    let options = CallOptions::default();
                    let fast = chat_request(&t, &b, &options, stream).unwrap();
                    assert!(
                        matches!(fast.body, WireBody::Encoded(_)),
                        "{model}: no rule applies, so the body is written from its types"
                    );
                    let general = chat_request_general(&t, &b, &options, stream).unwrap();
                    assert_eq!(
                        fast.body.to_value(),
                        general.body.to_value(),
                        "{model} stream={stream}"
                    );
                    assert_eq!(fast.url, general.url);
                    assert_eq!(fast.headers, general.headers);
                }
            }
        }
    }

    #[test]
    fn rules_extra_body_and_shadowing_extras_take_the_general_path() {
        let mut with_tools = body();
        with_tools.seed = Some(1);
        let dropped = CallOptions {
            drop_params: true,
            ..CallOptions::default()
        };
        // perplexity refuses `seed`: the rule runs, so a value is built.
        let wire = chat_request(&target("perplexity/sonar"), &with_tools, &dropped, false).unwrap();
        assert!(matches!(wire.body, WireBody::Json(_)));
        assert!(wire.body.to_value().get("seed").is_none());

        let mut options = CallOptions::default();
        options.extra_body.insert("top_k".into(), 1.into());
        let wire = chat_request(&target("openai/m"), &body(), &options, false).unwrap();
        assert!(matches!(wire.body, WireBody::Json(_)));
        assert_eq!(wire.body.to_value()["top_k"], 1);

        for typed in ["temperature", "model", "stream", "reasoning_effort"] {
            let mut shadowing = body();
            shadowing.extra.insert(typed.into(), 1.5.into());
            let wire = chat_request(
                &target("openai/m"),
                &shadowing,
                &CallOptions::default(),
                false,
            )
            .unwrap();
            assert!(matches!(wire.body, WireBody::Json(_)), "{typed}");
        }
        let mut unknown = body();
        unknown.extra.insert("top_k".into(), 2.into());
        let wire = chat_request(
            &target("openai/m"),
            &unknown,
            &CallOptions::default(),
            false,
        )
        .unwrap();
        assert!(
            matches!(wire.body, WireBody::Encoded(_)),
            "an extra field no typed field shadows is written as is"
        );
        assert_eq!(wire.body.to_value()["top_k"], 2);
    }
}
