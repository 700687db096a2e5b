//! Provider cost rules that are not LiteLLM's generic one: plain input and
//! output prices (Fireworks AI, Databricks), Perplexity's reasoning on top,
//! Fireworks AI's size buckets and DashScope's progressive tiers.

use rust_decimal::Decimal;
use serde_json::Value;

use super::{Cost, TokenUsage};
use crate::models::{self, ModelEntry};

/// Prompt and completion tokens at the plain input and output prices.
pub(super) fn plain_cost(entry: &ModelEntry, usage: &TokenUsage) -> Cost {
    let price = |key: &str| entry.price(key).unwrap_or_default();
    Cost {
        prompt: Decimal::from(usage.prompt_tokens) * price("input_cost_per_token"),
        completion: Decimal::from(usage.completion_tokens) * price("output_cost_per_token"),
    }
}

/// Perplexity: no cache discount; reasoning billed on top of the completion.
pub(super) fn perplexity_cost(entry: &ModelEntry, usage: &TokenUsage) -> Cost {
    let mut cost = plain_cost(entry, usage);
    if usage.reasoning_tokens > 0
        && let Some(price) = entry.price("output_cost_per_reasoning_token")
    {
        cost.completion += Decimal::from(usage.reasoning_tokens) * price;
    }
    cost
}

/// LiteLLM's Fireworks AI size buckets for models the table does not list.
pub(super) fn fireworks_bucket(model: &str) -> &'static str {
    let lower = model.to_lowercase();
    let numbers_before = |suffix: char| -> Vec<f64> {
        let mut found = Vec::new();
        let bytes: Vec<char> = lower.chars().collect();
        for (i, c) in bytes.iter().enumerate() {
            if *c == suffix && i > 0 && bytes[i - 1].is_ascii_digit() {
                let start = bytes[..i]
                    .iter()
                    .rposition(|c| !c.is_ascii_digit())
                    .map_or(0, |p| p + 1);
                let digits: String = bytes[start..i].iter().collect();
                if let Ok(n) = digits.parse() {
                    found.push(n);
                }
            }
        }
        found
    };
    if let Some((experts, size)) = lower.split_once('x').and_then(|(a, b)| {
        let experts: f64 = a
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .chars()
            .rev()
            .collect::<String>()
            .parse()
            .ok()?;
        let size: f64 = b.split('b').next()?.parse().ok()?;
        Some((experts, size))
    }) {
        let total = experts * size;
        if total <= 56.0 {
            return "fireworks-ai-moe-up-to-56b";
        }
        if total <= 176.0 {
            return "fireworks-ai-56b-to-176b";
        }
    }
    match numbers_before('b').first() {
        Some(n) if *n <= 4.0 => "fireworks-ai-up-to-4b",
        Some(n) if *n <= 16.0 => "fireworks-ai-4.1b-to-16b",
        Some(_) => "fireworks-ai-above-16b",
        None => "fireworks-ai-default",
    }
}

/// DashScope: progressive tiers when the entry has a `tiered_pricing`
/// list, else plain prices; cache reads at their price, reasoning apart.
pub(super) fn dashscope_cost(entry: &ModelEntry, usage: &TokenUsage) -> Cost {
    let text = Decimal::from(usage.prompt_tokens) - Decimal::from(usage.cache_read_tokens);
    let completion_text =
        Decimal::from(usage.completion_tokens) - Decimal::from(usage.reasoning_tokens);
    let hit = Decimal::from(usage.cache_read_tokens);
    let reasoning = Decimal::from(usage.reasoning_tokens);
    let Some(Value::Array(tiers)) = entry.fields.get("tiered_pricing") else {
        let price = |key: &str| entry.price(key);
        let input = price("input_cost_per_token").unwrap_or_default();
        let output = price("output_cost_per_token").unwrap_or_default();
        return Cost {
            prompt: text * input + hit * price("cache_read_input_token_cost").unwrap_or(input),
            completion: completion_text * output
                + reasoning * price("output_cost_per_reasoning_token").unwrap_or(output),
        };
    };
    let mut tiers: Vec<&Value> = tiers.iter().collect();
    let start = |tier: &Value| {
        tier.pointer("/range/0")
            .and_then(models::table::json_decimal)
    };
    tiers.sort_by_key(|tier| start(tier));
    let charge = |count: Decimal, key: &str, fallback: &str| -> Decimal {
        let mut total = Decimal::ZERO;
        let mut done = Decimal::ZERO;
        let rate = |tier: &Value| {
            tier.get(key)
                .and_then(models::table::json_decimal)
                .or_else(|| tier.get(fallback).and_then(models::table::json_decimal))
                .unwrap_or_default()
        };
        for tier in &tiers {
            let low = start(tier).unwrap_or_default();
            let high = tier
                .pointer("/range/1")
                .and_then(models::table::json_decimal);
            if count <= low {
                continue;
            }
            let from = low.max(done);
            let to = high.map_or(count, |h| h.min(count));
            if to > from {
                total += (to - from) * rate(tier);
                done = to;
            }
        }
        if count > done
            && let Some(last) = tiers.last()
        {
            total += (count - done) * rate(last);
        }
        total
    };
    Cost {
        prompt: charge(text, "input_cost_per_token", "input_cost_per_token")
            + charge(hit, "cache_read_input_token_cost", "input_cost_per_token"),
        completion: charge(
            completion_text,
            "output_cost_per_token",
            "output_cost_per_token",
        ) + charge(
            reasoning,
            "output_cost_per_reasoning_token",
            "output_cost_per_token",
        ),
    }
}
