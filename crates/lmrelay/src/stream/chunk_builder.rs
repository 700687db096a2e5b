//! Assembles streamed chunks into the response a non-streamed call returns,
//! and guards against a model stuck repeating itself.

use std::collections::BTreeMap;

use lmrelay_types::{
    ChatCompletionChunk, ChatCompletionResponse, ChatMessage, Choice, FunctionCall, JsonObject,
    MessageContent, Role, ToolCall, Usage,
};

use crate::error::{Error, ErrorKind, Result};

#[derive(Debug, Default)]
struct ChoiceState {
    role: Option<Role>,
    content: Option<String>,
    reasoning: Option<String>,
    tool_calls: BTreeMap<u32, ToolCall>,
    finish_reason: Option<String>,
}

/// Collects chunks (in order) and builds the final response.
///
/// ```
/// use lmrelay::stream::ChunkBuilder;
/// use lmrelay_types::ChatCompletionChunk;
/// let mut builder = ChunkBuilder::default();
/// for piece in ["Hel", "lo"] {
///     let chunk: ChatCompletionChunk = serde_json::from_value(serde_json::json!({
///         "id": "c1", "model": "m", "created": 1,
///         "choices": [{"index": 0, "delta": {"content": piece}}]
///     })).unwrap();
///     builder.push(&chunk);
/// }
/// assert_eq!(builder.finish().unwrap().content(), Some("Hello"));
/// ```
#[derive(Debug, Default)]
pub struct ChunkBuilder {
    id: String,
    model: String,
    created: u64,
    system_fingerprint: Option<String>,
    usage: Option<Usage>,
    choices: BTreeMap<u32, ChoiceState>,
    chunks: usize,
}

impl ChunkBuilder {
    /// Adds one chunk.
    pub fn push(&mut self, chunk: &ChatCompletionChunk) {
        self.chunks += 1;
        if self.id.is_empty() {
            self.id.clone_from(&chunk.id);
        }
        if self.model.is_empty() {
            self.model.clone_from(&chunk.model);
        }
        if self.created == 0 {
            self.created = chunk.created;
        }
        if chunk.system_fingerprint.is_some() {
            self.system_fingerprint
                .clone_from(&chunk.system_fingerprint);
        }
        if chunk.usage.is_some() {
            self.usage.clone_from(&chunk.usage);
        }
        for choice in &chunk.choices {
            let state = self.choices.entry(choice.index).or_default();
            let delta = &choice.delta;
            if delta.role.is_some() {
                state.role = delta.role;
            }
            if let Some(text) = &delta.content {
                state.content.get_or_insert_with(String::new).push_str(text);
            }
            if let Some(text) = &delta.reasoning_content {
                state
                    .reasoning
                    .get_or_insert_with(String::new)
                    .push_str(text);
            }
            for call in delta.tool_calls.iter().flatten() {
                let entry = state
                    .tool_calls
                    .entry(call.index)
                    .or_insert_with(|| ToolCall {
                        id: String::new(),
                        kind: "function".to_owned(),
                        function: FunctionCall::default(),
                    });
                if let Some(id) = &call.id {
                    entry.id.clone_from(id);
                }
                if let Some(kind) = &call.kind {
                    entry.kind.clone_from(kind);
                }
                if let Some(function) = &call.function {
                    if let Some(name) = &function.name {
                        entry.function.name.push_str(name);
                    }
                    if let Some(arguments) = &function.arguments {
                        entry.function.arguments.push_str(arguments);
                    }
                }
            }
            if choice.finish_reason.is_some() {
                state.finish_reason.clone_from(&choice.finish_reason);
            }
        }
    }

    /// Whether every choice seen so far has a finish reason.
    pub fn all_finished(&self) -> bool {
        !self.choices.is_empty() && self.choices.values().all(|c| c.finish_reason.is_some())
    }

    /// How many chunks were pushed.
    pub fn len(&self) -> usize {
        self.chunks
    }

    /// Whether no chunk was pushed.
    pub fn is_empty(&self) -> bool {
        self.chunks == 0
    }

    /// The assembled response. Fails when no chunk arrived.
    pub fn finish(self) -> Result<ChatCompletionResponse> {
        if self.chunks == 0 {
            return Err(Error::new(
                ErrorKind::APIError,
                "the stream ended before any chunk arrived",
            ));
        }
        let choices = self
            .choices
            .into_iter()
            .map(|(index, state)| Choice {
                index,
                message: ChatMessage {
                    role: state.role.unwrap_or(Role::Assistant),
                    content: state.content.map(MessageContent::Text),
                    name: None,
                    tool_calls: (!state.tool_calls.is_empty())
                        .then(|| state.tool_calls.into_values().collect()),
                    tool_call_id: None,
                    reasoning_content: state.reasoning,
                    extra: JsonObject::new(),
                },
                finish_reason: state.finish_reason,
                logprobs: None,
            })
            .collect();
        Ok(ChatCompletionResponse {
            id: self.id,
            object: "chat.completion".to_owned(),
            created: self.created,
            model: self.model,
            choices,
            usage: self.usage,
            system_fingerprint: self.system_fingerprint,
            extra: JsonObject::new(),
            meta: Default::default(),
        })
    }
}

/// The default for [`RepeatGuard`]: LiteLLM's `REPEATED_STREAMING_CHUNK_LIMIT`.
pub const DEFAULT_REPEAT_LIMIT: usize = 100;

/// Fails a stream whose last `limit` chunks carry the same content (longer
/// than two characters): the model is stuck in a loop.
#[derive(Debug)]
pub struct RepeatGuard {
    limit: usize,
    last: Option<String>,
    count: usize,
}

impl Default for RepeatGuard {
    fn default() -> Self {
        let limit = std::env::var("REPEATED_STREAMING_CHUNK_LIMIT")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n: &usize| n > 1)
            .unwrap_or(DEFAULT_REPEAT_LIMIT);
        Self::new(limit)
    }
}

impl RepeatGuard {
    /// A guard that trips after `limit` identical chunks in a row.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            last: None,
            count: 0,
        }
    }

    /// Checks the next chunk.
    pub fn check(&mut self, chunk: &ChatCompletionChunk) -> Result<()> {
        self.check_content(
            chunk
                .choices
                .first()
                .and_then(|c| c.delta.content.as_deref()),
        )
    }

    /// Checks the next chunk by its first choice's text.
    pub fn check_content(&mut self, content: Option<&str>) -> Result<()> {
        let Some(content) = content else {
            return Ok(());
        };
        if content.chars().count() <= 2 {
            self.last = None;
            self.count = 0;
            return Ok(());
        }
        if self.last.as_deref() == Some(content) {
            self.count += 1;
        } else {
            self.last = Some(content.to_owned());
            self.count = 1;
        }
        if self.count >= self.limit {
            return Err(Error::new(
                ErrorKind::InternalServer,
                format!(
                    "the model repeated the same chunk {} times in a row ({content:?}); \
                     it is stuck in a loop: lower the temperature, add a stop sequence, \
                     or set REPEATED_STREAMING_CHUNK_LIMIT",
                    self.limit
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chunk(value: serde_json::Value) -> ChatCompletionChunk {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn assembles_content_tool_calls_usage_and_finish_reason() {
        let mut b = ChunkBuilder::default();
        b.push(&chunk(json!({"id":"x","model":"m","created":5,"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]})));
        b.push(&chunk(
            json!({"id":"x","choices":[{"index":0,"delta":{"content":"Let me check."}}]}),
        ));
        b.push(&chunk(json!({"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"ci"}}]}}]})));
        b.push(&chunk(json!({"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\":\"Paris\"}"}}]}}]})));
        b.push(&chunk(
            json!({"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}),
        ));
        assert!(b.all_finished());
        b.push(&chunk(json!({"id":"x","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})));
        let r = b.finish().unwrap();
        assert_eq!(r.id, "x");
        assert_eq!(r.model, "m");
        assert_eq!(r.created, 5);
        assert_eq!(
            r.content(),
            Some("Let me check."),
            "content kept beside tool calls"
        );
        let calls = r.choices[0].message.tool_calls.as_ref().unwrap();
        assert_eq!(calls[0].id, "call_1");
        assert_eq!(calls[0].function.name, "get_weather");
        assert_eq!(calls[0].function.arguments, "{\"city\":\"Paris\"}");
        assert_eq!(r.choices[0].finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(r.usage.unwrap().total_tokens, 7);
    }

    #[test]
    fn empty_stream_is_an_error() {
        assert!(ChunkBuilder::default().finish().is_err());
    }

    #[test]
    fn repeat_guard_trips_at_the_limit_only_for_long_content() {
        let same = chunk(json!({"choices":[{"index":0,"delta":{"content":"again"}}]}));
        let mut guard = RepeatGuard::new(3);
        assert!(guard.check(&same).is_ok());
        assert!(guard.check(&same).is_ok());
        let err = guard.check(&same).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InternalServer);
        let short = chunk(json!({"choices":[{"index":0,"delta":{"content":"ab"}}]}));
        let mut guard = RepeatGuard::new(3);
        for _ in 0..10 {
            assert!(guard.check(&short).is_ok());
        }
    }
}
