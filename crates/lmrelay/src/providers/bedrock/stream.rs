//! ConverseStream events to OpenAI chunks: text and tool-input deltas,
//! tool calls numbered in order, the stop reason, and usage from
//! `metadata` when asked for; an exception frame ends the stream with its
//! error.

use lmrelay_types::ChatCompletionChunk;
use serde_json::{Value, json};

use super::JSON_TOOL_NAME;
use super::response::{finish_reason, usage};
use crate::error::{ErrorKind, Result};
use crate::providers::Target;
use crate::providers::adapter::{ChunkMaker, StreamTranslator, Translated};
use crate::stream::SseEvent;

/// The state of one Bedrock stream.
pub(super) struct BedrockStream {
    target: Target,
    chunks: ChunkMaker,
    tools: u32,
    /// Block index to (tool number, saw input, input non-empty); `None` for
    /// the JSON-mode tool, whose input is the reply text.
    blocks: std::collections::HashMap<u64, Option<(u32, bool, bool)>>,
    include_usage: bool,
    finished: bool,
}

impl BedrockStream {
    pub(super) fn new(target: &Target, model: &str, include_usage: bool) -> Self {
        Self {
            target: target.clone(),
            chunks: ChunkMaker::new(model),
            tools: 0,
            blocks: std::collections::HashMap::new(),
            include_usage,
            finished: false,
        }
    }

    fn chunk(&mut self, delta: Value, finish: Option<&str>) -> ChatCompletionChunk {
        self.chunks.chunk(delta, finish)
    }
}

fn exception_kind(kind: &str) -> ErrorKind {
    match kind.to_lowercase().as_str() {
        "throttlingexception" => ErrorKind::RateLimit,
        "validationexception" => ErrorKind::BadRequest,
        "accessdeniedexception" => ErrorKind::PermissionDenied,
        "modeltimeoutexception" => ErrorKind::Timeout,
        "serviceunavailableexception" => ErrorKind::ServiceUnavailable,
        _ => ErrorKind::InternalServer,
    }
}

impl StreamTranslator for BedrockStream {
    fn frame(&mut self, frame: &SseEvent) -> Result<Translated> {
        let event: Value = serde_json::from_str(&frame.data).unwrap_or(Value::Null);
        if let Some(kind) = frame
            .event
            .as_deref()
            .and_then(|e| e.strip_prefix("exception:"))
        {
            let message = event["message"].as_str().unwrap_or(&frame.data);
            return Err(self.target.error(
                exception_kind(kind),
                format!("bedrock sent {kind} in the middle of the stream: {message}"),
            ));
        }
        let index = event["contentBlockIndex"].as_u64().unwrap_or(0);
        if let Some(tool) = event.pointer("/start/toolUse") {
            if tool["name"] == JSON_TOOL_NAME {
                self.blocks.insert(index, None);
                return Ok(Translated::default());
            }
            let number = self.tools;
            self.tools += 1;
            self.blocks.insert(index, Some((number, false, false)));
            let delta = json!({"tool_calls": [{"index": number, "id": tool["toolUseId"], "type": "function",
                "function": {"name": tool["name"], "arguments": ""}}]});
            return Ok(Translated::chunk(self.chunk(delta, None)));
        }
        if let Some(delta) = event.get("delta") {
            if let Some(text) = delta["text"].as_str() {
                return Ok(Translated::chunk(
                    self.chunk(json!({"content": text}), None),
                ));
            }
            if let Some(input) = delta.pointer("/toolUse/input").and_then(Value::as_str) {
                let out = match self.blocks.get_mut(&index) {
                    Some(None) => json!({"content": input}),
                    Some(Some((number, seen, filled))) => {
                        *seen = true;
                        *filled |= !input.is_empty();
                        json!({"tool_calls": [{"index": *number, "type": "function",
                            "function": {"arguments": input}}]})
                    }
                    None => return Ok(Translated::default()),
                };
                return Ok(Translated::chunk(self.chunk(out, None)));
            }
            if let Some(text) = delta
                .pointer("/reasoningContent/text")
                .and_then(Value::as_str)
            {
                return Ok(Translated::chunk(
                    self.chunk(json!({"reasoning_content": text}), None),
                ));
            }
            return Ok(Translated::default());
        }
        if frame.event.as_deref() == Some("contentBlockStop")
            && let Some(Some((number, true, false))) = self.blocks.get(&index).copied()
        {
            let delta = json!({"tool_calls": [{"index": number, "type": "function", "function": {"arguments": "{}"}}]});
            return Ok(Translated::chunk(self.chunk(delta, None)));
        }
        if let Some(reason) = event["stopReason"].as_str() {
            self.finished = true;
            return Ok(Translated::chunk(
                self.chunk(json!({}), Some(finish_reason(reason))),
            ));
        }
        if let Some(raw) = event.get("usage") {
            let mut chunks = Vec::new();
            if self.include_usage {
                chunks.push(self.chunks.usage_chunk(usage(raw)));
            }
            return Ok(Translated::done(chunks));
        }
        Ok(Translated::default())
    }
}
