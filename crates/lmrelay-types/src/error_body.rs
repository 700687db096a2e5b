use serde::{Deserialize, Serialize};

/// The OpenAI error envelope: `{"error": {"message", "type", "param", "code"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ErrorDetail,
}

/// The inner object of an OpenAI error body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Error type such as `invalid_request_error`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The parameter at fault, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<serde_json::Value>,
    /// A string or numeric code (`"model_not_found"`, `400`, `"429"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<serde_json::Value>,
    /// Fields this type does not model (llama.cpp adds `n_prompt_tokens`, `n_ctx`).
    #[serde(flatten)]
    pub extra: crate::JsonObject,
}
