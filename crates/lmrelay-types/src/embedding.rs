use serde::{Deserialize, Serialize};

use crate::JsonObject;

/// The `input` of an embedding request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingInput {
    /// One text.
    One(String),
    /// Several texts.
    Many(Vec<String>),
    /// Token ids.
    Tokens(Vec<u32>),
    /// Several token-id lists.
    ManyTokens(Vec<Vec<u32>>),
}

impl From<&str> for EmbeddingInput {
    fn from(text: &str) -> Self {
        Self::One(text.to_owned())
    }
}

impl From<Vec<String>> for EmbeddingInput {
    fn from(texts: Vec<String>) -> Self {
        Self::Many(texts)
    }
}

/// An embedding request body (`POST /v1/embeddings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingRequest {
    /// Model name as the server knows it.
    pub model: String,
    /// What to embed.
    pub input: EmbeddingInput,
    /// `float` or `base64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_format: Option<String>,
    /// Output dimensions, for models that support shortening.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// End-user identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Provider-specific parameters, sent as given.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// An embedding response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingResponse {
    /// `list`.
    #[serde(default)]
    pub object: String,
    /// One embedding per input.
    #[serde(default)]
    pub data: Vec<Embedding>,
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// Token usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<EmbeddingUsage>,
    /// Fields this type does not model, kept as received.
    #[serde(flatten)]
    pub extra: JsonObject,
    /// Cost, cache hit and provider, filled by the SDK; never serialized.
    #[serde(skip)]
    pub meta: crate::ResponseMeta,
}

/// One embedding vector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Embedding {
    /// `embedding`.
    #[serde(default)]
    pub object: String,
    /// Position of the input it embeds.
    #[serde(default)]
    pub index: u32,
    /// The vector.
    #[serde(default)]
    pub embedding: Vec<f32>,
}

/// Token usage of an embedding call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingUsage {
    /// Tokens in the input.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Same as prompt tokens.
    #[serde(default)]
    pub total_tokens: u64,
}

impl EmbeddingResponse {
    /// The cost in USD, when the model's price is known (0 for local models).
    pub fn cost(&self) -> Option<rust_decimal::Decimal> {
        self.meta.cost
    }

    /// Whether this response came from the response cache.
    pub fn cache_hit(&self) -> bool {
        self.meta.cache_hit
    }
}
