//! The adapter of a wire protocol: pure functions from an OpenAI-shaped chat
//! request to the provider's HTTP request, and from the provider's body,
//! stream frames and errors back to OpenAI shapes. The client does the I/O.

use lmrelay_types::{ChatCompletionChunk, ChatCompletionRequest, ChatCompletionResponse};
use reqwest::header::HeaderMap;

use super::{Protocol, Target};
use crate::error::{Error, Result};
use crate::request::CallOptions;
use crate::stream::SseEvent;
use crate::transport::WireRequest;

/// How a provider frames a streamed body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameFormat {
    /// Server-sent events.
    Sse,
    /// One JSON object per line (Ollama).
    Ndjson,
    /// One JSON event per line, with or without SSE framing (`data:`
    /// prefixes are removed, `event:`/`id:`/comment lines skipped): Cohere.
    Lines,
    /// AWS's binary event stream (Bedrock).
    AwsEventStream,
}

/// What one stream frame meant.
#[derive(Debug, Default)]
pub struct Translated {
    /// Chunks to deliver, in order.
    pub chunks: Vec<ChatCompletionChunk>,
    /// The provider said the stream is complete.
    pub done: bool,
}

impl Translated {
    /// One chunk.
    pub fn chunk(chunk: ChatCompletionChunk) -> Self {
        Self {
            chunks: vec![chunk],
            done: false,
        }
    }

    /// The end of the stream, with a last chunk or none.
    pub fn done(chunks: Vec<ChatCompletionChunk>) -> Self {
        Self { chunks, done: true }
    }
}

/// Turns a provider's stream frames into OpenAI chunks, keeping whatever
/// state the protocol needs (ids, tool-call indexes, usage seen so far).
pub trait StreamTranslator: Send {
    /// One frame (for NDJSON, `data` is the line).
    fn frame(&mut self, frame: &SseEvent) -> Result<Translated>;
}

/// Refuses (or, with `drop_params`, removes) the OpenAI parameters in
/// `unsupported` that the request sets, naming them and the fix.
pub fn check_unsupported(
    target: &Target,
    request: &mut lmrelay_types::JsonObject,
    unsupported: &[&str],
    drop: bool,
) -> Result<()> {
    let found: Vec<&str> = unsupported
        .iter()
        .copied()
        .filter(|key| request.get(*key).is_some_and(|v| !v.is_null()))
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    if drop {
        for key in found {
            request.remove(key);
        }
        return Ok(());
    }
    Err(target.error(
        crate::error::ErrorKind::UnsupportedParams,
        format!(
            "{} does not support parameters: {}. Remove them, or set drop_params=true to drop \
             them silently",
            target.provider.prefix,
            found.join(", ")
        ),
    ))
}

/// Builds the chunks of one stream: one id, creation time and model, and
/// the assistant role on the first delta only.
#[derive(Debug)]
pub struct ChunkMaker {
    id: String,
    created: u64,
    /// The model named in every chunk (a provider may correct it).
    pub model: String,
    sent_role: bool,
}

impl ChunkMaker {
    /// A maker with a fresh `chatcmpl-` id.
    pub fn new(model: &str) -> Self {
        Self {
            id: format!("chatcmpl-{:032x}", rand::random::<u128>()),
            created: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            model: model.to_owned(),
            sent_role: false,
        }
    }

    /// Uses the provider's id instead of the generated one.
    pub fn set_id(&mut self, id: &str) {
        id.clone_into(&mut self.id);
    }

    /// A chunk of choice 0 with `delta` and, at the end, a finish reason.
    pub fn chunk(
        &mut self,
        mut delta: serde_json::Value,
        finish: Option<&str>,
    ) -> ChatCompletionChunk {
        if !self.sent_role {
            delta["role"] = serde_json::json!("assistant");
            self.sent_role = true;
        }
        let value = serde_json::json!({
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        serde_json::from_value(value).unwrap_or_default()
    }

    /// The final usage chunk (no choices).
    pub fn usage_chunk(&mut self, usage: lmrelay_types::Usage) -> ChatCompletionChunk {
        let mut chunk = self.chunk(serde_json::json!({}), None);
        chunk.choices.clear();
        chunk.usage = Some(usage);
        chunk
    }
}

/// A chat completion from translated parts: a fresh id unless `id` is
/// given, the current time, the choices as JSON, and the usage.
pub fn completion(
    target: &Target,
    id: Option<&str>,
    model: &str,
    choices: serde_json::Value,
    usage: lmrelay_types::Usage,
) -> Result<ChatCompletionResponse> {
    let value = serde_json::json!({
        "id": id.map_or_else(|| format!("chatcmpl-{:032x}", rand::random::<u128>()), str::to_owned),
        "object": "chat.completion",
        "created": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        "model": model,
        "choices": choices,
    });
    let mut response: ChatCompletionResponse = serde_json::from_value(value).map_err(|err| {
        target.error(
            crate::error::ErrorKind::APIError,
            format!("cannot build the response: {err}"),
        )
    })?;
    response.usage = Some(usage);
    Ok(response)
}

/// Maps a failure status and body to an error.
pub type MapErrorFn = fn(&Target, u16, &HeaderMap, &str) -> Error;

/// The functions of one protocol.
pub struct Adapter {
    /// The HTTP request of a chat call (`stream` selects the streaming form).
    pub chat_request:
        fn(&Target, &ChatCompletionRequest, &CallOptions, bool) -> Result<WireRequest>,
    /// A whole (non-streamed) response body.
    pub parse_chat: fn(&Target, &[u8]) -> Result<ChatCompletionResponse>,
    /// A failure status.
    pub map_error: MapErrorFn,
    /// How the stream is framed.
    pub frames: FrameFormat,
    /// A translator for one stream (the model asked for, and whether the
    /// caller asked for a usage chunk).
    pub new_stream: fn(&Target, &str, bool) -> Box<dyn StreamTranslator>,
}

impl std::fmt::Debug for Adapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Adapter")
            .field("frames", &self.frames)
            .finish()
    }
}

/// The adapter of a protocol, if lmrelay translates it.
pub fn adapter_for(protocol: Protocol) -> Option<&'static Adapter> {
    match protocol {
        Protocol::Openai => Some(&super::openai_compat::ADAPTER),
        Protocol::Anthropic => Some(&super::anthropic::ADAPTER),
        Protocol::Gemini => Some(&super::gemini::ADAPTER),
        Protocol::Ollama => Some(&super::ollama::ADAPTER),
        Protocol::Azure => Some(&super::azure::ADAPTER),
        Protocol::Cohere => Some(&super::cohere::ADAPTER),
        Protocol::Bedrock => Some(&super::bedrock::ADAPTER),
        Protocol::VertexAi => Some(&super::vertex::ADAPTER),
    }
}
