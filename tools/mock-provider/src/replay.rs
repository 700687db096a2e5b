//! A replay server: answers every request with one canned reply (a status,
//! headers, and a JSON body, a raw body, SSE events or NDJSON lines) and
//! records what it received. Differential tests give lmrelay the same
//! recorded provider replies LiteLLM got, and compare what both sent.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::serve::ListenerExt;
use base64::Engine;
use serde_json::Value;

use crate::RecordedRequest;

/// The reply of a scenario, in the capture scripts' format:
/// `{"status", "headers", "body" | "raw" | "sse": [...] | "ndjson": [...]}`.
#[derive(Debug, Clone)]
pub struct CannedReply(pub Value);

/// A running replay server.
#[derive(Debug, Clone)]
pub struct ReplayHandle {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<(String, RecordedRequest)>>>,
}

impl ReplayHandle {
    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What was received: (method and path with query, request).
    pub fn requests(&self) -> Vec<(String, RecordedRequest)> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

struct Shared {
    reply: CannedReply,
    served: Mutex<usize>,
    seen: Arc<Mutex<Vec<(String, RecordedRequest)>>>,
}

/// Starts a replay server on a free loopback port, on the current runtime.
pub async fn start_replay(reply: CannedReply) -> std::io::Result<ReplayHandle> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::new(Shared {
        reply,
        served: Mutex::new(0),
        seen: seen.clone(),
    });
    let app = Router::new().fallback(answer).with_state(shared);
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(ReplayHandle { addr, seen })
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // A service-account token exchange (Vertex AI) is answered, not recorded.
    if uri.path().ends_with("/token") && body.starts_with(b"grant_type=") {
        let token = serde_json::json!({"access_token": "ya29.test-token", "expires_in": 3599,
            "token_type": "Bearer"});
        return build(&serde_json::json!({"body": token}));
    }
    let recorded = RecordedRequest {
        endpoint: uri.path().to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let line = format!(
        "{method} {}",
        uri.path_and_query().map_or(uri.path(), |p| p.as_str())
    );
    shared
        .seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((line, recorded));
    // A `sequence` of replies answers requests in order; the last repeats.
    let reply = match shared.reply.0.get("sequence").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            let mut served = shared.served.lock().unwrap_or_else(PoisonError::into_inner);
            let index = (*served).min(list.len() - 1);
            *served += 1;
            list[index].clone()
        }
        _ => shared.reply.0.clone(),
    };
    build(&reply)
}

fn build(reply: &Value) -> Response {
    let status = reply
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let builder = Response::builder().status(status);
    let mut content_type = "application/json";
    let body = if let Some(events) = reply.get("sse").and_then(Value::as_array) {
        content_type = "text/event-stream";
        let mut text = String::new();
        for event in events {
            match event {
                Value::String(raw) => text.push_str(raw),
                other => {
                    if let Some(name) = other.get("event").and_then(Value::as_str) {
                        text.push_str(&format!("event: {name}\n"));
                    }
                    let data = other.get("data").unwrap_or(other);
                    text.push_str(&format!("data: {data}\n\n"));
                }
            }
        }
        text
    } else if let Some(lines) = reply.get("ndjson").and_then(Value::as_array) {
        content_type = "application/x-ndjson";
        lines.iter().map(|line| format!("{line}\n")).collect()
    } else if let Some(encoded) = reply.get("raw_base64").and_then(Value::as_str) {
        content_type = "application/octet-stream";
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap_or_default();
        return finish(builder, reply, content_type, Body::from(bytes));
    } else if let Some(raw) = reply.get("raw").and_then(Value::as_str) {
        content_type = "text/plain";
        raw.to_owned()
    } else {
        reply.get("body").map(Value::to_string).unwrap_or_default()
    };
    finish(builder, reply, content_type, Body::from(body))
}

fn finish(
    mut builder: axum::http::response::Builder,
    reply: &Value,
    content_type: &str,
    body: Body,
) -> Response {
    let mut has_type = false;
    if let Some(headers) = reply.get("headers").and_then(Value::as_object) {
        for (name, value) in headers {
            has_type |= name.eq_ignore_ascii_case("content-type");
            builder = builder.header(name.as_str(), value.as_str().unwrap_or(""));
        }
    }
    if !has_type {
        builder = builder.header("content-type", content_type);
    }
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(Body::empty()))
}
