//! OpenAI-compatible providers: pure translation between lmrelay's requests
//! and the OpenAI wire format. No I/O here; [`crate::transport`] sends what
//! these functions build.
//!
//! API reference: <https://platform.openai.com/docs/api-reference/chat>.

mod errors;
mod request;
mod response;

pub use errors::{classify, map_error};
pub use request::{chat_request, embedding_request, text_request};
pub use response::{StreamItem, json_body_as_chunks, parse_chunk, parse_json};
