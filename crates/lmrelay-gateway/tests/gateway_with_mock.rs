//! The gateway in front of the in-repo mock provider: OpenAI-shaped answers,
//! streams, upstream errors with their status and LiteLLM's error body, and
//! lmrelay's own SDK as a client. Every upstream here is the mock.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use lmrelay::{ChatRequest, ErrorKind};
use lmrelay_gateway::Config;
use serde_json::{Value, json};

async fn gateway(upstream: &str) -> String {
    let mut config = Config::single(
        "local-chat",
        "llamafile/mock-model",
        Some(upstream.to_owned()),
        None,
    );
    config.router.num_retries = 0;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(lmrelay_gateway::serve(listener, config));
    format!("http://{addr}")
}

fn body(stream: bool) -> Value {
    json!({"model": "local-chat", "messages": [{"role": "user", "content": "Hi"}], "stream": stream})
}

#[tokio::test]
async fn mock_chat_models_and_health() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(&mock.base_url()).await;
    let http = reqwest::Client::new();
    for path in ["/v1/chat/completions", "/chat/completions"] {
        let r = http
            .post(format!("{gw}{path}"))
            .json(&body(false))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(
            v["choices"][0]["message"]["content"],
            "Hello from the mock provider."
        );
        assert_eq!(v["object"], "chat.completion");
    }
    let models: Value = http
        .get(format!("{gw}/v1/models"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["data"][0]["id"], "local-chat");
    let health = http
        .get(format!("{gw}/health/liveliness"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(mock.attempts(""), 2);
}

#[tokio::test]
async fn mock_stream_passes_through_as_sse() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(&mock.base_url()).await;
    let text = reqwest::Client::new()
        .post(format!("{gw}/v1/chat/completions"))
        .json(&body(true))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let frames: Vec<&str> = text.split("\n\n").filter(|f| !f.is_empty()).collect();
    assert_eq!(*frames.last().unwrap(), "data: [DONE]");
    let content: String = frames[..frames.len() - 1]
        .iter()
        .map(|f| serde_json::from_str::<Value>(f.strip_prefix("data: ").unwrap()).unwrap())
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(content, "Hello from the mock provider.");
}

#[tokio::test]
async fn mock_upstream_errors_keep_status_body_and_retry_after() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(&mock.fault_url("status=429,retry_after=7")).await;
    let r = reqwest::Client::new()
        .post(format!("{gw}/v1/chat/completions"))
        .json(&body(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "429");
    assert_eq!(v["error"]["type"], "rate_limit_error");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("RateLimit: "),
        "{v}"
    );
}

#[tokio::test]
async fn mock_bad_requests_get_openai_errors() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(&mock.base_url()).await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{gw}/v1/chat/completions"))
        .json(&json!({"model": "nope", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Invalid model name passed in model=nope")
    );
    let r = http
        .post(format!("{gw}/v1/chat/completions"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(mock.attempts(""), 0);
}

#[tokio::test]
async fn mock_lmrelay_sdk_as_a_client_of_the_gateway() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(&mock.base_url()).await;
    let client = lmrelay::Client::new().unwrap();
    let request = || {
        ChatRequest::new("openai/local-chat")
            .user("Hi")
            .api_base(format!("{gw}/v1"))
            .api_key("none")
    };
    let reply = client.completion(request()).await.unwrap();
    assert_eq!(reply.content(), Some("Hello from the mock provider."));
    let streamed = client
        .completion_stream(request().include_usage(true))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(streamed.content(), reply.content());
    let embeddings = reqwest::Client::new()
        .post(format!("{gw}/v1/embeddings"))
        .json(&json!({"model": "local-chat", "input": ["a", "b"]}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(embeddings["data"].as_array().unwrap().len(), 2);
    // An upstream failure reaches the SDK client as the same kind.
    let failing = gateway(&mock.fault_url("status=503")).await;
    let err = client
        .completion(
            ChatRequest::new("openai/local-chat")
                .user("Hi")
                .api_base(format!("{failing}/v1"))
                .api_key("none")
                .num_retries(0),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceUnavailable, "{err}");
}

#[tokio::test]
async fn mock_anthropic_messages_endpoint_answers_any_model_in_anthropic_shapes() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(&mock.base_url()).await;
    let http = reqwest::Client::new();
    let request = |stream: bool| {
        json!({"model": "local-chat", "max_tokens": 64, "system": "Be brief.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
            "stream": stream})
    };
    let r = http
        .post(format!("{gw}/v1/messages"))
        .json(&request(false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert_eq!(v["content"][0]["type"], "text");
    assert_eq!(v["content"][0]["text"], "Hello from the mock provider.");
    assert_eq!(v["stop_reason"], "end_turn");
    assert!(v["usage"]["output_tokens"].as_u64().unwrap() > 0);

    let text = http
        .post(format!("{gw}/v1/messages"))
        .json(&request(true))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("event: "))
        .collect();
    assert_eq!(events.first(), Some(&"message_start"));
    assert_eq!(events.last(), Some(&"message_stop"));
    assert!(events.contains(&"content_block_start") && events.contains(&"message_delta"));
    let streamed: String = text
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter_map(|data| serde_json::from_str::<Value>(data).ok())
        .filter(|v| v["delta"]["type"] == "text_delta")
        .map(|v| v["delta"]["text"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(streamed, "Hello from the mock provider.");

    let missing = http
        .post(format!("{gw}/v1/messages"))
        .json(&json!({"model": "local-chat", "messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    let err: Value = missing.json().await.unwrap();
    assert_eq!(err["type"], "error");
    assert_eq!(err["error"]["type"], "invalid_request_error");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("max_tokens")
    );
}

#[tokio::test]
async fn mock_anthropic_messages_tool_use_round_trip() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(&mock.fault_url("label=msgtools")).await;
    let body = json!({"model": "local-chat", "max_tokens": 64,
    "tools": [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object",
        "properties": {"city": {"type": "string"}}}}],
    "tool_choice": {"type": "auto"},
    "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]}
    ]});
    let r = reqwest::Client::new()
        .post(format!("{gw}/v1/messages"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sent = &mock.requests("label=msgtools")[0].body;
    assert_eq!(sent["tools"][0]["function"]["name"], "get_weather");
    assert_eq!(sent["tool_choice"], "auto");
    assert_eq!(sent["messages"][1]["tool_calls"][0]["id"], "toolu_1");
    assert_eq!(sent["messages"][2]["role"], "tool");
    assert_eq!(sent["messages"][2]["tool_call_id"], "toolu_1");
    assert_eq!(sent["messages"][2]["content"], "sunny");
}
