//! `lmrelay tokens`.

use std::io::{IsTerminal, Read, Write};

use clap::Args;
use lmrelay::tokens::{CountInput, encoding_for_model, token_counter};
use serde_json::Value;

use crate::exit::Failure;

#[derive(Debug, Args)]
#[command(
    after_help = "The tokenizer is the one LiteLLM's token_counter picks for the model \
    (o200k_base for gpt-4o and newer OpenAI models, cl100k_base otherwise, an estimate for \
    other families). The input is counted exactly as given, trailing newline included.\n\n\
    Examples:\n  lmrelay tokens -m gpt-4o \"hello world\"\n  \
    cat prompt.txt | lmrelay tokens -m gpt-4o-mini\n  \
    lmrelay tokens -m gpt-4o --messages '[{\"role\":\"user\",\"content\":\"hello\"}]'"
)]
pub struct TokensArgs {
    /// Model string; it chooses the tokenizer (gpt-4o, openai/gpt-4.1, ...).
    #[arg(short, long, env = "LMRELAY_MODEL")]
    model: String,
    /// The text to count; read from standard input when absent.
    text: Option<String>,
    /// Read the input as a JSON array of OpenAI chat messages (or a request body with
    /// "messages" and "tools") and count it as a prompt, with the per-message overhead.
    #[arg(long)]
    messages: bool,
    /// Print {"model", "tokens", "encoding"}.
    #[arg(long)]
    json: bool,
}

fn read_input(text: Option<String>) -> Result<String, Failure> {
    if let Some(text) = text {
        return Ok(text);
    }
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(Failure::Usage(
            "no input: pass the text as an argument or pipe it on standard input".to_owned(),
        ));
    }
    let mut text = String::new();
    stdin
        .read_to_string(&mut text)
        .map_err(|err| Failure::Other(format!("could not read standard input: {err}")))?;
    Ok(text)
}

const MESSAGES_EXAMPLE: &str = r#"[{"role": "user", "content": "hello"}]"#;

/// The messages, tools and tool choice of `--messages` input.
struct Prompt {
    messages: Vec<Value>,
    tools: Option<Vec<Value>>,
    tool_choice: Option<Value>,
}

fn parse_messages(text: &str) -> Result<Prompt, Failure> {
    let value: Value = serde_json::from_str(text).map_err(|err| {
        Failure::Usage(format!(
            "--messages: the input is not valid JSON ({err}); give a JSON array of messages \
             such as {MESSAGES_EXAMPLE}"
        ))
    })?;
    match value {
        Value::Array(messages) => Ok(Prompt {
            messages,
            tools: None,
            tool_choice: None,
        }),
        Value::Object(mut body) => {
            let Some(Value::Array(messages)) = body.remove("messages") else {
                return Err(Failure::Usage(format!(
                    "--messages: the JSON object has no \"messages\" array; give a JSON array \
                     of messages such as {MESSAGES_EXAMPLE}, or a request body with \"messages\""
                )));
            };
            let tools = match body.remove("tools") {
                None | Some(Value::Null) => None,
                Some(Value::Array(tools)) => Some(tools),
                Some(_) => {
                    return Err(Failure::Usage(
                        "--messages: \"tools\" must be an array of tool definitions".to_owned(),
                    ));
                }
            };
            let tool_choice = body.remove("tool_choice").filter(|v| !v.is_null());
            Ok(Prompt {
                messages,
                tools,
                tool_choice,
            })
        }
        _ => Err(Failure::Usage(format!(
            "--messages: the input must be a JSON array of messages such as {MESSAGES_EXAMPLE}"
        ))),
    }
}

/// Runs `lmrelay tokens`.
pub fn run(args: TokensArgs) -> Result<(), Failure> {
    let text = read_input(args.text)?;
    let tokens = if args.messages {
        let prompt = parse_messages(&text)?;
        token_counter(
            &args.model,
            CountInput::Messages {
                messages: &prompt.messages,
                tools: prompt.tools.as_deref(),
                tool_choice: prompt.tool_choice.as_ref(),
            },
        )?
    } else {
        token_counter(&args.model, CountInput::Text(&text))?
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let value = serde_json::json!({
            "model": args.model,
            "tokens": tokens,
            "encoding": encoding_for_model(&args.model).name(),
        });
        let text = serde_json::to_string_pretty(&value)
            .map_err(|err| Failure::Other(format!("could not encode the count: {err}")))?;
        writeln!(out, "{text}")?;
    } else {
        writeln!(out, "{tokens}")?;
    }
    Ok(())
}
