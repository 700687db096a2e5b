//! SDK errors, retries and fallbacks against the in-repo mock provider
//! (tools/mock-provider): error kinds per status, exact attempt counts,
//! Retry-After, fallbacks. Every server here is the mock, not a real provider.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use std::time::{Duration, Instant};

use common::{chat, fast_client};
use lmrelay::{ChatRequest, ErrorKind, Fallback};

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

/// One 429/503 with the given wait advice, then success: two attempts, and
/// the time between them within `min..max` milliseconds.
async fn assert_waited(spec: &str, min_ms: u64, max_ms: u64) {
    let mock = mock_provider::start().await.unwrap();
    let started = Instant::now();
    fast_client()
        .completion(chat(&mock.fault_url(spec)).num_retries(1))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(mock.attempts(spec), 2, "{spec}");
    assert!(
        elapsed >= Duration::from_millis(min_ms),
        "{spec}: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_millis(max_ms),
        "{spec}: {elapsed:?}"
    );
}

#[tokio::test]
async fn mock_retry_after_seconds_is_honoured() {
    assert_waited("status=429,retry_after=1,fail_times=1", 1000, 2500).await;
}

#[tokio::test]
async fn mock_retry_after_ms_is_honoured_and_wins() {
    assert_waited(
        "status=503,retry_after=30,retry_after_ms=400,fail_times=1",
        400,
        1500,
    )
    .await;
}

#[tokio::test]
async fn mock_retry_after_http_date_is_honoured() {
    // HTTP dates have one-second resolution: the wait is between 1 and 2 s.
    assert_waited("status=429,retry_after_date=2,fail_times=1", 900, 3000).await;
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
                .fallback(Fallback::new("llamafile/b").api_base(mock.fault_url(second)))
                .fallback(Fallback::new("llamafile/c").api_base(mock.fault_url(third))),
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
                .fallback(Fallback::new("llamafile/b").api_base(mock.fault_url("status=429"))),
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
                .fallback(Fallback::new("llamafile/other").api_base(mock.fault_url(unused)))
                .context_window_fallback(
                    Fallback::new("llamafile/big").api_base(mock.fault_url(big)),
                ),
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
