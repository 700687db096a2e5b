//! Anthropic's Messages API behind the OpenAI shape: pure translation of
//! requests, responses, stream events and errors, as LiteLLM does it.
//!
//! API reference: <https://docs.anthropic.com/en/api/messages>.

mod errors;
mod request;
mod response;
mod schema;
mod stream;

pub use errors::map_error;
pub use request::chat_request;
pub use response::parse_chat;

use super::adapter::{Adapter, FrameFormat};

/// The `anthropic-version` header LiteLLM sends.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The forced tool that carries a JSON-schema `response_format`.
pub const JSON_TOOL_NAME: &str = "json_tool_call";

/// The Anthropic protocol's adapter.
pub(crate) static ADAPTER: Adapter = Adapter {
    chat_request,
    parse_chat,
    map_error,
    frames: FrameFormat::Sse,
    new_stream: |target, model, include_usage| {
        Box::new(stream::AnthropicStream::new(target, model, include_usage))
    },
};
