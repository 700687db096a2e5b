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
pub use request::{DEFAULT_API_VERSION, chat_request, embedding_request, text_request};

use lmrelay_types::ChatCompletionResponse;

use super::Target;
use super::adapter::{Adapter, FrameFormat};
use super::openai_compat;
use crate::error::Result;

/// The forced tool that carries a JSON schema on old API versions.
pub const JSON_TOOL_NAME: &str = "json_tool_call";

/// An Azure body: OpenAI's, with LiteLLM's two fixes: a message with tool
/// calls finishes with `tool_calls`, and the `json_tool_call` tool's
/// arguments are the reply's content.
pub fn parse_chat(target: &Target, body: &[u8]) -> Result<ChatCompletionResponse> {
    let mut response: ChatCompletionResponse = openai_compat::parse_json(target, body)?;
    for choice in &mut response.choices {
        let calls = choice.message.tool_calls.take().unwrap_or_default();
        if let [only] = calls.as_slice()
            && only.function.name == JSON_TOOL_NAME
        {
            choice.message.content = Some(only.function.arguments.clone().into());
            continue;
        }
        if !calls.is_empty() && choice.finish_reason.as_deref() == Some("stop") {
            choice.finish_reason = Some("tool_calls".to_owned());
        }
        choice.message.tool_calls = (!calls.is_empty()).then_some(calls);
    }
    Ok(response)
}

/// The Azure protocol's adapter.
pub(crate) static ADAPTER: Adapter = Adapter {
    chat_request,
    parse_chat,
    map_error,
    frames: FrameFormat::Sse,
    new_stream: openai_compat::ADAPTER_NEW_STREAM,
};
