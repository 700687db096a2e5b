//! The routes. Paths and thin handlers only: each handler finds the model
//! route, builds an SDK request and shapes the answer.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use lmrelay::{CallOptions, ChatRequest, EmbeddingsRequest, Request, TextRequest};
use lmrelay_types::{ChatCompletionRequest, EmbeddingRequest, TextCompletionRequest};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::{AppState, GatewayError, ModelRoute};

/// The gateway's router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/chat/completions", post(chat))
        .route("/v1/completions", post(text))
        .route("/completions", post(text))
        .route("/v1/embeddings", post(embeddings))
        .route("/embeddings", post(embeddings))
        .route("/v1/messages", post(anthropic_messages))
        .route("/v1/models", get(models))
        .route("/models", get(models))
        .route("/health/liveliness", get(alive))
        .route("/health/liveness", get(alive))
        .route("/health/readiness", get(alive))
        .with_state(state)
}

async fn alive() -> impl IntoResponse {
    axum::Json(json!({"status": "healthy"}))
}

async fn models(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let data: Vec<_> = state
        .config
        .models
        .iter()
        .map(|m| json!({"id": m.model_name, "object": "model", "created": 1_677_610_602u64, "owned_by": "lmrelay"}))
        .collect();
    axum::Json(json!({"object": "list", "data": data}))
}

/// Parses a JSON body into a wire type, with an OpenAI-shaped error.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, GatewayError> {
    serde_json::from_slice(body).map_err(|err| {
        GatewayError::BadRequest(format!("the request body is not a valid request: {err}"))
    })
}

fn route<'s>(state: &'s AppState, model_name: &str) -> Result<&'s ModelRoute, GatewayError> {
    state.route(model_name).ok_or_else(|| {
        GatewayError::BadRequest(format!(
            "Invalid model name passed in model={model_name}. Call /v1/models to view available models."
        ))
    })
}

/// An SDK request for `route`, carrying `body` with the route's model.
fn request<B>(route: &ModelRoute, body: B) -> Request<B> {
    Request {
        model: route.model.clone(),
        body,
        options: CallOptions {
            api_base: route.api_base.clone(),
            api_key: route.api_key.clone(),
            num_retries: route.num_retries,
            ..CallOptions::default()
        },
    }
}

async fn chat(State(state): State<Arc<AppState>>, body: Bytes) -> Result<Response, GatewayError> {
    let body: ChatCompletionRequest = parse(&body)?;
    let route = route(&state, &body.model)?;
    let stream = body.stream == Some(true);
    let request: ChatRequest = request(route, body);
    if !stream {
        let response = state
            .client
            .completion(request)
            .await
            .map_err(GatewayError::Upstream)?;
        return Ok(axum::Json(response).into_response());
    }
    // Errors before the first chunk are plain HTTP errors; after it, an
    // error frame ends the stream (the status is already sent).
    let chunks = state
        .client
        .completion_stream(request)
        .await
        .map_err(GatewayError::Upstream)?;
    let frames = chunks
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
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(frames))
        .map_err(|err| GatewayError::BadRequest(format!("could not build the stream: {err}")))
}

async fn text(State(state): State<Arc<AppState>>, body: Bytes) -> Result<Response, GatewayError> {
    let body: TextCompletionRequest = parse(&body)?;
    let route = route(&state, &body.model)?;
    let request: TextRequest = request(route, body);
    let response = state
        .client
        .text_completion(request)
        .await
        .map_err(GatewayError::Upstream)?;
    Ok(axum::Json(response).into_response())
}

async fn embeddings(
    State(state): State<Arc<AppState>>,
    body: Bytes,
) -> Result<Response, GatewayError> {
    let body: EmbeddingRequest = parse(&body)?;
    let route = route(&state, &body.model)?;
    let request: EmbeddingsRequest = request(route, body);
    let response = state
        .client
        .embedding(request)
        .await
        .map_err(GatewayError::Upstream)?;
    Ok(axum::Json(response).into_response())
}

/// `/v1/messages`: Anthropic's Messages API in front of any configured model.
async fn anthropic_messages(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    match anthropic_answer(&state, &body).await {
        Ok(response) => response,
        Err(err) => {
            let (status, body) = crate::messages::error_body(&err);
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (code, axum::Json(body)).into_response()
        }
    }
}

async fn anthropic_answer(state: &AppState, body: &Bytes) -> Result<Response, GatewayError> {
    let value: serde_json::Value = parse(body)?;
    let (openai, stream) = crate::messages::to_openai(&value)?;
    let model_name = openai.model.clone();
    let route = route(state, &model_name)?;
    let request: ChatRequest = request(route, openai);
    if !stream {
        let response = state
            .client
            .completion(request)
            .await
            .map_err(GatewayError::Upstream)?;
        return Ok(
            axum::Json(crate::messages::to_anthropic(&response, &model_name)).into_response(),
        );
    }
    let chunks = state
        .client
        .completion_stream(request)
        .await
        .map_err(GatewayError::Upstream)?;
    let name = model_name.clone();
    let frames = futures::stream::unfold(
        (chunks, Some(crate::messages::EventWriter::default()), false),
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
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(frames))
        .map_err(|err| GatewayError::BadRequest(format!("could not build the stream: {err}")))
}
