//! Talking to the model: JSON-schema output rendered as Conventional
//! Commits text (free text with clean-up when the server cannot do JSON),
//! validation, and a repair loop that feeds the problems back.

use std::io::Write;
use std::process::{Command, Stdio};

use futures::StreamExt;
use lmrelay::types::JsonSchemaFormat;
use lmrelay::{ChatMessage, ChatRequest, Client, ErrorKind, ResponseFormat};

use crate::config::Config;
use crate::diff::{StagedChange, estimate_tokens};
use crate::error::{Error, Result};
use crate::message::{self, Structured};
use crate::prompt;

/// Diff tokens allowed when neither the config nor the server says more.
pub const DEFAULT_TOKEN_BUDGET: usize = 1500;
/// Tokens kept for the instructions, style hints and file list.
pub const PROMPT_OVERHEAD: usize = 500;
/// The smallest diff budget used, however small the context.
pub const MIN_TOKEN_BUDGET: usize = 256;
/// At most this many per-file summaries are asked for.
pub const MAX_SUMMARIES: usize = 8;

/// Everything the model needs for one message.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The staged change.
    pub change: &'a StagedChange,
    /// Style hints from history and branch.
    pub style: String,
    /// The user's draft, when polishing.
    pub draft: Option<String>,
}

/// Writes messages with one model configuration.
pub struct Generator<'c> {
    client: Client,
    config: &'c Config,
    progress: Option<Progress>,
}

/// Receives the reply's text as it streams in (for a terminal display).
pub type Progress = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

impl<'c> Generator<'c> {
    /// A generator for `config`.
    pub fn new(config: &'c Config) -> Result<Self> {
        Ok(Self {
            client: Client::builder().timeout(config.timeout).build()?,
            config,
            progress: None,
        })
    }

    /// Streams replies and hands each piece of text to `progress`.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// One completion: streamed through `progress` when there is one.
    async fn complete(&self, request: ChatRequest) -> Result<lmrelay::ChatCompletionResponse> {
        let Some(progress) = &self.progress else {
            return Ok(self.client.completion(request).await?);
        };
        let mut stream = self.client.completion_stream(request).await?;
        let mut builder = lmrelay::stream::ChunkBuilder::default();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            if let Some(text) = chunk
                .choices
                .first()
                .and_then(|c| c.delta.content.as_deref())
            {
                progress(text);
            }
            builder.push(&chunk);
        }
        Ok(builder.finish()?)
    }

    fn base_request(&self) -> ChatRequest {
        let mut request = ChatRequest::new(self.config.model.clone())
            .api_base(self.config.api_base.clone())
            .temperature(self.config.temperature)
            .max_tokens(self.config.max_tokens)
            .num_retries(1)
            .timeout(self.config.timeout);
        if let Some(env) = &self.config.api_key_env
            && let Ok(key) = std::env::var(env)
        {
            request = request.api_key(key);
        }
        for fallback in &self.config.fallbacks {
            request = request.fallback(fallback.as_str());
        }
        request
    }

    /// Writes one valid message, or explains why none came out.
    pub async fn message(&self, input: &Request<'_>) -> Result<String> {
        let diff = self.fit_diff(input.change).await?;
        let user = prompt::user_prompt(input.change, &diff, &input.style, input.draft.as_deref());
        match self.converse(&user, true).await {
            Err(Error::Model(err)) if rejects_json(&err) => self.converse(&user, false).await,
            other => other,
        }
    }

    /// The diff's token budget: the config's, else the server's context
    /// less the reply and the instructions, else a default.
    async fn token_budget(&self) -> usize {
        if self.config.token_budget > 0 {
            return self.config.token_budget as usize;
        }
        match crate::server::context_size(&self.config.api_base).await {
            Some(n_ctx) => n_ctx
                .saturating_sub(self.config.max_tokens as usize + PROMPT_OVERHEAD)
                .max(MIN_TOKEN_BUDGET),
            None => DEFAULT_TOKEN_BUDGET,
        }
    }

    /// Tokens in `text`: the server's count where it has `/tokenize`, else an estimate.
    async fn tokens(&self, text: &str) -> usize {
        match crate::server::count_tokens(&self.config.api_base, text).await {
            Some(n) => n,
            None => estimate_tokens(text),
        }
    }

    /// The diff text if it fits the budget, else per-file summaries.
    async fn fit_diff(&self, change: &StagedChange) -> Result<String> {
        let budget = self.token_budget().await;
        let text = change.diff_text();
        // Counting a huge diff exactly is wasted work: estimate first.
        if estimate_tokens(&text) <= budget * 2 && self.tokens(&text).await <= budget {
            return Ok(text);
        }
        let mut files: Vec<_> = change.files.iter().collect();
        files.sort_by_key(|f| std::cmp::Reverse(f.diff.len()));
        let per_file = (budget * 3 / 2).max(200);
        let mut lines = Vec::new();
        for (index, file) in files.iter().enumerate() {
            if index >= MAX_SUMMARIES {
                lines.push(format!(
                    "- {} ({}): not summarised (too many files)",
                    file.path,
                    file.stats()
                ));
                continue;
            }
            let truncated = file.diff.len() > per_file;
            let cut = floor_char_boundary(&file.diff, per_file);
            let request = self
                .base_request()
                .max_tokens(48)
                .user(prompt::summary_prompt(
                    &file.path,
                    &file.diff[..cut],
                    truncated,
                ));
            let reply = self.complete(request).await?;
            let summary = message::clean_reply(reply.content().unwrap_or_default());
            let summary = summary.lines().next().unwrap_or("").to_owned();
            lines.push(format!("- {} ({}): {summary}", file.path, file.stats()));
        }
        Ok(format!(
            "(The full diff is too large for the model; per-file summaries follow.)\n{}",
            lines.join("\n")
        ))
    }

    async fn converse(&self, user: &str, structured: bool) -> Result<String> {
        let system = self
            .config
            .system_prompt
            .clone()
            .unwrap_or_else(|| prompt::system_prompt(&self.config.types, structured));
        let mut messages = vec![ChatMessage::system(system), ChatMessage::user(user)];
        let mut last_problems = Vec::new();
        for _attempt in 0..=self.config.max_retries {
            let mut request = self.base_request().messages(messages.clone());
            if structured {
                request = request.response_format(ResponseFormat::JsonSchema {
                    json_schema: JsonSchemaFormat {
                        name: "commit_message".into(),
                        description: None,
                        schema: Some(message::json_schema(&self.config.types)),
                        strict: Some(true),
                    },
                });
            }
            let reply = self.complete(request).await?;
            let raw = reply.content().unwrap_or_default().to_owned();
            let candidate = if structured {
                match serde_json::from_str::<Structured>(&raw) {
                    Ok(parsed) => parsed.render(),
                    Err(_) => message::clean_reply(&raw),
                }
            } else {
                message::clean_reply(&raw)
            };
            let problems = self.problems(&candidate);
            if problems.is_empty() {
                return Ok(candidate);
            }
            messages.push(ChatMessage::assistant(raw));
            messages.push(ChatMessage::user(format!(
                "That message has problems:\n- {}\nAnswer again with a corrected message.",
                problems.join("\n- ")
            )));
            last_problems = problems;
        }
        Err(Error::Invalid(format!(
            "still invalid after {} repair attempt(s): {}",
            self.config.max_retries,
            last_problems.join("; ")
        )))
    }

    /// Native checks, the echo check, then the external validator.
    fn problems(&self, candidate: &str) -> Vec<String> {
        let mut problems = message::validate(candidate, &self.config.types);
        if message::echoes_example(candidate, prompt::EXAMPLE_SUBJECT) {
            problems.push("it repeats the example instead of describing this change".to_owned());
        }
        if problems.is_empty()
            && let Some(command) = &self.config.validator_command
            && let Err(output) = run_validator(command, candidate)
        {
            problems.push(format!("the repository's validator said: {output}"));
        }
        problems
    }
}

/// `n` candidate messages for one change. Later candidates sample hotter
/// than the first so they differ; `progress` sees every reply stream in.
pub async fn candidates(
    config: &Config,
    input: &Request<'_>,
    n: u8,
    progress: Option<Progress>,
) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(usize::from(n));
    for i in 0..n {
        let varied = Config {
            temperature: (config.temperature + 0.3 * f64::from(i)).min(1.2),
            ..config.clone()
        };
        let config = if i == 0 { config } else { &varied };
        let mut generator = Generator::new(config)?;
        if let Some(progress) = &progress {
            generator = generator.with_progress(progress.clone());
        }
        out.push(generator.message(input).await?);
    }
    Ok(out)
}

/// Whether the provider refused structured output (so free text is tried).
fn rejects_json(err: &lmrelay::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::BadRequest | ErrorKind::UnprocessableEntity | ErrorKind::UnsupportedParams
    ) && ["response_format", "json_schema", "grammar"]
        .iter()
        .any(|w| err.message().contains(w))
}

/// Runs the user's validator with the message on stdin.
pub fn run_validator(command: &str, message: &str) -> std::result::Result<(), String> {
    let mut child = Command::new("sh")
        .args(["-c", command])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("could not run {command:?}: {err}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(message.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|err| format!("{command:?} failed: {err}"))?;
    if output.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Err(text.trim().chars().take(600).collect())
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_command_passes_and_fails_with_its_output() {
        assert!(run_validator("grep -q '^fix'", "fix: x").is_ok());
        let err = run_validator("echo 'subject too vague' >&2; exit 1", "fix: x").unwrap_err();
        assert_eq!(err, "subject too vague");
    }

    #[test]
    fn json_refusals_are_recognised() {
        let err = lmrelay::Error::new(ErrorKind::BadRequest, "unknown field response_format");
        assert!(rejects_json(&err));
        let err = lmrelay::Error::new(ErrorKind::BadRequest, "prompt too long");
        assert!(!rejects_json(&err));
    }
}
