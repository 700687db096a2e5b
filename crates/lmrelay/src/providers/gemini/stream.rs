//! Gemini SSE chunks (each a partial `GenerateContentResponse`) to OpenAI
//! chunks: text and thoughts as deltas, function calls as whole tool-call
//! deltas numbered in order, the finish reason, and usage at the end when
//! asked for. The stream ends when the body does.

use lmrelay_types::ChatCompletionChunk;
use serde_json::{Value, json};

use super::response::{finish_reason, now, split_parts, usage};
use crate::error::{ErrorKind, Result};
use crate::providers::Target;
use crate::providers::adapter::{StreamTranslator, Translated};
use crate::stream::SseEvent;

/// The state of one Gemini stream.
pub(super) struct GeminiStream {
    target: Target,
    id: Option<String>,
    created: u64,
    model: String,
    tools: u32,
    sent_role: bool,
    include_usage: bool,
}

impl GeminiStream {
    pub(super) fn new(target: &Target, model: &str, include_usage: bool) -> Self {
        Self {
            target: target.clone(),
            id: None,
            created: now(),
            model: model.to_owned(),
            tools: 0,
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
            "id": self.id.clone().unwrap_or_default(),
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        serde_json::from_value(value).unwrap_or_default()
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
        if self.id.is_none() {
            self.id = Some(value["responseId"].as_str().map_or_else(
                || format!("chatcmpl-{:032x}", rand::random::<u128>()),
                str::to_owned,
            ));
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
            let mut last = self.chunk(json!({}), None);
            last.choices.clear();
            last.usage = Some(usage(&value["usageMetadata"]));
            out.push(last);
        }
        Ok(Translated {
            chunks: out,
            done: false,
        })
    }
}
