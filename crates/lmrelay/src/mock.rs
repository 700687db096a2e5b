//! `mock_response`: answers built locally, so users can test their own code
//! without a server (LiteLLM's `mock_completion`).

use std::time::{SystemTime, UNIX_EPOCH};

use lmrelay_types::{
    ChatCompletionChunk, ChatCompletionResponse, ChatMessage, Choice, ChunkChoice, Delta,
    JsonObject, Role, TextChoice, TextCompletionResponse, Usage,
};

use crate::error::{Error, ErrorKind, Result};
use crate::providers::Target;
use crate::request::MockResponse;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn mock_id(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-mock-{:08x}{nanos:08x}", rand::random::<u32>())
}

/// LiteLLM's fixed mock usage: 10 prompt, 20 completion, 30 total tokens.
fn mock_usage() -> Usage {
    Usage::new(10, 20)
}

/// The mock's reply text, or its error.
fn text_or_error<'m>(target: &Target, model: &str, mock: &'m MockResponse) -> Result<&'m str> {
    match mock {
        MockResponse::Text(text) => Ok(text),
        MockResponse::Error(kind) => Err(mock_error(target, model, *kind)),
    }
}

fn mock_error(target: &Target, model: &str, kind: ErrorKind) -> Error {
    Error::new(
        kind,
        format!(
            "this is a mock {} for model={model} (mock_response)",
            kind.litellm_class()
        ),
    )
    .with_status(kind.default_status())
    .with_provider(target.provider.prefix.clone())
    .with_model(target.model.clone())
}

/// A chat response carrying the mock text.
pub(crate) fn chat(
    target: &Target,
    model: &str,
    mock: &MockResponse,
) -> Result<ChatCompletionResponse> {
    let text = text_or_error(target, model, mock)?;
    Ok(ChatCompletionResponse {
        id: mock_id("chatcmpl"),
        object: "chat.completion".to_owned(),
        created: now(),
        model: model.to_owned(),
        choices: vec![Choice {
            index: 0,
            message: ChatMessage::assistant(text),
            finish_reason: Some("stop".to_owned()),
            logprobs: None,
        }],
        usage: Some(mock_usage()),
        system_fingerprint: None,
        extra: JsonObject::new(),
        meta: Default::default(),
    })
}

/// The mock text as a stream: a role chunk, the text in pieces of up to
/// five characters, a finish chunk, and a usage chunk when asked for.
pub(crate) fn chat_chunks(
    target: &Target,
    model: &str,
    mock: &MockResponse,
    include_usage: bool,
) -> Result<Vec<ChatCompletionChunk>> {
    let text = text_or_error(target, model, mock)?;
    let id = mock_id("chatcmpl");
    let created = now();
    let chunk = |delta: Delta, finish: Option<&str>| ChatCompletionChunk {
        id: id.clone(),
        object: "chat.completion.chunk".to_owned(),
        created,
        model: model.to_owned(),
        choices: vec![ChunkChoice {
            index: 0,
            delta,
            finish_reason: finish.map(str::to_owned),
            logprobs: None,
        }],
        usage: None,
        system_fingerprint: None,
        extra: JsonObject::new(),
    };
    let mut chunks = vec![chunk(
        Delta {
            role: Some(Role::Assistant),
            ..Delta::default()
        },
        None,
    )];
    let chars: Vec<char> = text.chars().collect();
    for piece in chars.chunks(5) {
        chunks.push(chunk(
            Delta {
                content: Some(piece.iter().collect()),
                ..Delta::default()
            },
            None,
        ));
    }
    chunks.push(chunk(Delta::default(), Some("stop")));
    if include_usage {
        let mut last = chunk(Delta::default(), None);
        last.choices.clear();
        last.usage = Some(mock_usage());
        chunks.push(last);
    }
    Ok(chunks)
}

/// A text completion carrying the mock text.
pub(crate) fn text(
    target: &Target,
    model: &str,
    mock: &MockResponse,
) -> Result<TextCompletionResponse> {
    let text = text_or_error(target, model, mock)?;
    Ok(TextCompletionResponse {
        id: mock_id("cmpl"),
        object: "text_completion".to_owned(),
        created: now(),
        model: model.to_owned(),
        choices: vec![TextChoice {
            index: 0,
            text: text.to_owned(),
            finish_reason: Some("stop".to_owned()),
            logprobs: None,
        }],
        usage: Some(mock_usage()),
        system_fingerprint: None,
        extra: JsonObject::new(),
        meta: Default::default(),
    })
}

/// Embeddings have no mock text; a mock error still applies.
pub(crate) fn embedding_error(target: &Target, model: &str, mock: &MockResponse) -> Error {
    match mock {
        MockResponse::Error(kind) => mock_error(target, model, *kind),
        MockResponse::Text(_) => target.error(
            ErrorKind::BadRequest,
            "mock_response text applies to chat and text completions, not embeddings; \
             pass an error kind to mock a failure",
        ),
    }
}
