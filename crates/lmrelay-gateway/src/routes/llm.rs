//! The model endpoints: chat (streamed or not), text completions,
//! embeddings and Anthropic's `/v1/messages`, each through the router.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use lmrelay::{ChatStream, Request};
use lmrelay_types::{
    ChatCompletionChunk, ChatCompletionRequest, EmbeddingRequest, TextCompletionRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::headers::{self, CallInfo};
use crate::router::{Served, Target, with_defaults};
use crate::{AppState, GatewayError};

/// Parses a JSON body into a wire type, with an OpenAI-shaped error.
pub fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, GatewayError> {
    serde_json::from_slice(body).map_err(|err| {
        GatewayError::BadRequest(format!("the request body is not a valid request: {err}"))
    })
}

/// The SDK request for one attempt at `target`.
fn request<B: Serialize + DeserializeOwned>(
    state: &AppState,
    target: &Target,
    body: B,
    stream: bool,
) -> lmrelay::Result<Request<B>> {
    let deployment = &target.deployment.config;
    let body = with_defaults(body, &deployment.defaults)
        .map_err(|err| lmrelay::Error::new(lmrelay::ErrorKind::BadRequest, err.to_string()))?;
    Ok(Request {
        model: target.model.clone(),
        body,
        options: state.router().options(deployment, stream),
    })
}

/// The headers of a served call.
fn info<T>(served: &Served<T>, started: Instant, cost: Option<rust_decimal::Decimal>) -> CallInfo {
    let total = started.elapsed();
    CallInfo {
        call_id: headers::call_id(),
        model_id: Some(served.target.deployment.config.id.clone()),
        model_group: Some(served.group.clone()),
        api_base: served.target.deployment.config.api_base.clone(),
        retries: served.retries,
        fallbacks: served.fallbacks,
        cost,
        overhead: Some(total.saturating_sub(served.upstream)),
        total: Some(total),
    }
}

/// A JSON answer with the call's headers.
fn json_response<T: Serialize>(value: &T, info: &CallInfo) -> Response {
    let mut response = axum::Json(value).into_response();
    headers::apply(response.headers_mut(), info);
    response
}

/// `/v1/chat/completions`.
pub async fn chat(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Response, GatewayError> {
    let started = Instant::now();
    let body: ChatCompletionRequest = parse(&body)?;
    let model = body.model.clone();
    if body.stream == Some(true) {
        return chat_stream(state, body, started).await;
    }
    let served = state
        .router()
        .run(&model, 0, |target| {
            let request = request(&state, &target, body.clone(), false);
            let client = &state.client;
            async move { client.completion(request?).await }
        })
        .await?;
    let cost = served.value.cost();
    Ok(json_response(&served.value, &info(&served, started, cost)))
}

/// Reads a stream's first item, so an attempt that fails before any byte
/// reaches the client counts as a failed attempt (and may fall back).
pub async fn first_chunk(
    mut stream: ChatStream,
) -> lmrelay::Result<(Option<ChatCompletionChunk>, ChatStream)> {
    match stream.next().await {
        Some(Ok(chunk)) => Ok((Some(chunk), stream)),
        Some(Err(err)) => Err(err),
        None => Ok((None, stream)),
    }
}

async fn chat_stream(
    state: Arc<AppState>,
    body: ChatCompletionRequest,
    started: Instant,
) -> Result<Response, GatewayError> {
    let model = body.model.clone();
    let served = state
        .router()
        .run(&model, 0, |target| {
            let request = request(&state, &target, body.clone(), true);
            let client = &state.client;
            async move { first_chunk(client.completion_stream(request?).await?).await }
        })
        .await?;
    let call = info(&served, started, None);
    let (first, rest) = served.value;
    // Errors after the first chunk become an error frame: the status is sent.
    let frames = futures::stream::iter(first.map(Ok))
        .chain(rest)
        .map(|item| {
            let frame = match item {
                Ok(chunk) => format!(
                    "data: {}\n\n",
                    serde_json::to_string(&chunk).unwrap_or_default()
                ),
                Err(err) => format!("data: {}\n\n", err.to_openai_json()),
            };
            Ok::<_, Infallible>(Bytes::from(frame))
        })
        .chain(futures::stream::once(async {
            Ok(Bytes::from_static(b"data: [DONE]\n\n"))
        }));
    sse(Body::from_stream(frames), &call)
}

/// A `text/event-stream` response with the call's headers.
pub fn sse(body: Body, info: &CallInfo) -> Result<Response, GatewayError> {
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
        .map_err(|err| GatewayError::BadRequest(format!("could not build the stream: {err}")))?;
    headers::apply(response.headers_mut(), info);
    Ok(response)
}

/// `/v1/completions`.
pub async fn text(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Response, GatewayError> {
    let started = Instant::now();
    let body: TextCompletionRequest = parse(&body)?;
    let model = body.model.clone();
    let served = state
        .router()
        .run(&model, 0, |target| {
            let request = request(&state, &target, body.clone(), false);
            let client = &state.client;
            async move { client.text_completion(request?).await }
        })
        .await?;
    let cost = served.value.cost();
    Ok(json_response(&served.value, &info(&served, started, cost)))
}

/// `/v1/embeddings`.
pub async fn embeddings(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Response, GatewayError> {
    let started = Instant::now();
    let body: EmbeddingRequest = parse(&body)?;
    let model = body.model.clone();
    let served = state
        .router()
        .run(&model, 0, |target| {
            let request = request(&state, &target, body.clone(), false);
            let client = &state.client;
            async move { client.embedding(request?).await }
        })
        .await?;
    let cost = served.value.cost();
    Ok(json_response(&served.value, &info(&served, started, cost)))
}

/// `/v1/messages`: Anthropic's Messages API in front of any configured model.
pub async fn anthropic_messages(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    match anthropic_answer(&state, &body).await {
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

async fn anthropic_answer(state: &AppState, body: &Bytes) -> Result<Response, GatewayError> {
    let started = Instant::now();
    let value: serde_json::Value = parse(body)?;
    let (openai, stream) = crate::messages::to_openai(&value)?;
    let model_name = openai.model.clone();
    if !stream {
        let served = state
            .router()
            .run(&model_name, 0, |target| {
                let request = request(state, &target, openai.clone(), false);
                let client = &state.client;
                async move { client.completion(request?).await }
            })
            .await?;
        let cost = served.value.cost();
        let answer = crate::messages::to_anthropic(&served.value, &model_name);
        return Ok(json_response(&answer, &info(&served, started, cost)));
    }
    let served = state
        .router()
        .run(&model_name, 0, |target| {
            let request = request(state, &target, openai.clone(), true);
            let client = &state.client;
            async move { first_chunk(client.completion_stream(request?).await?).await }
        })
        .await?;
    let call = info(&served, started, None);
    let (first, rest) = served.value;
    let chunks = futures::stream::iter(first.map(Ok)).chain(rest);
    let name = model_name.clone();
    let frames = futures::stream::unfold(
        (
            Box::pin(chunks),
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
    sse(Body::from_stream(frames), &call)
}
