//! Finding a model's entry the way LiteLLM's `_get_model_info_helper` does.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::table::{self, ModelEntry};

/// Lower-cased key to table key, for LiteLLM's case-insensitive fallback.
static LOWERCASE_KEYS: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    table::keys()
        .into_iter()
        .map(|key| (key.to_lowercase(), key))
        .collect()
});

/// Every provider name: our provider table's prefixes and the table's
/// `litellm_provider` values.
static PROVIDER_NAMES: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let mut names: HashSet<String> = crate::providers::all()
        .map(|all| all.iter().map(|p| p.prefix.clone()).collect())
        .unwrap_or_default();
    for key in table::keys() {
        if let Some(provider) = table::entry(&key)
            .as_ref()
            .and_then(|entry| entry.text("litellm_provider"))
        {
            names.insert(provider.to_owned());
        }
    }
    names
});

/// The entry under `key`, or under the key that equals it ignoring case.
pub(crate) fn entry_case_insensitive(key: &str) -> Option<ModelEntry> {
    if let Some(entry) = table::entry(key) {
        return Some(entry);
    }
    let matched = LOWERCASE_KEYS.get(&key.to_lowercase())?;
    table::entry(matched)
}

/// The provider a table entry belongs to, as LiteLLM's `get_llm_provider`
/// names it (`vertex_ai-language-models` is `vertex_ai`).
fn provider_of_entry(entry: &ModelEntry) -> Option<String> {
    let provider = entry.text("litellm_provider")?;
    let family = ["vertex_ai", "fireworks_ai", "bedrock"]
        .into_iter()
        .find(|family| provider.starts_with(family));
    Some(family.unwrap_or(provider).to_owned())
}

/// Splits `model` into its provider and the model name the provider knows:
/// the given provider, else a known prefix, else the provider of the table
/// entry of the bare name. `(None, model)` when nothing says.
pub fn split_provider(model: &str, custom_llm_provider: Option<&str>) -> (Option<String>, String) {
    if let Some(provider) = custom_llm_provider {
        let bare = model
            .strip_prefix(provider)
            .and_then(|rest| rest.strip_prefix('/'))
            .unwrap_or(model);
        return (Some(provider.to_owned()), bare.to_owned());
    }
    if let Some((prefix, rest)) = model.split_once('/')
        && PROVIDER_NAMES.contains(prefix)
    {
        return (Some(prefix.to_owned()), rest.to_owned());
    }
    let provider = entry_case_insensitive(model).and_then(|entry| provider_of_entry(&entry));
    (provider, model.to_owned())
}

/// Whether an entry may answer for `provider` (LiteLLM's `_check_provider_match`).
fn provider_matches(entry: &ModelEntry, provider: Option<&str>) -> bool {
    let (Some(wanted), Some(have)) = (provider, entry.text("litellm_provider")) else {
        return true;
    };
    if wanted == have {
        return true;
    }
    (wanted == "vertex_ai" && have.starts_with("vertex_ai"))
        || (wanted == "fireworks_ai" && have.starts_with("fireworks_ai"))
        || (wanted.starts_with("bedrock") && have.starts_with("bedrock"))
        || wanted == "litellm_proxy"
        || (wanted == "azure_ai" && (have == "azure" || have == "openai"))
        || wanted == "github"
}

/// The model without decorations the table does not carry: Bedrock regions,
/// routes and versions, Vertex/Gemini `-001` versions, fine-tune suffixes.
fn strip_model_name(model: &str, provider: Option<&str>) -> String {
    match provider {
        Some("bedrock" | "bedrock_converse") => bedrock_base_model(model),
        Some("vertex_ai" | "gemini" | "databricks") => strip_numeric_version(model),
        _ if model.contains("ft:") => strip_finetune(model),
        _ => model.to_owned(),
    }
}

fn strip_numeric_version(model: &str) -> String {
    match model.rsplit_once('-') {
        Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => {
            head.to_owned()
        }
        _ => model.to_owned(),
    }
}

/// `ft:gpt-3.5-turbo:org:suffix:id` becomes `ft:gpt-3.5-turbo`.
fn strip_finetune(model: &str) -> String {
    let parts: Vec<&str> = model.rsplitn(4, ':').collect();
    if parts.len() == 4 && parts[..3].iter().all(|p| !p.is_empty()) {
        parts[3].to_owned()
    } else {
        model.to_owned()
    }
}

const BEDROCK_CROSS_REGION: &[&str] = &["global", "us", "eu", "apac", "jp", "au", "us-gov"];

fn bedrock_base_model(model: &str) -> String {
    let mut stripped = model;
    for route in ["bedrock/converse/", "bedrock/", "converse/"] {
        if let Some(rest) = stripped.strip_prefix(route) {
            stripped = rest;
            break;
        }
    }
    if stripped.starts_with("nova-2/") {
        return "amazon.nova-2-custom".to_owned();
    }
    if stripped.starts_with("nova/") {
        return "amazon.nova-custom".to_owned();
    }
    let mut model = model.to_owned();
    for prefix in [
        "bedrock/",
        "converse/",
        "invoke/",
        "openai/",
        "nova-2/",
        "nova/",
    ] {
        if model.starts_with(prefix)
            && let Some((_, rest)) = model.split_once('/')
        {
            model = rest.to_owned();
        }
    }
    if model.to_lowercase().contains("arn") {
        model = model.rsplit('/').next().unwrap_or(&model).to_owned();
    }
    // model:version:51k keeps model:version.
    if let Some((head, tier)) = model.rsplit_once(':')
        && tier.ends_with('k')
        && tier[..tier.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && tier.len() > 1
        && head
            .rsplit_once(':')
            .is_some_and(|(_, v)| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
    {
        model = head.to_owned();
    }
    if let Some((region, rest)) = model.split_once('.')
        && BEDROCK_CROSS_REGION.contains(&region)
    {
        return rest.to_owned();
    }
    if let Some((region, rest)) = model.split_once('/')
        && is_aws_region(region)
    {
        return rest.to_owned();
    }
    model
}

fn is_aws_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// LiteLLM's Azure aliases (`azure_llms`, `azure_embedding_models`).
const AZURE_ALIASES: &[(&str, &str)] = &[
    ("gpt-35-turbo", "azure/gpt-35-turbo"),
    ("gpt-35-turbo-16k", "azure/gpt-35-turbo-16k"),
    ("gpt-35-turbo-instruct", "azure/gpt-35-turbo-instruct"),
    ("azure/gpt-41", "gpt-4.1"),
    ("azure/gpt-41-mini", "gpt-4.1-mini"),
    ("azure/gpt-41-nano", "gpt-4.1-nano"),
    ("ada", "azure/ada"),
];

/// The table entry for `model`, trying LiteLLM's candidate keys in order.
pub fn find_entry(model: &str, custom_llm_provider: Option<&str>) -> Option<ModelEntry> {
    let model = AZURE_ALIASES
        .iter()
        .find(|(alias, _)| *alias == model)
        .map_or(model, |(_, real)| real);
    let (provider, split) = split_provider(model, custom_llm_provider);
    let provider = provider.as_deref();
    let (combined, stripped, combined_stripped) = match custom_llm_provider {
        None => {
            let stripped = strip_model_name(model, provider);
            (model.to_owned(), stripped.clone(), stripped)
        }
        Some(given) => {
            let stripped = strip_model_name(&split, Some(given));
            let combined = if model.starts_with(&format!("{given}/")) {
                model.to_owned()
            } else {
                format!("{given}/{model}")
            };
            (combined, stripped.clone(), format!("{given}/{stripped}"))
        }
    };
    [
        combined.as_str(),
        model,
        &combined_stripped,
        &stripped,
        &split,
    ]
    .into_iter()
    .filter_map(entry_case_insensitive)
    .find(|entry| provider_matches(entry, provider))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_like_litellm() {
        assert_eq!(
            bedrock_base_model("us.meta.llama3-2-11b-instruct-v1:0"),
            "meta.llama3-2-11b-instruct-v1:0"
        );
        assert_eq!(
            bedrock_base_model("anthropic.claude-3-5-sonnet-20241022-v2:0:51k"),
            "anthropic.claude-3-5-sonnet-20241022-v2:0"
        );
        assert_eq!(bedrock_base_model("us-east-1/amazon.titan"), "amazon.titan");
        assert_eq!(
            strip_numeric_version("gemini-1.5-flash-001"),
            "gemini-1.5-flash"
        );
        assert_eq!(
            strip_finetune("ft:gpt-3.5-turbo:my-org:custom:id"),
            "ft:gpt-3.5-turbo"
        );
    }

    #[test]
    fn provider_split_prefers_known_prefixes() {
        assert_eq!(
            split_provider("anthropic/claude-x", None),
            (Some("anthropic".to_owned()), "claude-x".to_owned())
        );
        assert_eq!(split_provider("gpt-4o", None).0.as_deref(), Some("openai"));
        assert_eq!(split_provider("no-such-model", None).0, None);
    }
}
