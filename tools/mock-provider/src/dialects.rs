//! The native dialects the mock also speaks, so the gateway, the benchmarks
//! and the SDK's tests can use them: Anthropic's Messages API
//! (`/v1/messages`, SSE events), Gemini's `generateContent` and
//! `streamGenerateContent?alt=sse` (`/v1beta/models/{model}:{method}`), and
//! Ollama's `/api/chat` (NDJSON). Each answers with the same reply text as
//! the OpenAI routes, its words as stream pieces, and usage.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::replies;

fn stream_body(content_type: &'static str, text: String) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(text))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn sse(events: &[(&str, Value)]) -> String {
    events
        .iter()
        .map(|(name, data)| {
            if name.is_empty() {
                format!("data: {data}\n\n")
            } else {
                format!("event: {name}\ndata: {data}\n\n")
            }
        })
        .collect()
}

/// `POST /v1/messages`.
pub(crate) fn anthropic(request: &Value, reply: &str) -> Response {
    let model = request["model"].as_str().unwrap_or("claude-mock");
    let words = replies::words(reply);
    let usage = json!({"input_tokens": 12, "output_tokens": words.len()});
    if request["stream"] != true {
        return axum::Json(json!({
            "id": "msg_mock", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": reply}],
            "stop_reason": "end_turn", "stop_sequence": null, "usage": usage,
        }))
        .into_response();
    }
    let mut events = vec![
        (
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_mock",
            "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": null, "usage": {"input_tokens": 12, "output_tokens": 1}}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
        ),
    ];
    for word in &words {
        events.push((
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": word}}),
        ));
    }
    events.push((
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    ));
    events.push((
        "message_delta",
        json!({"type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": null},
        "usage": {"output_tokens": words.len()}}),
    ));
    events.push(("message_stop", json!({"type": "message_stop"})));
    stream_body("text/event-stream", sse(&events))
}

/// `POST /v1beta/models/{model}:generateContent` or `:streamGenerateContent`.
pub(crate) fn gemini(method: &str, reply: &str) -> Response {
    let words = replies::words(reply);
    let usage = |done: bool| {
        let completion = if done { words.len() } else { 0 };
        json!({"promptTokenCount": 8, "candidatesTokenCount": completion,
            "totalTokenCount": 8 + completion})
    };
    if !method.starts_with("streamGenerateContent") {
        return axum::Json(json!({
            "candidates": [{"content": {"role": "model", "parts": [{"text": reply}]},
                "finishReason": "STOP", "index": 0}],
            "usageMetadata": usage(true), "modelVersion": "gemini-mock", "responseId": "mock",
        }))
        .into_response();
    }
    let last = words.len().saturating_sub(1);
    let events: Vec<(&str, Value)> = words
        .iter()
        .enumerate()
        .map(|(i, word)| {
            let mut candidate =
                json!({"content": {"role": "model", "parts": [{"text": word}]}, "index": 0});
            if i == last {
                candidate["finishReason"] = json!("STOP");
            }
            (
                "",
                json!({"candidates": [candidate], "usageMetadata": usage(i == last),
                "responseId": "mock"}),
            )
        })
        .collect();
    stream_body("text/event-stream", sse(&events))
}

/// `POST /api/chat`.
pub(crate) fn ollama(request: &Value, reply: &str) -> Response {
    let model = request["model"].as_str().unwrap_or("llama-mock");
    let words = replies::words(reply);
    let done = json!({"model": model, "created_at": "2025-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": if request["stream"] == true { "" } else { reply }},
        "done": true, "done_reason": "stop", "prompt_eval_count": 8, "eval_count": words.len()});
    if request["stream"] != true {
        return axum::Json(done).into_response();
    }
    let mut lines: String = words
        .iter()
        .map(|word| {
            let line = json!({"model": model, "created_at": "2025-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": word}, "done": false});
            format!("{line}\n")
        })
        .collect();
    lines.push_str(&format!("{done}\n"));
    stream_body("application/x-ndjson", lines)
}
