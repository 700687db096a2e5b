//! SDK behaviour against the in-repo mock provider (tools/mock-provider):
//! error kinds per status, exact attempt counts, Retry-After, fallbacks,
//! deadlines, and broken streams. Every server here is the mock, not a real
//! provider.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::time::{Duration, Instant};

use futures::StreamExt;
use lmrelay::retry::RetryPolicy;
use lmrelay::{ChatRequest, Client, EmbeddingsRequest, ErrorKind, Fallback, TextRequest};

fn fast_client() -> Client {
    Client::builder()
        .retry_policy(RetryPolicy {
            initial_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

fn chat(base: &str) -> ChatRequest {
    ChatRequest::new("llamafile/mock-model")
        .user("Say hello")
        .api_base(base)
}

#[tokio::test]
async fn mock_plain_completion_returns_the_reply_and_usage() {
    let mock = mock_provider::start().await.unwrap();
    let response = fast_client()
        .completion(chat(&mock.base_url()))
        .await
        .unwrap();
    assert_eq!(response.content(), Some("Hello from the mock provider."));
    assert_eq!(
        response.model, "mock-model",
        "prefix stripped before sending"
    );
    assert_eq!(response.usage.unwrap().completion_tokens, 5);
    assert_eq!(mock.attempts(""), 1);
}

#[tokio::test]
async fn mock_request_carries_placeholder_key_model_and_extra_body() {
    let mock = mock_provider::start().await.unwrap();
    let spec = "reply=ok";
    fast_client()
        .completion(
            ChatRequest::new("llamafile/mistralai/mistral-7b")
                .user("hi")
                .temperature(0.0)
                .extra_body("top_k", 3)
                .extra_header("X-Trace", "abc")
                .api_base(mock.fault_url(spec)),
        )
        .await
        .unwrap();
    let sent = &mock.requests(spec)[0];
    assert_eq!(sent.endpoint, "chat/completions");
    assert_eq!(sent.body["model"], "mistralai/mistral-7b");
    assert_eq!(sent.body["top_k"], 3);
    assert_eq!(sent.body["temperature"], 0.0);
    assert!(sent.body.get("stream").is_none());
    let header = |name: &str| {
        sent.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        header("authorization").as_deref(),
        Some("Bearer fake-api-key")
    );
    assert_eq!(header("x-trace").as_deref(), Some("abc"));
}

/// (status, error body, expected kind, retryable)
const STATUS_CASES: &[(u16, &str, ErrorKind, bool)] = &[
    (400, "", ErrorKind::BadRequest, false),
    (400, "context", ErrorKind::ContextWindowExceeded, false),
    (
        400,
        "llamacpp_context",
        ErrorKind::ContextWindowExceeded,
        false,
    ),
    (
        400,
        "content_policy",
        ErrorKind::ContentPolicyViolation,
        false,
    ),
    (401, "", ErrorKind::Authentication, false),
    (403, "", ErrorKind::PermissionDenied, false),
    (404, "model_not_found", ErrorKind::NotFound, false),
    (404, "text", ErrorKind::NotFound, false),
    (408, "", ErrorKind::Timeout, true),
    (409, "", ErrorKind::APIError, true),
    (422, "", ErrorKind::UnprocessableEntity, false),
    (429, "", ErrorKind::RateLimit, true),
    (500, "", ErrorKind::InternalServer, true),
    (502, "", ErrorKind::BadGateway, true),
    (503, "", ErrorKind::ServiceUnavailable, true),
    (504, "", ErrorKind::Timeout, true),
    (529, "", ErrorKind::APIError, true),
];

#[tokio::test]
async fn mock_each_status_maps_to_its_kind_with_exact_attempts() {
    let mock = mock_provider::start().await.unwrap();
    let client = fast_client();
    for &(status, error, kind, retryable) in STATUS_CASES {
        let spec = format!("status={status},error={error}");
        let err = client
            .completion(chat(&mock.fault_url(&spec)).num_retries(2))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{spec}: {err}");
        assert_eq!(err.upstream_status(), Some(status), "{spec}");
        assert_eq!(err.provider(), Some("llamafile"));
        assert_eq!(err.model(), Some("mock-model"));
        let expected = if retryable { 3 } else { 1 };
        assert_eq!(mock.attempts(&spec), expected, "{spec}: attempts");
    }
}

#[tokio::test]
async fn mock_num_retries_bounds_attempts_to_one_plus_n() {
    let mock = mock_provider::start().await.unwrap();
    let client = fast_client();
    for n in [0u32, 1, 4] {
        let spec = format!("status=503,reply=n{n}");
        client
            .completion(chat(&mock.fault_url(&spec)).num_retries(n))
            .await
            .unwrap_err();
        assert_eq!(mock.attempts(&spec), 1 + n as usize);
    }
}

#[tokio::test]
async fn mock_recovers_after_transient_failures() {
    let mock = mock_provider::start().await.unwrap();
    let spec = "status=500,fail_times=2";
    let response = fast_client()
        .completion(chat(&mock.fault_url(spec)).num_retries(2))
        .await
        .unwrap();
    assert_eq!(response.content(), Some("Hello from the mock provider."));
    assert_eq!(mock.attempts(spec), 3);
}

#[tokio::test]
async fn mock_retry_after_seconds_is_honoured() {
    let mock = mock_provider::start().await.unwrap();
    let spec = "status=429,retry_after=1,fail_times=1";
    let started = Instant::now();
    fast_client()
        .completion(chat(&mock.fault_url(spec)).num_retries(1))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(mock.attempts(spec), 2);
    assert!(elapsed >= Duration::from_millis(1000), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
}

#[tokio::test]
async fn mock_retry_after_ms_is_honoured_and_wins() {
    let mock = mock_provider::start().await.unwrap();
    let spec = "status=503,retry_after=30,retry_after_ms=400,fail_times=1";
    let started = Instant::now();
    fast_client()
        .completion(chat(&mock.fault_url(spec)).num_retries(1))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
}

#[tokio::test]
async fn mock_retry_after_http_date_is_honoured() {
    let mock = mock_provider::start().await.unwrap();
    let spec = "status=429,retry_after_date=2,fail_times=1";
    let started = Instant::now();
    fast_client()
        .completion(chat(&mock.fault_url(spec)).num_retries(1))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(mock.attempts(spec), 2);
    // HTTP dates have one-second resolution: the wait is between 1 and 2 s.
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(3000), "{elapsed:?}");
}

#[tokio::test]
async fn mock_x_should_retry_overrides_the_status_rule() {
    let mock = mock_provider::start().await.unwrap();
    let client = fast_client();
    let no = "status=500,should_retry=false";
    client
        .completion(chat(&mock.fault_url(no)).num_retries(3))
        .await
        .unwrap_err();
    assert_eq!(mock.attempts(no), 1);
    let yes = "status=400,should_retry=true";
    client
        .completion(chat(&mock.fault_url(yes)).num_retries(3))
        .await
        .unwrap_err();
    assert_eq!(mock.attempts(yes), 4);
}

#[tokio::test]
async fn mock_fallbacks_run_in_order_after_retries() {
    let mock = mock_provider::start().await.unwrap();
    let first = "status=500,reply=first";
    let second = "status=401,reply=second";
    let third = "reply=third_ok";
    let response = fast_client()
        .completion(
            chat(&mock.fault_url(first))
                .num_retries(1)
                .fallback(Fallback {
                    model: "llamafile/b".into(),
                    api_base: Some(mock.fault_url(second)),
                    api_key: None,
                })
                .fallback(Fallback {
                    model: "llamafile/c".into(),
                    api_base: Some(mock.fault_url(third)),
                    api_key: None,
                }),
        )
        .await
        .unwrap();
    assert_eq!(response.content(), Some("third ok"));
    assert_eq!(mock.attempts(first), 2, "primary retried once");
    assert_eq!(mock.attempts(second), 1, "401 is not retried");
    assert_eq!(mock.attempts(third), 1);
}

#[tokio::test]
async fn mock_all_fallbacks_failing_reports_every_model() {
    let mock = mock_provider::start().await.unwrap();
    let err = fast_client()
        .completion(
            chat(&mock.fault_url("status=500"))
                .num_retries(0)
                .fallback(Fallback {
                    model: "llamafile/b".into(),
                    api_base: Some(mock.fault_url("status=429")),
                    api_key: None,
                }),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimit, "last error's kind");
    assert!(
        err.message().contains("mock-model (InternalServer)"),
        "{err}"
    );
    assert!(err.message().contains("llamafile/b (RateLimit)"), "{err}");
}

#[tokio::test]
async fn mock_context_window_fallbacks_are_used_for_context_errors() {
    let mock = mock_provider::start().await.unwrap();
    let big = "reply=from_the_big_model";
    let unused = "reply=unused";
    let response = fast_client()
        .completion(
            chat(&mock.fault_url("status=400,error=llamacpp_context"))
                .fallback(Fallback {
                    model: "llamafile/other".into(),
                    api_base: Some(mock.fault_url(unused)),
                    api_key: None,
                })
                .context_window_fallback(Fallback {
                    model: "llamafile/big".into(),
                    api_base: Some(mock.fault_url(big)),
                    api_key: None,
                }),
        )
        .await
        .unwrap();
    assert_eq!(response.content(), Some("from the big model"));
    assert_eq!(mock.attempts(unused), 0);
}

#[tokio::test]
async fn mock_slow_first_byte_fires_the_timeout() {
    let mock = mock_provider::start().await.unwrap();
    let spec = "first_byte_ms=3000";
    let started = Instant::now();
    let err = fast_client()
        .completion(
            chat(&mock.fault_url(spec))
                .timeout(Duration::from_millis(300))
                .num_retries(1),
        )
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(mock.attempts(spec), 2, "timeouts are retryable");
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
}

#[tokio::test]
async fn mock_stream_first_chunk_timeout_fires() {
    let mock = mock_provider::start().await.unwrap();
    let started = Instant::now();
    let err = fast_client()
        .completion_stream(
            chat(&mock.fault_url("first_byte_ms=3000"))
                .first_chunk_timeout(Duration::from_millis(250))
                .num_retries(0),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(started.elapsed() < Duration::from_millis(1000));
}

#[tokio::test]
async fn mock_stream_idle_timeout_fires_between_chunks() {
    let mock = mock_provider::start().await.unwrap();
    let stream = fast_client()
        .completion_stream(
            chat(&mock.fault_url("stall_after=2")).idle_timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap();
    let started = Instant::now();
    let items: Vec<_> = stream.collect().await;
    let elapsed = started.elapsed();
    let (last, ok) = items.split_last().unwrap();
    assert_eq!(
        ok.len(),
        3,
        "role chunk and two content chunks before the stall"
    );
    assert!(ok.iter().all(Result::is_ok));
    let err = last.as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1200), "{elapsed:?}");
}

#[tokio::test]
async fn mock_trickling_stream_within_idle_limit_completes() {
    let mock = mock_provider::start().await.unwrap();
    let response = fast_client()
        .completion_stream(
            chat(&mock.fault_url("chunk_ms=100,chunks=5")).idle_timeout(Duration::from_millis(600)),
        )
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(response.content(), Some("Hello from the mock provider."));
}

#[tokio::test]
async fn mock_stream_assembles_to_the_non_streamed_content_with_usage() {
    let mock = mock_provider::start().await.unwrap();
    let client = fast_client();
    for spec in ["reply=one_two_three", "reply=one_two_three,crlf"] {
        let plain = client
            .completion(chat(&mock.fault_url(spec)))
            .await
            .unwrap();
        let streamed = client
            .completion_stream(chat(&mock.fault_url(spec)).include_usage(true))
            .await
            .unwrap()
            .collect_response()
            .await
            .unwrap();
        assert_eq!(streamed.content(), plain.content(), "{spec}");
        assert_eq!(streamed.choices[0].finish_reason.as_deref(), Some("stop"));
        assert_eq!(streamed.usage.unwrap().completion_tokens, 3);
    }
}

#[tokio::test]
async fn mock_broken_streams_end_with_the_right_error() {
    let mock = mock_provider::start().await.unwrap();
    let client = fast_client();
    let cases = [
        ("cut_after=2", ErrorKind::APIConnection),
        ("abort_after=2", ErrorKind::APIConnection),
        ("midstream_error=2", ErrorKind::InternalServer),
        ("repeat=120", ErrorKind::InternalServer),
    ];
    for (spec, kind) in cases {
        let stream = client
            .completion_stream(chat(&mock.fault_url(spec)))
            .await
            .unwrap();
        let items: Vec<_> = stream.collect().await;
        let err = items.last().unwrap().as_ref().unwrap_err();
        assert_eq!(err.kind(), kind, "{spec}: {err}");
        assert!(items[..items.len() - 1].iter().all(Result::is_ok), "{spec}");
        assert_eq!(
            mock.attempts(spec),
            1,
            "{spec}: no retry after the first chunk"
        );
    }
}

#[tokio::test]
async fn mock_malformed_json_is_an_api_error() {
    let mock = mock_provider::start().await.unwrap();
    let client = fast_client();
    let err = client
        .completion(chat(&mock.fault_url("malformed")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::APIError, "{err}");
    let err = client
        .completion_stream(chat(&mock.fault_url("malformed")))
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::APIError, "{err}");
}

#[tokio::test]
async fn mock_echoed_api_key_never_reaches_the_error() {
    let mock = mock_provider::start().await.unwrap();
    let canary = "sk-canary-0123456789abcdef";
    let err = fast_client()
        .completion(
            ChatRequest::new("openai/gpt-4o-mini")
                .user("hi")
                .api_base(mock.fault_url("status=401,error=invalid_key"))
                .api_key(canary),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    for text in [
        err.to_string(),
        format!("{err:?}"),
        err.to_openai_json().to_string(),
    ] {
        assert!(!text.contains("canary"), "{text}");
    }
}

#[tokio::test]
async fn mock_stopped_server_is_a_connection_error_with_a_hint() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let base = format!("http://127.0.0.1:{port}/v1");
    let err = fast_client()
        .completion(chat(&base).num_retries(1))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::APIConnection, "{err}");
    assert!(err.message().contains(&base), "{err}");
    assert!(
        err.message().contains("Is the llamafile server running"),
        "{err}"
    );
    assert!(err.message().contains("LLAMAFILE_API_BASE"), "{err}");
    assert!(err.message().contains("after 2 attempts"), "{err}");
}

#[tokio::test]
async fn mock_text_completion_and_embeddings() {
    let mock = mock_provider::start().await.unwrap();
    let client = fast_client();
    let text = client
        .text_completion(TextRequest::new("llamafile/m", "Once upon").api_base(mock.base_url()))
        .await
        .unwrap();
    assert_eq!(text.choices[0].text, "Hello from the mock provider.");
    let embeddings = client
        .embedding(
            EmbeddingsRequest::new("llamafile/m", vec!["a".to_owned(), "b".to_owned()])
                .api_base(mock.base_url()),
        )
        .await
        .unwrap();
    assert_eq!(embeddings.data.len(), 2);
    assert_eq!(embeddings.data[1].index, 1);
    assert_eq!(embeddings.data[0].embedding.len(), 8);
    assert_ne!(embeddings.data[0].embedding, embeddings.data[1].embedding);
}

#[tokio::test]
async fn mock_response_short_circuits_the_network() {
    let client = fast_client();
    let response = client
        .completion(
            ChatRequest::new("llamafile/x")
                .user("hi")
                .mock_response("canned"),
        )
        .await
        .unwrap();
    assert_eq!(response.content(), Some("canned"));
    assert_eq!(response.usage.as_ref().unwrap().total_tokens, 30);
    let streamed = client
        .completion_stream(
            ChatRequest::new("llamafile/x")
                .user("hi")
                .mock_response("a longer canned answer")
                .include_usage(true),
        )
        .await
        .unwrap()
        .collect_response()
        .await
        .unwrap();
    assert_eq!(streamed.content(), Some("a longer canned answer"));
    assert_eq!(streamed.usage.unwrap().prompt_tokens, 10);
    let err = client
        .completion(
            ChatRequest::new("llamafile/x")
                .user("hi")
                .mock_response("litellm.RateLimitError")
                .num_retries(0),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimit);
    assert_eq!(err.status_code(), 429);
}

#[tokio::test]
async fn mock_error_kinds_trigger_fallbacks() {
    let response = fast_client()
        .completion(
            ChatRequest::new("llamafile/x")
                .user("hi")
                .mock_response(ErrorKind::ServiceUnavailable)
                .num_retries(0)
                .fallback("llamafile/y"),
        )
        .await
        .unwrap_err();
    // The mock applies to the fallback too: both fail, the message lists both.
    assert!(
        response
            .message()
            .contains("llamafile/y (ServiceUnavailable)"),
        "{response}"
    );
}

#[tokio::test]
async fn mock_endpoint_path_in_api_base_fails_without_a_request() {
    let mock = mock_provider::start().await.unwrap();
    let base = format!("{}/chat/completions", mock.base_url());
    let err = fast_client().completion(chat(&base)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert!(err.message().contains("drop it"), "{err}");
    assert_eq!(mock.attempts(""), 0);
}

#[test]
fn mock_blocking_api_matches_async() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(mock_provider::start()).unwrap();
    let base = mock.base_url();
    let reply = std::thread::spawn(move || {
        let response = lmrelay::blocking::completion(chat(&base)).unwrap();
        let chunks: Vec<_> = lmrelay::blocking::completion_stream(chat(&base))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        (response, chunks)
    })
    .join()
    .unwrap();
    assert_eq!(reply.0.content(), Some("Hello from the mock provider."));
    let streamed: String = reply
        .1
        .iter()
        .filter_map(|c| c.choices.first()?.delta.content.clone())
        .collect();
    assert_eq!(streamed, "Hello from the mock provider.");
    let inside = runtime.block_on(async { lmrelay::blocking::completion(chat("http://x/v1")) });
    assert_eq!(
        inside.unwrap_err().kind(),
        ErrorKind::BadRequest,
        "refused inside a runtime"
    );
}
