//! Cohere's v2 chat API (`POST /v2/chat`) behind the OpenAI shape. The
//! request is OpenAI's format with Cohere's names for a few parameters; the
//! response, the stream events (SSE or one JSON event per line) and the
//! errors are translated back.
//!
//! API reference: <https://docs.cohere.com/reference/chat>.

mod errors;
mod request;
mod response;
mod stream;

pub use errors::map_error;
pub use request::chat_request;
pub use response::parse_chat;

use super::adapter::{Adapter, FrameFormat};

/// The Cohere protocol's adapter.
pub(crate) static ADAPTER: Adapter = Adapter {
    chat_request,
    parse_chat,
    map_error,
    frames: FrameFormat::Lines,
    new_stream: |target, model, include_usage| {
        Box::new(stream::CohereStream::new(target, model, include_usage))
    },
};
