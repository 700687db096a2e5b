use serde::Serialize;

use crate::JsonObject;

/// Token usage reported by the provider (`usage` in OpenAI responses).
///
/// `Deserialize` is written by hand in `flat_de.rs` (no `flatten` buffering).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Usage {
    /// Tokens in the prompt.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Tokens in the generated completion.
    #[serde(default)]
    pub completion_tokens: u64,
    /// Sum of prompt and completion tokens.
    #[serde(default)]
    pub total_tokens: u64,
    /// Breakdown of prompt tokens (for example `cached_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    /// Breakdown of completion tokens (for example `reasoning_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
    /// Fields this type does not model, kept as received.
    #[serde(flatten)]
    pub extra: JsonObject,
}

impl Usage {
    /// Usage with the given prompt and completion counts and their sum as total.
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Self {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
            ..Self::default()
        }
    }
}

/// Details of prompt token usage.
///
/// `Deserialize` is written by hand in `flat_de.rs` (no `flatten` buffering).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PromptTokensDetails {
    /// Prompt tokens served from the provider's prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    /// Audio tokens in the prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u64>,
    /// Fields this type does not model, kept as received.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// Details of completion token usage.
///
/// `Deserialize` is written by hand in `flat_de.rs` (no `flatten` buffering).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CompletionTokensDetails {
    /// Tokens spent on reasoning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    /// Audio tokens in the completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u64>,
    /// Fields this type does not model, kept as received.
    #[serde(flatten)]
    pub extra: JsonObject,
}
