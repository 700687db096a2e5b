//! The response cache, structured output, costs and the budget guard against
//! the in-repo mock provider (no real model): exact upstream call counts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use futures::StreamExt;
use lmrelay::cache::{Cache, CacheControl};
use lmrelay::{ChatRequest, Client, Decimal, ErrorKind};
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
struct Capital {
    country: String,
    city: String,
    population: u64,
}

fn cached_client(cache: Cache) -> Client {
    Client::builder().cache(cache).build().unwrap()
}

#[tokio::test]
async fn mock_memory_cache_serves_the_second_identical_call_without_upstream() {
    let mock = mock_provider::start().await.unwrap();
    let base = mock.fault_url("label=cache1");
    let client = cached_client(Cache::in_memory(10));
    let first = client
        .completion(common::chat(&base).temperature(0.0))
        .await
        .unwrap();
    let second = client
        .completion(common::chat(&base).temperature(0.0))
        .await
        .unwrap();
    assert!(!first.cache_hit());
    assert!(second.cache_hit());
    assert_eq!(second.cost(), Some(Decimal::ZERO));
    assert_eq!(
        first.choices[0].message.content,
        second.choices[0].message.content
    );
    assert_eq!(mock.attempts("label=cache1"), 1);
    // A different temperature is a different question.
    client
        .completion(common::chat(&base).temperature(0.5))
        .await
        .unwrap();
    assert_eq!(mock.attempts("label=cache1"), 2);
    // no-cache skips the read, no-store skips the write.
    let fresh = CacheControl {
        no_cache: true,
        ..CacheControl::default()
    };
    let again = client
        .completion(common::chat(&base).temperature(0.0).cache(fresh))
        .await
        .unwrap();
    assert!(!again.cache_hit());
    assert_eq!(mock.attempts("label=cache1"), 3);
    let ns = CacheControl {
        namespace: Some("team-b".into()),
        ..CacheControl::default()
    };
    let other = client
        .completion(common::chat(&base).temperature(0.0).cache(ns))
        .await
        .unwrap();
    assert!(!other.cache_hit(), "a namespace keeps keys apart");
}

#[tokio::test]
async fn mock_streamed_call_is_stored_and_replayed_as_a_stream() {
    let mock = mock_provider::start().await.unwrap();
    let base = mock.fault_url("label=cache-stream");
    let client = cached_client(Cache::in_memory(10));
    let request = || common::chat(&base).include_usage(true);
    let mut first = client.completion_stream(request()).await.unwrap();
    let mut text = String::new();
    while let Some(chunk) = first.next().await {
        if let Some(delta) = chunk
            .unwrap()
            .choices
            .first()
            .and_then(|c| c.delta.content.clone())
        {
            text.push_str(&delta);
        }
    }
    assert!(first.usage().is_some(), "usage arrived");
    assert_eq!(first.cost(), Some(Decimal::ZERO), "a local model costs 0");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let replay = client.completion_stream(request()).await.unwrap();
    assert!(replay.cache_hit());
    let response = replay.collect_response().await.unwrap();
    assert_eq!(
        response.choices[0].message.content.as_ref().unwrap().text(),
        text
    );
    assert_eq!(mock.attempts("label=cache-stream"), 1);
}

#[tokio::test]
async fn mock_structured_output_is_parsed_into_the_type() {
    let mock = mock_provider::start().await.unwrap();
    let base = mock.fault_url("label=parsed");
    let request = ChatRequest::new("llamafile/mock-model")
        .user("Capital of France?")
        .api_base(&base);
    let parsed = Client::new()
        .unwrap()
        .completion_parsed::<Capital>(request)
        .await
        .unwrap();
    assert_eq!(parsed.repairs, 0);
    assert_eq!(parsed.value.population, 0);
    let sent = &mock.requests("label=parsed")[0].body;
    assert_eq!(sent["response_format"]["type"], "json_schema");
    assert_eq!(sent["response_format"]["json_schema"]["strict"], true);
}

#[tokio::test]
async fn mock_invalid_reply_is_repaired_by_re_asking_with_the_errors() {
    let mock = mock_provider::start().await.unwrap();
    let base = mock.fault_url("bad_json_times=2");
    let request = ChatRequest::new("llamafile/mock-model")
        .user("Capital of France?")
        .api_base(&base)
        .max_repairs(2);
    let parsed = Client::new()
        .unwrap()
        .completion_parsed::<Capital>(request)
        .await
        .unwrap();
    assert_eq!(parsed.repairs, 2);
    assert_eq!(mock.attempts("bad_json_times=2"), 3);
    let third = &mock.requests("bad_json_times=2")[2].body;
    let messages = third["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        5,
        "question, then two (reply, errors) pairs"
    );
    let feedback = messages[2]["content"].as_str().unwrap();
    assert!(
        feedback.contains("country"),
        "the errors name the missing field: {feedback}"
    );
}

#[tokio::test]
async fn mock_reply_still_invalid_after_repairs_is_a_schema_error_with_details() {
    let mock = mock_provider::start().await.unwrap();
    let base = mock.fault_url("bad_json_times=5,label=giveup");
    let request = ChatRequest::new("llamafile/mock-model")
        .user("Capital of France?")
        .api_base(&base)
        .max_repairs(1);
    let err = Client::new()
        .unwrap()
        .completion_parsed::<Capital>(request)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::JSONSchemaValidation);
    assert!(!err.is_retryable());
    let details = err.details().unwrap();
    assert!(details["raw_response"].as_str().unwrap().contains("{}"));
    assert!(
        details["errors"][0]["schema_path"]
            .as_str()
            .unwrap()
            .contains("required")
    );
    assert_eq!(mock.attempts("bad_json_times=5,label=giveup"), 2);
}

#[tokio::test]
async fn mock_chatty_fenced_reply_is_extracted_and_validated() {
    let mock = mock_provider::start().await.unwrap();
    let base = mock.fault_url("chatty_json");
    let request = ChatRequest::new("llamafile/mock-model")
        .user("Capital?")
        .api_base(&base);
    let parsed = Client::new()
        .unwrap()
        .completion_parsed::<Capital>(request)
        .await
        .unwrap();
    assert_eq!(parsed.value.country, "mock reply");
}

#[tokio::test]
async fn mock_budget_refuses_the_call_that_would_overshoot_before_sending() {
    let mock = mock_provider::start().await.unwrap();
    let base = mock.fault_url("label=budget");
    // gpt-4o pricing through the mock: 1000 completion tokens cost $0.01.
    let client = Client::builder()
        .max_budget(Decimal::new(5, 3))
        .build()
        .unwrap();
    let request = ChatRequest::new("openai/gpt-4o")
        .user("hi")
        .api_base(&base)
        .api_key("sk-test");
    let err = client
        .completion(request.clone().max_tokens(1000))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BudgetExceeded);
    assert_eq!(mock.attempts("label=budget"), 0, "refused before sending");
    let ok = client.completion(request.max_tokens(10)).await.unwrap();
    let cost = ok.cost().unwrap();
    assert!(cost > Decimal::ZERO);
    assert_eq!(
        client.spent(),
        Some(cost),
        "spend reconciled from the real usage"
    );
}

#[tokio::test]
async fn mock_raw_completion_keeps_the_reply_bytes_and_shares_the_cache_with_typed_calls() {
    let mock = mock_provider::start().await.unwrap();
    let base = mock.fault_url("label=raw1");
    let client = cached_client(Cache::in_memory(10));
    let raw = client
        .completion_raw(common::chat(&base).temperature(0.0))
        .await
        .unwrap();
    let direct = reqwest::Client::new()
        .post(format!("{base}/chat/completions"))
        .json(&serde_json::json!({"model": "mock-model", "messages": [{"role": "user", "content": "Say hello"}]}))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(raw.body(), &direct, "the mock's own bytes");
    assert!(raw.usage().is_some_and(|u| u.completion_tokens > 0));
    assert!(!raw.meta().cache_hit);
    // The typed call reads what the raw call stored, and the other way round.
    let typed = client
        .completion(common::chat(&base).temperature(0.0))
        .await
        .unwrap();
    assert!(typed.cache_hit());
    assert_eq!(typed, {
        let mut parsed = raw.parse().unwrap();
        parsed.meta = typed.meta.clone();
        parsed
    });
    let again = client
        .completion_raw(common::chat(&base).temperature(0.0))
        .await
        .unwrap();
    assert!(again.meta().cache_hit);
    assert_eq!(again.cost(), Some(Decimal::ZERO));
    assert_eq!(again.parse().unwrap().content(), typed.content());
    assert_eq!(
        mock.attempts("label=raw1"),
        2,
        "the direct call and the first raw call"
    );
}
