//! A chat request written straight from its types, with the upstream model
//! and the stream flag in place: what the general path (build a JSON value,
//! apply the provider's parameter rules, write the value) produces when no
//! rule applies, without the value in between.

use lmrelay_types::ChatCompletionRequest;
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::request::OPENAI_CHAT_PARAMS;
use crate::providers::Target;
use crate::request::CallOptions;

/// Whether `name` is one of [`ChatCompletionRequest`]'s typed fields: the
/// three every request has, then the OpenAI parameters.
fn is_typed_field(name: &str) -> bool {
    matches!(name, "model" | "messages" | "stream") || OPENAI_CHAT_PARAMS.contains(&name)
}

/// Whether `name` is set in `body`, as a typed field or an extra one (what
/// `contains_key` on the body's JSON object answers).
fn has_param(body: &ChatCompletionRequest, name: &str) -> bool {
    match name {
        "model" | "messages" => true,
        "temperature" => body.temperature.is_some(),
        "top_p" => body.top_p.is_some(),
        "n" => body.n.is_some(),
        "stream" => body.stream.is_some(),
        "stream_options" => body.stream_options.is_some(),
        "stop" => body.stop.is_some(),
        "max_tokens" => body.max_tokens.is_some(),
        "max_completion_tokens" => body.max_completion_tokens.is_some(),
        "presence_penalty" => body.presence_penalty.is_some(),
        "frequency_penalty" => body.frequency_penalty.is_some(),
        "logit_bias" => body.logit_bias.is_some(),
        "logprobs" => body.logprobs.is_some(),
        "top_logprobs" => body.top_logprobs.is_some(),
        "seed" => body.seed.is_some(),
        "user" => body.user.is_some(),
        "response_format" => body.response_format.is_some(),
        "tools" => body.tools.is_some(),
        "tool_choice" => body.tool_choice.is_some(),
        "parallel_tool_calls" => body.parallel_tool_calls.is_some(),
        "reasoning_effort" => body.reasoning_effort.is_some(),
        other => body.extra.contains_key(other),
    }
}

/// Whether `body` can be written as is for `target`: no extra body fields
/// to merge, no parameter the provider refuses or renames, and no extra
/// field that shadows a typed one. Otherwise the general path applies
/// those rules.
pub fn sendable_as_is(
    target: &Target,
    body: &ChatCompletionRequest,
    options: &CallOptions,
) -> bool {
    let spec = target.provider;
    options.extra_body.is_empty()
        && !body.extra.keys().any(|key| is_typed_field(key))
        && spec.rename_params.keys().all(|from| !has_param(body, from))
        && spec.supported_params.as_ref().is_none_or(|supported| {
            OPENAI_CHAT_PARAMS
                .iter()
                .all(|param| !has_param(body, param) || supported.iter().any(|s| s == param))
        })
}

/// `body` as sent upstream: `model` replaced, `stream: true` for a stream,
/// and neither `stream` nor `stream_options` otherwise.
pub struct ChatBody<'a> {
    /// The caller's request.
    pub body: &'a ChatCompletionRequest,
    /// The model name the provider knows.
    pub model: &'a str,
    /// Whether the answer is streamed.
    pub stream: bool,
}

impl Serialize for ChatBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// Writes each named field that is set, under its own name.
        macro_rules! optional {
            ($map:ident, $($field:ident),+) => {
                $(if let Some(value) = $field {
                    $map.serialize_entry(stringify!($field), value)?;
                })+
            };
        }
        // Every field by name, no `..`: a field added to the request type
        // does not compile here until it is written (and `has_param` knows
        // it), instead of being dropped silently.
        let ChatCompletionRequest {
            model: _,
            messages,
            temperature,
            top_p,
            n,
            stream: _,
            stream_options,
            stop,
            max_tokens,
            max_completion_tokens,
            presence_penalty,
            frequency_penalty,
            logit_bias,
            logprobs,
            top_logprobs,
            seed,
            user,
            response_format,
            tools,
            tool_choice,
            parallel_tool_calls,
            reasoning_effort,
            extra,
        } = self.body;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("model", self.model)?;
        map.serialize_entry("messages", messages)?;
        optional!(map, temperature, top_p, n);
        if self.stream {
            map.serialize_entry("stream", &true)?;
            optional!(map, stream_options);
        }
        optional!(
            map,
            stop,
            max_tokens,
            max_completion_tokens,
            presence_penalty,
            frequency_penalty,
            logit_bias,
            logprobs,
            top_logprobs,
            seed,
            user,
            response_format,
            tools,
            tool_choice,
            parallel_tool_calls,
            reasoning_effort
        );
        for (key, value) in extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}
