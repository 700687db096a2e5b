//! Providers as data: the embedded table of providers (`providers.json`) and
//! the resolution of a model string to a provider, model, API base and key.
//!
//! OpenAI-compatible providers are rows of the table, not code. Providers that
//! speak their own protocol are listed for resolution; their translation lives
//! in a module of its own.

pub mod adapter;
pub mod anthropic;
pub mod azure;
pub mod bedrock;
pub mod cohere;
pub mod gemini;
pub mod ollama;
pub mod openai_compat;
mod params;
mod python_json;
mod resolve;
pub mod vertex;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};

pub use params::supported_openai_params;
pub use resolve::{Target, resolve, resolve_with_env};

/// The wire protocol a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Protocol {
    /// OpenAI's chat/completions/embeddings API.
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
    /// Google AI Studio's generateContent.
    Gemini,
    /// Google Vertex AI.
    VertexAi,
    /// AWS Bedrock Converse.
    Bedrock,
    /// Azure OpenAI deployments.
    Azure,
    /// Cohere v2 chat.
    Cohere,
    /// Ollama's native /api/chat.
    Ollama,
}

/// An endpoint family a provider serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `/chat/completions`.
    Chat,
    /// `/completions` (text completion).
    Completions,
    /// `/embeddings`.
    Embeddings,
}

impl Endpoint {
    /// The path appended to the API base.
    pub fn path(self) -> &'static str {
        match self {
            Self::Chat => "/chat/completions",
            Self::Completions => "/completions",
            Self::Embeddings => "/embeddings",
        }
    }
}

/// One row of the provider table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    /// The model-string prefix (`llamafile` in `llamafile/gemma-3-3b`).
    pub prefix: String,
    /// The wire protocol.
    pub protocol: Protocol,
    /// The default API base, if the provider has a fixed one.
    pub api_base: Option<String>,
    /// Environment variables that may hold the API base, in order.
    #[serde(default)]
    pub api_base_env: Vec<String>,
    /// Environment variables that may hold the API key, in order.
    #[serde(default)]
    pub api_key_env: Vec<String>,
    /// Key sent when none is configured (local servers ignore it).
    #[serde(default)]
    pub placeholder_key: Option<String>,
    /// Path inserted between the API base and the endpoint (`/v1` for Ollama).
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// Whether this provider usually runs on the user's own machine.
    #[serde(default)]
    pub local: bool,
    /// Endpoint families served.
    pub endpoints: Vec<Endpoint>,
    /// When set, the only OpenAI parameters the provider accepts.
    #[serde(default)]
    pub supported_params: Option<Vec<String>>,
    /// Parameters sent under another name (`max_completion_tokens` → `max_tokens`).
    #[serde(default)]
    pub rename_params: BTreeMap<String, String>,
    /// The provider's API documentation.
    pub docs: String,
}

impl ProviderSpec {
    /// Whether the provider speaks the OpenAI protocol.
    pub fn is_openai_compatible(&self) -> bool {
        self.protocol == Protocol::Openai
    }

    /// Whether the provider serves `endpoint`.
    pub fn serves(&self, endpoint: Endpoint) -> bool {
        self.endpoints.contains(&endpoint)
    }

    /// ` or set NAME` for the first environment variable that may hold the
    /// API base (empty when there is none), for hints after "pass api_base".
    pub(crate) fn or_set_api_base_env(&self) -> String {
        self.api_base_env
            .first()
            .map(|name| format!(" or set {name}"))
            .unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct Table {
    providers: Vec<ProviderSpec>,
}

static TABLE: LazyLock<Result<Vec<ProviderSpec>, String>> = LazyLock::new(|| {
    serde_json::from_str::<Table>(include_str!("providers.json"))
        .map(|table| table.providers)
        .map_err(|err| format!("the embedded provider table is invalid: {err}"))
});

/// Every provider lmrelay knows.
pub fn all() -> Result<&'static [ProviderSpec]> {
    TABLE
        .as_ref()
        .map(Vec::as_slice)
        .map_err(|msg| Error::new(ErrorKind::APIError, msg.clone()))
}

/// The provider with this prefix.
pub fn find(prefix: &str) -> Result<Option<&'static ProviderSpec>> {
    Ok(all()?.iter().find(|spec| spec.prefix == prefix))
}

/// Known prefixes closest to `unknown`, best first (at most three).
pub fn closest_prefixes(unknown: &str) -> Vec<&'static str> {
    let Ok(table) = all() else {
        return Vec::new();
    };
    let lowered = unknown.to_ascii_lowercase();
    let mut scored: Vec<(f64, &'static str)> = table
        .iter()
        .map(|spec| {
            let mut score = strsim::jaro_winkler(&lowered, &spec.prefix);
            if spec.prefix.starts_with(&lowered) || lowered.starts_with(&spec.prefix) {
                score += 0.2;
            }
            (score, spec.prefix.as_str())
        })
        .filter(|(score, _)| *score > 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .take(3)
        .map(|(_, prefix)| prefix)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_parses_and_prefixes_are_unique() {
        let table = all().expect("table parses");
        assert!(table.len() >= 30, "{} rows", table.len());
        let mut prefixes: Vec<_> = table.iter().map(|s| s.prefix.as_str()).collect();
        prefixes.sort_unstable();
        let before = prefixes.len();
        prefixes.dedup();
        assert_eq!(before, prefixes.len(), "duplicate prefixes");
    }

    #[test]
    fn issue_listed_openai_compatible_providers_are_rows() {
        for prefix in [
            "openai",
            "llamafile",
            "llamacpp",
            "ollama",
            "lm_studio",
            "hosted_vllm",
            "groq",
            "deepseek",
            "mistral",
            "together_ai",
            "fireworks_ai",
            "openrouter",
            "xai",
            "perplexity",
            "deepinfra",
            "cerebras",
            "nvidia_nim",
            "github",
            "custom_openai",
        ] {
            let spec = find(prefix).unwrap().unwrap_or_else(|| panic!("{prefix}"));
            assert!(spec.is_openai_compatible(), "{prefix}");
            assert!(spec.serves(Endpoint::Chat), "{prefix}");
        }
    }

    #[test]
    fn closest_prefixes_suggest_near_misses() {
        assert_eq!(closest_prefixes("llamafil").first(), Some(&"llamafile"));
        assert!(closest_prefixes("openia").contains(&"openai"));
        assert!(closest_prefixes("zzzzqqq").is_empty());
    }
}
