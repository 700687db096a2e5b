//! OpenAI's per-message accounting, as LiteLLM's `_count_messages` and
//! `_count_extra` do it.

use serde_json::Value;

use super::encoding::Encoding;
use super::tools::format_function_definitions;
use crate::error::{Error, ErrorKind, Result};

const TOKENS_PER_MESSAGE: u64 = 3;
const TOKENS_PER_NAME: u64 = 1;
const REPLY_PRIMING: u64 = 3;

fn bad(message: String) -> Error {
    Error::new(ErrorKind::BadRequest, message)
}

/// Tokens of the messages: 3 each, every string field, names +1, tool-call
/// arguments, and content parts.
pub(super) fn count_messages(encoding: Encoding, messages: &[Value]) -> Result<u64> {
    let mut total = 0;
    for (index, message) in messages.iter().enumerate() {
        total += TOKENS_PER_MESSAGE;
        let Some(fields) = message.as_object() else {
            return Err(bad(format!("messages[{index}] is not an object")));
        };
        for (key, value) in fields {
            match (key.as_str(), value) {
                (_, Value::Null) => {}
                ("tool_calls", Value::Array(calls)) => {
                    for call in calls {
                        let function = call.get("function").ok_or_else(|| {
                            bad(format!(
                                "messages[{index}].tool_calls: every tool call needs a \
                                 \"function\" object"
                            ))
                        })?;
                        let arguments = match function.get("arguments") {
                            Some(Value::String(text)) => text.clone(),
                            Some(other) => python_repr(other),
                            None => "[]".to_owned(),
                        };
                        total += encoding.count(&arguments);
                    }
                }
                ("tool_calls", _) => {
                    return Err(bad(format!("messages[{index}].tool_calls must be a list")));
                }
                (_, Value::String(text)) => {
                    total += encoding.count(text);
                    if key == "name" {
                        total += TOKENS_PER_NAME;
                    }
                }
                ("content", Value::Array(parts)) => total += count_parts(encoding, parts, index)?,
                _ => {}
            }
        }
    }
    Ok(total)
}

fn count_parts(encoding: Encoding, parts: &[Value], index: usize) -> Result<u64> {
    let mut total = 0;
    for part in parts {
        if let Value::String(text) = part {
            total += encoding.count(text);
            continue;
        }
        let kind = part.get("type").and_then(Value::as_str).unwrap_or("");
        total += match kind {
            "text" => encoding.count(&value_text(part.get("text"))),
            "image_url" => super::image::image_tokens(part.get("image_url"))?,
            "thinking" => encoding.count(&value_text(part.get("thinking"))),
            "tool_use" => {
                let name = part
                    .get("name")
                    .map(|v| value_text(Some(v)))
                    .unwrap_or_default();
                let input = part.get("input").map(python_repr).unwrap_or_default();
                encoding.count(&name) + encoding.count(&input)
            }
            "tool_result" => match part.get("content") {
                Some(Value::String(text)) => encoding.count(text),
                Some(Value::Array(inner)) => count_parts(encoding, inner, index)?,
                Some(other @ Value::Object(_)) => encoding.count(&python_repr(other)),
                _ => 0,
            },
            other => {
                return Err(bad(format!(
                    "messages[{index}].content has a part of type '{other}' that cannot be \
                     counted (text, image_url, tool_use, tool_result and thinking can)"
                )));
            }
        };
    }
    Ok(total)
}

fn value_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(other) => python_repr(other),
        None => String::new(),
    }
}

/// Reply priming, tool definitions and tool choice.
pub(super) fn count_extra(
    encoding: Encoding,
    tools: Option<&[Value]>,
    tool_choice: Option<&Value>,
    has_system_message: bool,
) -> Result<u64> {
    let mut total = REPLY_PRIMING;
    if let Some(tools) = tools.filter(|t| !t.is_empty()) {
        total += encoding.count(&format_function_definitions(tools)?) + 9;
        if has_system_message {
            total -= 4;
        }
    }
    match tool_choice {
        Some(Value::String(choice)) if choice == "none" => total += 1,
        Some(choice @ Value::Object(_)) => {
            let name = choice
                .pointer("/function/name")
                .map(|v| value_text(Some(v)))
                .unwrap_or_default();
            total += 7 + encoding.count(&name);
        }
        _ => {}
    }
    Ok(total)
}

/// Python's `str()` of a JSON value (LiteLLM tokenizes dicts that way).
pub(super) fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => python_str_repr(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", python_str_repr(k), python_repr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

fn python_str_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}
