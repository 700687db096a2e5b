//! Routing, retries, cooldowns and fallbacks through the gateway, each
//! deployment a fault spec of the in-repo mock provider, with exact counts
//! of upstream calls (every upstream here is the mock).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use mock_provider::MockHandle;
use serde_json::{Value, json};

/// Starts a gateway over `yaml`, where `{mock}` stands for the mock's fault
/// URL prefix (`http://addr/fault`).
async fn gateway(mock: &MockHandle, yaml: &str) -> String {
    let yaml = yaml.replace(
        "{mock}",
        &format!("{}/fault", mock.base_url().trim_end_matches("/v1")),
    );
    let loaded = lmrelay_gateway::config::load_str(&yaml, "config.yaml").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(lmrelay_gateway::serve(listener, loaded.config));
    format!("http://{addr}")
}

async fn chat(gw: &str, model: &str, stream: bool) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{gw}/v1/chat/completions"))
        .json(&json!({"model": model, "messages": [{"role": "user", "content": "Hi"}], "stream": stream}))
        .send()
        .await
        .unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn mock_a_failing_deployment_is_retried_on_the_other_one_at_once() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(
        &mock,
        "model_list:\n\
         - model_name: g\n  litellm_params: {model: openai/m, api_base: '{mock}/status=500,reply=bad/v1', api_key: k}\n\
         - model_name: g\n  litellm_params: {model: openai/m, api_base: '{mock}/reply=good/v1', api_key: k}\n",
    )
    .await;
    let mut retried = 0;
    for _ in 0..20 {
        let r = chat(&gw, "g", false).await;
        assert_eq!(r.status(), 200);
        let retries = header(&r, "x-litellm-attempted-retries");
        retried += usize::from(retries == "1");
        assert!(retries == "0" || retries == "1", "{retries}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["choices"][0]["message"]["content"], "good");
    }
    assert_eq!(mock.attempts("reply=good"), 20);
    // Each failure costs exactly one extra call; once more than half of at
    // least five calls in a minute failed, the bad one cools down.
    let bad = mock.attempts("status=500,reply=bad");
    assert_eq!(bad, retried);
    assert!((1..=5).contains(&bad), "{bad}");
}

#[tokio::test]
async fn mock_a_lone_deployment_is_retried_num_retries_times_then_the_error_surfaces() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(
        &mock,
        "model_list:\n\
         - model_name: g\n  litellm_params: {model: openai/m, api_base: '{mock}/status=503,retry_after=0/v1', api_key: k}\n\
         router_settings: {num_retries: 2}\n",
    )
    .await;
    let r = chat(&gw, "g", false).await;
    assert_eq!(r.status(), 503);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "503");
    assert_eq!(mock.attempts("status=503,retry_after=0"), 3);
    // A lone deployment never cools down: the next request tries again.
    let r = chat(&gw, "g", false).await;
    assert_eq!(r.status(), 503);
    assert_eq!(mock.attempts("status=503,retry_after=0"), 6);
}

#[tokio::test]
async fn mock_bad_requests_and_not_found_are_never_retried() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(
        &mock,
        "model_list:\n\
         - model_name: bad\n  litellm_params: {model: openai/m, api_base: '{mock}/status=400/v1', api_key: k}\n\
         - model_name: missing\n  litellm_params: {model: openai/m, api_base: '{mock}/status=404,error=model_not_found/v1', api_key: k}\n\
         router_settings: {num_retries: 3}\n",
    )
    .await;
    assert_eq!(chat(&gw, "bad", false).await.status(), 400);
    assert_eq!(chat(&gw, "missing", false).await.status(), 404);
    assert_eq!(mock.attempts("status=400"), 1);
    assert_eq!(mock.attempts("status=404,error=model_not_found"), 1);
}

#[tokio::test]
async fn mock_a_failed_group_falls_back_to_the_next_group_with_headers() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(
        &mock,
        "model_list:\n\
         - model_name: primary\n  litellm_params: {model: openai/m, api_base: '{mock}/status=500,retry_after=0/v1', api_key: k}\n\
         - model_name: backup\n  litellm_params: {model: openai/m, api_base: '{mock}/reply=from_backup/v1', api_key: k}\n\
         router_settings:\n  num_retries: 1\n  fallbacks: [{primary: [backup]}]\n",
    )
    .await;
    let r = chat(&gw, "primary", false).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-litellm-attempted-fallbacks"), "1");
    assert_eq!(header(&r, "x-litellm-attempted-retries"), "1");
    assert_eq!(header(&r, "x-litellm-model-group"), "backup");
    assert!(!header(&r, "x-litellm-call-id").is_empty());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "from backup");
    assert_eq!(mock.attempts("status=500,retry_after=0"), 2);
    assert_eq!(mock.attempts("reply=from_backup"), 1);
}

#[tokio::test]
async fn mock_context_window_errors_use_their_own_fallbacks_without_retrying() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(
        &mock,
        "model_list:\n\
         - model_name: small\n  litellm_params: {model: openai/m, api_base: '{mock}/status=400,error=context/v1', api_key: k}\n\
         - model_name: large\n  litellm_params: {model: openai/m, api_base: '{mock}/reply=large/v1', api_key: k}\n\
         - model_name: other\n  litellm_params: {model: openai/m, api_base: '{mock}/reply=other/v1', api_key: k}\n\
         router_settings:\n  num_retries: 3\n  fallbacks: [{small: [other]}]\n  context_window_fallbacks: [{small: [large]}]\n",
    )
    .await;
    let r = chat(&gw, "small", false).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "large");
    assert_eq!(mock.attempts("status=400,error=context"), 1);
    assert_eq!(mock.attempts("reply=other"), 0);
}

#[tokio::test]
async fn mock_a_429_cools_the_deployment_down_and_then_no_deployments_is_a_429() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(
        &mock,
        "model_list:\n\
         - model_name: g\n  litellm_params: {model: openai/m, order: 1, api_base: '{mock}/status=429,retry_after=30,reply=a/v1', api_key: k}\n\
         - model_name: g\n  litellm_params: {model: openai/m, order: 2, api_base: '{mock}/reply=b/v1', api_key: k}\n\
         - model_name: h\n  litellm_params: {model: openai/m, order: 1, api_base: '{mock}/status=429,retry_after=30,reply=c/v1', api_key: k}\n\
         - model_name: h\n  litellm_params: {model: openai/m, order: 2, api_base: '{mock}/status=429,retry_after=30,reply=d/v1', api_key: k}\n\
         router_settings: {num_retries: 1}\n",
    )
    .await;
    for _ in 0..5 {
        assert_eq!(chat(&gw, "g", false).await.status(), 200);
    }
    // The order-1 deployment failed once and sat out the rest (Retry-After 30 s).
    assert_eq!(mock.attempts("status=429,retry_after=30,reply=a"), 1);
    assert_eq!(mock.attempts("reply=b"), 5);
    // Both deployments of h answer 429: the first request tries both, the
    // second finds none healthy.
    let first = chat(&gw, "h", false).await;
    assert_eq!(first.status(), 429);
    assert_eq!(header(&first, "retry-after"), "30");
    let second = chat(&gw, "h", false).await;
    assert_eq!(second.status(), 429);
    let retry_after: u64 = header(&second, "retry-after").parse().unwrap();
    assert!((25..=30).contains(&retry_after), "{retry_after}");
    let v: Value = second.json().await.unwrap();
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("No deployments available for selected model, Try again in"),
        "{message}"
    );
    assert!(message.contains("Passed model=h"), "{message}");
    assert_eq!(mock.attempts("status=429,retry_after=30,reply=c"), 1);
    assert_eq!(mock.attempts("status=429,retry_after=30,reply=d"), 1);
}

#[tokio::test]
async fn mock_a_stream_that_fails_before_its_first_chunk_falls_back_but_never_after() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(
        &mock,
        "model_list:\n\
         - model_name: early\n  litellm_params: {model: openai/m, api_base: '{mock}/status=500,retry_after=0/v1', api_key: k}\n\
         - model_name: late\n  litellm_params: {model: openai/m, api_base: '{mock}/midstream_error=2/v1', api_key: k}\n\
         - model_name: backup\n  litellm_params: {model: openai/m, api_base: '{mock}/reply=streamed_backup/v1', api_key: k}\n\
         router_settings:\n  num_retries: 0\n  fallbacks: [{early: [backup]}, {late: [backup]}]\n",
    )
    .await;
    let r = chat(&gw, "early", true).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-litellm-attempted-fallbacks"), "1");
    let text = r.text().await.unwrap();
    assert!(text.contains("streamed"), "{text}");
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    let late = chat(&gw, "late", true).await;
    assert_eq!(late.status(), 200);
    let text = late.text().await.unwrap();
    assert!(
        text.contains("\"error\""),
        "the mid-stream error reaches the client: {text}"
    );
    assert_eq!(mock.attempts("midstream_error=2"), 1);
    assert_eq!(
        mock.attempts("reply=streamed_backup"),
        1,
        "no fallback after bytes were sent"
    );
}

#[tokio::test]
async fn mock_unknown_models_and_wildcards() {
    let mock = mock_provider::start().await.unwrap();
    let gw = gateway(
        &mock,
        "model_list:\n\
         - model_name: 'team/*'\n  litellm_params: {model: 'openai/*', api_base: '{mock}/reply=wild/v1', api_key: k}\n",
    )
    .await;
    let r = chat(&gw, "nope", false).await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Invalid model name passed in model=nope")
    );
    let r = chat(&gw, "team/any-model", false).await;
    assert_eq!(r.status(), 200);
    let requests = mock.requests("reply=wild");
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].body["model"], "any-model");
}
