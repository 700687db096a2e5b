use std::sync::LazyLock;

use lmrelay_types::{
    ChatCompletionChunk, ChatCompletionResponse, ChunkChoice, Delta, FunctionCallDelta, JsonObject,
    ToolCallDelta,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::providers::Target;
use crate::stream::SseEvent;

use super::errors::classify;

/// Parses a successful JSON response body. A 200 whose body is an error
/// object (`{"error": {...}}` and no result) is that error, not an empty answer.
pub fn parse_json<T: DeserializeOwned>(target: &Target, body: &[u8]) -> Result<T> {
    let not_json = |err: serde_json::Error| {
        let preview: String = String::from_utf8_lossy(body).chars().take(200).collect();
        target
            .error(
                ErrorKind::APIError,
                format!(
                    "{} sent a response that is not valid JSON for this endpoint ({err}); \
                     it starts with: {preview:?}",
                    target.provider.prefix
                ),
            )
            .with_source(err)
    };
    // The common case, a body without an `error` member, is parsed straight
    // into `T`; building a `Value` first doubled the parsing cost per call.
    if !mentions_error(body)
        && let Ok(parsed) = lmrelay_types::from_json_bytes(body)
    {
        return Ok(parsed);
    }
    let value: Value = serde_json::from_slice(body).map_err(not_json)?;
    if value.get("error").is_some_and(|e| !e.is_null())
        && value.get("choices").is_none()
        && value.get("data").is_none()
    {
        let raw = String::from_utf8_lossy(body);
        return Err(body_error(
            target,
            &value,
            &raw,
            "answered 200 with an error",
        ));
    }
    serde_json::from_value(value).map_err(not_json)
}

/// A chat stream request answered with one JSON body instead of events (some
/// servers ignore `stream: true`, or fail before streaming): the response as
/// chunks, or its error.
pub fn json_body_as_chunks(target: &Target, body: &[u8]) -> Result<Vec<ChatCompletionChunk>> {
    let response: ChatCompletionResponse = parse_json(target, body)?;
    Ok(response_as_chunks(response))
}

/// A whole response as the chunks a stream of it would have carried.
pub fn response_as_chunks(response: ChatCompletionResponse) -> Vec<ChatCompletionChunk> {
    let mut chunks = Vec::with_capacity(2);
    let choices = response
        .choices
        .into_iter()
        .map(|choice| ChunkChoice {
            index: choice.index,
            delta: Delta {
                role: Some(choice.message.role),
                content: choice.message.content.map(|c| c.text()),
                reasoning_content: choice.message.reasoning_content,
                tool_calls: choice.message.tool_calls.map(|calls| {
                    calls
                        .into_iter()
                        .enumerate()
                        .map(|(index, call)| ToolCallDelta {
                            index: u32::try_from(index).unwrap_or(u32::MAX),
                            id: Some(call.id),
                            kind: Some(call.kind),
                            function: Some(FunctionCallDelta {
                                name: Some(call.function.name),
                                arguments: Some(call.function.arguments),
                            }),
                        })
                        .collect()
                }),
                extra: JsonObject::new(),
            },
            finish_reason: choice.finish_reason,
            logprobs: choice.logprobs,
        })
        .collect();
    chunks.push(ChatCompletionChunk {
        id: response.id,
        object: "chat.completion.chunk".to_owned(),
        created: response.created,
        model: response.model,
        choices,
        usage: response.usage,
        system_fingerprint: response.system_fingerprint,
        extra: JsonObject::new(),
    });
    chunks
}

/// What one server-sent event of an OpenAI stream means.
#[derive(Debug)]
pub enum StreamItem {
    /// A chunk.
    Chunk(Box<ChatCompletionChunk>),
    /// `data: [DONE]`.
    Done,
    /// Nothing to deliver (an empty keep-alive data line).
    Skip,
}

/// Parses one event of an OpenAI chat stream. An `error` event, or a data
/// object with an `error` member, becomes the matching error.
pub fn parse_chunk(target: &Target, event: &SseEvent) -> Result<StreamItem> {
    let data = event.data.trim();
    if data == "[DONE]" {
        return Ok(StreamItem::Done);
    }
    if data.is_empty() {
        return Ok(StreamItem::Skip);
    }
    // Most chunks carry no error: parse them straight into the chunk type
    // (a `Value` first doubled the cost per chunk); anything else takes the
    // path below, which names what is wrong.
    if event.event.as_deref() != Some("error")
        && !mentions_error(data.as_bytes())
        && let Ok(chunk) = serde_json::from_str(data)
    {
        return Ok(StreamItem::Chunk(Box::new(chunk)));
    }
    let value: Value = serde_json::from_str(data).map_err(|err| {
        let preview: String = data.chars().take(200).collect();
        target
            .error(
                ErrorKind::APIError,
                format!("stream chunk is not valid JSON ({err}): {preview:?}"),
            )
            .with_source(err)
    })?;
    if event.event.as_deref() == Some("error") || value.get("error").is_some() {
        return Err(body_error(
            target,
            &value,
            data,
            "sent an error in the middle of the stream",
        ));
    }
    serde_json::from_value(value)
        .map(|chunk| StreamItem::Chunk(Box::new(chunk)))
        .map_err(|err| {
            target.error(
                ErrorKind::APIError,
                format!("stream chunk does not have the chat.completion.chunk shape: {err}"),
            )
        })
}

/// Whether `body` contains the key `"error"` anywhere (a cheap test that
/// lets bodies without one skip the `Value` pass). The searcher is built
/// once: building it cost more than searching a streamed chunk.
pub(crate) fn mentions_error(body: &[u8]) -> bool {
    static ERROR_KEY: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"\"error\""));
    ERROR_KEY.find(body).is_some()
}

fn body_error(target: &Target, value: &Value, raw: &str, what: &str) -> Error {
    let error = value.get("error").unwrap_or(value);
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| error.as_str())
        .unwrap_or(raw);
    let status = error
        .get("code")
        .and_then(|code| code.as_u64().or_else(|| code.as_str()?.parse().ok()))
        .and_then(|code| u16::try_from(code).ok())
        .filter(|code| (400..600).contains(code));
    let kind = match status {
        Some(status) => classify(status, raw),
        None => match classify(500, raw) {
            ErrorKind::APIError => ErrorKind::InternalServer,
            kind => kind,
        },
    };
    let message = match &target.api_key {
        Some(key) => key.scrub(message),
        None => message.to_owned(),
    };
    let err = target.error(
        kind,
        format!("{} {what}: {message}", target.provider.prefix),
    );
    match status {
        Some(status) => err.with_status(status),
        None => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        crate::providers::resolve_with_env("llamafile/m", None, None, &|_| None).unwrap()
    }

    fn event(data: &str) -> SseEvent {
        SseEvent {
            data: data.to_owned(),
            ..SseEvent::default()
        }
    }

    #[test]
    fn a_200_with_an_error_body_is_an_error() {
        let t = target();
        let err = parse_json::<ChatCompletionResponse>(
            &t,
            br#"{"error":{"message":"quota exhausted","code":429}}"#,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimit);
        assert!(
            err.message()
                .contains("answered 200 with an error: quota exhausted"),
            "{err}"
        );
        let err = parse_json::<ChatCompletionResponse>(&t, br#"{"error":"boom"}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InternalServer);
    }

    #[test]
    fn a_json_body_for_a_stream_becomes_one_chunk() {
        let t = target();
        let body = br#"{"id":"x","model":"m","created":3,"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#;
        let chunks = json_body_as_chunks(&t, body).unwrap();
        let mut builder = crate::stream::ChunkBuilder::default();
        chunks.iter().for_each(|c| builder.push(c));
        let rebuilt = builder.finish().unwrap();
        assert_eq!(rebuilt.content(), Some("hi"));
        assert_eq!(rebuilt.choices[0].finish_reason.as_deref(), Some("stop"));
        assert_eq!(rebuilt.usage.unwrap().total_tokens, 2);
    }

    #[test]
    fn done_skip_chunk_and_errors() {
        let t = target();
        assert!(matches!(
            parse_chunk(&t, &event("[DONE]")),
            Ok(StreamItem::Done)
        ));
        assert!(matches!(parse_chunk(&t, &event("")), Ok(StreamItem::Skip)));
        let item = parse_chunk(
            &t,
            &event(r#"{"id":"a","choices":[{"index":0,"delta":{"content":"x"}}]}"#),
        );
        let Ok(StreamItem::Chunk(chunk)) = item else {
            panic!("{item:?}")
        };
        assert_eq!(chunk.choices[0].delta.content.as_deref(), Some("x"));
        let err = parse_chunk(
            &t,
            &event(r#"{"error":{"code":429,"message":"slow down"}}"#),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimit);
        let err = parse_chunk(
            &t,
            &SseEvent {
                event: Some("error".into()),
                data: r#"{"message":"overloaded"}"#.into(),
                ..SseEvent::default()
            },
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InternalServer);
        let err = parse_chunk(&t, &event("{not json")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::APIError);
    }
}
