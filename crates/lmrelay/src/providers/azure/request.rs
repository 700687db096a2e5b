//! OpenAI chat request to an Azure OpenAI deployment.

use lmrelay_types::ChatCompletionRequest;

use crate::error::{ErrorKind, Result};
use crate::providers::{Target, openai_compat};
use crate::request::CallOptions;
use crate::transport::WireRequest;

/// The `api-version` sent when neither the call nor `AZURE_API_VERSION` gives
/// one (LiteLLM 1.82.6's default).
pub const DEFAULT_API_VERSION: &str = "2025-02-01-preview";

/// The API version: the call's, else `AZURE_API_VERSION`, else the default.
fn api_version(options: &CallOptions) -> String {
    options
        .api_version
        .clone()
        .or_else(|| {
            std::env::var("AZURE_API_VERSION")
                .ok()
                .filter(|v| !v.is_empty())
        })
        .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned())
}

/// Builds the deployment's chat request.
pub fn chat_request(
    target: &Target,
    body: &ChatCompletionRequest,
    options: &CallOptions,
    stream: bool,
) -> Result<WireRequest> {
    let Some(base) = target.api_base.as_deref() else {
        return Err(target.error(
            ErrorKind::BadRequest,
            "azure needs the resource's endpoint: pass api_base (https://NAME.openai.azure.com) \
             or set AZURE_API_BASE",
        ));
    };
    let mut wire = openai_compat::chat_request_unchecked(target, body, options, stream)?;
    let root = base.trim_end_matches('/');
    let root = root.split("/openai/deployments/").next().unwrap_or(root);
    wire.url = format!(
        "{root}/openai/deployments/{}/chat/completions?api-version={}",
        target.model,
        api_version(options)
    );
    let caller_authorizes = options
        .extra_headers
        .iter()
        .any(|(name, _)| name == "authorization");
    wire.headers.retain(|(name, _)| name != "authorization");
    if caller_authorizes {
        wire.headers.extend(
            options
                .extra_headers
                .iter()
                .filter(|(name, _)| name == "authorization")
                .cloned(),
        );
    } else if let Some(key) = &target.api_key {
        wire.headers
            .push(("api-key".to_owned(), key.expose().to_owned()));
    }
    Ok(wire)
}
