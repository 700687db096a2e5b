//! Anthropic stream events to OpenAI chunks.
//!
//! `message_start` gives the model and prompt usage; text, tool-input and
//! thinking deltas become content, tool-call and reasoning deltas (tool calls
//! numbered in order of appearance); `message_delta` gives the finish reason
//! and the completion usage, delivered in a final usage chunk at
//! `message_stop`; an `error` event ends the stream with its error.

use std::collections::HashMap;

use lmrelay_types::{ChatCompletionChunk, Usage};
use serde_json::{Value, json};

use super::JSON_TOOL_NAME;
use super::errors::stream_error_kind;
use super::response::{completion_id, finish_reason, now, usage};
use crate::error::{ErrorKind, Result};
use crate::providers::Target;
use crate::providers::adapter::{StreamTranslator, Translated};
use crate::stream::SseEvent;

/// What a content block carries.
enum Block {
    Text,
    Thinking,
    /// A tool call: its number, whether a delta came, and whether any had text.
    Tool(u32, bool, bool),
    /// The forced `json_tool_call`: its input is the reply's content.
    JsonReply,
}

/// The state of one Anthropic stream.
pub(super) struct AnthropicStream {
    target: Target,
    id: String,
    created: u64,
    model: String,
    raw_usage: Value,
    blocks: HashMap<u64, Block>,
    tools: u32,
    sent_role: bool,
    saw_tool_call: bool,
    include_usage: bool,
}

impl AnthropicStream {
    pub(super) fn new(target: &Target, model: &str, include_usage: bool) -> Self {
        Self {
            target: target.clone(),
            id: completion_id(),
            created: now(),
            model: model.to_owned(),
            raw_usage: json!({}),
            blocks: HashMap::new(),
            tools: 0,
            sent_role: false,
            saw_tool_call: false,
            include_usage,
        }
    }

    fn chunk(&mut self, mut delta: Value, finish: Option<&str>) -> ChatCompletionChunk {
        if !self.sent_role {
            delta["role"] = Value::String("assistant".to_owned());
            self.sent_role = true;
        }
        let value = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        serde_json::from_value(value).unwrap_or_default()
    }

    fn usage_chunk(&self) -> ChatCompletionChunk {
        let value = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
        });
        let mut chunk: ChatCompletionChunk = serde_json::from_value(value).unwrap_or_default();
        let usage: Usage = usage(&self.raw_usage);
        chunk.usage = Some(usage);
        chunk
    }

    fn merge_usage(&mut self, raw: &Value) {
        if let (Value::Object(into), Value::Object(from)) = (&mut self.raw_usage, raw) {
            for (key, value) in from {
                if !value.is_null() {
                    into.insert(key.clone(), value.clone());
                }
            }
        }
    }
}

impl StreamTranslator for AnthropicStream {
    fn frame(&mut self, frame: &SseEvent) -> Result<Translated> {
        let data = frame.data.trim();
        if data.is_empty() {
            return Ok(Translated::default());
        }
        let event: Value = serde_json::from_str(data).map_err(|err| {
            self.target.error(
                ErrorKind::APIError,
                format!("anthropic stream event is not JSON ({err})"),
            )
        })?;
        let kind = event["type"]
            .as_str()
            .or(frame.event.as_deref())
            .unwrap_or("");
        Ok(match kind {
            "message_start" => {
                let message = &event["message"];
                if let Some(model) = message["model"].as_str() {
                    self.model = model.to_owned();
                }
                self.merge_usage(&message["usage"]);
                Translated::default()
            }
            "content_block_start" => {
                let index = event["index"].as_u64().unwrap_or(0);
                let block = &event["content_block"];
                match block["type"].as_str() {
                    Some("tool_use") if block["name"] == JSON_TOOL_NAME => {
                        self.blocks.insert(index, Block::JsonReply);
                        Translated::default()
                    }
                    Some("tool_use") => {
                        let tool = self.tools;
                        self.tools += 1;
                        self.saw_tool_call = true;
                        self.blocks.insert(index, Block::Tool(tool, false, false));
                        let delta = json!({"content": "", "tool_calls": [{
                            "index": tool, "id": block["id"], "type": "function",
                            "function": {"name": block["name"], "arguments": ""},
                        }]});
                        Translated::chunk(self.chunk(delta, None))
                    }
                    Some("thinking") => {
                        self.blocks.insert(index, Block::Thinking);
                        Translated::default()
                    }
                    _ => {
                        self.blocks.insert(index, Block::Text);
                        match block["text"].as_str().filter(|t| !t.is_empty()) {
                            Some(text) => {
                                Translated::chunk(self.chunk(json!({"content": text}), None))
                            }
                            None => Translated::default(),
                        }
                    }
                }
            }
            "content_block_delta" => {
                let index = event["index"].as_u64().unwrap_or(0);
                let delta = &event["delta"];
                if let (Some(Block::Tool(_, seen, filled)), Some("input_json_delta")) =
                    (self.blocks.get_mut(&index), delta["type"].as_str())
                {
                    *seen = true;
                    *filled |= delta["partial_json"]
                        .as_str()
                        .is_some_and(|p| !p.is_empty());
                }
                let out = match (self.blocks.get(&index), delta["type"].as_str()) {
                    (_, Some("text_delta")) => json!({"content": delta["text"]}),
                    (Some(Block::JsonReply), Some("input_json_delta")) => {
                        // Streamed as it comes: a `values` wrapper is not unwrapped here.
                        json!({"content": delta["partial_json"]})
                    }
                    (Some(Block::Tool(tool, ..)), Some("input_json_delta")) => {
                        json!({"content": "", "tool_calls": [{"index": tool, "type": "function",
                            "function": {"arguments": delta["partial_json"]}}]})
                    }
                    (_, Some("thinking_delta")) => json!({"reasoning_content": delta["thinking"]}),
                    _ => return Ok(Translated::default()),
                };
                Translated::chunk(self.chunk(out, None))
            }
            "content_block_stop" => {
                // A tool whose argument deltas were all empty takes no
                // arguments: say so with "{}" (as LiteLLM does).
                let index = event["index"].as_u64().unwrap_or(0);
                match self.blocks.get(&index) {
                    Some(Block::Tool(tool, true, false)) => {
                        let delta = json!({"content": "", "tool_calls": [{"index": tool,
                            "type": "function", "function": {"arguments": "{}"}}]});
                        Translated::chunk(self.chunk(delta, None))
                    }
                    _ => Translated::default(),
                }
            }
            "message_delta" => {
                self.merge_usage(&event["usage"]);
                let stop = event["delta"]["stop_reason"].as_str().unwrap_or("end_turn");
                let finish = if self.blocks.values().any(|b| matches!(b, Block::JsonReply))
                    && !self.saw_tool_call
                {
                    "stop"
                } else {
                    finish_reason(stop)
                };
                Translated::chunk(self.chunk(json!({}), Some(finish)))
            }
            "message_stop" if self.include_usage => Translated::done(vec![self.usage_chunk()]),
            "message_stop" => Translated::done(Vec::new()),
            "error" => {
                let error_type = event["error"]["type"].as_str().unwrap_or("api_error");
                let message = event["error"]["message"].as_str().unwrap_or("");
                return Err(self.target.error(
                    stream_error_kind(error_type),
                    format!("anthropic sent an error in the middle of the stream: {error_type}: {message}"),
                ));
            }
            _ => Translated::default(),
        })
    }
}
