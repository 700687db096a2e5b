//! Google AI Studio's Gemini API behind the OpenAI shape: pure translation of
//! requests (contents and parts, system instruction, function declarations
//! with the schema clean-up Gemini needs, generation config), responses,
//! SSE stream chunks and errors, as LiteLLM does it.
//!
//! API reference: <https://ai.google.dev/api/generate-content>.

mod errors;
mod request;
mod response;
mod schema;
mod stream;

pub use errors::map_error;
pub use request::chat_request;
pub use response::parse_chat;

use super::adapter::{Adapter, FrameFormat};

/// A translator for a Gemini stream (also Vertex AI's).
pub(crate) const ADAPTER_NEW_STREAM: fn(
    &super::Target,
    &str,
    bool,
) -> Box<dyn super::adapter::StreamTranslator> = |target, model, include_usage| {
    Box::new(stream::GeminiStream::new(target, model, include_usage))
};

/// The Gemini protocol's adapter.
pub(crate) static ADAPTER: Adapter = Adapter {
    chat_request,
    parse_chat,
    map_error,
    frames: FrameFormat::Sse,
    new_stream: ADAPTER_NEW_STREAM,
};
