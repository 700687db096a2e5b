//! Bodies the mock sends: OpenAI-shaped successes, errors as real providers
//! word them, and SSE frames.

use serde_json::{Value, json};

/// The default reply text.
pub const DEFAULT_REPLY: &str = "Hello from the mock provider.";

/// The error body named `error` (or a generic one) for `status`. Bodies
/// follow the providers' public API references and llama.cpp's server.
pub fn error_body(status: u16, error: Option<&str>, bearer: &str) -> String {
    let body = match error.unwrap_or("") {
        "context" => json!({"error": {
            "message": "This model's maximum context length is 4097 tokens. However, your messages resulted in 5000 tokens. Please reduce the length of the messages.",
            "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}),
        "llamacpp_context" => json!({"error": {
            "code": 400, "message": "request (4476 tokens) exceeds the available context size (4096 tokens)",
            "type": "exceed_context_size_error", "n_prompt_tokens": 4476, "n_ctx": 4096}}),
        "content_policy" => json!({"error": {
            "message": "Your request was rejected as a result of our safety system.",
            "type": "invalid_request_error", "param": null, "code": "content_policy_violation"}}),
        "model_not_found" => json!({"error": {
            "message": "The model `mock-missing` does not exist or you do not have access to it.",
            "type": "invalid_request_error", "param": null, "code": "model_not_found"}}),
        "invalid_key" => json!({"error": {
            "message": format!("Incorrect API key provided: {bearer}. You can find your API key at https://platform.openai.com/account/api-keys."),
            "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}),
        "azure_content_filter" => json!({"error": {
            "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
            "type": null, "param": "prompt", "code": "content_filter", "status": 400,
            "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": {
                "hate": {"filtered": true, "severity": "high"}}}}}),
        "text" => return format!("upstream failure {status}"),
        _ => json!({"error": {
            "message": format!("mock failure with status {status}"),
            "type": generic_type(status), "param": null, "code": null}}),
    };
    body.to_string()
}

fn generic_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        408 => "request_timeout",
        409 => "conflict",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "server_error",
    }
}

/// A chat completion response.
pub fn chat_response(model: &str, reply: &str) -> Value {
    let completion = words(reply).len() as u64;
    json!({
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 1_700_000_000u64,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": completion, "total_tokens": 9 + completion},
        "system_fingerprint": "mock"
    })
}

/// A text completion response.
pub fn text_response(model: &str, reply: &str) -> Value {
    let completion = words(reply).len() as u64;
    json!({
        "id": "cmpl-mock",
        "object": "text_completion",
        "created": 1_700_000_000u64,
        "model": model,
        "choices": [{"index": 0, "text": reply, "finish_reason": "stop", "logprobs": null}],
        "usage": {"prompt_tokens": 5, "completion_tokens": completion, "total_tokens": 5 + completion}
    })
}

/// An embedding response: one deterministic 8-dimensional vector per input.
pub fn embedding_response(model: &str, input: &Value) -> Value {
    let texts: Vec<String> = match input {
        Value::Array(items) => items.iter().map(Value::to_string).collect(),
        other => vec![other.to_string()],
    };
    let data: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let seed = text
                .bytes()
                .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
            let vector: Vec<f64> = (0..8u64)
                .map(|i| ((seed.rotate_left(i as u32 * 7) % 2000) as f64 / 1000.0) - 1.0)
                .collect();
            json!({"object": "embedding", "index": index, "embedding": vector})
        })
        .collect();
    json!({"object": "list", "data": data, "model": model,
           "usage": {"prompt_tokens": texts.len(), "total_tokens": texts.len()}})
}

/// Splits a reply into stream pieces: words with their following space.
pub fn words(reply: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for ch in reply.chars() {
        current.push(ch);
        if ch == ' ' {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// One stream chunk with a content delta (or a role, or a finish reason).
pub fn chunk(model: &str, delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": "chatcmpl-mock",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000u64,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
    })
}

/// The usage chunk sent when `stream_options.include_usage` is set.
pub fn usage_chunk(model: &str, completion: usize) -> Value {
    json!({
        "id": "chatcmpl-mock",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000u64,
        "model": model,
        "choices": [],
        "usage": {"prompt_tokens": 9, "completion_tokens": completion, "total_tokens": 9 + completion}
    })
}

/// A minimal instance of a JSON schema: enums give their first value,
/// strings "mock reply" (padded to minLength), numbers 0, booleans false.
/// Lets JSON-schema clients (commit-polish) run against the mock.
pub fn schema_instance(schema: &Value) -> Value {
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    match schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object")
    {
        "object" => {
            let mut out = serde_json::Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, prop) in props {
                    out.insert(name.clone(), schema_instance(prop));
                }
            }
            Value::Object(out)
        }
        "string" => {
            let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
            let mut text = "mock reply".to_owned();
            while text.len() < min {
                text.push('x');
            }
            Value::String(text)
        }
        "integer" | "number" => json!(0),
        "boolean" => json!(false),
        "array" => json!([]),
        _ => Value::Null,
    }
}
