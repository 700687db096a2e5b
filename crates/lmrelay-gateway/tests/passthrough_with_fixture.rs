//! Chat replies and stream chunks of OpenAI-compatible deployments reach
//! the client as the upstream's bytes, billed from the usage in them;
//! replies without the complete head of a chat completion are filled in as
//! before. The upstream here is a fixture server answering one recorded
//! body: the examples of OpenAI's API reference (the chat completion object,
//! pretty-printed as OpenAI sends it, and the chunk objects of a stream with
//! `include_usage`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::str::FromStr;

use lmrelay::{Decimal, TokenUsage};
use lmrelay_gateway::Config;
use serde_json::{Value, json};

/// OpenAI's documented reply, with the nulls, escapes, empty lists and
/// indentation a typed re-serialization would change.
const OPENAI_REPLY: &str = r#"{
  "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  "object": "chat.completion",
  "created": 1741569952,
  "model": "gpt-4o-2024-08-06",
  "choices": [
    {
      "index": 0,
      "message": {
        "role": "assistant",
        "content": "Hello! How can I assist you today? \u00e9\ud83d\ude00",
        "refusal": null,
        "annotations": []
      },
      "logprobs": null,
      "finish_reason": "stop"
    }
  ],
  "usage": {
    "prompt_tokens": 19,
    "completion_tokens": 10,
    "total_tokens": 29,
    "prompt_tokens_details": {
      "cached_tokens": 0,
      "audio_tokens": 0
    },
    "completion_tokens_details": {
      "reasoning_tokens": 0,
      "audio_tokens": 0,
      "accepted_prediction_tokens": 0,
      "rejected_prediction_tokens": 0
    }
  },
  "service_tier": "default",
  "system_fingerprint": null
}"#;

/// A server that answers every request with `body` as JSON (or as an
/// event stream when it starts with `data:`).
async fn fixture_upstream(body: &'static str) -> String {
    let kind = if body.starts_with("data:") {
        "text/event-stream"
    } else {
        "application/json"
    };
    let app = axum::Router::new()
        .fallback(move || async move { ([(axum::http::header::CONTENT_TYPE, kind)], body) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1")
}

async fn gateway(model: &str, upstream: &str) -> String {
    let mut config = Config::single(
        "chat",
        model,
        Some(upstream.to_owned()),
        Some(lmrelay::ApiKey::new("sk-fixture".to_owned())),
    );
    config.router.num_retries = 0;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(lmrelay_gateway::serve(listener, config));
    format!("http://{addr}")
}

async fn chat(gateway: &str) -> reqwest::Response {
    let response = reqwest::Client::new()
        .post(format!("{gateway}/v1/chat/completions"))
        .json(&json!({"model": "chat", "messages": [{"role": "user", "content": "Hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response
}

#[tokio::test]
async fn fixture_openai_reply_reaches_the_client_byte_for_byte_and_is_billed() {
    let upstream = fixture_upstream(OPENAI_REPLY).await;
    let gw = gateway("openai/gpt-4o", &upstream).await;
    let response = chat(&gw).await;
    let cost = response.headers()["x-litellm-response-cost"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "the content type is ours, not the upstream's"
    );
    let body = response.bytes().await.unwrap();
    assert_eq!(std::str::from_utf8(&body).unwrap(), OPENAI_REPLY);

    let usage = TokenUsage {
        prompt_tokens: 19,
        completion_tokens: 10,
        ..TokenUsage::default()
    };
    let expected = lmrelay::cost_per_token("gpt-4o", &usage).unwrap().total();
    assert!(expected > Decimal::ZERO);
    assert_eq!(Decimal::from_str(&cost).unwrap(), expected);
}

#[tokio::test]
async fn fixture_reply_without_a_complete_head_is_filled_in_as_the_typed_path_did() {
    const BARE: &str = r#"{"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"model":"m"}"#;
    let upstream = fixture_upstream(BARE).await;
    let gw = gateway("openai/gpt-4o", &upstream).await;
    let reply: Value = chat(&gw).await.json().await.unwrap();
    assert_eq!(
        reply,
        json!({"id": "", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"},
                "finish_reason": "stop"}]})
    );
}

#[tokio::test]
async fn fixture_reply_of_a_translated_provider_is_written_by_the_gateway() {
    // Anthropic's documented Messages reply, answered on Anthropic's route:
    // the client gets the OpenAI shape, not these bytes.
    const ANTHROPIC_REPLY: &str = r#"{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[{"type":"text","text":"Hello!"}],"model":"claude-3-5-sonnet-20241022","stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":6}}"#;
    let upstream = fixture_upstream(ANTHROPIC_REPLY).await;
    let gw = gateway("anthropic/claude-3-5-sonnet-20241022", &upstream).await;
    let reply: Value = chat(&gw).await.json().await.unwrap();
    assert_eq!(reply["object"], "chat.completion");
    assert_eq!(reply["choices"][0]["message"]["content"], "Hello!");
    assert_eq!(reply["usage"]["prompt_tokens"], 12);
    assert_eq!(reply["usage"]["completion_tokens"], 6);
}

/// OpenAI's documented stream with `include_usage`: `usage: null` in every
/// chunk but the last, which has no choices.
const OPENAI_STREAM: &str = concat!(
    r#"data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":"Hello \u00e9"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#,
    "\n\n",
    r#"data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#,
    "\n\n",
    "data: [DONE]\n\n",
);

/// The `data` of each event in an SSE body.
fn data_lines(body: &str) -> Vec<&str> {
    body.split("\n\n")
        .filter(|frame| !frame.is_empty())
        .map(|frame| frame.strip_prefix("data: ").unwrap())
        .collect()
}

async fn stream(gateway: &str, include_usage: bool) -> String {
    let mut body = json!({"model": "chat", "stream": true,
        "messages": [{"role": "user", "content": "Hi"}]});
    if include_usage {
        body["stream_options"] = json!({"include_usage": true});
    }
    let response = reqwest::Client::new()
        .post(format!("{gateway}/v1/chat/completions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(status, 200, "{}", response.text().await.unwrap());
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    response.text().await.unwrap()
}

#[tokio::test]
async fn fixture_openai_stream_chunks_reach_the_client_byte_for_byte() {
    let upstream = fixture_upstream(OPENAI_STREAM).await;
    let gw = gateway("openai/gpt-4o-mini", &upstream).await;
    let sent = data_lines(OPENAI_STREAM);

    // Asked for usage: every chunk as sent, then the end marker.
    let body = stream(&gw, true).await;
    assert_eq!(data_lines(&body), sent);

    // Not asked: the usage chunk the gateway asked for itself is dropped.
    let body = stream(&gw, false).await;
    let mut expected = sent.clone();
    expected.remove(3);
    assert_eq!(data_lines(&body), expected);

    let metrics = reqwest::Client::new()
        .get(format!("{gw}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let output_tokens = metrics
        .lines()
        .find(|line| line.starts_with("litellm_output_tokens_metric_total{"))
        .unwrap_or_else(|| panic!("no output token metric in {metrics}"));
    assert!(
        output_tokens.ends_with(" 6"),
        "both streams billed 3 completion tokens from the usage chunk: {output_tokens}"
    );
}
