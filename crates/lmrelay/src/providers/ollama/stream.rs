//! Ollama NDJSON stream lines to OpenAI chunks: content and thinking as
//! deltas, tool calls whole, and on the `done` line the finish reason and,
//! when asked for, the usage.

use lmrelay_types::ChatCompletionChunk;
use serde_json::{Value, json};

use super::response::{finish_reason, tool_calls, usage};
use crate::error::{ErrorKind, Result};
use crate::providers::Target;
use crate::providers::adapter::{ChunkMaker, StreamTranslator, Translated};
use crate::stream::SseEvent;

/// The state of one Ollama stream.
pub(super) struct OllamaStream {
    target: Target,
    chunks: ChunkMaker,
    tools: u32,
    include_usage: bool,
}

impl OllamaStream {
    pub(super) fn new(target: &Target, model: &str, include_usage: bool) -> Self {
        Self {
            target: target.clone(),
            chunks: ChunkMaker::new(model),
            tools: 0,
            include_usage,
        }
    }

    fn chunk(&mut self, delta: Value, finish: Option<&str>) -> ChatCompletionChunk {
        self.chunks.chunk(delta, finish)
    }
}

impl StreamTranslator for OllamaStream {
    fn frame(&mut self, frame: &SseEvent) -> Result<Translated> {
        let line: Value = serde_json::from_str(&frame.data).map_err(|err| {
            self.target.error(
                ErrorKind::APIError,
                format!("ollama stream line is not JSON ({err})"),
            )
        })?;
        if let Some(error) = line.get("error").and_then(Value::as_str) {
            let kind = crate::providers::openai_compat::classify(500, error);
            return Err(self.target.error(
                kind,
                format!("ollama sent an error in the middle of the stream: {error}"),
            ));
        }
        let message = &line["message"];
        let mut delta = json!({});
        if let Some(text) = message["content"].as_str().filter(|t| !t.is_empty()) {
            delta["content"] = json!(text);
        }
        if let Some(thinking) = message["thinking"].as_str().filter(|t| !t.is_empty()) {
            delta["reasoning_content"] = json!(thinking);
        }
        let calls = tool_calls(&message["tool_calls"], self.tools);
        if !calls.is_empty() {
            self.tools += u32::try_from(calls.len()).unwrap_or(0);
            delta["tool_calls"] = Value::Array(calls);
        }
        let mut chunks = Vec::new();
        if delta.as_object().is_some_and(|d| !d.is_empty()) {
            chunks.push(self.chunk(delta, None));
        }
        if line["done"] == true {
            let finish = finish_reason(&line, self.tools > 0);
            chunks.push(self.chunk(json!({}), Some(finish)));
            if self.include_usage {
                chunks.push(self.chunks.usage_chunk(usage(&line)));
            }
            return Ok(Translated::done(chunks));
        }
        Ok(Translated {
            chunks,
            done: false,
        })
    }
}
