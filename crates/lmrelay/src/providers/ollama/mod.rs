//! Ollama's native chat API (`POST /api/chat`, NDJSON streaming) behind the
//! OpenAI shape, as LiteLLM's `ollama_chat/` route translates it.
//!
//! API reference: <https://github.com/ollama/ollama/blob/main/docs/api.md>.

mod errors;
mod request;
mod response;
mod stream;

pub use errors::map_error;
pub use request::chat_request;
pub use response::parse_chat;

use super::adapter::{Adapter, FrameFormat};

/// The Ollama protocol's adapter.
pub(crate) static ADAPTER: Adapter = Adapter {
    chat_request,
    parse_chat,
    map_error,
    frames: FrameFormat::Ndjson,
    new_stream: |target, model, include_usage| {
        Box::new(stream::OllamaStream::new(target, model, include_usage))
    },
};
