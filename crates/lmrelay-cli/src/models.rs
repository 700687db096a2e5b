//! `lmrelay models list | info | update`.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use lmrelay::models::table::{self, EMBEDDED_TABLE_SOURCE, USER_TABLE_ENV};
use lmrelay::models::{ModelInfo, get_model_info};
use lmrelay::{Error, ErrorKind};
use serde_json::Value;

use crate::exit::Failure;

#[derive(Debug, Args)]
#[command(after_help = format!(
    "The table is LiteLLM's, embedded from {EMBEDDED_TABLE_SOURCE}, overlaid by the user \
     model file (${USER_TABLE_ENV}, else ~/.config/lmrelay/model_prices.json) that \
     `lmrelay models update` installs."
))]
pub struct ModelsArgs {
    #[command(subcommand)]
    command: ModelsCommand,
}

#[derive(Debug, Subcommand)]
enum ModelsCommand {
    /// List the models of the table, one key per line.
    List(ListArgs),
    /// Show what the table knows about one model: limits, prices, capabilities.
    Info(InfoArgs),
    /// Validate a model file and install it as the user model file, which
    /// overlays the embedded table (new models, or fields that replace the
    /// embedded ones).
    Update(UpdateArgs),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  lmrelay models list --provider anthropic\n  \
    lmrelay models list --provider vertex_ai --mode chat --json"
)]
struct ListArgs {
    /// Only this provider's models (`vertex_ai`, `bedrock` and `fireworks_ai`
    /// include their families, such as vertex_ai-anthropic_models).
    #[arg(long, value_name = "P")]
    provider: Option<String>,
    /// Only models of this mode (chat, embedding, completion, ...).
    #[arg(long, value_name = "MODE")]
    mode: Option<String>,
    /// Print a JSON array of {"model", "provider", "mode"}.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Values the table does not give show as \"unknown\" (null with --json).\n\n\
    Examples:\n  lmrelay models info gpt-4o\n  \
    lmrelay models info anthropic/claude-sonnet-4-5 --json"
)]
struct InfoArgs {
    /// Model string (gpt-4o, anthropic/claude-sonnet-4-5, llamafile/gemma-3-3b, ...).
    model: String,
    /// The provider, when the model string does not name it.
    #[arg(long, value_name = "P")]
    provider: Option<String>,
    /// Print the model information as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "The user model file is $LMRELAY_MODEL_PRICES, else \
    $XDG_CONFIG_HOME/lmrelay/model_prices.json, else ~/.config/lmrelay/model_prices.json. \
    It has the format of LiteLLM's model_prices_and_context_window.json; a model that the \
    embedded table does not know needs \"litellm_provider\".\n\n\
    Example:\n  lmrelay models update --from my_prices.json")]
struct UpdateArgs {
    /// The model file to install (a JSON object of model name to entry).
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
}

/// Provider names whose table entries come in families
/// (`vertex_ai-language-models`, `bedrock_converse`, ...).
const FAMILIES: &[&str] = &["vertex_ai", "fireworks_ai", "bedrock"];

fn provider_matches(have: &str, wanted: &str) -> bool {
    have == wanted || (FAMILIES.contains(&wanted) && have.starts_with(wanted))
}

fn encode(value: Result<Value, serde_json::Error>, what: &str) -> Result<String, Failure> {
    value
        .and_then(|value| serde_json::to_string_pretty(&value))
        .map_err(|err| Failure::Other(format!("could not encode the {what}: {err}")))
}

fn list(args: &ListArgs) -> Result<(), Failure> {
    let mut rows: Vec<(String, String, Option<String>)> = Vec::new();
    for key in table::keys() {
        let Some(entry) = table::entry(&key) else {
            continue;
        };
        let provider = entry.text("litellm_provider").unwrap_or("").to_owned();
        let mode = entry.text("mode").map(str::to_owned);
        if let Some(wanted) = &args.provider
            && !provider_matches(&provider, wanted)
        {
            continue;
        }
        if let Some(wanted) = &args.mode
            && mode.as_deref() != Some(wanted.as_str())
        {
            continue;
        }
        rows.push((key, provider, mode));
    }
    if rows.is_empty() {
        let mut wanted = Vec::new();
        if let Some(provider) = &args.provider {
            wanted.push(format!("provider '{provider}'"));
        }
        if let Some(mode) = &args.mode {
            wanted.push(format!("mode '{mode}'"));
        }
        return Err(Failure::Sdk(Error::new(
            ErrorKind::NotFound,
            format!(
                "the model table has no model of {}; check the spelling against the \
                 `litellm_provider` values of `lmrelay models list --json` (local providers \
                 such as llamafile and ollama accept any model without a table entry)",
                wanted.join(" and ")
            ),
        )));
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    if args.json {
        let items: Vec<Value> = rows
            .into_iter()
            .map(|(model, provider, mode)| {
                serde_json::json!({"model": model, "provider": provider, "mode": mode})
            })
            .collect();
        writeln!(out, "{}", encode(Ok(Value::Array(items)), "model list")?)?;
    } else {
        for (model, _, _) in &rows {
            writeln!(out, "{model}")?;
        }
    }
    out.flush()?;
    Ok(())
}

fn or_unknown(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "unknown".to_owned(), |v| v.to_string())
}

/// The `field: value` lines of `models info`.
fn info_lines(info: &ModelInfo) -> Vec<(&'static str, String)> {
    let provider = Some(info.litellm_provider.as_str()).filter(|p| !p.is_empty());
    vec![
        ("key", info.key.clone()),
        ("provider", or_unknown(provider)),
        ("mode", or_unknown(info.mode.as_deref())),
        ("max_input_tokens", or_unknown(info.max_input_tokens)),
        ("max_output_tokens", or_unknown(info.max_output_tokens)),
        (
            "input_cost_per_token",
            info.input_cost_per_token.normalize().to_string(),
        ),
        (
            "output_cost_per_token",
            info.output_cost_per_token.normalize().to_string(),
        ),
        (
            "supports_function_calling",
            or_unknown(info.supports_function_calling),
        ),
        (
            "supports_tool_choice",
            or_unknown(info.supports_tool_choice),
        ),
        ("supports_vision", or_unknown(info.supports_vision)),
        (
            "supports_response_schema",
            or_unknown(info.supports_response_schema),
        ),
        ("supports_reasoning", or_unknown(info.supports_reasoning)),
        (
            "supports_prompt_caching",
            or_unknown(info.supports_prompt_caching),
        ),
        (
            "supports_system_messages",
            or_unknown(info.supports_system_messages),
        ),
    ]
}

fn info(args: &InfoArgs) -> Result<(), Failure> {
    let info = get_model_info(&args.model, args.provider.as_deref())?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let text = encode(serde_json::to_value(&info), "model information")?;
        writeln!(out, "{text}")?;
        return Ok(());
    }
    let lines = info_lines(&info);
    let width = lines
        .iter()
        .map(|(name, _)| name.len() + 1)
        .max()
        .unwrap_or(0);
    for (name, value) in lines {
        let label = format!("{name}:");
        writeln!(out, "{label:<width$} {value}")?;
    }
    Ok(())
}

fn update(args: &UpdateArgs) -> Result<(), Failure> {
    let Some(destination) = table::user_table_path() else {
        return Err(Failure::Other(format!(
            "cannot tell where the user model file goes: none of {USER_TABLE_ENV}, \
             XDG_CONFIG_HOME and HOME is set; set {USER_TABLE_ENV} to the file's path, e.g. \
             {USER_TABLE_ENV}=/etc/lmrelay/model_prices.json"
        )));
    };
    let count = table::install_user_table(&args.from, &destination)?;
    let noun = if count == 1 { "model" } else { "models" };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(
        out,
        "installed {count} {noun} into {}",
        destination.display()
    )?;
    Ok(())
}

/// Runs `lmrelay models`.
pub fn run(args: ModelsArgs) -> Result<(), Failure> {
    match &args.command {
        ModelsCommand::List(list_args) => list(list_args),
        ModelsCommand::Info(info_args) => info(info_args),
        ModelsCommand::Update(update_args) => update(update_args),
    }
}
