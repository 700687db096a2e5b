//! Which OpenAI parameters each provider takes (LiteLLM's
//! `get_supported_openai_params`): the ones lmrelay translates for it. Others
//! are an `UnsupportedParams` error, or dropped with `drop_params(true)`;
//! provider-specific parameters (`top_k`, `keep_alive`, ...) pass through.

use super::{Protocol, find};
use crate::error::{ErrorKind, Result};

/// OpenAI's own chat parameters.
const OPENAI: &[&str] = &[
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "max_tokens",
    "max_completion_tokens",
    "n",
    "presence_penalty",
    "seed",
    "stop",
    "stream",
    "stream_options",
    "temperature",
    "top_p",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "reasoning_effort",
    "user",
    "extra_headers",
];

const ANTHROPIC: &[&str] = &[
    "stream",
    "stream_options",
    "stop",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "user",
    "reasoning_effort",
    "thinking",
    "extra_headers",
];

const GEMINI: &[&str] = &[
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stream",
    "stream_options",
    "tools",
    "tool_choice",
    "response_format",
    "n",
    "stop",
    "logprobs",
    "frequency_penalty",
    "presence_penalty",
    "reasoning_effort",
    "extra_headers",
];

const OLLAMA: &[&str] = &[
    "max_tokens",
    "max_completion_tokens",
    "stream",
    "stream_options",
    "top_p",
    "temperature",
    "seed",
    "frequency_penalty",
    "stop",
    "tools",
    "tool_choice",
    "response_format",
    "reasoning_effort",
    "extra_headers",
];

const COHERE: &[&str] = &[
    "stream",
    "stream_options",
    "temperature",
    "max_tokens",
    "top_p",
    "frequency_penalty",
    "presence_penalty",
    "stop",
    "n",
    "tools",
    "seed",
    "response_format",
    "extra_headers",
];

const BEDROCK: &[&str] = &[
    "max_tokens",
    "max_completion_tokens",
    "stream",
    "stream_options",
    "stop",
    "temperature",
    "top_p",
    "response_format",
    "tools",
    "tool_choice",
    "extra_headers",
];

/// The OpenAI parameters lmrelay sends on to `model` at `provider` (the
/// provider may also be the model string's prefix).
pub fn supported_openai_params(model: &str, provider: Option<&str>) -> Result<Vec<&'static str>> {
    let prefix = match provider {
        Some(provider) => provider.to_owned(),
        None => crate::models::split_provider(model, None)
            .0
            .unwrap_or_else(|| "openai".to_owned()),
    };
    let spec = find(&prefix)?.ok_or_else(|| {
        crate::Error::new(
            ErrorKind::BadRequest,
            format!(
                "unknown provider '{prefix}': pass a provider lmrelay knows (see providers.json)"
            ),
        )
    })?;
    Ok(match spec.protocol {
        Protocol::Anthropic => ANTHROPIC.to_vec(),
        Protocol::Gemini | Protocol::VertexAi => GEMINI.to_vec(),
        Protocol::Ollama => OLLAMA.to_vec(),
        Protocol::Azure => OPENAI.to_vec(),
        Protocol::Cohere => COHERE.to_vec(),
        Protocol::Bedrock => BEDROCK.to_vec(),
        Protocol::Openai => match &spec.supported_params {
            Some(list) => OPENAI
                .iter()
                .copied()
                .filter(|p| *p == "extra_headers" || list.iter().any(|s| s == p))
                .collect(),
            None => OPENAI.to_vec(),
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn answers_per_provider() {
        let anthropic = supported_openai_params("anthropic/claude-sonnet-4-5", None).unwrap();
        assert!(anthropic.contains(&"tools") && !anthropic.contains(&"n"));
        let gemini = supported_openai_params("gemini-2.5-flash", Some("gemini")).unwrap();
        assert!(gemini.contains(&"n") && !gemini.contains(&"seed"));
        assert!(
            supported_openai_params("openai/gpt-4o", None)
                .unwrap()
                .contains(&"seed")
        );
        assert!(supported_openai_params("nope/x", Some("nope")).is_err());
        let bare = supported_openai_params("claude-sonnet-4-5", None).unwrap();
        assert_eq!(bare, ANTHROPIC.to_vec());
    }
}
