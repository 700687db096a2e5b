//! Gemini SSE chunks (each a partial `GenerateContentResponse`) to OpenAI
//! chunks: text and thoughts as deltas, function calls as whole tool-call
//! deltas numbered in order, the finish reason, and usage at the end when
//! asked for. The stream ends when the body does.

use lmrelay_types::ChatCompletionChunk;
use serde_json::{Value, json};

use super::response::{finish_reason, split_parts, usage};
use crate::error::{ErrorKind, Result};
use crate::providers::Target;
use crate::providers::adapter::{ChunkMaker, StreamTranslator, Translated};
use crate::stream::SseEvent;

/// The state of one Gemini stream.
pub(super) struct GeminiStream {
    target: Target,
    chunks: ChunkMaker,
    saw_id: bool,
    tools: u32,
    include_usage: bool,
}

impl GeminiStream {
    pub(super) fn new(target: &Target, model: &str, include_usage: bool) -> Self {
        Self {
            target: target.clone(),
            chunks: ChunkMaker::new(model),
            saw_id: false,
            tools: 0,
            include_usage,
        }
    }

    fn chunk(&mut self, delta: Value, finish: Option<&str>) -> ChatCompletionChunk {
        self.chunks.chunk(delta, finish)
    }
}

impl StreamTranslator for GeminiStream {
    fn frame(&mut self, frame: &SseEvent) -> Result<Translated> {
        let data = frame.data.trim();
        if data.is_empty() {
            return Ok(Translated::default());
        }
        let value: Value = serde_json::from_str(data).map_err(|err| {
            self.target.error(
                ErrorKind::APIError,
                format!("gemini stream chunk is not JSON ({err})"),
            )
        })?;
        if let Some(error) = value.get("error") {
            let message = error["message"].as_str().unwrap_or("");
            let status = error["code"]
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .unwrap_or(500);
            let kind = crate::providers::openai_compat::classify(status, message);
            return Err(self.target.error(
                kind,
                format!("gemini sent an error in the middle of the stream: {message}"),
            ));
        }
        if !self.saw_id {
            self.saw_id = true;
            if let Some(id) = value["responseId"].as_str() {
                self.chunks.set_id(id);
            }
        }
        let mut out = Vec::new();
        let candidate = &value["candidates"][0];
        let (text, reasoning, calls) = split_parts(&candidate["content"]["parts"]);
        let mut delta = json!({});
        if !text.is_empty() {
            delta["content"] = json!(text);
        }
        if !reasoning.is_empty() {
            delta["reasoning_content"] = json!(reasoning);
        }
        if !calls.is_empty() {
            let numbered: Vec<Value> = calls
                .into_iter()
                .map(|mut call| {
                    call["index"] = json!(self.tools);
                    self.tools += 1;
                    call
                })
                .collect();
            delta["tool_calls"] = Value::Array(numbered);
        }
        if delta.as_object().is_some_and(|d| !d.is_empty()) {
            out.push(self.chunk(delta, None));
        }
        let blocked = value.pointer("/promptFeedback/blockReason").is_some();
        if let Some(reason) = candidate["finishReason"].as_str() {
            let finish = if self.tools > 0 {
                "tool_calls"
            } else {
                finish_reason(reason)
            };
            out.push(self.chunk(json!({}), Some(finish)));
        } else if blocked && candidate.is_null() {
            out.push(self.chunk(json!({}), Some("content_filter")));
        }
        let finished = out
            .iter()
            .any(|c| c.choices.iter().any(|ch| ch.finish_reason.is_some()));
        if finished && self.include_usage && value.get("usageMetadata").is_some() {
            out.push(self.chunks.usage_chunk(usage(&value["usageMetadata"])));
        }
        Ok(Translated {
            chunks: out,
            done: false,
        })
    }
}
