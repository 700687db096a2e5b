//! OpenAI-shaped wire types shared by the lmrelay SDK and gateway.
//!
//! These types mirror the OpenAI REST API (chat completions, streamed chunks,
//! text completions, embeddings, error bodies). Every optional field is skipped
//! when absent, so requests stay acceptable to strict OpenAI-compatible servers,
//! and unknown fields are kept in `extra` maps so nothing a provider sends is lost.
//!
//! ```
//! use lmrelay_types::{ChatCompletionRequest, ChatMessage};
//! let req = ChatCompletionRequest::new("gpt-4o-mini", vec![ChatMessage::user("Hi")]);
//! let json = serde_json::to_value(&req).unwrap();
//! assert_eq!(json["messages"][0]["content"], "Hi");
//! assert!(json.get("temperature").is_none());
//! ```

mod chat;
mod chunk;
mod completion;
mod embedding;
mod error_body;
mod flat_de;
mod meta;
mod usage;

pub use chat::*;
pub use chunk::*;
pub use completion::*;
pub use embedding::*;
pub use error_body::*;
pub use meta::*;
pub use usage::*;

/// A JSON object with keys kept in insertion order.
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

/// Parses JSON bytes into `T`, checking UTF-8 once for the whole body.
///
/// `serde_json::from_slice` checks the UTF-8 of every string on its own,
/// which cost about 3% of a gateway request; text that is valid UTF-8 is
/// parsed with `from_str` instead. Text that is not falls back to
/// `from_slice`, so errors read the same either way.
///
/// ```
/// let n: Vec<u32> = lmrelay_types::from_json_bytes(b"[1, 2]").unwrap();
/// assert_eq!(n, [1, 2]);
/// assert!(lmrelay_types::from_json_bytes::<String>(b"\"\xff\"").is_err());
/// ```
pub fn from_json_bytes<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}
