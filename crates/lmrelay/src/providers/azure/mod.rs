//! Azure OpenAI deployments: OpenAI's wire format at
//! `{api_base}/openai/deployments/{deployment}/chat/completions?api-version=V`
//! with an `api-key` header (or an Entra ID bearer token given as an
//! `authorization` header), and Azure's content-filter errors as
//! ContentPolicyViolation. Bodies and streams are OpenAI's.
//!
//! API reference: <https://learn.microsoft.com/en-us/azure/ai-services/openai/reference>.

mod errors;
mod request;

pub use errors::map_error;
pub use request::{DEFAULT_API_VERSION, chat_request};

use super::adapter::{Adapter, FrameFormat};
use super::openai_compat;

/// The Azure protocol's adapter.
pub(crate) static ADAPTER: Adapter = Adapter {
    chat_request,
    parse_chat: |target, body| openai_compat::parse_json(target, body),
    map_error,
    frames: FrameFormat::Sse,
    new_stream: openai_compat::ADAPTER_NEW_STREAM,
};
