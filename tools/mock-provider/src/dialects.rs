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

/// `POST /v2/chat` (Cohere): a message with text content, or its events
/// (SSE framed, as Cohere sends them for `accept: text/event-stream`).
pub(crate) fn cohere(request: &Value, reply: &str) -> Response {
    let words = replies::words(reply);
    let usage = json!({"billed_units": {"input_tokens": 8, "output_tokens": words.len()},
        "tokens": {"input_tokens": 8, "output_tokens": words.len()}});
    if request["stream"] != true {
        return axum::Json(json!({"id": "mock", "finish_reason": "COMPLETE",
            "message": {"role": "assistant", "content": [{"type": "text", "text": reply}]},
            "usage": usage}))
        .into_response();
    }
    let mut events = vec![(
        "message-start",
        json!({"type": "message-start", "id": "mock",
        "delta": {"message": {"role": "assistant", "content": []}}}),
    )];
    for word in &words {
        events.push((
            "content-delta",
            json!({"type": "content-delta", "index": 0,
            "delta": {"message": {"content": {"text": word}}}}),
        ));
    }
    events.push((
        "message-end",
        json!({"type": "message-end",
        "delta": {"finish_reason": "COMPLETE", "usage": usage}}),
    ));
    stream_body("text/event-stream", sse(&events))
}

/// `POST /model/{id}/converse` and `/converse-stream` (Bedrock): a Converse
/// body, or AWS event-stream frames (with their CRCs).
pub(crate) fn bedrock(method: &str, reply: &str) -> Response {
    let words = replies::words(reply);
    let usage =
        json!({"inputTokens": 8, "outputTokens": words.len(), "totalTokens": 8 + words.len()});
    if method != "converse-stream" {
        return axum::Json(json!({"output": {"message": {"role": "assistant",
            "content": [{"text": reply}]}}, "stopReason": "end_turn", "usage": usage,
            "metrics": {"latencyMs": 1}}))
        .into_response();
    }
    let mut bytes = Vec::new();
    bytes.extend(event_frame("messageStart", &json!({"role": "assistant"})));
    for word in &words {
        bytes.extend(event_frame(
            "contentBlockDelta",
            &json!({"contentBlockIndex": 0, "delta": {"text": word}}),
        ));
    }
    bytes.extend(event_frame(
        "contentBlockStop",
        &json!({"contentBlockIndex": 0}),
    ));
    bytes.extend(event_frame(
        "messageStop",
        &json!({"stopReason": "end_turn"}),
    ));
    bytes.extend(event_frame(
        "metadata",
        &json!({"usage": usage, "metrics": {"latencyMs": 1}}),
    ));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/vnd.amazon.eventstream")
        .body(Body::from(bytes))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// One AWS event-stream message: prelude, CRC, string headers, payload, CRC.
pub fn event_frame(event_type: &str, payload: &Value) -> Vec<u8> {
    let mut headers = Vec::new();
    for (name, value) in [
        (":event-type", event_type),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ] {
        headers.push(u8::try_from(name.len()).unwrap_or(0));
        headers.extend_from_slice(name.as_bytes());
        headers.push(7);
        headers.extend_from_slice(&u16::try_from(value.len()).unwrap_or(0).to_be_bytes());
        headers.extend_from_slice(value.as_bytes());
    }
    let payload = payload.to_string();
    let total = 16 + headers.len() + payload.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&u32::try_from(total).unwrap_or(0).to_be_bytes());
    out.extend_from_slice(&u32::try_from(headers.len()).unwrap_or(0).to_be_bytes());
    let prelude_crc = crc32fast::hash(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&headers);
    out.extend_from_slice(payload.as_bytes());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}
