//! AWS Bedrock's Converse and ConverseStream APIs behind the OpenAI shape:
//! pure translation of requests (messages and content blocks, system,
//! inference config, tool config, JSON schema as a forced tool), SigV4
//! signing with credentials from the call, the environment or the shared
//! files (or a Bedrock API key as a bearer token), responses, the binary
//! event stream and errors.
//!
//! API reference: <https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html>.

mod credentials;
mod errors;
pub mod eventstream;
mod request;
mod response;
pub mod sigv4;
mod stream;

pub use errors::map_error;
pub use request::chat_request;
pub use response::parse_chat;

use super::adapter::{Adapter, FrameFormat};

/// The forced tool that carries a JSON-schema `response_format`.
pub const JSON_TOOL_NAME: &str = "json_tool_call";

/// The Bedrock protocol's adapter.
pub(crate) static ADAPTER: Adapter = Adapter {
    chat_request,
    parse_chat,
    map_error,
    frames: FrameFormat::AwsEventStream,
    new_stream: |target, model, include_usage| {
        Box::new(stream::BedrockStream::new(target, model, include_usage))
    },
};
