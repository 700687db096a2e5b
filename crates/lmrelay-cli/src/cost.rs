//! `lmrelay cost`.

use std::io::Write;

use clap::Args;
use lmrelay::Decimal;
use lmrelay::cost::{CostOptions, TokenUsage, cost_per_token_with};

use crate::exit::Failure;

#[derive(Debug, Args)]
#[command(
    after_help = "Prices come from the model table (LiteLLM's, embedded, plus the user's \
    model file); costs are exact decimals in USD.\n\n\
    Examples:\n  lmrelay cost -m gpt-4o --prompt-tokens 1000 --completion-tokens 500\n  \
    lmrelay cost -m gpt-4o --prompt-tokens 1000 --cached-tokens 400 --completion-tokens 500\n  \
    lmrelay cost -m anthropic/claude-sonnet-4-5 --prompt-tokens 2000 --completion-tokens 300 --json"
)]
pub struct CostArgs {
    /// Model string (gpt-4o, anthropic/claude-sonnet-4-5, ...).
    #[arg(short, long, env = "LMRELAY_MODEL")]
    model: String,
    /// Prompt (input) tokens, cached ones included.
    #[arg(long, value_name = "N")]
    prompt_tokens: u64,
    /// Completion (output) tokens, reasoning ones included.
    #[arg(long, value_name = "N")]
    completion_tokens: u64,
    /// Of the prompt tokens, those read from the provider's prompt cache.
    #[arg(long, value_name = "N")]
    cached_tokens: Option<u64>,
    /// Of the prompt tokens, those written to the provider's prompt cache.
    #[arg(long, value_name = "N")]
    cache_creation_tokens: Option<u64>,
    /// Of the completion tokens, those spent on reasoning.
    #[arg(long, value_name = "N")]
    reasoning_tokens: Option<u64>,
    /// The provider, when the model string does not name it (openai, azure, ...).
    #[arg(long, value_name = "P")]
    provider: Option<String>,
    /// Print {"model", "prompt_cost", "completion_cost", "total_cost"}, costs as strings.
    #[arg(long)]
    json: bool,
}

fn usage(args: &CostArgs) -> Result<TokenUsage, Failure> {
    let mut usage = TokenUsage::new(args.prompt_tokens, args.completion_tokens);
    let cached = args.cached_tokens.unwrap_or(0);
    let written = args.cache_creation_tokens.unwrap_or(0);
    if cached.saturating_add(written) > args.prompt_tokens {
        return Err(Failure::Usage(format!(
            "--cached-tokens {cached} and --cache-creation-tokens {written} add up to more than \
             --prompt-tokens {}: the cached tokens are part of the prompt tokens",
            args.prompt_tokens
        )));
    }
    if args.cached_tokens.is_some() || args.cache_creation_tokens.is_some() {
        usage.cache_read_tokens = cached;
        usage.cache_creation_tokens = written;
        usage.has_prompt_details = true;
    }
    if let Some(reasoning) = args.reasoning_tokens {
        if reasoning > args.completion_tokens {
            return Err(Failure::Usage(format!(
                "--reasoning-tokens {reasoning} is more than --completion-tokens {}: the \
                 reasoning tokens are part of the completion tokens",
                args.completion_tokens
            )));
        }
        usage.reasoning_tokens = reasoning;
        usage.has_completion_details = true;
    }
    Ok(usage)
}

/// A cost as its exact decimal, without trailing zeros.
fn usd(value: Decimal) -> String {
    value.normalize().to_string()
}

/// Runs `lmrelay cost`.
pub fn run(args: CostArgs) -> Result<(), Failure> {
    let usage = usage(&args)?;
    let options = CostOptions {
        custom_llm_provider: args.provider.clone(),
        ..CostOptions::default()
    };
    let cost = cost_per_token_with(&args.model, &usage, &options)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let value = serde_json::json!({
            "model": args.model,
            "prompt_cost": usd(cost.prompt),
            "completion_cost": usd(cost.completion),
            "total_cost": usd(cost.total()),
        });
        let text = serde_json::to_string_pretty(&value)
            .map_err(|err| Failure::Other(format!("could not encode the cost: {err}")))?;
        writeln!(out, "{text}")?;
    } else {
        writeln!(out, "prompt: ${}", usd(cost.prompt))?;
        writeln!(out, "completion: ${}", usd(cost.completion))?;
        writeln!(out, "total: ${}", usd(cost.total()))?;
    }
    Ok(())
}
