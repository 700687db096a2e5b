//! Token counting as LiteLLM's `token_counter` does it, with the same
//! tokenizer choice per model (o200k_base for the gpt-4o family and newer
//! OpenAI models, cl100k_base otherwise) and OpenAI's per-message overhead:
//! 3 tokens per message, every string field tokenized, 1 more for a `name`,
//! tool-call arguments, 3 for the reply priming, tool definitions rendered as
//! OpenAI renders them. For models of other families the cl100k count is a
//! documented estimate, as in LiteLLM. llama.cpp and llamafile servers count
//! exactly with their own tokenizer through [`remote`].

mod encoding;
mod image;
mod messages;
pub mod remote;
mod tools;
mod trim;

pub use encoding::{Encoding, encoding_for_model};
pub use trim::trim_messages;

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// What to count: a text, or messages with optional tools and tool choice
/// (messages, tools and tool choice as OpenAI JSON).
#[derive(Debug, Clone, Copy)]
pub enum CountInput<'a> {
    /// Plain text: its tokens, no overhead.
    Text(&'a str),
    /// A chat prompt.
    Messages {
        /// The messages (OpenAI shape).
        messages: &'a [Value],
        /// Tool definitions, if any.
        tools: Option<&'a [Value]>,
        /// `tool_choice`, if any.
        tool_choice: Option<&'a Value>,
    },
}

/// LiteLLM's `token_counter(model, text=... | messages=..., tools=...)`.
pub fn token_counter(model: &str, input: CountInput<'_>) -> Result<u64> {
    let encoding = encoding_for_model(model);
    match input {
        CountInput::Text(text) => Ok(encoding.count(text)),
        CountInput::Messages {
            messages,
            tools,
            tool_choice,
        } => {
            let mut total = messages::count_messages(encoding, messages)?;
            let has_system = messages
                .iter()
                .any(|m| m.get("role").and_then(Value::as_str) == Some("system"));
            total += messages::count_extra(encoding, tools, tool_choice, has_system)?;
            Ok(total)
        }
    }
}

/// Counts the messages of a chat request (typed), with its tools.
pub fn count_chat_request(model: &str, body: &lmrelay_types::ChatCompletionRequest) -> Result<u64> {
    let as_json = |what: &str, value: Result<Value, serde_json::Error>| {
        value
            .map_err(|err| Error::new(ErrorKind::BadRequest, format!("cannot count {what}: {err}")))
    };
    let messages = as_json("the messages", serde_json::to_value(&body.messages))?;
    let tools = match &body.tools {
        Some(tools) => Some(as_json("the tools", serde_json::to_value(tools))?),
        None => None,
    };
    let messages = messages.as_array().map(Vec::as_slice).unwrap_or_default();
    let tools = tools.as_ref().and_then(Value::as_array).map(Vec::as_slice);
    token_counter(
        model,
        CountInput::Messages {
            messages,
            tools,
            tool_choice: body.tool_choice.as_ref(),
        },
    )
}

/// LiteLLM's `encode(model, text)`: token ids. Like LiteLLM, this uses the
/// tokenizer [`token_counter`] uses for the model (LiteLLM's `encode` always
/// uses cl100k_base; we do not copy that inconsistency).
pub fn encode(model: &str, text: &str) -> Vec<u32> {
    encoding_for_model(model).encode(text)
}

/// LiteLLM's `decode(model, tokens)`: the text of token ids.
pub fn decode(model: &str, tokens: &[u32]) -> Result<String> {
    encoding_for_model(model).decode(tokens)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use serde_json::json;

    use super::*;

    fn count(model: &str, messages: Value) -> u64 {
        let messages = messages.as_array().unwrap().clone();
        token_counter(
            model,
            CountInput::Messages {
                messages: &messages,
                tools: None,
                tool_choice: None,
            },
        )
        .unwrap()
    }

    #[test]
    fn litellm_reference_counts() {
        assert_eq!(
            count("gpt-4o", json!([{"role": "user", "content": "hello"}])),
            8
        );
        assert_eq!(count("gpt-4o", json!([])), 3);
        let pair = json!([
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello there, how are you?"}
        ]);
        assert_eq!(count("gpt-4o", pair), 24);
        assert_eq!(
            count(
                "gpt-4o",
                json!([{"role": "user", "content": "hi", "name": "bob"}])
            ),
            10
        );
        let call = json!([{"role": "assistant", "content": null, "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{\"city\": \"Paris\"}"}}]}]);
        assert_eq!(count("gpt-4o", call), 13);
        let tool = json!([{"role": "tool", "tool_call_id": "call_1", "content": "sunny"}]);
        assert_eq!(count("gpt-4o", tool), 12);
        assert_eq!(
            token_counter("gpt-4o", CountInput::Text("hello")).unwrap(),
            1
        );
    }

    #[test]
    fn encode_decode_round_trip() {
        let ids = encode("gpt-4o", "hello world");
        assert_eq!(ids, vec![24912, 2375]);
        assert_eq!(decode("gpt-4o", &ids).unwrap(), "hello world");
        assert_eq!(encode("gpt-3.5-turbo", "hello world"), vec![15339, 1917]);
    }
}
