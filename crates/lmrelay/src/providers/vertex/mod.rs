//! Vertex AI's Gemini models: the body, responses, streams and errors are
//! Gemini's (see [`super::gemini`]); the URL names the project and location
//! (`https://{location}-aiplatform.googleapis.com/v1/projects/{project}/
//! locations/{location}/publishers/google/models/{model}:generateContent`,
//! the `global` location without the prefix), and the credential is an OAuth
//! token the client gets from a service-account key (see [`crate::auth::google`]).
//!
//! API reference: <https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/inference>.

use lmrelay_types::ChatCompletionRequest;

use super::Target;
use super::adapter::{Adapter, FrameFormat};
use super::gemini;
use crate::error::Result;
use crate::request::CallOptions;
use crate::transport::WireRequest;

/// The host of a location.
pub fn host(location: &str) -> String {
    if location == "global" {
        "https://aiplatform.googleapis.com".to_owned()
    } else {
        format!("https://{location}-aiplatform.googleapis.com")
    }
}

/// The API base of a project's Google publisher models (`{host}/v1/...`);
/// `host` replaces the location's host when given (a proxy, a test server).
pub fn publisher_base(host_override: Option<&str>, project: &str, location: &str) -> String {
    let root = host_override.map_or_else(|| host(location), |h| h.trim_end_matches('/').to_owned());
    format!("{root}/v1/projects/{project}/locations/{location}/publishers/google")
}

/// Gemini's request at the Vertex URL, with the token as a bearer.
pub fn chat_request(
    target: &Target,
    body: &ChatCompletionRequest,
    options: &CallOptions,
    stream: bool,
) -> Result<WireRequest> {
    let mut wire = gemini::chat_request(target, body, options, stream)?;
    wire.headers.retain(|(name, _)| name != "x-goog-api-key");
    if let Some(token) = &target.api_key {
        wire.headers.push((
            "authorization".to_owned(),
            format!("Bearer {}", token.expose()),
        ));
    }
    Ok(wire)
}

/// The Vertex AI protocol's adapter.
pub(crate) static ADAPTER: Adapter = Adapter {
    chat_request,
    parse_chat: gemini::parse_chat,
    map_error: gemini::map_error,
    frames: FrameFormat::Sse,
    new_stream: gemini::ADAPTER_NEW_STREAM,
};
