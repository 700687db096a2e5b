#![doc = include_str!("../../../README.md")]

pub mod auth;
pub mod blocking;
pub mod budget;
pub mod cache;
mod client;
pub mod cost;
mod error;
mod mock;
pub mod models;
pub mod providers;
mod raw;
mod request;
pub mod retry;
mod secret;
pub mod stream;
pub mod structured;
pub mod tokens;
pub mod transport;

use std::sync::LazyLock;

pub use client::{Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT};
pub use cost::{Cost, CostOptions, TokenUsage, completion_cost, cost_per_token};
pub use error::{Error, ErrorKind, Result};
pub use lmrelay_types as types;
pub use lmrelay_types::{
    ChatCompletionChunk, ChatCompletionResponse, ChatMessage, EmbeddingResponse, ResponseFormat,
    Role, TextCompletionResponse, Usage,
};
pub use models::{ModelInfo, get_model_info};
pub use raw::{ChunkMemo, RawChatCompletion, RawChunk};
pub use request::{
    AwsOptions, CallOptions, ChatRequest, DEFAULT_TIMEOUT, EmbeddingsRequest, Fallback,
    MockResponse, Request, TextRequest, VertexOptions,
};
pub use rust_decimal::Decimal;
pub use secret::ApiKey;
pub use stream::{ChatStream, StreamChunk};
pub use structured::Parsed;

static DEFAULT_CLIENT: LazyLock<Result<Client, String>> =
    LazyLock::new(|| Client::new().map_err(|err| err.to_string()));

fn default_client() -> Result<&'static Client> {
    DEFAULT_CLIENT
        .as_ref()
        .map_err(|msg| Error::new(ErrorKind::APIConnection, msg.clone()))
}

/// A chat completion with the process-wide default [`Client`].
pub async fn completion(request: ChatRequest) -> Result<ChatCompletionResponse> {
    default_client()?.completion(request).await
}

/// A chat completion parsed into `T` with the process-wide default
/// [`Client`] (see [`Client::completion_parsed`]).
pub async fn completion_parsed<T>(request: ChatRequest) -> Result<Parsed<T>>
where
    T: serde::de::DeserializeOwned + schemars::JsonSchema,
{
    default_client()?.completion_parsed(request).await
}

/// A streamed chat completion with the process-wide default [`Client`].
pub async fn completion_stream(request: ChatRequest) -> Result<ChatStream> {
    default_client()?.completion_stream(request).await
}

/// A text completion with the process-wide default [`Client`].
pub async fn text_completion(request: TextRequest) -> Result<TextCompletionResponse> {
    default_client()?.text_completion(request).await
}

/// Embeddings with the process-wide default [`Client`].
pub async fn embedding(request: EmbeddingsRequest) -> Result<EmbeddingResponse> {
    default_client()?.embedding(request).await
}
