//! End-to-end tests against a real llama.cpp server with a real model
//! (SmolLM2-135M-Instruct), started by scripts/local-model.sh. The README's
//! test command starts it and sets LMRELAY_TEST_LOCAL_MODEL_URL; without it
//! these tests fail and say so (they never skip quietly).
//!
//! The model is tiny: tests assert shapes (non-empty text, finish reasons,
//! usage, JSON that matches a schema), never the quality of an answer.

#![cfg(feature = "e2e")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::time::Duration;

use futures::StreamExt;
use lmrelay::types::JsonSchemaFormat;
use lmrelay::{ChatRequest, Client, EmbeddingsRequest, ErrorKind, ResponseFormat, TextRequest};
use serde_json::json;

fn base_url() -> String {
    std::env::var("LMRELAY_TEST_LOCAL_MODEL_URL").unwrap_or_else(|_| {
        panic!(
            "LMRELAY_TEST_LOCAL_MODEL_URL is not set: run the README's test command \
             (scripts/test.sh), or start the server with `scripts/local-model.sh start` \
             and export the URL it prints"
        )
    })
}

fn ask(prompt: &str) -> ChatRequest {
    ChatRequest::new("llamafile/smollm2")
        .api_base(base_url())
        .system("Answer in one short sentence.")
        .user(prompt)
        .temperature(0.0)
        .seed(7)
        .max_tokens(24)
        // Deterministic comparisons: no reuse of a cached prompt between calls.
        .extra_body("cache_prompt", false)
        .timeout(Duration::from_secs(60))
}

#[tokio::test]
async fn real_llama_cpp_chat_returns_text_and_usage() {
    let response = Client::new()
        .unwrap()
        .completion(ask("What is 2+2?"))
        .await
        .unwrap();
    let text = response.content().unwrap();
    assert!(!text.trim().is_empty());
    let choice = &response.choices[0];
    assert!(
        matches!(choice.finish_reason.as_deref(), Some("stop" | "length")),
        "{:?}",
        choice.finish_reason
    );
    let usage = response.usage.unwrap();
    assert!(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
    assert_eq!(
        usage.total_tokens,
        usage.prompt_tokens + usage.completion_tokens
    );
    assert!(usage.completion_tokens <= 24);
    assert_eq!(response.object, "chat.completion");
    assert!(response.id.starts_with("chatcmpl"), "{}", response.id);
}

#[tokio::test]
async fn real_llama_cpp_stream_assembles_to_the_same_text() {
    let client = Client::new().unwrap();
    let plain = client.completion(ask("Name a color.")).await.unwrap();
    let mut stream = client
        .completion_stream(ask("Name a color.").include_usage(true))
        .await
        .unwrap();
    let mut deltas = String::new();
    let mut builder = lmrelay::stream::ChunkBuilder::default();
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        chunks += 1;
        if let Some(text) = chunk
            .choices
            .first()
            .and_then(|c| c.delta.content.as_deref())
        {
            deltas.push_str(text);
        }
        builder.push(&chunk);
    }
    let assembled = builder.finish().unwrap();
    assert!(chunks >= 3, "{chunks} chunks");
    assert_eq!(assembled.content(), Some(deltas.as_str()));
    assert_eq!(
        assembled.content(),
        plain.content(),
        "temperature 0: same text both ways"
    );
    assert_eq!(
        assembled.choices[0].finish_reason,
        plain.choices[0].finish_reason
    );
    let usage = assembled.usage.expect("include_usage gives a usage chunk");
    assert_eq!(
        usage.completion_tokens,
        plain.usage.unwrap().completion_tokens
    );
}

#[tokio::test]
async fn real_llama_cpp_text_completion() {
    let response = Client::new()
        .unwrap()
        .text_completion(
            TextRequest::new("llamafile/smollm2", "The capital of France is")
                .max_tokens(8)
                .temperature(0.0)
                .api_base(base_url()),
        )
        .await
        .unwrap();
    assert!(!response.choices[0].text.is_empty());
    assert!(response.usage.unwrap().completion_tokens > 0);
}

#[tokio::test]
async fn real_llama_cpp_embeddings() {
    let response = Client::new()
        .unwrap()
        .embedding(
            EmbeddingsRequest::new(
                "llamafile/smollm2",
                vec![
                    "the cat sat".to_owned(),
                    "quantum chromodynamics".to_owned(),
                ],
            )
            .api_base(base_url()),
        )
        .await
        .unwrap();
    assert_eq!(response.data.len(), 2);
    let (a, b) = (&response.data[0].embedding, &response.data[1].embedding);
    assert_eq!(a.len(), b.len());
    assert!(a.len() >= 64, "{} dimensions", a.len());
    assert!(a.iter().any(|x| *x != 0.0));
    assert_ne!(a, b);
}

#[tokio::test]
async fn real_llama_cpp_json_schema_output_parses_and_matches() {
    let schema = json!({
        "type": "object",
        "properties": {
            "city": {"type": "string", "maxLength": 20},
            "country": {"type": "string", "maxLength": 20}
        },
        "required": ["city", "country"],
        "additionalProperties": false
    });
    let response = Client::new()
        .unwrap()
        .completion(
            ask("Name a city and its country.")
                .max_tokens(64)
                .response_format(ResponseFormat::JsonSchema {
                    json_schema: JsonSchemaFormat {
                        name: "place".into(),
                        description: None,
                        schema: Some(schema.clone()),
                        strict: Some(true),
                    },
                }),
        )
        .await
        .unwrap();
    assert_eq!(response.choices[0].finish_reason.as_deref(), Some("stop"));
    let value: serde_json::Value = serde_json::from_str(response.content().unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&value), "{value}");
}

#[tokio::test]
async fn real_llama_cpp_prompt_over_the_context_is_context_window_exceeded() {
    let long = "lorem ipsum dolor sit amet ".repeat(1200);
    let err = Client::new()
        .unwrap()
        .completion(ask(&long).num_retries(2))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ContextWindowExceeded, "{err}");
    assert_eq!(err.upstream_status(), Some(400));
    assert!(!err.is_retryable());
    assert!(
        err.message().contains("exceeds the available context size"),
        "{err}"
    );
    assert!(!err.message().contains("after"), "not retried: {err}");
}

#[tokio::test]
async fn real_llama_cpp_overflow_triggers_the_context_window_fallback() {
    // The real server's overflow error must route to the context-window
    // fallback; the in-repo mock provider stands in for the bigger model.
    let bigger = mock_provider::start().await.unwrap();
    let long = "lorem ipsum dolor sit amet ".repeat(1200);
    let response = Client::new()
        .unwrap()
        .completion(
            ask(&long).context_window_fallback(
                lmrelay::Fallback::new("llamafile/bigger-context")
                    .api_base(bigger.fault_url("reply=from_the_bigger_model")),
            ),
        )
        .await
        .unwrap();
    assert_eq!(response.content(), Some("from the bigger model"));
    assert_eq!(bigger.attempts("reply=from_the_bigger_model"), 1);
}

#[tokio::test]
async fn real_llama_cpp_unreachable_server_is_a_connection_error_with_the_hint() {
    // A port where nothing listens, as after `scripts/local-model.sh stop`.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let err = Client::new()
        .unwrap()
        .completion(ask("hi").api_base(dead.clone()).num_retries(0))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::APIConnection);
    assert!(err.message().contains(&dead), "{err}");
    assert!(
        err.message().contains("Is the llamafile server running"),
        "{err}"
    );
}

#[test]
fn real_llama_cpp_blocking_api() {
    let response = lmrelay::blocking::completion(ask("What is 3+3?")).unwrap();
    assert!(!response.content().unwrap().is_empty());
    let chunks: Vec<_> = lmrelay::blocking::completion_stream(ask("What is 3+3?"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let streamed: String = chunks
        .iter()
        .filter_map(|c| c.choices.first()?.delta.content.clone())
        .collect();
    assert_eq!(Some(streamed.as_str()), response.content());
}

/// The shape the schema tests ask the real model for.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[allow(dead_code, reason = "the fields are checked by the schema, not read")]
struct CityAnswer {
    city: String,
    country: String,
}

#[tokio::test]
async fn real_llama_cpp_tokenize_counts_what_the_server_bills() {
    let http = reqwest::Client::new();
    let base = base_url();
    let text = "The capital of France is Paris.";
    let counted = lmrelay::tokens::remote::count_text(&http, &base, text)
        .await
        .unwrap();
    assert!(
        counted > 3 && counted < 20,
        "{counted} tokens for a short sentence"
    );
    // The template-applied count equals the prompt tokens the server reports.
    let messages = vec![
        json!({"role": "system", "content": "Answer in one short sentence."}),
        json!({"role": "user", "content": "What is the capital of France?"}),
    ];
    let templated = lmrelay::tokens::remote::count_messages(&http, &base, &messages)
        .await
        .unwrap();
    let response = Client::new()
        .unwrap()
        .completion(ask("What is the capital of France?"))
        .await
        .unwrap();
    let billed = response.usage.unwrap().prompt_tokens;
    assert_eq!(
        templated, billed,
        "/apply-template + /tokenize equals usage.prompt_tokens"
    );
    assert_eq!(
        response.meta.cost,
        Some(lmrelay::Decimal::ZERO),
        "local models cost 0"
    );
}

#[tokio::test]
async fn real_llama_cpp_schema_constrained_output_parses_into_the_type() {
    let request = ChatRequest::new("llamafile/smollm2")
        .api_base(base_url())
        .system("Reply in JSON.")
        .user("Which city is the capital of France, and which country is it in?")
        .temperature(0.0)
        .seed(7)
        .max_tokens(60)
        .max_repairs(2)
        .timeout(Duration::from_secs(60));
    let parsed = Client::new()
        .unwrap()
        .completion_parsed::<CityAnswer>(request)
        .await
        .unwrap();
    // llama.cpp turns the schema into a grammar, so the reply is valid JSON of
    // this shape whatever the tiny model knows.
    let raw = lmrelay::structured::first_text(&parsed.response);
    let value: serde_json::Value = serde_json::from_str(raw.trim()).unwrap();
    assert!(
        value["city"].is_string() && value["country"].is_string(),
        "{raw}"
    );
}
