//! LiteLLM's `trim_messages`: make a prompt fit a share of the context window.

use serde_json::{Value, json};

use super::{CountInput, token_counter};
use crate::models::table;

const MAX_SHORTEN_ATTEMPTS: usize = 10;

fn count(model: &str, messages: &[Value]) -> u64 {
    token_counter(
        model,
        CountInput::Messages {
            messages,
            tools: None,
            tool_choice: None,
        },
    )
    .unwrap_or(u64::MAX)
}

fn role(message: &Value) -> Option<&str> {
    message.get("role").and_then(Value::as_str)
}

/// Trims `messages` to fit `max_tokens`, or `trim_ratio` (LiteLLM's default
/// 0.75) of the model's context window: all system messages merged into one
/// and kept first, a trailing run of tool results kept, then the newest
/// messages that fit, oldest dropped first; a message too long is cut in
/// the middle (`..`). Anything it cannot handle (unknown model without
/// `max_tokens`, non-text content) returns the messages unchanged.
pub fn trim_messages(
    messages: &[Value],
    model: &str,
    trim_ratio: f64,
    max_tokens: Option<u64>,
) -> Vec<Value> {
    try_trim(messages, model, trim_ratio, max_tokens).unwrap_or_else(|| messages.to_vec())
}

fn try_trim(
    messages: &[Value],
    model: &str,
    trim_ratio: f64,
    max_tokens: Option<u64>,
) -> Option<Vec<Value>> {
    let mut budget = match max_tokens {
        Some(max) => max,
        None => {
            let entry = table::entry(model)?;
            let window = entry
                .integer("max_input_tokens")
                .or_else(|| entry.integer("max_tokens"))?;
            (window as f64 * trim_ratio) as u64
        }
    };
    let mut messages = messages.to_vec();
    let mut system_texts = Vec::new();
    for message in messages.iter().filter(|m| role(m) == Some("system")) {
        system_texts.push(message.get("content")?.as_str()?.to_owned());
    }
    let system_text = system_texts.join("\n");
    let tail_start = messages
        .iter()
        .rposition(|m| role(m) != Some("tool"))
        .map_or(0, |i| i + 1);
    let tool_messages = messages.split_off(tail_start);
    if count(model, &messages) < budget {
        messages.extend(tool_messages);
        return Some(messages);
    }
    let mut system = None;
    if !system_text.is_empty() {
        let mut merged = json!({"role": "system", "content": system_text});
        let mut system_tokens = count(model, std::slice::from_ref(&merged));
        if system_tokens > budget {
            shorten(&mut merged, budget, model)?;
            system_tokens = count(model, std::slice::from_ref(&merged));
        }
        budget = budget.saturating_sub(system_tokens);
        if budget == 0 {
            return Some(vec![merged]);
        }
        messages.retain(|m| role(m) != Some("system"));
        system = Some(merged);
    }
    let mut kept = keep_newest(&messages, budget, model)?;
    if let Some(system) = system {
        kept.insert(0, system);
    }
    kept.extend(tool_messages);
    Some(kept)
}

/// Newest to oldest: keep what fits, cut what almost fits, skip the rest.
fn keep_newest(messages: &[Value], budget: u64, model: &str) -> Option<Vec<Value>> {
    let mut kept: Vec<Value> = Vec::new();
    for message in messages.iter().rev() {
        let used = count(model, &kept);
        let available = budget.saturating_sub(used);
        if budget <= used || available <= 3 {
            break;
        }
        let mut candidate = vec![message.clone()];
        candidate.extend(kept.iter().cloned());
        if count(model, &candidate) <= budget {
            kept = candidate;
            continue;
        }
        if message.get("function_call").is_none() {
            let mut cut = message.clone();
            shorten(&mut cut, available, model)?;
            let mut with_cut = kept.clone();
            with_cut.push(cut.clone());
            if count(model, &with_cut) <= budget {
                kept.insert(0, cut);
            }
        }
    }
    Some(kept)
}

/// Cuts the middle of a message's text until it fits `needed` tokens
/// (LiteLLM's `shorten_message_to_fit_limit`, quirks included).
fn shorten(message: &mut Value, needed: u64, model: &str) -> Option<()> {
    if model.contains("gpt") && needed <= 10 {
        return Some(());
    }
    let mut content: Vec<char> = message.get("content")?.as_str()?.chars().collect();
    for _ in 0..MAX_SHORTEN_ATTEMPTS {
        let total = count(model, std::slice::from_ref(message));
        if total <= needed {
            break;
        }
        let ratio = needed as f64 / total as f64;
        let new_len = ((content.len() as f64 * ratio) as usize).saturating_sub(1);
        let half = new_len / 2;
        let head: String = content[..half.min(content.len())].iter().collect();
        // Python's s[-0:] is the whole string.
        let tail: String = if half == 0 {
            content.iter().collect()
        } else {
            content[content.len().saturating_sub(half)..]
                .iter()
                .collect()
        };
        content = format!("{head}..{tail}").chars().collect();
        message["content"] = Value::String(content.iter().collect());
    }
    Some(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn keeps_system_and_newest_and_cuts_long_messages() {
        let long = "word ".repeat(400);
        let messages = vec![
            json!({"role": "system", "content": "Be brief."}),
            json!({"role": "user", "content": long}),
            json!({"role": "assistant", "content": "ok"}),
            json!({"role": "user", "content": "And now?"}),
        ];
        let trimmed = trim_messages(&messages, "gpt-4o", 0.75, Some(100));
        assert_eq!(trimmed[0]["role"], "system");
        assert_eq!(trimmed.last().unwrap()["content"], "And now?");
        assert!(count("gpt-4o", &trimmed) <= 100);
        let cut = trimmed
            .iter()
            .find(|m| m["content"].as_str().unwrap().contains(".."));
        assert!(cut.is_some(), "{trimmed:?}");
        let short = vec![json!({"role": "user", "content": "hi"})];
        assert_eq!(trim_messages(&short, "gpt-4o", 0.75, None), short);
        assert_eq!(trim_messages(&short, "unknown-model-x", 0.75, None), short);
    }
}
