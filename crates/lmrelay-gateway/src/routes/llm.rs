//! The model endpoints: chat (streamed or not), text completions,
//! embeddings and Anthropic's `/v1/messages`, each through the router with
//! the caller's limits, spend and metrics.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use futures::future::Either;
use lmrelay::budget::Estimate;
use lmrelay::{ChatStream, RawChunk, Request, StreamChunk};
use lmrelay_types::{
    ChatCompletionChunk, ChatCompletionRequest, EmbeddingRequest, StreamOptions,
    TextCompletionRequest,
};
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::accounting::{Call, Metered, Outcome};
use super::guard::{ClientCredentials, check_credentials, read_body};
use crate::headers::{self, CallInfo};
use crate::keys::auth::Caller;
use crate::router::{Served, Target, with_defaults};
use crate::{AppState, GatewayError};

/// Parses a JSON body into a wire type, with an OpenAI-shaped error.
pub fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, GatewayError> {
    lmrelay_types::from_json_bytes(body).map_err(|err| {
        GatewayError::BadRequest(format!("the request body is not a valid request: {err}"))
    })
}

/// The SDK request for one attempt at `target`, with a cache namespace
/// (each virtual key caches apart, so one tenant never reads another's
/// answers).
fn request_for<B: Serialize + DeserializeOwned>(
    state: &AppState,
    target: &Target,
    body: B,
    stream: bool,
    credentials: &ClientCredentials,
    namespace: Option<&str>,
) -> lmrelay::Result<Request<B>> {
    let deployment = &target.deployment.config;
    let body = with_defaults(body, &deployment.defaults)
        .map_err(|err| lmrelay::Error::new(lmrelay::ErrorKind::BadRequest, err.to_string()))?;
    let mut options = state.router().options(deployment, stream);
    options.cache.namespace = namespace.map(str::to_owned);
    if let Some(base) = &credentials.api_base {
        options.api_base = Some(base.clone());
        if let Some(key) = &credentials.api_key {
            options.api_key = Some(lmrelay::ApiKey::new(key.clone()));
        }
    }
    Ok(Request {
        model: target.model.clone(),
        body,
        options,
    })
}

/// Sends `body` through the router: one SDK call (`send`) per attempt, at
/// the deployment the router picks, in the caller's cache namespace.
async fn route<'a, B, T, F, Fut>(
    state: &'a AppState,
    call: &Call,
    model: &str,
    body: &B,
    stream: bool,
    credentials: &ClientCredentials,
    send: F,
) -> Result<Served<T>, GatewayError>
where
    B: Serialize + DeserializeOwned + Clone,
    F: Fn(&'a lmrelay::Client, Request<B>) -> Fut,
    Fut: Future<Output = lmrelay::Result<T>>,
{
    let namespace = call.cache_namespace();
    state
        .router()
        .run(model, 0, |target| {
            let request = request_for(
                state,
                &target,
                body.clone(),
                stream,
                credentials,
                namespace.as_deref(),
            );
            // Boxed: the SDK's future is large (kilobytes of request and
            // response state), and every router and handler future that
            // held it inline was copied whole when moved. A request that
            // cannot be built fails without an SDK future at all.
            match request {
                Ok(request) => Either::Left(Box::pin(send(&state.client, request))),
                Err(err) => Either::Right(std::future::ready(Err(err))),
            }
        })
        .await
}

/// The headers of a served call.
fn info<T>(served: &Served<T>, call: &Call, cost: Option<Decimal>) -> CallInfo {
    let total = call.started().elapsed();
    CallInfo {
        call_id: HeaderValue::from_str(&call.call_id)
            .unwrap_or_else(|_| HeaderValue::from_static("")),
        deployment: served.target.deployment.headers.clone(),
        retries: served.retries,
        fallbacks: served.fallbacks,
        cost,
        overhead: Some(total.saturating_sub(served.upstream)),
        total: Some(total),
    }
}

fn add_rate_headers(response: &mut Response, call: &Call) {
    for (name, value) in call.rate_headers() {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, value);
        }
    }
}

/// `value` as JSON, in one buffer sized for a typical reply (axum's `Json`
/// grows it as it goes).
fn to_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Bytes> {
    let mut body = Vec::with_capacity(1024);
    serde_json::to_writer(&mut body, value)?;
    Ok(Bytes::from(body))
}

/// A JSON answer with the call's headers.
fn json_response(body: serde_json::Result<Bytes>, info: CallInfo, call: &Call) -> Response {
    let body = match body {
        Ok(body) => body,
        // What axum's `Json` answers to a value that cannot be JSON: a 500
        // naming why.
        Err(err) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the reply could not be written as JSON: {err}"),
            )
                .into_response();
        }
    };
    let mut response = Response::new(Body::from(body));
    // A header map sized once for all of ours.
    let headers = response.headers_mut();
    headers.reserve(16);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers::defer(&mut response, info);
    add_rate_headers(&mut response, call);
    response
}

/// Finishes a call: settles it and shapes the answer or the error.
fn finish<T>(
    call: Call,
    served: Result<Served<T>, GatewayError>,
    answer: impl FnOnce(&Served<T>, &Call) -> (Response, Outcome),
) -> Result<Response, GatewayError> {
    match served {
        Ok(served) => {
            let (response, outcome) = answer(&served, &call);
            call.succeed(&outcome);
            Ok(response)
        }
        Err(err) => {
            call.fail(&err);
            Err(err)
        }
    }
}

/// A JSON answer the gateway bills from its usage.
trait Answer: Serialize {
    /// Its token usage, in chat terms.
    fn usage(&self) -> Option<lmrelay_types::Usage>;
    /// Whether it came from the response cache.
    fn cached(&self) -> bool;
    /// The body to send.
    fn json(&self) -> serde_json::Result<Bytes> {
        to_json(self)
    }
}

/// A chat reply passed through as the upstream's bytes when it could be kept.
impl Answer for lmrelay::RawChatCompletion {
    fn usage(&self) -> Option<lmrelay_types::Usage> {
        lmrelay::RawChatCompletion::usage(self).cloned()
    }
    fn cached(&self) -> bool {
        self.meta().cache_hit
    }
    fn json(&self) -> serde_json::Result<Bytes> {
        Ok(self.body().clone())
    }
}

impl Answer for lmrelay_types::ChatCompletionResponse {
    fn usage(&self) -> Option<lmrelay_types::Usage> {
        self.usage.clone()
    }
    fn cached(&self) -> bool {
        self.cache_hit()
    }
}

impl Answer for lmrelay_types::TextCompletionResponse {
    fn usage(&self) -> Option<lmrelay_types::Usage> {
        self.usage.clone()
    }
    fn cached(&self) -> bool {
        self.cache_hit()
    }
}

impl Answer for lmrelay_types::EmbeddingResponse {
    fn usage(&self) -> Option<lmrelay_types::Usage> {
        self.usage.as_ref().map(|u| lmrelay_types::Usage {
            prompt_tokens: u.prompt_tokens,
            total_tokens: u.total_tokens,
            ..lmrelay_types::Usage::default()
        })
    }
    fn cached(&self) -> bool {
        self.cache_hit()
    }
}

/// Settles a served JSON call and answers with the body and its headers.
fn finish_json<T: Answer>(
    call: Call,
    served: Result<Served<T>, GatewayError>,
) -> Result<Response, GatewayError> {
    finish(call, served, |served, call| {
        let usage = served.value.usage();
        let outcome = Outcome::of(served, usage.as_ref(), served.value.cached());
        let info = info(served, call, Some(outcome.cost));
        let response = json_response(served.value.json(), info, call);
        (response, outcome)
    })
}

/// `/v1/chat/completions`.
pub async fn chat(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Result<Response, GatewayError> {
    let bytes = read_body(&state, body).await?;
    let credentials = check_credentials(&bytes, &state.config().general.allowed_api_bases)?;
    let body: ChatCompletionRequest = parse(&bytes)?;
    let model = body.model.clone();
    let call = Call::begin(
        &state,
        caller,
        "acompletion",
        "/chat/completions",
        &model,
        |m| body.estimate_tokens(m).unwrap_or_default(),
    )?;
    if body.stream == Some(true) {
        return Box::pin(chat_stream(state, body, call, credentials)).await;
    }
    // The reply is forwarded as the upstream's bytes when it can be kept
    // (an OpenAI-compatible deployment's complete chat completion).
    let served = route(&state, &call, &model, &body, false, &credentials, |c, r| {
        c.completion_raw(r)
    })
    .await;
    finish_json(call, served)
}

/// Reads a stream's first item, so an attempt that fails before any byte
/// reaches the client counts as a failed attempt (and may fall back).
pub async fn first_chunk<C: StreamChunk>(
    mut stream: ChatStream<C>,
) -> lmrelay::Result<(Option<C>, ChatStream<C>)> {
    match stream.next().await {
        Some(Ok(chunk)) => Ok((Some(chunk), stream)),
        Some(Err(err)) => Err(err),
        None => Ok((None, stream)),
    }
}

/// The upstream request asks for usage, so streamed calls are billed.
fn with_usage(mut body: ChatCompletionRequest) -> (ChatCompletionRequest, bool) {
    let wanted = body
        .stream_options
        .as_ref()
        .and_then(|o| o.include_usage)
        .unwrap_or(false);
    let options = body
        .stream_options
        .get_or_insert_with(StreamOptions::default);
    options.include_usage = Some(true);
    (body, wanted)
}

type ChunkStream<C> = std::pin::Pin<Box<dyn futures::Stream<Item = lmrelay::Result<C>> + Send>>;

/// A kind of stream chunk the gateway can ask the SDK for: typed chunks
/// (which `/v1/messages` translates) or chunks kept as the upstream's JSON
/// (which `/v1/chat/completions` forwards).
trait OpenStream: StreamChunk {
    /// Opens the stream.
    fn open(
        client: &lmrelay::Client,
        request: Request<ChatCompletionRequest>,
    ) -> impl Future<Output = lmrelay::Result<ChatStream<Self>>> + Send + '_;
}

impl OpenStream for ChatCompletionChunk {
    fn open(
        client: &lmrelay::Client,
        request: Request<ChatCompletionRequest>,
    ) -> impl Future<Output = lmrelay::Result<ChatStream<Self>>> + Send + '_ {
        client.completion_stream(request)
    }
}

impl OpenStream for RawChunk {
    fn open(
        client: &lmrelay::Client,
        request: Request<ChatCompletionRequest>,
    ) -> impl Future<Output = lmrelay::Result<ChatStream<Self>>> + Send + '_ {
        client.completion_stream_raw(request)
    }
}

/// Serves a streamed chat call; returns the metered chunks and the headers.
async fn stream_call<C: OpenStream>(
    state: &Arc<AppState>,
    body: ChatCompletionRequest,
    call: Call,
    credentials: &ClientCredentials,
) -> Result<(Metered<ChunkStream<C>>, CallInfo), GatewayError> {
    let (body, client_wants_usage) = with_usage(body);
    let model = body.model.clone();
    let served = route(
        state,
        &call,
        &model,
        &body,
        true,
        credentials,
        |c, r| async move { first_chunk(C::open(c, r).await?).await },
    )
    .await;
    let served = match served {
        Ok(served) => served,
        Err(err) => {
            call.fail(&err);
            return Err(err);
        }
    };
    let info = info(&served, &call, None);
    let Served {
        value: (first, stream),
        target,
        group,
        retries,
        fallbacks,
        upstream,
    } = served;
    let meta = Served {
        value: (),
        target,
        group,
        retries,
        fallbacks,
        upstream,
    };
    let cache_hit = stream.cache_hit();
    let chunks: ChunkStream<C> = Box::pin(futures::stream::iter(first.map(Ok)).chain(stream));
    Ok((
        Metered::new(chunks, call, &meta, client_wants_usage, cache_hit),
        info,
    ))
}

async fn chat_stream(
    state: Arc<AppState>,
    body: ChatCompletionRequest,
    call: Call,
    credentials: ClientCredentials,
) -> Result<Response, GatewayError> {
    let rate: Vec<(&'static str, String)> = call.rate_headers().to_vec();
    // Chunks are forwarded as the upstream's JSON when they can be kept (an
    // OpenAI-compatible deployment's complete chunks).
    let (metered, info) = stream_call::<RawChunk>(&state, body, call, &credentials).await?;
    // Errors after the first chunk become an error frame: the status is sent.
    let frames = metered
        .map(|item| {
            let frame = match item {
                Ok(chunk) => SseFrame::Chunk(chunk),
                Err(err) => {
                    SseFrame::Text(Bytes::from(format!("data: {}\n\n", err.to_openai_json())))
                }
            };
            Ok::<_, Infallible>(frame)
        })
        .chain(futures::stream::once(async {
            Ok(SseFrame::Text(Bytes::from_static(b"data: [DONE]\n\n")))
        }));
    let frames = super::coalesce::Coalesce::new(Box::pin(frames));
    let mut response = sse(Body::from_stream(frames), info)?;
    for (name, value) in rate {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    Ok(response)
}

/// One server-sent event of a chat stream: a chunk, written as
/// `data: {json}\n\n` straight into the stream's batch, or text already
/// framed (an error, the end).
enum SseFrame {
    Chunk(RawChunk),
    Text(Bytes),
}

impl super::coalesce::Frame for SseFrame {
    fn len(&self) -> usize {
        match self {
            Self::Chunk(chunk) => chunk.json().len() + 8,
            Self::Text(text) => text.len(),
        }
    }

    fn write_into(&self, batch: &mut bytes::BytesMut) {
        match self {
            Self::Chunk(chunk) => {
                batch.extend_from_slice(b"data: ");
                batch.extend_from_slice(chunk.json().as_bytes());
                batch.extend_from_slice(b"\n\n");
            }
            Self::Text(text) => batch.extend_from_slice(text),
        }
    }
}

/// A `text/event-stream` response with the call's headers.
pub fn sse(body: Body, info: CallInfo) -> Result<Response, GatewayError> {
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
        .map_err(|err| GatewayError::BadRequest(format!("could not build the stream: {err}")))?;
    headers::defer(&mut response, info);
    Ok(response)
}

/// `/v1/completions`.
pub async fn text(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Result<Response, GatewayError> {
    let bytes = read_body(&state, body).await?;
    let credentials = check_credentials(&bytes, &state.config().general.allowed_api_bases)?;
    let body: TextCompletionRequest = parse(&bytes)?;
    let model = body.model.clone();
    let call = Call::begin(
        &state,
        caller,
        "atext_completion",
        "/completions",
        &model,
        |m| body.estimate_tokens(m).unwrap_or_default(),
    )?;
    let served = route(&state, &call, &model, &body, false, &credentials, |c, r| {
        c.text_completion(r)
    })
    .await;
    finish_json(call, served)
}

/// `/v1/embeddings`.
pub async fn embeddings(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Result<Response, GatewayError> {
    let bytes = read_body(&state, body).await?;
    let credentials = check_credentials(&bytes, &state.config().general.allowed_api_bases)?;
    let body: EmbeddingRequest = parse(&bytes)?;
    let model = body.model.clone();
    let call = Call::begin(&state, caller, "aembedding", "/embeddings", &model, |m| {
        body.estimate_tokens(m).unwrap_or_default()
    })?;
    let served = route(&state, &call, &model, &body, false, &credentials, |c, r| {
        c.embedding(r)
    })
    .await;
    finish_json(call, served)
}

/// `/v1/messages`: Anthropic's Messages API in front of any configured model.
pub async fn anthropic_messages(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Response {
    match anthropic_answer(&state, caller, body).await {
        Ok(response) => response,
        Err(err) => {
            let (status, body) = crate::messages::error_body(&err);
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = (code, axum::Json(body)).into_response();
            if let Some(wait) = err.retry_after()
                && let Ok(value) = wait.as_secs().max(1).to_string().parse()
            {
                response.headers_mut().insert("retry-after", value);
            }
            response
        }
    }
}

async fn anthropic_answer(
    state: &Arc<AppState>,
    caller: Caller,
    body: Body,
) -> Result<Response, GatewayError> {
    let bytes = read_body(state, body).await?;
    let credentials = check_credentials(&bytes, &state.config().general.allowed_api_bases)?;
    let value: serde_json::Value = parse(&bytes)?;
    let (openai, stream) = crate::messages::to_openai(&value)?;
    let model_name = openai.model.clone();
    let call = Call::begin(
        state,
        caller,
        "anthropic_messages",
        "/v1/messages",
        &model_name,
        |m| openai.estimate_tokens(m).unwrap_or_default(),
    )?;
    if !stream {
        let served = route(
            state,
            &call,
            &model_name,
            &openai,
            false,
            &credentials,
            |c, r| c.completion(r),
        )
        .await;
        return finish(call, served, |served, call| {
            let outcome = Outcome::of(
                served,
                served.value.usage.as_ref(),
                served.value.cache_hit(),
            );
            let answer = crate::messages::to_anthropic(&served.value, &model_name);
            let info = info(served, call, Some(outcome.cost));
            let response = json_response(to_json(&answer), info, call);
            (response, outcome)
        });
    }
    let (metered, info) =
        stream_call::<ChatCompletionChunk>(state, openai, call, &credentials).await?;
    let name = model_name.clone();
    let frames = futures::stream::unfold(
        (
            Box::pin(metered),
            Some(crate::messages::EventWriter::default()),
            false,
        ),
        move |(mut chunks, writer, done)| {
            let name = name.clone();
            async move {
                let mut writer = writer?;
                if done {
                    return None;
                }
                match chunks.next().await {
                    Some(Ok(chunk)) => {
                        let text = writer.chunk(&chunk, &name);
                        Some((
                            Ok::<_, Infallible>(Bytes::from(text)),
                            (chunks, Some(writer), false),
                        ))
                    }
                    Some(Err(err)) => {
                        let text =
                            crate::messages::EventWriter::error(&GatewayError::Upstream(err));
                        Some((Ok(Bytes::from(text)), (chunks, None, true)))
                    }
                    None => {
                        let text = writer.finish(&name);
                        Some((Ok(Bytes::from(text)), (chunks, None, true)))
                    }
                }
            }
        },
    );
    let frames = super::coalesce::Coalesce::new(Box::pin(frames));
    sse(Body::from_stream(frames), info)
}
