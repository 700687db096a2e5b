//! `Deserialize` for the wire types that keep unknown fields in `extra`,
//! written without serde's `flatten`: with `flatten`, the derive buffers
//! every field of the object before reading any, which cost more than the
//! rest of a proxied request's JSON work. Here known fields are read
//! straight into their types and any other field is kept in `extra` as
//! JSON, exactly as the derive did it: the same defaults, the same required
//! fields, the same errors for wrong types.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, Visitor};

use crate::chunk::chunk_object;
use crate::{
    ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, ChatMessage,
    CompletionTokensDetails, Delta, JsonObject, PromptTokensDetails, Usage,
};

/// A field name, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// `Deserialize` for a struct whose unknown fields go to `extra`.
///
/// `optional` fields take their default (or the given function's value)
/// when absent, `required` ones are an error when absent (as the derive's
/// "missing field"), `skipped` ones are never read and start at their
/// default.
macro_rules! deserialize_keeping_extra {
    (
        $ty:ident,
        optional { $($name:ident $(= $default:path)?),* $(,)? }
        $(required { $($required:ident),* $(,)? })?
        $(skipped { $($skipped:ident),* $(,)? })?
    ) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct FieldsVisitor;
                impl<'de> Visitor<'de> for FieldsVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        // The derive's wording, so errors read as before.
                        f.write_str(concat!("struct ", stringify!($ty)))
                    }
                    fn visit_map<A: MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<Self::Value, A::Error> {
                        $(let mut $name = None;)*
                        $($(let mut $required = None;)*)?
                        let mut extra = JsonObject::new();
                        while let Some(Key(key)) = map.next_key()? {
                            match key.as_ref() {
                                $(stringify!($name) => $name = Some(map.next_value()?),)*
                                $($(stringify!($required) => $required = Some(map.next_value()?),)*)?
                                _ => {
                                    extra.insert(key.into_owned(), map.next_value()?);
                                }
                            }
                        }
                        Ok($ty {
                            $($name: deserialize_keeping_extra!(@default $name $($default)?),)*
                            $($($required: $required
                                .ok_or_else(|| A::Error::missing_field(stringify!($required)))?,)*)?
                            $($($skipped: Default::default(),)*)?
                            extra,
                        })
                    }
                }
                deserializer.deserialize_map(FieldsVisitor)
            }
        }
    };
    (@default $name:ident) => { $name.unwrap_or_default() };
    (@default $name:ident $default:path) => { $name.unwrap_or_else($default) };
}

deserialize_keeping_extra!(ChatCompletionChunk,
    optional { id, object = chunk_object, created, model, choices, usage, system_fingerprint }
);

deserialize_keeping_extra!(
    Delta,
    optional {
        role,
        content,
        reasoning_content,
        tool_calls
    }
);

deserialize_keeping_extra!(ChatCompletionResponse,
    optional { id, object = crate::chat::chat_completion_object, created, model, choices, usage,
        system_fingerprint }
    skipped { meta }
);

deserialize_keeping_extra!(ChatMessage,
    optional { content, name, tool_calls, tool_call_id, reasoning_content }
    required { role }
);

deserialize_keeping_extra!(ChatCompletionRequest,
    optional { temperature, top_p, n, stream, stream_options, stop, max_tokens,
        max_completion_tokens, presence_penalty, frequency_penalty, logit_bias, logprobs,
        top_logprobs, seed, user, response_format, tools, tool_choice, parallel_tool_calls,
        reasoning_effort }
    required { model, messages }
);

deserialize_keeping_extra!(
    Usage,
    optional {
        prompt_tokens,
        completion_tokens,
        total_tokens,
        prompt_tokens_details,
        completion_tokens_details
    }
);

deserialize_keeping_extra!(
    PromptTokensDetails,
    optional {
        cached_tokens,
        audio_tokens
    }
);

deserialize_keeping_extra!(
    CompletionTokensDetails,
    optional {
        reasoning_tokens,
        audio_tokens
    }
);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use serde_json::Value;

    use crate::{ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse, Role};

    #[test]
    fn known_fields_are_typed_and_the_rest_is_kept() {
        let chunk: ChatCompletionChunk = serde_json::from_value(json!({
            "id": "c1",
            "created": 7,
            "model": "m",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi",
                "reasoning_content": null, "audio": {"id": "a"}}, "finish_reason": null}],
            "usage": null,
            "service_tier": "default",
            "obfuscation": "x\"y"
        }))
        .unwrap();
        assert_eq!(chunk.id, "c1");
        assert_eq!(chunk.object, "chat.completion.chunk", "the default");
        assert_eq!(chunk.created, 7);
        assert_eq!(chunk.usage, None);
        assert_eq!(chunk.extra["service_tier"], "default");
        assert_eq!(chunk.extra["obfuscation"], "x\"y");
        let delta = &chunk.choices[0].delta;
        assert_eq!(delta.role, Some(Role::Assistant));
        assert_eq!(delta.content.as_deref(), Some("Hi"));
        assert_eq!(delta.reasoning_content, None);
        assert_eq!(delta.extra["audio"], json!({"id": "a"}));
        // Serialized back, nothing is lost or added.
        let again: ChatCompletionChunk =
            serde_json::from_str(&serde_json::to_string(&chunk).unwrap()).unwrap();
        assert_eq!(again, chunk);
    }

    #[test]
    fn escaped_field_names_and_wrong_types_read_as_before() {
        // "\u0069d" is "id" written with an escape: not borrowable.
        let chunk: ChatCompletionChunk =
            serde_json::from_str(r#"{"\u0069d":"c2","x\ny":1,"choices":[]}"#).unwrap();
        assert_eq!(chunk.id, "c2");
        assert_eq!(chunk.extra["x\ny"], 1);
        let err = serde_json::from_str::<ChatCompletionChunk>(r#"{"created":"soon"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid type"), "{err}");
        assert!(serde_json::from_str::<ChatCompletionChunk>("[1]").is_err());
    }

    /// Parses `input` as `T`, serializes it back, and expects the same JSON.
    fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(input: &Value) -> T {
        let parsed: T = serde_json::from_str(&input.to_string()).unwrap();
        assert_eq!(&serde_json::to_value(&parsed).unwrap(), input);
        parsed
    }

    #[test]
    fn responses_messages_and_usage_keep_every_field() {
        let input = json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": "Hi", "refusal": null,
                "annotations": [], "reasoning_content": "thought"}}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14,
                "prompt_tokens_details": {"cached_tokens": 2, "text_tokens": 7},
                "completion_tokens_details": {"reasoning_tokens": 1, "accepted_prediction_tokens": 0},
                "cost": 0.5},
            "system_fingerprint": "fp",
            "timings": {"prompt_n": 9}
        });
        let response: ChatCompletionResponse = round_trip(&input);
        assert_eq!(response.content(), Some("Hi"));
        assert_eq!(response.extra["timings"], json!({"prompt_n": 9}));
        let message = &response.choices[0].message;
        assert_eq!(message.role, Role::Assistant);
        assert_eq!(message.reasoning_content.as_deref(), Some("thought"));
        assert_eq!(message.extra["refusal"], Value::Null);
        let usage = response.usage.as_ref().unwrap();
        assert_eq!(usage.total_tokens, 14);
        assert_eq!(usage.extra["cost"], 0.5);
        let details = usage.prompt_tokens_details.as_ref().unwrap();
        assert_eq!(details.cached_tokens, Some(2));
        assert_eq!(details.extra["text_tokens"], 7);
        let details = usage.completion_tokens_details.as_ref().unwrap();
        assert_eq!(details.reasoning_tokens, Some(1));
        assert_eq!(details.extra["accepted_prediction_tokens"], 0);
        assert_eq!(response.meta, crate::ResponseMeta::default(), "never read");
    }

    #[test]
    fn absent_fields_take_the_derives_defaults() {
        let response: ChatCompletionResponse = serde_json::from_str("{}").unwrap();
        assert_eq!(response.object, "chat.completion");
        assert_eq!(response.id, "");
        assert!(response.choices.is_empty() && response.usage.is_none());
        let message: crate::ChatMessage = serde_json::from_str(r#"{"role":"tool"}"#).unwrap();
        assert_eq!(message.content, None);
        assert!(message.extra.is_empty());
    }

    #[test]
    fn requests_type_known_parameters_and_keep_provider_ones() {
        let input = json!({
            "model": "m",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
            "temperature": 0.5,
            "stop": ["x"],
            "stream": true,
            "stream_options": {"include_usage": true},
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
            "tool_choice": "auto",
            "top_k": 40,
            "mirostat": 2
        });
        let request: ChatCompletionRequest = round_trip(&input);
        assert_eq!(request.temperature, Some(0.5));
        assert_eq!(request.stream, Some(true));
        assert_eq!(request.extra["top_k"], 40);
        assert_eq!(request.extra.len(), 2);
    }

    #[test]
    fn missing_required_fields_and_wrong_types_are_errors_as_before() {
        let cases = [
            (r#"{"messages":[]}"#, "missing field `model`"),
            (r#"{"model":"m"}"#, "missing field `messages`"),
            (
                r#"{"model":"m","messages":[{"content":"x"}]}"#,
                "missing field `role`",
            ),
            (
                r#"{"model":"m","messages":[],"temperature":"hot"}"#,
                "invalid type",
            ),
            (r#"{"model":null,"messages":[]}"#, "invalid type"),
            (
                r#"{"model":"m","messages":[{"role":"robot"}]}"#,
                "unknown variant",
            ),
            (
                r#"["m"]"#,
                "invalid type: sequence, expected struct ChatCompletionRequest",
            ),
        ];
        for (input, wanted) in cases {
            let err = serde_json::from_str::<ChatCompletionRequest>(input)
                .unwrap_err()
                .to_string();
            assert!(err.contains(wanted), "{input}: {err}");
        }
        let err =
            serde_json::from_str::<ChatCompletionResponse>(r#"{"usage":{"prompt_tokens":-1}}"#)
                .unwrap_err()
                .to_string();
        assert!(err.contains("invalid value"), "{err}");
    }

    #[test]
    fn values_and_borrowed_input_read_alike() {
        let input = json!({"model": "m", "messages": [{"role": "user", "content": "a\"b"}],
            "x\ny": 1});
        let from_value: ChatCompletionRequest = serde_json::from_value(input.clone()).unwrap();
        let from_text: ChatCompletionRequest = serde_json::from_str(&input.to_string()).unwrap();
        assert_eq!(from_value, from_text);
        assert_eq!(from_text.extra["x\ny"], 1);
    }
}
