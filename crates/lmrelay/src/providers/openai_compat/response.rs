use lmrelay_types::ChatCompletionChunk;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::providers::Target;
use crate::stream::SseEvent;

use super::errors::classify;

/// Parses a successful JSON response body.
pub fn parse_json<T: DeserializeOwned>(target: &Target, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|err| {
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
    })
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
        return Err(stream_error(target, &value, data));
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

fn stream_error(target: &Target, value: &Value, raw: &str) -> Error {
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
        format!(
            "{} sent an error in the middle of the stream: {message}",
            target.provider.prefix
        ),
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
