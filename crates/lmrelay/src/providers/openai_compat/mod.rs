//! OpenAI-compatible providers: pure translation between lmrelay's requests
//! and the OpenAI wire format. No I/O here; [`crate::transport`] sends what
//! these functions build.
//!
//! API reference: <https://platform.openai.com/docs/api-reference/chat>.

mod chat_body;
mod errors;
mod request;
mod response;

pub use errors::{classify, map_error};
pub use request::{
    chat_request, chat_request_unchecked, embedding_request, text_request, to_object,
};
pub(crate) use response::mentions_error;
pub use response::{StreamItem, json_body_as_chunks, parse_chunk, parse_json, response_as_chunks};

use lmrelay_types::ChatCompletionResponse;

use super::Target;
use super::adapter::{Adapter, FrameFormat, StreamTranslator, Translated};
use crate::error::Result;
use crate::stream::SseEvent;

/// A translator for an OpenAI stream (also Azure's).
pub(crate) const ADAPTER_NEW_STREAM: fn(&Target, &str, bool) -> Box<dyn StreamTranslator> =
    |target, _model, _include_usage| {
        Box::new(OpenAiStream {
            target: target.clone(),
        })
    };

/// The OpenAI protocol's adapter.
pub(crate) static ADAPTER: Adapter = Adapter {
    chat_request,
    parse_chat,
    map_error,
    frames: FrameFormat::Sse,
    new_stream: ADAPTER_NEW_STREAM,
};

fn parse_chat(target: &Target, body: &[u8]) -> Result<ChatCompletionResponse> {
    parse_json(target, body)
}

struct OpenAiStream {
    target: Target,
}

impl StreamTranslator for OpenAiStream {
    fn frame(&mut self, frame: &SseEvent) -> Result<Translated> {
        Ok(match parse_chunk(&self.target, frame)? {
            StreamItem::Chunk(chunk) => Translated::chunk(*chunk),
            StreamItem::Done => Translated::done(Vec::new()),
            StreamItem::Skip => Translated::default(),
        })
    }
}
