use serde::{Deserialize, Serialize};

use crate::{JsonObject, Role, Usage};

/// One streamed chunk (`object: "chat.completion.chunk"`).
///
/// Its `Deserialize` is written by hand (see `flat_de.rs`): serde's derive
/// with a flattened `extra` buffers every field before reading it, which
/// doubled the cost of each chunk a gateway relays.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChatCompletionChunk {
    /// Response id, the same in every chunk of one stream.
    #[serde(default)]
    pub id: String,
    /// Always `chat.completion.chunk`.
    #[serde(default = "chunk_object")]
    pub object: String,
    /// Unix seconds.
    #[serde(default)]
    pub created: u64,
    /// The model that answered.
    #[serde(default)]
    pub model: String,
    /// Deltas, one per choice index present in this chunk (empty in the usage chunk).
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    /// Usage, in the final chunk when `stream_options.include_usage` was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Backend configuration fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    /// Fields this type does not model, kept as received.
    #[serde(flatten)]
    pub extra: JsonObject,
}

pub(crate) fn chunk_object() -> String {
    "chat.completion.chunk".to_owned()
}

/// The delta of one choice in a chunk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    /// Choice index.
    #[serde(default)]
    pub index: u32,
    /// What this chunk adds.
    #[serde(default)]
    pub delta: Delta,
    /// Set in the chunk that ends this choice.
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// Log probabilities, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<serde_json::Value>,
}

/// Incremental message content (`Deserialize` by hand, as the chunk's).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Delta {
    /// Set in the first chunk of a choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Text to append.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Reasoning text to append.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Tool-call fragments to merge by `index`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    /// Fields this type does not model, kept as received.
    #[serde(flatten)]
    pub extra: JsonObject,
}

/// A fragment of a tool call in a stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDelta {
    /// Which tool call this fragment belongs to.
    #[serde(default)]
    pub index: u32,
    /// Set in the first fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `function`, in the first fragment.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name (first fragment) and a piece of the arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCallDelta>,
}

/// A fragment of a function call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallDelta {
    /// The function name, in the first fragment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A piece of the JSON arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}
