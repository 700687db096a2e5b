//! The client: resolves the model, sends through the one HTTP layer, retries
//! what is retryable, falls back to other models, enforces deadlines.

use std::future::Future;
use std::time::Duration;

use lmrelay_types::{
    ChatCompletionResponse, ChatMessage, EmbeddingResponse, ResponseMeta, TextCompletionResponse,
};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::budget::{Budget, Estimate};
use crate::cache::{Cache, cache_key};
use crate::cost::Priced;
use crate::error::{ErrorKind, Result};
use crate::mock;
use crate::providers::adapter::{Adapter, MapErrorFn};
use crate::providers::openai_compat;
use crate::providers::{Target, resolve};
use crate::raw::{RawChatCompletion, RawChunk};
use crate::request::{
    CallOptions, ChatRequest, DEFAULT_TIMEOUT, EmbeddingsRequest, Fallback, Request, TextRequest,
};
use crate::retry::RetryPolicy;
use crate::secret::ApiKey;
use crate::stream::{ChatStream, ChunkReader, StreamChunk};
use crate::structured::{
    self, Parsed, SchemaCheck, first_text, repair_prompt, schema_for, structured_request,
};
use crate::transport::{self, WireRequest, deadline_error, read_body};

mod routes;

use routes::{CHAT, EMBEDDINGS, MockFn, RAW_CHAT, Route, TEXT, chat_adapter};

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
    cache: Option<Cache>,
    validate_json_schema: bool,
    budget: Option<std::sync::Arc<Budget>>,
    google_tokens: std::sync::Arc<crate::auth::vertex::TokenCache>,
}

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    cache: Option<Cache>,
    validate_json_schema: bool,
    max_budget: Option<Decimal>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            cache: None,
            validate_json_schema: false,
            max_budget: None,
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

    /// Caches responses (see [`crate::cache`]); off by default.
    pub fn cache(mut self, cache: Cache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Checks every reply against its `response_format` JSON schema
    /// (LiteLLM's `enable_json_schema_validation`); off by default.
    pub fn validate_json_schema(mut self, validate: bool) -> Self {
        self.validate_json_schema = validate;
        self
    }

    /// Refuses calls that would take this client's spend past `usd`
    /// (see [`crate::budget`]).
    pub fn max_budget(mut self, usd: Decimal) -> Self {
        self.max_budget = Some(usd);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client> {
        Ok(Client {
            http: std::sync::Arc::new(transport::HttpClients::new(self.connect_timeout)),
            retry: self.retry,
            timeout: self.timeout,
            cache: self.cache,
            validate_json_schema: self.validate_json_schema,
            budget: self
                .max_budget
                .map(|max| std::sync::Arc::new(Budget::new(max))),
            google_tokens: std::sync::Arc::default(),
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

    /// A chat completion. With validation on (per call or for the client)
    /// and a JSON-schema `response_format`, the reply is checked and, with
    /// `max_repairs`, sent back to the model with its errors.
    ///
    /// (An async block rather than an `async fn`: an `async fn` keeps a
    /// second copy of its argument in its future, rust-lang/rust#62958, and
    /// a chat request is more than a kilobyte, copied whenever the future
    /// moves.)
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn would keep a second copy of the request in its future"
    )]
    pub fn completion(
        &self,
        request: ChatRequest,
    ) -> impl Future<Output = Result<ChatCompletionResponse>> + '_ {
        async move {
            let validate = request.options.max_repairs > 0
                || request
                    .options
                    .validate_json_schema
                    .unwrap_or(self.validate_json_schema);
            let check = if validate {
                SchemaCheck::for_format(request.body.response_format.as_ref())?
            } else {
                None
            };
            match check {
                // Boxed: the checked path's future is large and rarely taken.
                Some(check) => Ok(Box::pin(self.completion_checked(request, &check)).await?.0),
                // `unary` directly, not through `completion_once`: one level
                // of future less to move on every call.
                None => self.unary("chat", request, CHAT, mock::chat).await,
            }
        }
    }

    /// A chat completion parsed into `T`: the schema of `T` is sent as a
    /// strict `json_schema` response format (or, for a model known not to
    /// support one, described in a system message), the reply is extracted,
    /// validated, repaired up to `max_repairs` times, and deserialized.
    pub async fn completion_parsed<T>(&self, request: ChatRequest) -> Result<Parsed<T>>
    where
        T: DeserializeOwned + JsonSchema,
    {
        let request = structured_request::<T>(request);
        let check = match SchemaCheck::for_format(request.body.response_format.as_ref())? {
            Some(check) => check,
            None => SchemaCheck::new(&schema_for::<T>())?,
        };
        let model = request.model.clone();
        let (response, value, repairs) = self.completion_checked(request, &check).await?;
        let reply = first_text(&response);
        let value = serde_json::from_value(value).map_err(|err| {
            let violation = structured::SchemaViolation {
                instance_path: String::new(),
                schema_path: String::new(),
                message: format!("cannot be read as the requested type: {err}"),
            };
            check.error(&model, &reply, &[violation])
        })?;
        Ok(Parsed {
            value,
            response,
            repairs,
        })
    }

    async fn completion_checked(
        &self,
        mut request: ChatRequest,
        check: &SchemaCheck,
    ) -> Result<(ChatCompletionResponse, serde_json::Value, u32)> {
        let mut repairs = 0;
        loop {
            let response = self.completion_once(request.clone()).await?;
            let reply = first_text(&response);
            match check.check(&reply) {
                Ok(value) => return Ok((response, value, repairs)),
                Err(violations) if repairs < request.options.max_repairs => {
                    repairs += 1;
                    request.body.messages.push(ChatMessage::assistant(reply));
                    request
                        .body
                        .messages
                        .push(ChatMessage::user(repair_prompt(&violations)));
                    // A repaired answer must come from the model, not the cache.
                    request.options.cache.no_cache = true;
                }
                Err(violations) => {
                    let err = check.error(&request.model, &reply, &violations);
                    return Err(if repairs > 0 {
                        err.context(format!("after {repairs} repair attempts"))
                    } else {
                        err
                    });
                }
            }
        }
    }

    /// A chat completion kept as the JSON bytes the provider sent, with its
    /// usage and cost read (see [`RawChatCompletion`]): for callers that
    /// forward the reply rather than read it, such as the gateway. Retries,
    /// fallbacks, cache, budget and validation work as in
    /// [`Client::completion`]; a reply that is not an OpenAI-protocol chat
    /// completion with a complete head is parsed and written out again.
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn would keep a second copy of the request in its future"
    )]
    pub fn completion_raw(
        &self,
        request: ChatRequest,
    ) -> impl Future<Output = Result<RawChatCompletion>> + '_ {
        async move {
            let validate = request.options.max_repairs > 0
                || request
                    .options
                    .validate_json_schema
                    .unwrap_or(self.validate_json_schema);
            if validate && request.body.response_format.is_some() {
                // The checked path reads the reply; it is rare, so it keeps
                // its typed answer and writes it out.
                let response = Box::pin(self.completion(request)).await?;
                return RawChatCompletion::from_typed(&response).map_err(|err| {
                    crate::Error::new(
                        ErrorKind::APIError,
                        format!("the reply could not be written as JSON: {err}"),
                    )
                });
            }
            // Boxed: the call's future is several KiB, and the caller's
            // futures (a gateway's router) move this one a few times.
            Box::pin(
                self.unary("chat", request, RAW_CHAT, |target, model, canned| {
                    let response = mock::chat(target, model, canned)?;
                    RawChatCompletion::from_typed(&response).map_err(|err| {
                        target.error(
                            ErrorKind::APIError,
                            format!("the mock reply could not be written as JSON: {err}"),
                        )
                    })
                }),
            )
            .await
        }
    }

    async fn completion_once(&self, request: ChatRequest) -> Result<ChatCompletionResponse> {
        self.unary("chat", request, CHAT, mock::chat).await
    }

    /// A streamed chat completion. Retries and fallbacks apply until the
    /// first chunk has arrived; after that, a failure ends the stream. With a
    /// cache, a hit is replayed as a stream and a stream that ends cleanly is
    /// stored.
    pub fn completion_stream(
        &self,
        request: ChatRequest,
    ) -> impl Future<Output = Result<ChatStream>> + '_ {
        self.stream_of(request)
    }

    /// A streamed chat completion whose chunks are kept as the JSON the
    /// provider sent (see [`RawChunk`]): for callers that forward them, such
    /// as the gateway. Deadlines, retries, fallbacks, the repeated-chunk
    /// guard and the cache work as in [`Client::completion_stream`]. An
    /// OpenAI-protocol chunk with the complete head of a
    /// `chat.completion.chunk` is kept as sent; any other chunk (a
    /// translated provider's, a cache replay, a mock) is written out from
    /// its typed form.
    pub fn completion_stream_raw(
        &self,
        request: ChatRequest,
    ) -> impl Future<Output = Result<ChatStream<RawChunk>>> + '_ {
        self.stream_of(request)
    }

    /// A streamed chat completion in chunks of kind `C`.
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn would keep a second copy of the request in its future"
    )]
    fn stream_of<C: StreamChunk>(
        &self,
        request: ChatRequest,
    ) -> impl Future<Output = Result<ChatStream<C>>> + '_ {
        // An async block, as in `completion`; the request is read in place.
        async move {
            let ChatRequest {
                model,
                body,
                options,
            } = &request;
            let cache_key = self.cache.as_ref().and_then(|_| {
                let body = serde_json::to_value(body).ok()?;
                Some(cache_key(
                    "chat",
                    model,
                    &body,
                    options.cache.namespace.as_deref(),
                ))
            });
            if let (Some(cache), Some(key)) = (&self.cache, &cache_key)
                && let Some(hit) = cache.lookup(key, &options.cache).await
                && let Ok(target) = resolve(model, None, None)
                && let Ok(chunks) =
                    openai_compat::json_body_as_chunks(&target, hit.to_string().as_bytes())
            {
                let meta = ResponseMeta {
                    requested_model: Some(model.clone()),
                    provider: Some(target.provider.prefix.clone()),
                    cost: Some(Decimal::ZERO),
                    cache_hit: true,
                };
                return Ok(ChatStream::from_typed_chunks(chunks).with_meta(meta));
            }
            // Boxed, as in `completion_raw`.
            let stream = Box::pin(self.run(model, options, |target| async move {
                let meta = ResponseMeta {
                    requested_model: Some(model.clone()),
                    provider: Some(target.provider.prefix.clone()),
                    ..ResponseMeta::default()
                };
                if let Some(mock) = &options.mock_response {
                    let include_usage = body
                        .stream_options
                        .as_ref()
                        .and_then(|o| o.include_usage)
                        .unwrap_or(false);
                    let chunks = mock::chat_chunks(&target, model, mock, include_usage)?;
                    return Ok(ChatStream::from_typed_chunks(chunks).with_meta(meta));
                }
                let adapter = chat_adapter(&target)?;
                let wire = (adapter.chat_request)(&target, body, options, true)?;
                let served_model = target.model.clone();
                let include_usage = body
                    .stream_options
                    .as_ref()
                    .and_then(|o| o.include_usage)
                    .unwrap_or(false);
                Ok(self
                    .open_stream(target, wire, options, adapter, &served_model, include_usage)
                    .await?
                    .with_meta(meta))
            }))
            .await?;
            match (&self.cache, cache_key) {
                (Some(cache), Some(key))
                    if options.mock_response.is_none() && !options.cache.no_store =>
                {
                    let (cache, control) = (cache.clone(), options.cache.clone());
                    Ok(stream.with_tap(Box::new(move |chunks| {
                        store_stream(cache, key, control, chunks)
                    })))
                }
                _ => Ok(stream),
            }
        }
    }

    /// A text completion (`/completions`).
    pub fn text_completion(
        &self,
        request: TextRequest,
    ) -> impl Future<Output = Result<TextCompletionResponse>> + '_ {
        self.unary("text", request, TEXT, mock::text)
    }

    /// Embeddings (`/embeddings`).
    pub fn embedding(
        &self,
        request: EmbeddingsRequest,
    ) -> impl Future<Output = Result<EmbeddingResponse>> + '_ {
        self.unary("embedding", request, EMBEDDINGS, |t, model, m| {
            Err(mock::embedding_error(t, model, m))
        })
    }

    /// One request, one JSON response: cache, budget, then mock or network
    /// with retries and fallbacks; the response learns its cost.
    ///
    /// An async block rather than an `async fn`, reading the request in
    /// place: see [`Client::completion`].
    #[expect(
        clippy::manual_async_fn,
        reason = "an async fn would keep a second copy of the request in its future"
    )]
    fn unary<'a, B, T>(
        &'a self,
        endpoint: &'a str,
        request: Request<B>,
        route: Route<B, T>,
        mock: MockFn<T>,
    ) -> impl Future<Output = Result<T>> + 'a
    where
        B: Serialize + Estimate + 'a,
        T: DeserializeOwned + Serialize + Priced + 'a,
    {
        async move {
            let (model, body, options) = (&request.model, &request.body, &request.options);
            let cache_key = self.cache.as_ref().and_then(|_| {
                let body = serde_json::to_value(body).ok()?;
                Some(cache_key(
                    endpoint,
                    model,
                    &body,
                    options.cache.namespace.as_deref(),
                ))
            });
            if let (Some(cache), Some(key)) = (&self.cache, &cache_key)
                && let Some(hit) = cache.lookup(key, &options.cache).await
                && let Ok(mut response) = serde_json::from_value::<T>(hit)
            {
                let provider = resolve(model, None, None).map(|t| t.provider.prefix.clone());
                response.set_meta(model, provider.as_deref().unwrap_or(""));
                response.meta_mut().cache_hit = true;
                response.meta_mut().cost = Some(Decimal::ZERO);
                return Ok(response);
            }
            let reservation = match &self.budget {
                Some(budget) => Some(budget.reserve(model, body.estimate_cost(model)?)?),
                None => None,
            };
            let result = self
                .run(model, options, |target| async move {
                    let mut response = match &options.mock_response {
                        Some(canned) => mock(&target, model, canned)?,
                        None => {
                            let wire = (route.build)(&target, body, options)?;
                            let bytes = self
                                .post_and_read(&target, &wire, options, route.map_error)
                                .await?;
                            (route.parse)(&target, &bytes)?
                        }
                    };
                    response.set_meta(model, &target.provider.prefix);
                    Ok(response)
                })
                .await;
            if let (Some(budget), Some(reservation)) = (&self.budget, reservation) {
                let cost = result.as_ref().ok().map(|r| r.priced_cost());
                budget.settle(reservation, cost.flatten());
            }
            if let (Some(cache), Some(key), Ok(response)) = (&self.cache, &cache_key, &result)
                && options.mock_response.is_none()
                && let Ok(value) = serde_json::to_value(response)
            {
                cache.store(key, value, &options.cache).await;
            }
            result
        }
    }

    /// The spend so far against `max_budget` (None without a budget).
    pub fn spent(&self) -> Option<Decimal> {
        self.budget.as_ref().map(|b| b.spent())
    }

    fn attempt_timeout(&self, options: &CallOptions) -> Duration {
        options.timeout.unwrap_or(self.timeout)
    }

    async fn post_and_read(
        &self,
        target: &Target,
        wire: &WireRequest,
        options: &CallOptions,
        map_error: MapErrorFn,
    ) -> Result<bytes::Bytes> {
        let limit = self.attempt_timeout(options);
        let call = async {
            let response = transport::send(&self.http, target, wire, map_error).await?;
            read_body(target, &wire.url, response).await
        };
        tokio::time::timeout(limit, call)
            .await
            .map_err(|_| deadline_error(target, &wire.url, "no complete response", limit))?
    }

    async fn open_stream<C: StreamChunk>(
        &self,
        target: Target,
        wire: WireRequest,
        options: &CallOptions,
        adapter: &Adapter,
        model: &str,
        include_usage: bool,
    ) -> Result<ChatStream<C>> {
        let map_error = adapter.map_error;
        let base = self.attempt_timeout(options);
        let first_wait = options.first_chunk_timeout.unwrap_or(base);
        let idle = options.idle_timeout.unwrap_or(base);
        let started = Instant::now();
        let response = tokio::time::timeout(
            first_wait,
            transport::send(&self.http, &target, &wire, map_error),
        )
        .await
        .map_err(|_| deadline_error(&target, &wire.url, "no response headers", first_wait))??;
        let is_json = response
            .header("content-type")
            .is_some_and(|v| v.starts_with("application/json"));
        if is_json {
            let left = first_wait.saturating_sub(started.elapsed());
            let body = tokio::time::timeout(left, read_body(&target, &wire.url, response))
                .await
                .map_err(|_| {
                    deadline_error(&target, &wire.url, "no complete response", first_wait)
                })??;
            let chunks = openai_compat::response_as_chunks((adapter.parse_chat)(&target, &body)?);
            return Ok(ChatStream::from_typed_chunks(chunks));
        }
        let mut reader = ChunkReader::new(
            target.clone(),
            wire.url.clone(),
            response,
            adapter,
            model,
            include_usage,
        );
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
        let mut target = resolve(
            &choice.model,
            choice.api_base.as_deref(),
            choice.api_key.as_ref().map(ApiKey::expose),
        )?;
        // Boxed: fetching a Vertex AI token is rare and its future is large.
        Box::pin(crate::auth::vertex::prepare(
            &self.http,
            &self.google_tokens,
            &mut target,
            options,
        ))
        .await?;
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

/// Assembles a finished stream's chunks and stores the response (in the
/// background: the reader of the stream never waits for the cache).
fn store_stream<C: StreamChunk>(
    cache: Cache,
    key: String,
    control: crate::cache::CacheControl,
    chunks: Vec<C>,
) {
    let mut builder = crate::stream::ChunkBuilder::default();
    for chunk in chunks {
        let Some(chunk) = chunk.into_typed() else {
            return;
        };
        builder.push(&chunk);
    }
    let Ok(response) = builder.finish() else {
        return;
    };
    let Ok(value) = serde_json::to_value(&response) else {
        return;
    };
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move { cache.store(&key, value, &control).await });
    }
}
