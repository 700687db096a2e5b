//! The model table: LiteLLM's `model_prices_and_context_window` data embedded
//! at build time, overlaid by the user's own file and by runtime
//! registrations. No network at start-up; the embedded JSON is indexed
//! lazily, on the first lookup, without copying it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{LazyLock, RwLock};

use rust_decimal::Decimal;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};

/// LiteLLM's price and context-window table (MIT), from the pinned wheel
/// litellm 1.82.6 (`model_prices_and_context_window_backup.json`).
pub const EMBEDDED_TABLE: &str = include_str!("../../data/model_prices_and_context_window.json");

/// The version of LiteLLM the embedded table comes from.
pub const EMBEDDED_TABLE_SOURCE: &str = "litellm 1.82.6";

/// Environment variable naming the user's model file (default
/// `$XDG_CONFIG_HOME/lmrelay/model_prices.json`).
pub const USER_TABLE_ENV: &str = "LMRELAY_MODEL_PRICES";

/// One entry of the table: the JSON object as LiteLLM writes it, with typed
/// accessors. Prices are read as exact decimals.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelEntry {
    /// The key the entry was found under (`gpt-4o`, `gemini/gemini-2.5-pro`).
    pub key: String,
    /// The fields.
    pub fields: Map<String, Value>,
}

impl ModelEntry {
    /// A price field (`input_cost_per_token`, ...) as an exact decimal.
    pub fn price(&self, name: &str) -> Option<Decimal> {
        self.fields.get(name).and_then(json_decimal)
    }

    /// An integer field (`max_tokens`, ...).
    pub fn integer(&self, name: &str) -> Option<u64> {
        let value = self.fields.get(name)?;
        value
            .as_u64()
            .or_else(|| value.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
    }

    /// A boolean field (`supports_vision`, ...).
    pub fn flag(&self, name: &str) -> Option<bool> {
        self.fields.get(name).and_then(Value::as_bool)
    }

    /// A string field (`mode`, `litellm_provider`, ...).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }
}

/// A JSON number as the exact decimal its shortest text denotes: `2.5e-06`
/// becomes 0.0000025, not the binary neighbour of it.
pub fn json_decimal(value: &Value) -> Option<Decimal> {
    let number = value.as_number()?;
    if let Some(int) = number.as_i64() {
        return Some(Decimal::from(int));
    }
    let float = number.as_f64()?;
    // Rust prints the shortest text that reads back as the same f64, without
    // an exponent; that is the decimal the table's author wrote.
    Decimal::from_str(&format!("{float}"))
        .ok()
        .or_else(|| Decimal::from_str_exact(&format!("{float:e}")).ok())
        .or_else(|| Decimal::from_scientific(&format!("{float:e}")).ok())
}

struct Overlay {
    user_file: Option<Map<String, Value>>,
    registered: Map<String, Value>,
}

static EMBEDDED_INDEX: LazyLock<HashMap<&'static str, &'static RawValue>> =
    LazyLock::new(|| serde_json::from_str(EMBEDDED_TABLE).unwrap_or_default());

static OVERLAY: LazyLock<RwLock<Overlay>> = LazyLock::new(|| {
    let user_file = user_table_path()
        .filter(|path| path.exists())
        .and_then(|path| load_user_table(&path).ok());
    RwLock::new(Overlay {
        user_file,
        registered: Map::new(),
    })
});

/// Where the user's model file lives: `$LMRELAY_MODEL_PRICES`, else
/// `$XDG_CONFIG_HOME/lmrelay/model_prices.json`, else
/// `~/.config/lmrelay/model_prices.json`.
pub fn user_table_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(USER_TABLE_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(config.join("lmrelay").join("model_prices.json"))
}

/// Reads and validates a user model file (see [`validate_table`]).
pub fn load_user_table(path: &Path) -> Result<Map<String, Value>> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        Error::new(
            ErrorKind::BadRequest,
            format!("cannot read model file {}: {err}", path.display()),
        )
    })?;
    validate_table(&text).map_err(|err| err.context(format!("model file {}", path.display())))
}

/// Bumped whenever the table changes, so memoised lookups know to forget.
static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The table's version in this process: it changes whenever a model is
/// registered, so anything remembered from the table can be dropped.
pub fn generation() -> u64 {
    GENERATION.load(std::sync::atomic::Ordering::Acquire)
}

/// Registers or overrides models for this process, like LiteLLM's
/// `register_model`: each field given replaces the same field of the known
/// entry; unknown models are added. The value is validated first.
pub fn register_models(models: &Value) -> Result<()> {
    let text = models.to_string();
    let valid = validate_table(&text)?;
    let mut overlay = OVERLAY
        .write()
        .map_err(|_| Error::new(ErrorKind::APIError, "the model table lock is poisoned"))?;
    for (key, entry) in valid {
        merge_into(&mut overlay.registered, key, entry);
    }
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    Ok(())
}

fn merge_into(target: &mut Map<String, Value>, key: String, entry: Value) {
    match (target.get_mut(&key), entry) {
        (Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
        (_, entry) => {
            target.insert(key, entry);
        }
    }
}

/// The entry stored under exactly `key`: embedded data, then the user's file,
/// then runtime registrations, merged field by field.
pub fn entry(key: &str) -> Option<ModelEntry> {
    let mut fields: Option<Map<String, Value>> = EMBEDDED_INDEX
        .get(key)
        .and_then(|raw| serde_json::from_str(raw.get()).ok());
    if let Ok(overlay) = OVERLAY.read() {
        for layer in [overlay.user_file.as_ref(), Some(&overlay.registered)]
            .into_iter()
            .flatten()
        {
            if let Some(Value::Object(extra)) = layer.get(key) {
                fields.get_or_insert_with(Map::new).extend(extra.clone());
            }
        }
    }
    fields.map(|fields| ModelEntry {
        key: key.to_owned(),
        fields,
    })
}

/// Every key in the table (embedded and user), sorted, without `sample_spec`.
pub fn keys() -> Vec<String> {
    let mut keys: Vec<String> = EMBEDDED_INDEX.keys().map(|key| (*key).to_owned()).collect();
    if let Ok(overlay) = OVERLAY.read() {
        for layer in [overlay.user_file.as_ref(), Some(&overlay.registered)]
            .into_iter()
            .flatten()
        {
            keys.extend(layer.keys().cloned());
        }
    }
    keys.retain(|key| key != "sample_spec");
    keys.sort();
    keys.dedup();
    keys
}

/// Checks a model table (the embedded format): a JSON object of objects whose
/// price fields are non-negative numbers, limits non-negative integers,
/// `supports_*` booleans and `mode`/`litellm_provider` strings. A model not in
/// the embedded table must name its `litellm_provider`. Each problem names the
/// model, the field and the fix.
pub fn validate_table(text: &str) -> Result<Map<String, Value>> {
    let bad = |message: String| Error::new(ErrorKind::BadRequest, message);
    let value: Value = serde_json::from_str(text).map_err(|err| {
        bad(format!(
            "not valid JSON ({err}); the file must be a JSON object mapping model names to \
             objects, as in LiteLLM's model_prices_and_context_window.json"
        ))
    })?;
    let Value::Object(mut models) = value else {
        return Err(bad(
            "the top level must be a JSON object mapping model names to entries, \
             for example {\"my-model\": {\"litellm_provider\": \"openai\", \
             \"input_cost_per_token\": 1e-06}}"
                .to_owned(),
        ));
    };
    models.remove("sample_spec");
    let mut problems = Vec::new();
    for (model, entry) in &models {
        let Value::Object(fields) = entry else {
            problems.push(format!("{model}: must be an object of fields"));
            continue;
        };
        if !EMBEDDED_INDEX.contains_key(model.as_str()) && !fields.contains_key("litellm_provider")
        {
            problems.push(format!(
                "{model}: a new model needs \"litellm_provider\" (for example \"openai\" or \
                 \"llamafile\")"
            ));
        }
        for (field, value) in fields {
            if let Some(problem) = field_problem(field, value) {
                problems.push(format!("{model}.{field}: {problem}"));
            }
        }
    }
    if problems.is_empty() {
        Ok(models)
    } else {
        problems.truncate(20);
        Err(bad(format!(
            "the model table has errors: {}",
            problems.join("; ")
        )))
    }
}

const MODES: &[&str] = &[
    "chat",
    "completion",
    "embedding",
    "image_generation",
    "image_edit",
    "audio_transcription",
    "audio_speech",
    "moderation",
    "rerank",
    "search",
    "responses",
    "video_generation",
    "ocr",
    "vector_store",
];

fn field_problem(field: &str, value: &Value) -> Option<String> {
    let is_price = field.contains("cost_per") || field.ends_with("_cost");
    if is_price && !value.is_object() && !value.is_array() {
        return match value.as_f64() {
            Some(price) if price >= 0.0 && price.is_finite() => None,
            _ => Some(format!(
                "a price must be a non-negative number of USD per unit, got {value}"
            )),
        };
    }
    if field.starts_with("max_") && field.ends_with("tokens") {
        return match value.as_f64() {
            Some(n) if n >= 0.0 && n.fract() == 0.0 => None,
            _ => Some(format!("must be a whole number of tokens, got {value}")),
        };
    }
    if field.starts_with("supports_") && !value.is_boolean() {
        return Some(format!("must be true or false, got {value}"));
    }
    if field == "litellm_provider" && !value.is_string() {
        return Some(format!(
            "must be a provider name such as \"openai\", got {value}"
        ));
    }
    if field == "mode" {
        return match value.as_str() {
            Some(mode) if MODES.contains(&mode) => None,
            _ => Some(format!("must be one of {}, got {value}", MODES.join(", "))),
        };
    }
    None
}

/// Replaces the user's model file with `source` after validating it; returns
/// the number of models and the path written. The write is atomic.
pub fn install_user_table(source: &Path, destination: &Path) -> Result<usize> {
    let models = load_user_table(source)?;
    let io = |what: &str, err: std::io::Error| {
        Error::new(
            ErrorKind::APIError,
            format!("cannot {what} {}: {err}", destination.display()),
        )
    };
    let dir = destination.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|err| io("create the folder of", err))?;
    let text = serde_json::to_string_pretty(&Value::Object(models.clone()))
        .map_err(|err| Error::new(ErrorKind::APIError, err.to_string()))?;
    let temp = destination.with_extension("json.tmp");
    std::fs::write(&temp, text).map_err(|err| io("write", err))?;
    std::fs::rename(&temp, destination).map_err(|err| io("replace", err))?;
    Ok(models.len())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn embedded_table_indexes_and_reads_exact_prices() {
        let gpt4o = entry("gpt-4o").unwrap();
        assert_eq!(gpt4o.text("litellm_provider"), Some("openai"));
        assert_eq!(
            gpt4o.price("input_cost_per_token"),
            Some(Decimal::from_str("0.0000025").unwrap())
        );
        assert_eq!(gpt4o.integer("max_input_tokens"), Some(128_000));
        assert!(keys().len() > 2000);
        assert!(!keys().contains(&"sample_spec".to_owned()));
    }

    #[test]
    fn json_decimal_keeps_the_written_digits() {
        for (text, want) in [("1e-05", "0.00001"), ("3e-07", "0.0000003"), ("0.1", "0.1")] {
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(json_decimal(&value), Some(Decimal::from_str(want).unwrap()));
        }
    }

    #[test]
    fn validation_names_model_field_and_fix() {
        let err = validate_table(r#"{"my-llm": {"input_cost_per_token": "cheap"}}"#).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("my-llm: a new model needs \"litellm_provider\""),
            "{text}"
        );
        assert!(
            text.contains("my-llm.input_cost_per_token: a price must be"),
            "{text}"
        );
        assert!(
            validate_table("[1]")
                .unwrap_err()
                .to_string()
                .contains("top level")
        );
        let ok = validate_table(r#"{"gpt-4o": {"input_cost_per_token": 1e-06}}"#).unwrap();
        assert_eq!(ok.len(), 1);
    }
}
