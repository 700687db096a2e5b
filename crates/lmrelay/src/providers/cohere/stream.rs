//! Cohere v2 stream events (`content-delta`, `tool-call-start`,
//! `tool-call-delta`, `message-end`, ...) to OpenAI chunks.

use lmrelay_types::ChatCompletionChunk;
use serde_json::{Value, json};

use super::response::{finish_reason, usage};
use crate::error::{ErrorKind, Result};
use crate::providers::Target;
use crate::providers::adapter::{ChunkMaker, StreamTranslator, Translated};
use crate::stream::SseEvent;

/// The state of one Cohere stream.
pub(super) struct CohereStream {
    target: Target,
    chunks: ChunkMaker,
    include_usage: bool,
}

impl CohereStream {
    pub(super) fn new(target: &Target, model: &str, include_usage: bool) -> Self {
        Self {
            target: target.clone(),
            chunks: ChunkMaker::new(model),
            include_usage,
        }
    }

    fn chunk(&mut self, delta: Value, finish: Option<&str>) -> ChatCompletionChunk {
        self.chunks.chunk(delta, finish)
    }
}

impl StreamTranslator for CohereStream {
    fn frame(&mut self, frame: &SseEvent) -> Result<Translated> {
        let event: Value = serde_json::from_str(&frame.data).map_err(|err| {
            self.target.error(
                ErrorKind::APIError,
                format!("cohere stream event is not JSON ({err})"),
            )
        })?;
        let index = event["index"].as_u64().unwrap_or(0);
        let message = &event["delta"]["message"];
        Ok(match event["type"].as_str().unwrap_or("") {
            "content-delta" => {
                let text = message["content"]["text"].clone();
                Translated::chunk(self.chunk(json!({"content": text}), None))
            }
            "tool-call-start" => {
                let call = &message["tool_calls"];
                let delta = json!({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                    "function": {"name": call["function"]["name"],
                        "arguments": call["function"]["arguments"].as_str().unwrap_or("")}}]});
                Translated::chunk(self.chunk(delta, None))
            }
            "tool-call-delta" => {
                let arguments = message["tool_calls"]["function"]["arguments"].clone();
                let delta =
                    json!({"tool_calls": [{"index": index, "function": {"arguments": arguments}}]});
                Translated::chunk(self.chunk(delta, None))
            }
            "message-end" => {
                let reason = event["delta"]["finish_reason"]
                    .as_str()
                    .unwrap_or("COMPLETE");
                let mut chunks = vec![self.chunk(json!({}), Some(finish_reason(reason)))];
                if self.include_usage {
                    chunks.push(self.chunks.usage_chunk(usage(&event["delta"]["usage"])));
                }
                Translated::done(chunks)
            }
            _ => Translated::default(),
        })
    }
}
