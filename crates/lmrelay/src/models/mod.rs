//! What lmrelay knows about models: context windows, modes, capabilities and
//! prices, from LiteLLM's table (embedded) and the user's own entries.
//!
//! Lookup follows LiteLLM's `get_model_info`: the provider is split off the
//! model string (or inferred from the table for a bare name), then the keys
//! `provider/model`, `model`, the provider plus the model without its version
//! or region decorations, that stripped model, and the bare model are tried in
//! that order, case-insensitively, each only if its provider matches.
//!
//! One deliberate difference: a model of a local provider (llamafile,
//! llama.cpp, Ollama, LM Studio, vLLM...) that the table does not know is not
//! an error. It gets unknown (`None`) limits and capabilities, costs zero, and
//! every `supports_*` question answers "allowed".

mod lookup;
pub mod table;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
pub use lookup::{find_entry, split_provider};
pub use table::{ModelEntry, register_models};

/// Providers that run on the user's own machine: zero cost unless the user
/// registers a price, and unknown models are allowed.
pub const LOCAL_PROVIDERS: &[&str] = &[
    "llamafile",
    "llamacpp",
    "ollama",
    "ollama_chat",
    "lm_studio",
    "hosted_vllm",
    "vllm",
    "docker_model_runner",
    "lemonade",
    "xinference",
];

/// Whether `provider` runs locally (see [`LOCAL_PROVIDERS`]).
pub fn is_local_provider(provider: &str) -> bool {
    LOCAL_PROVIDERS.contains(&provider)
}

/// A capability a model may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Tool (function) calls.
    FunctionCalling,
    /// `tool_choice`.
    ToolChoice,
    /// Image inputs.
    Vision,
    /// `response_format` with a JSON schema.
    ResponseSchema,
    /// Reasoning tokens / effort.
    Reasoning,
    /// Provider-side prompt caching.
    PromptCaching,
    /// System messages.
    SystemMessages,
    /// Several tool calls in one turn.
    ParallelFunctionCalling,
    /// PDF inputs.
    PdfInput,
}

impl Capability {
    /// The table's field name (`supports_vision`, ...).
    pub fn field(self) -> &'static str {
        match self {
            Self::FunctionCalling => "supports_function_calling",
            Self::ToolChoice => "supports_tool_choice",
            Self::Vision => "supports_vision",
            Self::ResponseSchema => "supports_response_schema",
            Self::Reasoning => "supports_reasoning",
            Self::PromptCaching => "supports_prompt_caching",
            Self::SystemMessages => "supports_system_messages",
            Self::ParallelFunctionCalling => "supports_parallel_function_calling",
            Self::PdfInput => "supports_pdf_input",
        }
    }
}

/// What is known about one model (LiteLLM's `get_model_info`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    /// The table key that matched, or the model itself for an unknown local model.
    pub key: String,
    /// The provider (`openai`, `anthropic`, `vertex_ai-language-models`, ...).
    pub litellm_provider: String,
    /// `chat`, `embedding`, `completion`, ... when known.
    pub mode: Option<String>,
    /// LiteLLM's legacy `max_tokens` field.
    pub max_tokens: Option<u64>,
    /// The context window.
    pub max_input_tokens: Option<u64>,
    /// The largest completion.
    pub max_output_tokens: Option<u64>,
    /// USD per prompt token (0 when the table has none).
    pub input_cost_per_token: Decimal,
    /// USD per completion token (0 when the table has none).
    pub output_cost_per_token: Decimal,
    /// Tool calls.
    pub supports_function_calling: Option<bool>,
    /// `tool_choice`.
    pub supports_tool_choice: Option<bool>,
    /// Image inputs.
    pub supports_vision: Option<bool>,
    /// JSON-schema `response_format`.
    pub supports_response_schema: Option<bool>,
    /// Reasoning.
    pub supports_reasoning: Option<bool>,
    /// Prompt caching.
    pub supports_prompt_caching: Option<bool>,
    /// System messages.
    pub supports_system_messages: Option<bool>,
    /// False for a local model the table does not know (all values unknown).
    pub known: bool,
    /// Every field of the entry, as in the table.
    #[serde(skip)]
    pub entry: Option<ModelEntry>,
}

impl ModelInfo {
    fn from_entry(entry: ModelEntry) -> Self {
        let flag = |c: Capability| entry.flag(c.field());
        Self {
            key: entry.key.clone(),
            litellm_provider: entry.text("litellm_provider").unwrap_or("").to_owned(),
            mode: entry.text("mode").map(str::to_owned),
            max_tokens: entry.integer("max_tokens"),
            max_input_tokens: entry.integer("max_input_tokens"),
            max_output_tokens: entry.integer("max_output_tokens"),
            input_cost_per_token: entry.price("input_cost_per_token").unwrap_or_default(),
            output_cost_per_token: entry.price("output_cost_per_token").unwrap_or_default(),
            supports_function_calling: flag(Capability::FunctionCalling),
            supports_tool_choice: flag(Capability::ToolChoice),
            supports_vision: flag(Capability::Vision),
            supports_response_schema: flag(Capability::ResponseSchema),
            supports_reasoning: flag(Capability::Reasoning),
            supports_prompt_caching: flag(Capability::PromptCaching),
            supports_system_messages: flag(Capability::SystemMessages),
            known: true,
            entry: Some(entry),
        }
    }

    fn unknown_local(model: &str, provider: &str) -> Self {
        Self {
            key: model.to_owned(),
            litellm_provider: provider.to_owned(),
            mode: Some("chat".to_owned()),
            max_tokens: None,
            max_input_tokens: None,
            max_output_tokens: None,
            input_cost_per_token: Decimal::ZERO,
            output_cost_per_token: Decimal::ZERO,
            supports_function_calling: None,
            supports_tool_choice: None,
            supports_vision: None,
            supports_response_schema: None,
            supports_reasoning: None,
            supports_prompt_caching: None,
            supports_system_messages: None,
            known: false,
            entry: None,
        }
    }

    /// Whether the model has `capability`: the table's answer, or `None`
    /// when the table does not say.
    pub fn supports(&self, capability: Capability) -> Option<bool> {
        self.entry.as_ref()?.flag(capability.field())
    }
}

/// What the table knows about `model` (`gpt-4o`, `anthropic/claude-...`,
/// `llamafile/gemma-3-3b`), optionally with its provider given apart.
///
/// Unknown models are a `NotFound` error that says how to register one,
/// except for local providers (see the module documentation).
pub fn get_model_info(model: &str, custom_llm_provider: Option<&str>) -> Result<ModelInfo> {
    if let Some(entry) = find_entry(model, custom_llm_provider) {
        let mut info = ModelInfo::from_entry(entry);
        if custom_llm_provider == Some("fireworks_ai") {
            // LiteLLM's Fireworks provider info: tools, caching and vision
            // (through document inlining) for every model.
            info.supports_function_calling = Some(true);
            info.supports_prompt_caching = Some(true);
            info.supports_vision = Some(true);
            if let Some(entry) = &mut info.entry {
                for field in [
                    "supports_function_calling",
                    "supports_prompt_caching",
                    "supports_vision",
                ] {
                    entry.fields.insert(field.to_owned(), true.into());
                }
            }
        }
        return Ok(info);
    }
    let (provider, bare) = split_provider(model, custom_llm_provider);
    match provider.as_deref() {
        Some(provider) if is_local_provider(provider) => {
            // LiteLLM names Ollama's chat route after Ollama itself.
            let provider = if provider == "ollama_chat" {
                "ollama"
            } else {
                provider
            };
            Ok(ModelInfo::unknown_local(&bare, provider))
        }
        _ => Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "model '{model}' is not in the model table; register it with \
                 lmrelay::models::register_models or add it to {} (then `lmrelay models \
                 update --from FILE`), or check the spelling with `lmrelay models list`",
                table::user_table_path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "the user model file".to_owned())
            ),
        )),
    }
}

/// Whether `model` has `capability`. Unknown models answer false, as in
/// LiteLLM, except unknown local models, which answer true (allowed).
pub fn supports(model: &str, capability: Capability) -> bool {
    match get_model_info(model, None) {
        Ok(info) if !info.known => true,
        Ok(info) => {
            if let Some(answer) = info.supports(capability) {
                return answer;
            }
            // LiteLLM falls back to the bare model's entry when the
            // provider-prefixed one does not say.
            let (_, bare) = split_provider(model, None);
            table::entry(&bare)
                .or_else(|| lookup::entry_case_insensitive(&bare))
                .and_then(|entry| entry.flag(capability.field()))
                .unwrap_or(false)
        }
        Err(_) => false,
    }
}

/// Whether `model` accepts a JSON-schema `response_format`.
pub fn supports_response_schema(model: &str) -> bool {
    supports(model, Capability::ResponseSchema)
}

/// Whether `model` can call tools.
pub fn supports_function_calling(model: &str) -> bool {
    supports(model, Capability::FunctionCalling)
}

/// Whether `model` accepts images.
pub fn supports_vision(model: &str) -> bool {
    supports(model, Capability::Vision)
}

/// Whether `model` reasons (reasoning tokens or effort).
pub fn supports_reasoning(model: &str) -> bool {
    supports(model, Capability::Reasoning)
}

/// Whether `model` offers provider-side prompt caching.
pub fn supports_prompt_caching(model: &str) -> bool {
    supports(model, Capability::PromptCaching)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn known_models_by_bare_and_prefixed_names() {
        let bare = get_model_info("gpt-4o", None).unwrap();
        let prefixed = get_model_info("openai/gpt-4o", None).unwrap();
        assert_eq!(bare.key, "gpt-4o");
        assert_eq!(prefixed.key, "gpt-4o");
        assert_eq!(bare.max_input_tokens, Some(128_000));
        assert!(supports_vision("gpt-4o"));
        let gemini = get_model_info("gemini/gemini-2.5-pro", None).unwrap();
        assert_eq!(gemini.litellm_provider, "gemini");
    }

    #[test]
    fn unknown_local_model_is_allowed_unknown_cloud_model_is_an_error() {
        let local = get_model_info("llamafile/gemma-3-3b", None).unwrap();
        assert!(!local.known);
        assert_eq!(local.input_cost_per_token, Decimal::ZERO);
        assert!(supports_response_schema("llamafile/gemma-3-3b"));
        let err = get_model_info("openai/gpt-nonexistent-9", None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains("register"), "{err}");
        assert!(!supports_vision("openai/gpt-nonexistent-9"));
    }
}
