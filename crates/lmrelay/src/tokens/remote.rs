//! Exact counts from a llama.cpp or llamafile server's own tokenizer: the
//! chat template through `/apply-template`, then `/tokenize`.

use serde_json::{Value, json};

use crate::error::{Error, ErrorKind, Result};

/// The server root of an OpenAI-style API base (`http://h:8080/v1` → `http://h:8080`).
fn server_root(api_base: &str) -> &str {
    let trimmed = api_base.trim_end_matches('/');
    trimmed.strip_suffix("/v1").unwrap_or(trimmed)
}

async fn post(http: &reqwest::Client, url: &str, body: Value) -> Result<Value> {
    let failure = |what: String| {
        Error::new(
            ErrorKind::APIConnection,
            format!("{url}: {what}; is the llama.cpp server running?"),
        )
    };
    let response = http
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|err| failure(err.without_url().to_string()))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|err| failure(err.without_url().to_string()))?;
    if !status.is_success() {
        return Err(Error::new(
            ErrorKind::APIError,
            format!(
                "{url} answered {status}: {}",
                text.chars().take(300).collect::<String>()
            ),
        )
        .with_status(status.as_u16()));
    }
    serde_json::from_str(&text).map_err(|err| {
        Error::new(
            ErrorKind::APIError,
            format!("{url} sent invalid JSON: {err}"),
        )
    })
}

/// Tokens of `text` as the server's model sees it (no special tokens added).
pub async fn count_text(http: &reqwest::Client, api_base: &str, text: &str) -> Result<u64> {
    let url = format!("{}/tokenize", server_root(api_base));
    token_count(&url, &post(http, &url, json!({"content": text})).await?)
}

/// The length of the `tokens` list of a `/tokenize` answer.
fn token_count(url: &str, answer: &Value) -> Result<u64> {
    answer
        .get("tokens")
        .and_then(Value::as_array)
        .map(|tokens| tokens.len() as u64)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::APIError,
                format!("{url} sent no \"tokens\" list"),
            )
        })
}

/// Tokens of a chat prompt: the model's chat template applied by the server
/// (`/apply-template`), then tokenized with its special tokens.
pub async fn count_messages(
    http: &reqwest::Client,
    api_base: &str,
    messages: &[Value],
) -> Result<u64> {
    let root = server_root(api_base);
    let templated = post(
        http,
        &format!("{root}/apply-template"),
        json!({"messages": messages}),
    )
    .await?;
    let prompt = templated
        .get("prompt")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::APIError,
                format!("{root}/apply-template sent no \"prompt\""),
            )
        })?;
    let url = format!("{root}/tokenize");
    let body = json!({"content": prompt, "add_special": true, "parse_special": true});
    token_count(&url, &post(http, &url, body).await?)
}
