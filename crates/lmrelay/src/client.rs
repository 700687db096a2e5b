//! The client: resolves the model, sends through the one HTTP layer, retries
//! what is retryable, falls back to other models, enforces deadlines.

use std::future::Future;
use std::time::Duration;

use lmrelay_types::{ChatCompletionResponse, EmbeddingResponse, TextCompletionResponse};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::error::{ErrorKind, Result};
use crate::mock;
use crate::providers::openai_compat::{self, map_error, parse_json};
use crate::providers::{Target, resolve};
use crate::request::{
    CallOptions, ChatRequest, DEFAULT_TIMEOUT, EmbeddingsRequest, Fallback, MockResponse, Request,
    TextRequest,
};
use crate::retry::RetryPolicy;
use crate::secret::ApiKey;
use crate::stream::{ChatStream, ChunkReader};
use crate::transport::{self, WireRequest, deadline_error, read_body};

/// Builds the wire request of one endpoint (an adapter function).
type BuildFn<B> = fn(&Target, &B, &CallOptions) -> Result<WireRequest>;
/// Builds the answer to a `mock_response`.
type MockFn<T> = fn(&Target, &str, &MockResponse) -> Result<T>;

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An SDK client: one connection pool, default timeouts and retry policy.
/// Create one and share it (it is cheap to clone); create it inside the
/// runtime that will use it.
#[derive(Debug, Clone)]
pub struct Client {
    http: std::sync::Arc<transport::HttpClients>,
    retry: RetryPolicy,
    timeout: Duration,
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
        }
    }
}

impl ClientBuilder {
    /// How long to wait for a TCP/TLS connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Per-attempt deadline when a call sets none.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retry policy when a call sets no `num_retries` (delays always come from here).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client> {
        Ok(Client {
            http: std::sync::Arc::new(transport::HttpClients::new(self.connect_timeout)),
            retry: self.retry,
            timeout: self.timeout,
        })
    }
}

impl Client {
    /// A client with the defaults (10 s connect, 600 s per attempt, 2 retries).
    pub fn new() -> Result<Self> {
        ClientBuilder::default().build()
    }

    /// A builder for a client with other defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A chat completion.
    pub async fn completion(&self, request: ChatRequest) -> Result<ChatCompletionResponse> {
        self.unary(
            request,
            |t, b, o| openai_compat::chat_request(t, b, o, false),
            mock::chat,
        )
        .await
    }

    /// A streamed chat completion. Retries and fallbacks apply until the
    /// first chunk has arrived; after that, a failure ends the stream.
    pub async fn completion_stream(&self, request: ChatRequest) -> Result<ChatStream> {
        let ChatRequest {
            model,
            body,
            options,
        } = request;
        let (model, body, options) = (&model, &body, &options);
        self.run(model, options, |target| async move {
            if let Some(mock) = &options.mock_response {
                let include_usage = body
                    .stream_options
                    .as_ref()
                    .and_then(|o| o.include_usage)
                    .unwrap_or(false);
                let chunks = mock::chat_chunks(&target, model, mock, include_usage)?;
                return Ok(ChatStream::from_chunks(
                    chunks.into_iter().map(Ok).collect(),
                ));
            }
            ensure_openai(&target)?;
            let wire = openai_compat::chat_request(&target, body, options, true)?;
            self.open_stream(target, wire, options).await
        })
        .await
    }

    /// A text completion (`/completions`).
    pub async fn text_completion(&self, request: TextRequest) -> Result<TextCompletionResponse> {
        self.unary(request, openai_compat::text_request, mock::text)
            .await
    }

    /// Embeddings (`/embeddings`).
    pub async fn embedding(&self, request: EmbeddingsRequest) -> Result<EmbeddingResponse> {
        self.unary(request, openai_compat::embedding_request, |t, model, m| {
            Err(mock::embedding_error(t, model, m))
        })
        .await
    }

    /// One request, one JSON response: mock or network, with retries and fallbacks.
    async fn unary<B, T: DeserializeOwned>(
        &self,
        request: Request<B>,
        build: BuildFn<B>,
        mock: MockFn<T>,
    ) -> Result<T> {
        let Request {
            model,
            body,
            options,
        } = request;
        let (model, body, options) = (&model, &body, &options);
        self.run(model, options, |target| async move {
            if let Some(canned) = &options.mock_response {
                return mock(&target, model, canned);
            }
            ensure_openai(&target)?;
            let wire = build(&target, body, options)?;
            let bytes = self.post_and_read(&target, &wire, options).await?;
            parse_json(&target, &bytes)
        })
        .await
    }

    fn attempt_timeout(&self, options: &CallOptions) -> Duration {
        options.timeout.unwrap_or(self.timeout)
    }

    async fn post_and_read(
        &self,
        target: &Target,
        wire: &WireRequest,
        options: &CallOptions,
    ) -> Result<bytes::Bytes> {
        let limit = self.attempt_timeout(options);
        let call = async {
            let http = self.http.for_url(&wire.url)?;
            let response = transport::send(http, target, wire, map_error).await?;
            read_body(target, &wire.url, response).await
        };
        tokio::time::timeout(limit, call)
            .await
            .map_err(|_| deadline_error(target, &wire.url, "no complete response", limit))?
    }

    async fn open_stream(
        &self,
        target: Target,
        wire: WireRequest,
        options: &CallOptions,
    ) -> Result<ChatStream> {
        let base = self.attempt_timeout(options);
        let first_wait = options.first_chunk_timeout.unwrap_or(base);
        let idle = options.idle_timeout.unwrap_or(base);
        let started = Instant::now();
        let http = self.http.for_url(&wire.url)?;
        let response =
            tokio::time::timeout(first_wait, transport::send(http, &target, &wire, map_error))
                .await
                .map_err(|_| {
                    deadline_error(&target, &wire.url, "no response headers", first_wait)
                })??;
        let is_json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if is_json {
            let left = first_wait.saturating_sub(started.elapsed());
            let body = tokio::time::timeout(left, read_body(&target, &wire.url, response))
                .await
                .map_err(|_| {
                    deadline_error(&target, &wire.url, "no complete response", first_wait)
                })??;
            let chunks = openai_compat::json_body_as_chunks(&target, &body)?;
            return Ok(ChatStream::from_chunks(
                chunks.into_iter().map(Ok).collect(),
            ));
        }
        let mut reader = ChunkReader::new(target.clone(), wire.url.clone(), response);
        let left = first_wait.saturating_sub(started.elapsed());
        match reader.next_chunk(left, "no first chunk").await {
            Some(Ok(first)) => Ok(ChatStream::from_reader(first, reader, idle)),
            Some(Err(err)) => Err(err),
            None => Err(target.error(
                ErrorKind::APIError,
                format!("the stream from {} ended before its first chunk", wire.url),
            )),
        }
    }

    /// Runs `call` for the primary model with retries, then for each fallback.
    async fn run<T, F, Fut>(&self, model: &str, options: &CallOptions, mut call: F) -> Result<T>
    where
        F: FnMut(Target) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let primary = Fallback {
            model: model.to_owned(),
            api_base: options.api_base.clone(),
            api_key: options.api_key.clone(),
        };
        let first = match self.with_retries(&primary, options, &mut call).await {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        let chain = if first.kind() == ErrorKind::ContextWindowExceeded
            && !options.context_window_fallbacks.is_empty()
        {
            &options.context_window_fallbacks
        } else {
            &options.fallbacks
        };
        if chain.is_empty() {
            return Err(first);
        }
        let mut tried = vec![format!("{model} ({})", first.kind())];
        let mut last = first;
        for fallback in chain {
            match self.with_retries(fallback, options, &mut call).await {
                Ok(value) => return Ok(value),
                Err(err) => {
                    tried.push(format!("{} ({})", fallback.model, err.kind()));
                    last = err;
                }
            }
        }
        Err(last.context(format!(
            "every model failed, tried {}; last error",
            tried.join(", ")
        )))
    }

    async fn with_retries<T, F, Fut>(
        &self,
        choice: &Fallback,
        options: &CallOptions,
        call: &mut F,
    ) -> Result<T>
    where
        F: FnMut(Target) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let target = resolve(
            &choice.model,
            choice.api_base.as_deref(),
            choice.api_key.as_ref().map(ApiKey::expose),
        )?;
        let policy = RetryPolicy {
            num_retries: options.num_retries.unwrap_or(self.retry.num_retries),
            ..self.retry.clone()
        };
        let mut retry = 0;
        loop {
            match call(target.clone()).await {
                Ok(value) => return Ok(value),
                Err(err) if policy.should_retry(retry, &err) => {
                    tokio::time::sleep(policy.delay(retry, &err)).await;
                    retry += 1;
                }
                Err(err) if retry > 0 => {
                    return Err(err.context(format!("after {} attempts", retry + 1)));
                }
                Err(err) => return Err(err),
            }
        }
    }
}

/// Only OpenAI-compatible providers are translated by this module.
fn ensure_openai(target: &Target) -> Result<()> {
    if target.provider.is_openai_compatible() {
        return Ok(());
    }
    Err(target.error(
        ErrorKind::BadRequest,
        format!(
            "provider '{}' speaks its own protocol, which this version of lmrelay does not \
             translate yet; call it through an OpenAI-compatible endpoint meanwhile (see {})",
            target.provider.prefix, target.provider.docs
        ),
    ))
}
