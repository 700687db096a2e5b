//! `lmrelay chat`.

use std::io::{IsTerminal, Read, Write};
use std::time::Duration;

use clap::Args;
use futures::StreamExt;
use lmrelay::ChatRequest;

use crate::exit::Failure;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  lmrelay chat -m llamafile/gemma-3-3b \"Write a haiku\"\n  \
    git diff | lmrelay chat -m ollama/llama3 --system \"Summarise this diff\"\n  \
    lmrelay chat -m gpt-4o-mini --stream --max-tokens 200 \"Explain SSE\""
)]
pub struct ChatArgs {
    /// Model string: provider/model (llamafile/gemma-3-3b, openai/gpt-4o-mini, ...).
    #[arg(short, long, env = "LMRELAY_MODEL")]
    model: String,
    /// The prompt; read from standard input when absent.
    prompt: Option<String>,
    /// API base of the server (http://127.0.0.1:8080/v1 for a local llamafile).
    #[arg(long, value_name = "URL")]
    api_base: Option<String>,
    /// API key (default: the provider's environment variable, e.g. OPENAI_API_KEY).
    #[arg(
        long,
        value_name = "KEY",
        env = "LMRELAY_API_KEY",
        hide_env_values = true
    )]
    api_key: Option<String>,
    /// A system message sent before the prompt.
    #[arg(long, value_name = "TEXT")]
    system: Option<String>,
    /// Sampling temperature.
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    temperature: Option<f64>,
    /// Maximum tokens to generate.
    #[arg(long, value_name = "N")]
    max_tokens: Option<u32>,
    /// Retries of retryable failures (default 2).
    #[arg(long, value_name = "N")]
    num_retries: Option<u32>,
    /// Seconds to wait for each attempt (for --stream: for the first chunk and between chunks).
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    timeout: Option<f64>,
    /// Print tokens as they arrive.
    #[arg(long)]
    stream: bool,
    /// Print the whole response as JSON (with --stream: one chunk per line).
    #[arg(long)]
    json: bool,
    /// Answer with this text without calling the network (LiteLLM's
    /// mock_response); `litellm.RateLimitError` and the like fail instead.
    #[arg(long, value_name = "TEXT")]
    mock_response: Option<String>,
    /// Cache responses: `disk:DIR` (shared by processes on this machine) or
    /// `redis:URL` (shared by machines); an identical call is answered from it.
    #[arg(long, value_name = "STORE")]
    cache: Option<String>,
    /// After the reply, print the usage, the cost and whether it was a cache
    /// hit on stderr.
    #[arg(long)]
    usage: bool,
}

async fn open_cache(spec: &str) -> Result<lmrelay::cache::Cache, Failure> {
    match spec.split_once(':') {
        Some(("disk", dir)) if !dir.is_empty() => Ok(lmrelay::cache::Cache::disk(dir)?),
        Some(("redis", url)) if !url.is_empty() => Ok(lmrelay::cache::Cache::redis(url).await?),
        _ => Err(Failure::Usage(format!(
            "--cache '{spec}' is not a store; use disk:DIR or redis:URL (redis://127.0.0.1:6379/0)"
        ))),
    }
}

fn usage_line(
    usage: Option<&lmrelay::Usage>,
    cost: Option<lmrelay::Decimal>,
    cache_hit: bool,
) -> String {
    let tokens = usage.map_or_else(
        || "no usage reported".to_owned(),
        |u| {
            format!(
                "{} prompt + {} completion tokens",
                u.prompt_tokens, u.completion_tokens
            )
        },
    );
    let cost = cost.map_or_else(
        || "cost unknown".to_owned(),
        |c| format!("cost ${}", c.normalize()),
    );
    let hit = if cache_hit { ", cache hit" } else { "" };
    format!("usage: {tokens}, {cost}{hit}")
}

fn read_prompt(prompt: Option<String>) -> Result<String, Failure> {
    let text = match prompt {
        Some(text) => text,
        None => {
            let mut stdin = std::io::stdin();
            if stdin.is_terminal() {
                return Err(Failure::Usage(
                    "no prompt: pass it as an argument or pipe it on standard input".to_owned(),
                ));
            }
            let mut text = String::new();
            stdin
                .read_to_string(&mut text)
                .map_err(|err| Failure::Other(format!("could not read standard input: {err}")))?;
            text
        }
    };
    if text.trim().is_empty() {
        return Err(Failure::Usage(
            "the prompt is empty: pass some text as an argument or on standard input".to_owned(),
        ));
    }
    Ok(text)
}

fn build_request(args: &ChatArgs, prompt: String) -> Result<ChatRequest, Failure> {
    let mut request = ChatRequest::new(args.model.clone());
    if let Some(system) = &args.system {
        request = request.system(system.clone());
    }
    request = request.user(prompt);
    if let Some(base) = &args.api_base {
        request = request.api_base(base.clone());
    }
    if let Some(key) = &args.api_key {
        request = request.api_key(key.as_str());
    }
    if let Some(t) = args.temperature {
        if !(0.0..=2.0).contains(&t) {
            return Err(Failure::Usage(format!(
                "--temperature {t} is out of range: use a value from 0 to 2"
            )));
        }
        request = request.temperature(t);
    }
    if let Some(n) = args.max_tokens {
        if n == 0 {
            return Err(Failure::Usage("--max-tokens must be at least 1".to_owned()));
        }
        request = request.max_tokens(n);
    }
    if let Some(n) = args.num_retries {
        request = request.num_retries(n);
    }
    if let Some(secs) = args.timeout {
        if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
            return Err(Failure::Usage(format!(
                "--timeout {secs} is not usable: give seconds between 0 and 86400, e.g. --timeout 30"
            )));
        }
        request = request.timeout(Duration::from_secs_f64(secs));
    }
    if args.stream {
        request = request.include_usage(true);
    }
    if let Some(mock) = &args.mock_response {
        request = request.mock_response(mock.as_str());
    }
    Ok(request)
}

/// Runs `lmrelay chat`.
pub async fn run(args: ChatArgs) -> Result<(), Failure> {
    let prompt = read_prompt(args.prompt.clone())?;
    let request = build_request(&args, prompt)?;
    let mut builder = lmrelay::Client::builder();
    if let Some(spec) = &args.cache {
        builder = builder.cache(open_cache(spec).await?);
    }
    let client = builder.build()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if !args.stream {
        let response = client.completion(request).await?;
        if args.usage {
            eprintln!(
                "{}",
                usage_line(
                    response.usage.as_ref(),
                    response.cost(),
                    response.cache_hit()
                )
            );
        }
        if args.json {
            let text = serde_json::to_string_pretty(&response)
                .map_err(|err| Failure::Other(format!("could not encode the response: {err}")))?;
            writeln!(out, "{text}")?;
        } else {
            writeln!(out, "{}", response.content().unwrap_or_default())?;
        }
        return Ok(());
    }
    let mut stream = client.completion_stream(request).await?;
    let mut wrote_text = false;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(err) => {
                if wrote_text {
                    writeln!(out)?;
                }
                return Err(err.into());
            }
        };
        if args.json {
            let line = serde_json::to_string(&chunk)
                .map_err(|err| Failure::Other(format!("could not encode a chunk: {err}")))?;
            writeln!(out, "{line}")?;
        } else if let Some(text) = chunk
            .choices
            .first()
            .and_then(|c| c.delta.content.as_deref())
        {
            write!(out, "{text}")?;
            wrote_text = true;
        }
        out.flush()?;
    }
    if !args.json {
        writeln!(out)?;
    }
    if args.usage {
        eprintln!(
            "{}",
            usage_line(stream.usage(), stream.cost(), stream.cache_hit())
        );
    }
    Ok(())
}
