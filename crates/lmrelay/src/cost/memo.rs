//! Which model-table entry prices a `(model, provider)` pair, looked up once
//! and remembered: pricing every reply of a gateway would otherwise search
//! the table (several keys, JSON fields parsed) on each call. The memory is
//! dropped whenever the table changes (`register_models`) and is bounded.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use super::provider_rules::fireworks_bucket;
use crate::models::{self, ModelEntry, split_provider};

/// The lookups of one `(model, provider)` pair.
#[derive(Debug)]
pub(super) struct Resolved {
    /// The provider the rules are chosen by (empty when unknown).
    pub provider: String,
    /// The model as the table knows it (named in the not-found error).
    pub model: String,
    /// The entry with the prices, when there is one.
    pub entry: Option<ModelEntry>,
    /// Fireworks AI's size bucket, for its models missing from the table.
    pub fireworks_bucket: Option<ModelEntry>,
}

/// Pairs remembered at most; past it the memory starts again (model names
/// can come from callers, so it must not grow without bound).
const CAPACITY: usize = 1024;

struct Memo {
    generation: u64,
    pairs: HashMap<String, Arc<Resolved>>,
}

static MEMO: LazyLock<RwLock<Memo>> = LazyLock::new(|| {
    RwLock::new(Memo {
        generation: models::table::generation(),
        pairs: HashMap::new(),
    })
});

/// The lookups for `model` with the caller's provider, memoised.
pub(super) fn resolve(model: &str, given: Option<&str>) -> Arc<Resolved> {
    let mut key = String::with_capacity(model.len() + given.map_or(0, str::len) + 1);
    key.push_str(given.unwrap_or(""));
    key.push('\0');
    key.push_str(model);
    let generation = models::table::generation();
    if let Ok(memo) = MEMO.read()
        && memo.generation == generation
        && let Some(found) = memo.pairs.get(&key)
    {
        return Arc::clone(found);
    }
    let resolved = Arc::new(resolve_uncached(model, given));
    if let Ok(mut memo) = MEMO.write() {
        if memo.generation != generation || memo.pairs.len() >= CAPACITY {
            memo.pairs.clear();
            memo.generation = generation;
        }
        memo.pairs.insert(key, Arc::clone(&resolved));
    }
    resolved
}

/// LiteLLM's `cost_per_token` lookup order: the model with the caller's
/// provider, as given, without its prefix; Vertex AI without the prefix.
fn resolve_uncached(model: &str, given: Option<&str>) -> Resolved {
    let (provider, _) = split_provider(model, given);
    let provider = provider.unwrap_or_default();
    let no_prefix = model.split_once('/').map_or(model, |(_, rest)| rest);
    let with_provider = given.map_or_else(|| model.to_owned(), |p| format!("{p}/{model}"));
    let model = [with_provider.as_str(), model, no_prefix]
        .into_iter()
        .find(|key| models::table::entry(key).is_some())
        .unwrap_or(model);
    let (lookup_model, lookup_provider) = match provider.as_str() {
        "vertex_ai" => (no_prefix, Some("vertex_ai")),
        _ => (
            model,
            given.or(Some(provider.as_str())).filter(|p| !p.is_empty()),
        ),
    };
    let entry = models::find_entry(lookup_model, lookup_provider);
    let fireworks = if entry.is_none() && provider == "fireworks_ai" {
        models::table::entry(fireworks_bucket(no_prefix))
    } else {
        None
    };
    Resolved {
        model: model.to_owned(),
        provider,
        entry,
        fireworks_bucket: fireworks,
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;
    use serde_json::json;

    use crate::cost::{TokenUsage, cost_per_token};
    use crate::error::ErrorKind;

    fn usage() -> TokenUsage {
        TokenUsage {
            prompt_tokens: 1000,
            completion_tokens: 100,
            ..TokenUsage::default()
        }
    }

    #[test]
    fn a_registered_price_replaces_what_was_remembered() {
        // A name no other test uses: the table is process-wide.
        let model = "openai/memo-test-model-7f3a";
        let missing = cost_per_token(model, &usage()).unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        assert!(
            missing.message().contains("memo-test-model-7f3a"),
            "{}",
            missing.message()
        );

        let register = |input: &str, output: &str| {
            crate::models::register_models(&json!({
                "memo-test-model-7f3a": {
                    "litellm_provider": "openai",
                    "mode": "chat",
                    "input_cost_per_token": input.parse::<f64>().unwrap(),
                    "output_cost_per_token": output.parse::<f64>().unwrap(),
                }
            }))
            .unwrap();
        };
        register("0.000001", "0.000002");
        let first = cost_per_token(model, &usage()).unwrap();
        assert_eq!(first.prompt, Decimal::new(1, 3));
        assert_eq!(first.completion, Decimal::new(2, 4));
        // Asked again: the same answer (from the memo).
        assert_eq!(cost_per_token(model, &usage()).unwrap(), first);

        register("0.000003", "0.000004");
        let second = cost_per_token(model, &usage()).unwrap();
        assert_eq!(second.prompt, Decimal::new(3, 3));
        assert_eq!(second.completion, Decimal::new(4, 4));
    }
}
