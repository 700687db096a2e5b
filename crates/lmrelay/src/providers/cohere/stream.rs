//! Cohere v2 stream events (`content-delta`, `tool-call-start`,
//! `tool-call-delta`, `message-end`, ...) to OpenAI chunks.

use lmrelay_types::ChatCompletionChunk;
use serde_json::{Value, json};

use super::response::{finish_reason, now, usage};
use crate::error::{ErrorKind, Result};
use crate::providers::Target;
use crate::providers::adapter::{StreamTranslator, Translated};
use crate::stream::SseEvent;

/// The state of one Cohere stream.
pub(super) struct CohereStream {
    target: Target,
    id: String,
    created: u64,
    model: String,
    sent_role: bool,
    include_usage: bool,
}

impl CohereStream {
    pub(super) fn new(target: &Target, model: &str, include_usage: bool) -> Self {
        Self {
            target: target.clone(),
            id: format!("chatcmpl-{:032x}", rand::random::<u128>()),
            created: now(),
            model: model.to_owned(),
            sent_role: false,
            include_usage,
        }
    }

    fn chunk(&mut self, mut delta: Value, finish: Option<&str>) -> ChatCompletionChunk {
        if !self.sent_role {
            delta["role"] = json!("assistant");
            self.sent_role = true;
        }
        let value = json!({
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        serde_json::from_value(value).unwrap_or_default()
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
                    let mut last = self.chunk(json!({}), None);
                    last.choices.clear();
                    last.usage = Some(usage(&event["delta"]["usage"]));
                    chunks.push(last);
                }
                Translated::done(chunks)
            }
            _ => Translated::default(),
        })
    }
}
