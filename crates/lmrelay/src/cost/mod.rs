//! Exact cost of a call from the model table: USD as [`Decimal`], never f64.
//!
//! The arithmetic is LiteLLM's `generic_cost_per_token`: text, cached
//! (read and creation, 5-minute and 1-hour), audio and image prompt tokens at
//! their own prices; text, reasoning, audio and image completion tokens at
//! theirs; and, above a token threshold (`*_above_200k_tokens`), the tier's
//! prices for every kind. LiteLLM multiplies floats; we multiply the decimal
//! prices the table writes, so our figure is the exact one and LiteLLM's is
//! within a float rounding of it.

use std::borrow::Cow;
use std::time::Duration;

use lmrelay_types::{
    ChatCompletionResponse, EmbeddingResponse, ResponseMeta, TextCompletionResponse, Usage,
};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::models::{ModelEntry, is_local_provider};

mod memo;
mod provider_rules;
use provider_rules::{dashscope_cost, perplexity_cost, plain_cost};

/// Token counts of one call, split the way prices are: LiteLLM's `Usage` with
/// its details, as plain numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenUsage {
    /// All prompt tokens, cached ones included.
    pub prompt_tokens: u64,
    /// All completion tokens, reasoning ones included.
    pub completion_tokens: u64,
    /// Prompt tokens read from the provider's cache.
    pub cache_read_tokens: u64,
    /// Prompt tokens written to the provider's cache.
    pub cache_creation_tokens: u64,
    /// Of the written ones, those kept 5 minutes and 1 hour (Anthropic), if known.
    pub cache_creation_split: Option<(u64, u64)>,
    /// Prompt tokens that are text, if the provider says (else derived).
    pub prompt_text_tokens: u64,
    /// Prompt audio tokens.
    pub prompt_audio_tokens: u64,
    /// Prompt image tokens.
    pub prompt_image_tokens: u64,
    /// Completion tokens that are text, if the provider says (else derived).
    pub completion_text_tokens: u64,
    /// Reasoning tokens.
    pub reasoning_tokens: u64,
    /// Completion audio tokens.
    pub completion_audio_tokens: u64,
    /// Completion image tokens.
    pub completion_image_tokens: u64,
    /// Whether a prompt breakdown was given at all.
    pub has_prompt_details: bool,
    /// Whether a completion breakdown was given at all.
    pub has_completion_details: bool,
}

fn field_u64(map: &serde_json::Map<String, Value>, name: &str) -> u64 {
    map.get(name).and_then(Value::as_u64).unwrap_or(0)
}

impl TokenUsage {
    /// Plain prompt and completion counts.
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Self {
            prompt_tokens,
            completion_tokens,
            ..Self::default()
        }
    }

    /// Reads an OpenAI-shaped usage, including Anthropic's
    /// `cache_read_input_tokens` / `cache_creation_input_tokens` and the
    /// details objects LiteLLM fills.
    pub fn from_usage(usage: &Usage) -> Self {
        let mut out = Self::new(usage.prompt_tokens, usage.completion_tokens);
        if let Some(details) = &usage.prompt_tokens_details {
            out.has_prompt_details = true;
            out.cache_read_tokens = details.cached_tokens.unwrap_or(0);
            out.prompt_audio_tokens = details.audio_tokens.unwrap_or(0);
            out.cache_creation_tokens = field_u64(&details.extra, "cache_creation_tokens");
            out.prompt_text_tokens = field_u64(&details.extra, "text_tokens");
            out.prompt_image_tokens = field_u64(&details.extra, "image_tokens");
            if let Some(Value::Object(split)) = details.extra.get("cache_creation_token_details") {
                out.cache_creation_split = Some((
                    field_u64(split, "ephemeral_5m_input_tokens"),
                    field_u64(split, "ephemeral_1h_input_tokens"),
                ));
            }
        }
        let read = field_u64(&usage.extra, "cache_read_input_tokens");
        let written = field_u64(&usage.extra, "cache_creation_input_tokens");
        if read > 0 || written > 0 {
            out.has_prompt_details = true;
        }
        if out.cache_read_tokens == 0 {
            out.cache_read_tokens = read;
        }
        if out.cache_creation_tokens == 0 {
            out.cache_creation_tokens = written;
        }
        if let Some(details) = &usage.completion_tokens_details {
            out.has_completion_details = true;
            out.reasoning_tokens = details.reasoning_tokens.unwrap_or(0);
            out.completion_audio_tokens = details.audio_tokens.unwrap_or(0);
            out.completion_text_tokens = field_u64(&details.extra, "text_tokens");
            out.completion_image_tokens = field_u64(&details.extra, "image_tokens");
        }
        out
    }
}

/// Optional inputs to a cost calculation.
#[derive(Debug, Clone, Default)]
pub struct CostOptions {
    /// The provider, when the model string does not carry it.
    pub custom_llm_provider: Option<String>,
    /// `flex` or `priority` selects those tiers' prices where the table has them.
    pub service_tier: Option<String>,
    /// The call's duration, for models priced per second.
    pub response_time: Option<Duration>,
}

/// Prompt and completion cost in USD.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Cost {
    /// Cost of the prompt (input) side.
    pub prompt: Decimal,
    /// Cost of the completion (output) side.
    pub completion: Decimal,
}

impl Cost {
    /// Prompt plus completion.
    pub fn total(&self) -> Decimal {
        self.prompt + self.completion
    }
}

/// LiteLLM's `cost_per_token(model, prompt_tokens, completion_tokens)`:
/// the prompt and completion cost of `usage` on `model`.
pub fn cost_per_token(model: &str, usage: &TokenUsage) -> Result<Cost> {
    cost_per_token_with(model, usage, &CostOptions::default())
}

/// [`cost_per_token`] with a provider, service tier or duration.
///
/// Provider rules follow LiteLLM's `cost_per_token`: Vertex AI prices the
/// model without its prefix; xAI's completion excludes reasoning tokens, so
/// both are billed; Perplexity bills reasoning on top of the completion and
/// no cache discount; Fireworks AI, Databricks bill plain input and output;
/// DashScope's tiered price lists are charged progressively; Lemonade is
/// free; providers outside LiteLLM's list use the generic rule only when the
/// model has a token price.
pub fn cost_per_token_with(model: &str, usage: &TokenUsage, options: &CostOptions) -> Result<Cost> {
    raw_cost(model, usage, options).map(|cost| Cost {
        prompt: cost.prompt.normalize(),
        completion: cost.completion.normalize(),
    })
}

fn raw_cost(model: &str, usage: &TokenUsage, options: &CostOptions) -> Result<Cost> {
    let given = options.custom_llm_provider.as_deref();
    let resolved = memo::resolve(model, given);
    let provider = resolved.provider.as_str();
    if provider == "lemonade" {
        return Ok(Cost::default());
    }
    let Some(entry) = resolved.entry.as_ref() else {
        if is_local_provider(provider) {
            return Ok(Cost::default());
        }
        if let Some(bucket) = &resolved.fireworks_bucket {
            return Ok(plain_cost(bucket, usage));
        }
        return Err(Error::new(
            ErrorKind::NotFound,
            format!(
                "no price for model '{}': it is not in the model table; register a price \
                 with lmrelay::models::register_models or in the user model file (`lmrelay \
                 models update --from FILE`)",
                resolved.model
            ),
        ));
    };
    if let Some(seconds) = per_second_cost(entry, options.response_time) {
        return Ok(seconds);
    }
    let tier = options.service_tier.as_deref();
    Ok(match provider {
        "xai" => {
            let merged = TokenUsage {
                completion_tokens: usage.completion_tokens + usage.reasoning_tokens,
                completion_text_tokens: 0,
                reasoning_tokens: 0,
                completion_audio_tokens: 0,
                completion_image_tokens: 0,
                has_completion_details: false,
                ..usage.clone()
            };
            generic_cost(entry, &merged, tier)
        }
        "perplexity" => perplexity_cost(entry, usage),
        "fireworks_ai" | "databricks" => plain_cost(entry, usage),
        "dashscope" => dashscope_cost(entry, usage),
        "vertex_ai" | "anthropic" | "bedrock" | "openai" | "gemini" | "deepseek" | "azure"
        | "azure_ai" => generic_cost(entry, usage, tier),
        _ => {
            let priced = ["input_cost_per_token", "output_cost_per_token"]
                .into_iter()
                .any(|key| entry.price(key).is_some_and(|p| p > Decimal::ZERO));
            if priced {
                generic_cost(entry, usage, tier)
            } else {
                Cost::default()
            }
        }
    })
}

/// Models priced by the second (`input_cost_per_second`) cost their duration.
fn per_second_cost(entry: &ModelEntry, duration: Option<Duration>) -> Option<Cost> {
    let input = entry.price("input_cost_per_second")?;
    let duration = duration?;
    let seconds = Decimal::from(duration.as_millis()) / Decimal::from(1000);
    let output = entry.price("output_cost_per_second").unwrap_or_default();
    Some(Cost {
        prompt: input * seconds,
        completion: output * seconds,
    })
}

/// A price, with `_flex` / `_priority` keys falling back to the standard one.
fn unit_price(entry: &ModelEntry, key: &str) -> Option<Decimal> {
    entry.price(key).or_else(|| {
        ["_flex", "_priority"]
            .into_iter()
            .find(|suffix| key.contains(suffix))
            .and_then(|suffix| entry.price(&key.replacen(suffix, "", 1)))
    })
}

fn tier_key(base: &str, service_tier: Option<&str>) -> String {
    match service_tier.map(str::to_lowercase).as_deref() {
        Some(tier @ ("flex" | "priority")) => format!("{base}_{tier}"),
        _ => base.to_owned(),
    }
}

struct BasePrices {
    input: Decimal,
    output: Decimal,
    cache_creation: Decimal,
    cache_creation_1h: Decimal,
    cache_read: Decimal,
}

/// LiteLLM's `_get_token_base_cost`: base prices, replaced by a tier's when
/// the prompt is above its threshold (largest threshold key first, in the
/// table's text order).
fn base_prices(entry: &ModelEntry, usage: &TokenUsage, tier: Option<&str>) -> BasePrices {
    let price = |key: &str| unit_price(entry, key).unwrap_or_default();
    let mut prices = BasePrices {
        input: price(&tier_key("input_cost_per_token", tier)),
        output: price(&tier_key("output_cost_per_token", tier)),
        cache_creation: price(&tier_key("cache_creation_input_token_cost", tier)),
        cache_creation_1h: price("cache_creation_input_token_cost_above_1hr"),
        cache_read: price(&tier_key("cache_read_input_token_cost", tier)),
    };
    if prices.output.is_zero()
        && let Some(image) = unit_price(entry, "output_cost_per_image_token")
    {
        prices.output = image;
    }
    let mut thresholds: Vec<&String> = entry
        .fields
        .keys()
        .filter(|k| {
            k.starts_with("input_cost_per_token_above_")
                && !k.ends_with("_flex")
                && !k.ends_with("_priority")
                && !k.ends_with("_standard")
        })
        .collect();
    thresholds.sort_by(|a, b| b.cmp(a));
    for key in thresholds {
        if entry.fields.get(key.as_str()).is_none_or(Value::is_null) {
            continue;
        }
        let Some(label) = key
            .split_once("_above_")
            .and_then(|(_, rest)| rest.split_once("_tokens"))
            .map(|(label, _)| label)
        else {
            continue;
        };
        // LiteLLM's model info carries only these tiers; others never apply.
        if !["128k", "200k", "272k"].contains(&label) {
            continue;
        }
        let Some(threshold) = parse_threshold(label) else {
            continue;
        };
        if Decimal::from(usage.prompt_tokens) <= threshold {
            continue;
        }
        let input_key = match tier {
            Some(_) => tier_key(&format!("input_cost_per_token_above_{label}_tokens"), tier),
            None => key.clone(),
        };
        let output_key = tier_key(&format!("output_cost_per_token_above_{label}_tokens"), tier);
        prices.input = unit_price(entry, &input_key).unwrap_or(prices.input);
        prices.output = unit_price(entry, &output_key).unwrap_or(prices.output);
        let creation = format!("cache_creation_input_token_cost_above_{label}_tokens");
        let creation_1h = format!("cache_creation_input_token_cost_above_1hr_above_{label}_tokens");
        let read = format!("cache_read_input_token_cost_above_{label}_tokens");
        if entry.fields.contains_key(&creation) {
            prices.cache_creation = unit_price(entry, &creation).unwrap_or(prices.cache_creation);
        }
        if entry.fields.contains_key(&creation_1h) {
            prices.cache_creation_1h =
                unit_price(entry, &creation_1h).unwrap_or(prices.cache_creation_1h);
        }
        if entry.fields.contains_key(&read) {
            prices.cache_read = unit_price(entry, &read).unwrap_or(prices.cache_read);
        }
        break;
    }
    prices
}

/// `128k` is 128000, `200` is 200.
fn parse_threshold(label: &str) -> Option<Decimal> {
    let (digits, scale) = match label.strip_suffix('k') {
        Some(digits) => (digits, 1000),
        None => (label, 1),
    };
    let value: Decimal = digits.parse().ok()?;
    Some(value * Decimal::from(scale))
}

/// LiteLLM's `generic_cost_per_token`, in decimals.
fn generic_cost(entry: &ModelEntry, usage: &TokenUsage, tier: Option<&str>) -> Cost {
    let prices = base_prices(entry, usage, tier);
    let tokens = Decimal::from;
    let optional_price = |key: &str| unit_price(entry, key);

    // Prompt side.
    let (read, written) = (usage.cache_read_tokens, usage.cache_creation_tokens);
    let (audio, image) = (usage.prompt_audio_tokens, usage.prompt_image_tokens);
    let details_total = usage.prompt_text_tokens + read + audio + written + image;
    let double_counted = read > 0 && details_total > usage.prompt_tokens;
    // As in LiteLLM, the text share is not clamped: more cached than prompt
    // tokens gives a negative text share.
    let text = if !usage.has_prompt_details || usage.prompt_text_tokens == 0 || double_counted {
        tokens(usage.prompt_tokens) - tokens(read) - tokens(audio) - tokens(written) - tokens(image)
    } else {
        tokens(usage.prompt_text_tokens)
    };
    let mut prompt = text * prices.input + tokens(read) * prices.cache_read;
    if audio > 0 {
        let key = tier_key("input_cost_per_audio_token", tier);
        prompt += optional_price(&key).unwrap_or_default() * tokens(audio);
    }
    if image > 0 {
        let per_image_token = optional_price("input_cost_per_image_token")
            .or_else(|| optional_price("input_cost_per_token"))
            .unwrap_or_default();
        prompt += per_image_token * tokens(image);
    }
    match usage.cache_creation_split {
        Some((five_minutes, one_hour)) => {
            prompt += tokens(five_minutes) * prices.cache_creation
                + tokens(one_hour) * prices.cache_creation_1h;
        }
        None if written > 0 => prompt += tokens(written) * prices.cache_creation,
        None => {}
    }

    // Completion side.
    let (reasoning, c_audio, c_image) = (
        usage.reasoning_tokens,
        usage.completion_audio_tokens,
        usage.completion_image_tokens,
    );
    let mut c_text = usage.completion_text_tokens;
    let mut text_is_total = false;
    if c_text == 0 {
        if reasoning > 0 || c_audio > 0 || c_image > 0 {
            c_text = usage
                .completion_tokens
                .saturating_sub(reasoning)
                .saturating_sub(c_audio)
                .saturating_sub(c_image);
        } else {
            c_text = usage.completion_tokens;
            text_is_total = true;
        }
    }
    let mut completion = tokens(c_text) * prices.output;
    if !text_is_total {
        for (count, key) in [
            (c_audio, "output_cost_per_audio_token"),
            (reasoning, "output_cost_per_reasoning_token"),
            (c_image, "output_cost_per_image_token"),
        ] {
            if count > 0 {
                completion += tokens(count) * optional_price(key).unwrap_or(prices.output);
            }
        }
    }
    Cost { prompt, completion }
}

/// The cost of `usage` for the call `meta` describes; `None` if unpriced.
pub(crate) fn price_usage(meta: &ResponseMeta, usage: &Usage) -> Option<Decimal> {
    if meta.cache_hit {
        return Some(Decimal::ZERO);
    }
    let model = meta.requested_model.as_deref()?;
    let options = CostOptions {
        custom_llm_provider: meta.provider.clone(),
        ..CostOptions::default()
    };
    cost_per_token_with(model, &TokenUsage::from_usage(usage), &options)
        .ok()
        .map(|cost| cost.total())
}

/// LiteLLM's `completion_cost(completion_response=...)`: the cost of a
/// response from its usage, priced for the model the call asked for (or,
/// for a response built elsewhere, the model it names).
pub fn completion_cost(response: &ChatCompletionResponse) -> Result<Decimal> {
    if response.meta.cache_hit {
        return Ok(Decimal::ZERO);
    }
    let usage = response.usage.as_ref().ok_or_else(|| {
        Error::new(
            ErrorKind::BadRequest,
            "the response has no usage to price; for streams, ask for it with include_usage(true)",
        )
    })?;
    let model = response
        .meta
        .requested_model
        .as_deref()
        .unwrap_or(&response.model);
    let options = CostOptions {
        custom_llm_provider: response.meta.provider.clone(),
        ..CostOptions::default()
    };
    Ok(cost_per_token_with(model, &TokenUsage::from_usage(usage), &options)?.total())
}

/// Responses whose cost the SDK fills in after a call.
pub(crate) trait Priced {
    /// The response's meta.
    fn meta_mut(&mut self) -> &mut ResponseMeta;
    /// The response's meta, read only.
    fn meta(&self) -> &ResponseMeta;
    /// The cost recorded by [`Priced::set_meta`].
    fn priced_cost(&self) -> Option<Decimal> {
        self.meta().cost
    }
    /// The usage to price (borrowed when the response holds it as is).
    fn usage_to_price(&self) -> Option<Cow<'_, Usage>>;

    /// Records who asked and answered, and the cost.
    fn set_meta(&mut self, requested_model: &str, provider: &str) {
        let meta = self.meta_mut();
        meta.requested_model = Some(requested_model.to_owned());
        meta.provider = Some(provider.to_owned());
        let cost = self
            .usage_to_price()
            .and_then(|usage| price_usage(self.meta(), &usage));
        self.meta_mut().cost = cost;
    }
}

impl Priced for ChatCompletionResponse {
    fn meta_mut(&mut self) -> &mut ResponseMeta {
        &mut self.meta
    }
    fn meta(&self) -> &ResponseMeta {
        &self.meta
    }
    fn usage_to_price(&self) -> Option<Cow<'_, Usage>> {
        self.usage.as_ref().map(Cow::Borrowed)
    }
}

impl Priced for TextCompletionResponse {
    fn meta_mut(&mut self) -> &mut ResponseMeta {
        &mut self.meta
    }
    fn meta(&self) -> &ResponseMeta {
        &self.meta
    }
    fn usage_to_price(&self) -> Option<Cow<'_, Usage>> {
        self.usage.as_ref().map(Cow::Borrowed)
    }
}

impl Priced for EmbeddingResponse {
    fn meta_mut(&mut self) -> &mut ResponseMeta {
        &mut self.meta
    }
    fn meta(&self) -> &ResponseMeta {
        &self.meta
    }
    fn usage_to_price(&self) -> Option<Cow<'_, Usage>> {
        self.usage
            .as_ref()
            .map(|usage| Cow::Owned(Usage::new(usage.prompt_tokens, 0)))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use std::str::FromStr;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn plain_openai_cost_is_exact() {
        let cost = cost_per_token("gpt-4o", &TokenUsage::new(1000, 500)).unwrap();
        assert_eq!(cost.prompt, dec("0.0025"));
        assert_eq!(cost.completion, dec("0.005"));
        assert_eq!(cost.total(), dec("0.0075"));
    }

    #[test]
    fn cached_tokens_use_the_cache_read_price() {
        let usage = TokenUsage {
            cache_read_tokens: 400,
            has_prompt_details: true,
            ..TokenUsage::new(1000, 0)
        };
        let cost = cost_per_token("gpt-4o", &usage).unwrap();
        // 600 at 2.5e-6 plus 400 at 1.25e-6.
        assert_eq!(cost.prompt, dec("0.002"));
    }

    #[test]
    fn tier_above_threshold_applies_to_every_kind() {
        let below = cost_per_token("claude-sonnet-4-5", &TokenUsage::new(200_000, 10)).unwrap();
        let above = cost_per_token("claude-sonnet-4-5", &TokenUsage::new(200_001, 10)).unwrap();
        assert_eq!(below.prompt, dec("0.6"));
        assert_eq!(above.prompt, dec("1.200006"));
        assert_eq!(above.completion, dec("0.000225"));
    }

    #[test]
    fn local_models_cost_nothing_unknown_cloud_models_are_errors() {
        let local = cost_per_token("llamafile/gemma-3-3b", &TokenUsage::new(10, 10)).unwrap();
        assert_eq!(local.total(), Decimal::ZERO);
        let err = cost_per_token("openai/not-a-model", &TokenUsage::new(1, 1)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }
}
