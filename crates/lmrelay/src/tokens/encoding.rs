//! Which tokenizer a model uses, chosen as LiteLLM 1.82.6 chooses it.

use tiktoken_rs::CoreBPE;

use crate::error::{Error, ErrorKind, Result};
use crate::models::table;

/// An OpenAI tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// gpt-4o, gpt-4.1, o-series, gpt-5.
    O200kBase,
    /// gpt-4, gpt-3.5, embeddings, and the estimate for everything else.
    Cl100kBase,
}

impl Encoding {
    fn bpe(self) -> &'static CoreBPE {
        match self {
            Self::O200kBase => tiktoken_rs::o200k_base_singleton(),
            Self::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
        }
    }

    /// The name (`o200k_base`).
    pub fn name(self) -> &'static str {
        match self {
            Self::O200kBase => "o200k_base",
            Self::Cl100kBase => "cl100k_base",
        }
    }

    /// Token ids of `text`; special-token strings count as plain text.
    pub fn encode(self, text: &str) -> Vec<u32> {
        self.bpe().encode_ordinary(text)
    }

    /// Number of tokens of `text`.
    pub fn count(self, text: &str) -> u64 {
        self.encode(text).len() as u64
    }

    /// The text of token ids.
    pub fn decode(self, tokens: &[u32]) -> Result<String> {
        self.bpe().decode(tokens).map_err(|err| {
            Error::new(
                ErrorKind::BadRequest,
                format!("cannot decode these token ids with {}: {err}", self.name()),
            )
        })
    }
}

const AZURE_ALIASES: &[&str] = &[
    "gpt-35-turbo",
    "gpt-35-turbo-16k",
    "gpt-35-turbo-instruct",
    "azure/gpt-41",
    "azure/gpt-41-mini",
    "azure/gpt-41-nano",
];

/// LiteLLM's `_fix_model_name`: Azure aliases respelled, OpenAI chat models
/// kept, everything else counted as `gpt-3.5-turbo`.
fn fixed_model_name(model: &str) -> String {
    if AZURE_ALIASES.contains(&model) {
        return model.replace("-35", "-3.5");
    }
    let is_openai_model = table::entry(model).is_some_and(|entry| {
        entry.text("litellm_provider") == Some("openai")
            && !(model.starts_with("ft:") && model.matches(':').count() <= 1)
    });
    if is_openai_model {
        model.to_owned()
    } else {
        "gpt-3.5-turbo".to_owned()
    }
}

/// tiktoken 0.12's `encoding_name_for_model` for the two encodings we ship
/// (legacy and unknown names fall back to cl100k_base, as LiteLLM does).
fn tiktoken_encoding(model: &str) -> Encoding {
    const O200K_EXACT: &[&str] = &["o1", "o3", "o4-mini", "gpt-5", "gpt-4.1", "gpt-4o"];
    const O200K_PREFIXES: &[&str] = &[
        "o1-",
        "o3-",
        "o4-mini-",
        "gpt-5-",
        "gpt-4.5-",
        "gpt-4.1-",
        "chatgpt-4o-",
        "gpt-4o-",
        "gpt-oss-",
        "ft:gpt-4o",
    ];
    if O200K_EXACT.contains(&model) || O200K_PREFIXES.iter().any(|p| model.starts_with(p)) {
        Encoding::O200kBase
    } else {
        Encoding::Cl100kBase
    }
}

/// The tokenizer LiteLLM's `token_counter` uses for `model`.
pub fn encoding_for_model(model: &str) -> Encoding {
    let fixed = fixed_model_name(model);
    if fixed.contains("gpt-4o") {
        Encoding::O200kBase
    } else {
        tiktoken_encoding(&fixed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_follows_litellm() {
        for model in [
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-4.1",
            "o1",
            "o3-mini",
            "gpt-5-mini",
        ] {
            assert_eq!(encoding_for_model(model), Encoding::O200kBase, "{model}");
        }
        for model in [
            "gpt-4",
            "gpt-3.5-turbo",
            "openai/gpt-4o",
            "claude-3-haiku",
            "",
            "gpt-35-turbo",
        ] {
            assert_eq!(encoding_for_model(model), Encoding::Cl100kBase, "{model}");
        }
    }
}
