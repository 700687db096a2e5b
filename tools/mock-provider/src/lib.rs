//! A fault-injecting OpenAI-compatible mock provider for lmrelay's tests and
//! benchmarks.
//!
//! Plain routes (`/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`,
//! `/v1/models`) answer at once with a fixed reply. Routes under
//! `/fault/{spec}/v1/...` apply the spec (see [`FaultSpec`]): a status with
//! Retry-After, a slow first byte, trickling chunks, a stream cut, aborted or
//! stalled mid-way, an error event mid-stream, malformed JSON, a repeated
//! chunk. Every spec counts its requests, so tests can assert exact attempts.
//! The native dialects (Anthropic `/v1/messages`, Gemini
//! `/v1beta/models/{model}:generateContent`, Ollama `/api/chat`, Cohere
//! `/v2/chat`, Bedrock `/model/{id}/converse[-stream]`) answer the
//! same reply in their own shapes (see `dialects`).

mod dialects;
pub mod replay;
mod replies;
mod spec;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use serde_json::{Value, json};

pub use spec::FaultSpec;

/// A request the mock received under a fault spec.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The endpoint path after `/v1/`.
    pub endpoint: String,
    /// Request headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// The JSON body (or `null` if it was not JSON).
    pub body: Value,
}

#[derive(Default)]
struct SpecState {
    attempts: usize,
    requests: Vec<RecordedRequest>,
    closes: Vec<StreamClose>,
}

/// A stream the client stopped reading: when the mock noticed, and how many
/// content chunks it had sent by then.
#[derive(Debug, Clone, Copy)]
pub struct StreamClose {
    /// When the mock's send failed (the connection was gone).
    pub at: std::time::Instant,
    /// Content chunks sent before.
    pub chunks_sent: usize,
}

/// Where a stream reports that its client went away.
#[derive(Clone)]
struct CloseHook {
    shared: Arc<Shared>,
    spec: String,
}

impl CloseHook {
    fn closed(&self, chunks_sent: usize) {
        let mut specs = self
            .shared
            .specs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        specs
            .entry(self.spec.clone())
            .or_default()
            .closes
            .push(StreamClose {
                at: std::time::Instant::now(),
                chunks_sent,
            });
    }
}

/// How many requests per spec are kept for inspection.
const KEPT_REQUESTS: usize = 64;

#[derive(Default)]
struct Shared {
    specs: Mutex<HashMap<String, SpecState>>,
}

impl Shared {
    fn record(&self, spec: &str, request: Option<RecordedRequest>) -> usize {
        let mut specs = self.specs.lock().unwrap_or_else(PoisonError::into_inner);
        let state = specs.entry(spec.to_owned()).or_default();
        state.attempts += 1;
        if let Some(request) = request {
            if state.requests.len() == KEPT_REQUESTS {
                state.requests.remove(0);
            }
            state.requests.push(request);
        }
        state.attempts
    }
}

/// A running mock server. Dropping the handle does not stop the server; it
/// stops with the runtime that runs it.
#[derive(Clone)]
pub struct MockHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl MockHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base of the plain routes: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The API base of the routes that apply `spec`.
    pub fn fault_url(&self, spec: &str) -> String {
        format!("http://{}/fault/{spec}/v1", self.addr)
    }

    /// Requests received under `spec` (`""` for the plain routes).
    pub fn attempts(&self, spec: &str) -> usize {
        let specs = self
            .shared
            .specs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        specs.get(spec).map_or(0, |s| s.attempts)
    }

    /// Streams under `spec` whose client went away before the end.
    pub fn stream_closes(&self, spec: &str) -> Vec<StreamClose> {
        let specs = self
            .shared
            .specs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        specs
            .get(spec)
            .map(|s| s.closes.clone())
            .unwrap_or_default()
    }

    /// The last requests received under `spec` (at most 64).
    pub fn requests(&self, spec: &str) -> Vec<RecordedRequest> {
        let specs = self
            .shared
            .specs
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        specs
            .get(spec)
            .map(|s| s.requests.clone())
            .unwrap_or_default()
    }
}

/// Starts a mock on `127.0.0.1` with a free port, on the current runtime.
pub async fn start() -> std::io::Result<MockHandle> {
    start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Starts a mock on `addr`, on the current runtime.
pub async fn start_on(addr: SocketAddr) -> std::io::Result<MockHandle> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared::default());
    let app = router(shared.clone());
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(MockHandle { addr, shared })
}

/// Serves on `addr` until the process ends (for the binary).
pub async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router(Arc::new(Shared::default()))).await
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/health",
            get(|| async { axum::Json(json!({"status": "ok"})) }),
        )
        .route("/v1/models", get(models))
        .route("/fault/{spec}/v1/models", get(fault_models))
        .route("/tokenize", post(tokenize))
        .route("/fault/{spec}/tokenize", post(fault_tokenize))
        .route("/v1/{*endpoint}", post(plain))
        .route("/fault/{spec}/v1/{*endpoint}", post(faulty))
        .route("/v1beta/{*endpoint}", post(plain))
        .route("/fault/{spec}/v1beta/{*endpoint}", post(faulty))
        .route(
            "/api/chat",
            post(|state, body| plain(state, Path("api/chat".to_owned()), body)),
        )
        .route(
            "/openai/deployments/{deployment}/{*endpoint}",
            post(
                |state, Path((_deployment, endpoint)): Path<(String, String)>, body| {
                    plain(state, Path(endpoint), body)
                },
            ),
        )
        .route(
            "/fault/{spec}/openai/deployments/{deployment}/chat/completions",
            post(azure_faulty),
        )
        .route(
            "/v2/chat",
            post(|state, body| plain(state, Path("v2/chat".to_owned()), body)),
        )
        .route(
            "/model/{model}/{method}",
            post(
                |state, Path((model, method)): Path<(String, String)>, body| {
                    plain(state, Path(format!("model/{model}/{method}")), body)
                },
            ),
        )
        .route(
            "/token",
            post(|| async {
                axum::Json(
                    json!({"access_token": "ya29.mock-token", "expires_in": 3599,
                    "token_type": "Bearer"}),
                )
            }),
        )
        .route("/__mock/attempts/{spec}", get(attempts))
        .with_state(shared)
}

async fn models() -> impl IntoResponse {
    axum::Json(json!({"object": "list", "data": [
        {"id": "mock-model", "object": "model", "created": 1_700_000_000u64, "owned_by": "mock-provider"}
    ]}))
}

async fn fault_models(
    State(shared): State<Arc<Shared>>,
    Path(spec_text): Path<String>,
) -> Response {
    shared.record(&format!("{spec_text}#models"), None);
    let spec = FaultSpec::parse(&spec_text).unwrap_or_default();
    let mut body = json!({"object": "list", "data": [
        {"id": "mock-model", "object": "model", "created": 1_700_000_000u64, "owned_by": "mock-provider"}
    ]});
    if let Some(n_ctx) = spec.n_ctx {
        body["data"][0]["meta"] = json!({"n_ctx": n_ctx});
    }
    axum::Json(body).into_response()
}

/// llama.cpp's `/tokenize`: one token per whitespace-separated word.
async fn tokenize(body: Bytes) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let text = request.get("content").and_then(Value::as_str).unwrap_or("");
    let tokens: Vec<usize> = (0..text.split_whitespace().count()).collect();
    axum::Json(json!({ "tokens": tokens })).into_response()
}

async fn fault_tokenize(
    State(shared): State<Arc<Shared>>,
    Path(spec_text): Path<String>,
    body: Bytes,
) -> Response {
    shared.record(&format!("{spec_text}#tokenize"), None);
    tokenize(body).await
}

async fn attempts(
    State(shared): State<Arc<Shared>>,
    Path(spec): Path<String>,
) -> impl IntoResponse {
    let specs = shared.specs.lock().unwrap_or_else(PoisonError::into_inner);
    let count = specs.get(&spec).map_or(0, |s| s.attempts);
    axum::Json(json!({"spec": spec, "attempts": count}))
}

async fn plain(
    State(shared): State<Arc<Shared>>,
    Path(endpoint): Path<String>,
    body: Bytes,
) -> Response {
    shared.record("", None);
    let hook = CloseHook {
        shared: Arc::clone(&shared),
        spec: String::new(),
    };
    respond(&endpoint, &FaultSpec::default(), 1, "", &body, hook).await
}

/// Azure's deployment route under a fault spec.
async fn azure_faulty(
    state: State<Arc<Shared>>,
    Path((spec_text, _deployment)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    faulty(
        state,
        Path((spec_text, "chat/completions".to_owned())),
        headers,
        body,
    )
    .await
}

async fn faulty(
    State(shared): State<Arc<Shared>>,
    Path((spec_text, endpoint)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let spec = match FaultSpec::parse(&spec_text) {
        Ok(spec) => spec,
        Err(msg) => {
            return error(
                StatusCode::BAD_REQUEST,
                json!({"error": {"message": msg}}).to_string(),
            );
        }
    };
    let recorded = RecordedRequest {
        endpoint: endpoint.clone(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let attempt = shared.record(&spec_text, Some(recorded));
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_owned();
    let hook = CloseHook {
        shared: Arc::clone(&shared),
        spec: spec_text.clone(),
    };
    respond(&endpoint, &spec, attempt, &bearer, &body, hook).await
}

fn error(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn respond(
    endpoint: &str,
    spec: &FaultSpec,
    attempt: usize,
    bearer: &str,
    body: &[u8],
    hook: CloseHook,
) -> Response {
    if let Some(delay) = spec.first_byte {
        tokio::time::sleep(delay).await;
    }
    if spec.fails(attempt) {
        return failure(spec, bearer);
    }
    if spec.error_200 {
        let body = json!({"error": {"message": "mock error inside a 200 response", "type": "server_error", "code": 503}});
        return error(StatusCode::OK, body.to_string());
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return error(
            StatusCode::BAD_REQUEST,
            json!({"error": {"code": 400, "message": "Invalid JSON in request body", "type": "invalid_request_error"}}).to_string(),
        );
    };
    if spec.reject_json && request.get("response_format").is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            json!({"error": {"message": "response_format is not supported by this server", "type": "invalid_request_error"}}).to_string(),
        );
    }
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("mock-model")
        .to_owned();
    let schema = request.pointer("/response_format/json_schema/schema");
    let reply = match (&spec.reply, schema) {
        (Some(reply), _) => reply.clone(),
        (None, Some(_)) if spec.bad_json_times.is_some_and(|n| attempt <= n) => {
            "Here is the JSON you asked for: {}".to_owned()
        }
        (None, Some(schema)) if spec.chatty_json => format!(
            "Sure! Here it is:\n```json\n{}\n```\nAnything else?",
            replies::schema_instance(schema)
        ),
        (None, Some(schema)) => replies::schema_instance(schema).to_string(),
        (None, None) => replies::DEFAULT_REPLY.to_owned(),
    };
    let json_response = |value: Value| {
        if spec.malformed {
            let text = value.to_string();
            let cut = text.len() / 2;
            return error(StatusCode::OK, text[..cut].to_owned());
        }
        axum::Json(value).into_response()
    };
    match endpoint {
        "chat/completions" if request.get("stream") == Some(&Value::Bool(true)) && !spec.stream_as_json => {
            let include_usage = request
                .pointer("/stream_options/include_usage")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            stream(spec.clone(), model, reply, include_usage, hook)
        }
        "chat/completions" => json_response(replies::chat_response(&model, &reply)),
        "messages" => dialects::anthropic(&request, &reply),
        "api/chat" => dialects::ollama(&request, &reply),
        "v2/chat" => dialects::cohere(&request, &reply),
        other if other.starts_with("model/") && other.contains("/converse") => {
            dialects::bedrock(other.rsplit('/').next().unwrap_or(""), &reply)
        }
        other if other.contains("models/") && other.contains(':') => {
            let method = other.rsplit(':').next().unwrap_or("");
            dialects::gemini(method, &reply)
        }
        "completions" => json_response(replies::text_response(&model, &reply)),
        "embeddings" => json_response(replies::embedding_response(
            &model,
            request.get("input").unwrap_or(&Value::Null),
        )),
        other => error(
            StatusCode::NOT_FOUND,
            json!({"error": {"message": format!("unknown endpoint /v1/{other}"), "type": "not_found_error"}}).to_string(),
        ),
    }
}

fn failure(spec: &FaultSpec, bearer: &str) -> Response {
    let status = spec.status.unwrap_or(500);
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = error(
        code,
        replies::error_body(status, spec.error.as_deref(), bearer),
    );
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    if let Some(value) = &spec.retry_after {
        set("retry-after", value.clone());
    }
    if let Some(ms) = spec.retry_after_ms {
        set("retry-after-ms", ms.to_string());
    }
    if let Some(secs) = spec.retry_after_date {
        set(
            "retry-after",
            httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(secs)),
        );
    }
    if let Some(advice) = spec.should_retry {
        set("x-should-retry", advice.to_string());
    }
    response
}

type Frame = Result<Bytes, std::io::Error>;

fn stream(
    spec: FaultSpec,
    model: String,
    reply: String,
    include_usage: bool,
    hook: CloseHook,
) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Frame>(16);
    tokio::spawn(async move {
        let end = if spec.crlf { "\r\n" } else { "\n" };
        let frame = |value: &Value| Ok(Bytes::from(format!("data: {value}{end}{end}")));
        let first = replies::chunk(&model, json!({"role": "assistant", "content": ""}), None);
        if tx.send(frame(&first)).await.is_err() {
            return;
        }
        if spec.malformed {
            let _ = tx
                .send(Ok(Bytes::from(format!("data: {{not json{end}{end}"))))
                .await;
            return;
        }
        let pieces: Vec<String> = match (spec.repeat, spec.chunks) {
            (Some(n), _) => vec!["again and again ".to_owned(); n],
            (None, Some(n)) => replies::words(&reply).into_iter().cycle().take(n).collect(),
            (None, None) => replies::words(&reply),
        };
        let count = pieces.len();
        for (index, piece) in pieces.into_iter().enumerate() {
            if spec.cut_after == Some(index) {
                return;
            }
            if spec.abort_after == Some(index) {
                // Let the frames already sent reach the client before the abort.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = tx.send(Err(std::io::Error::other("mock abort"))).await;
                return;
            }
            if spec.stall_after == Some(index) {
                tx.closed().await;
                return;
            }
            if spec.midstream_error == Some(index) {
                let error = json!({"error": {"message": "mock mid-stream failure", "type": "server_error", "code": 500}});
                let _ = tx
                    .send(Ok(Bytes::from(format!(
                        "event: error{end}data: {error}{end}{end}"
                    ))))
                    .await;
                return;
            }
            if let Some(delay) = spec.chunk_delay {
                tokio::time::sleep(delay).await;
            }
            let chunk = replies::chunk(&model, json!({"content": piece}), None);
            if tx.send(frame(&chunk)).await.is_err() {
                hook.closed(index);
                return;
            }
        }
        let _ = tx
            .send(frame(&replies::chunk(&model, json!({}), Some("stop"))))
            .await;
        if include_usage {
            let _ = tx.send(frame(&replies::usage_chunk(&model, count))).await;
        }
        let _ = tx
            .send(Ok(Bytes::from(format!("data: [DONE]{end}{end}"))))
            .await;
    });
    let body =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) });
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
