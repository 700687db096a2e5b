//! The native adapters end to end through the client against the in-repo
//! mock provider's Anthropic, Gemini and Ollama dialects: answers, streams,
//! usage, cost, and retries of a 429 with Retry-After (exact attempts).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

mod common;

use futures::StreamExt;
use lmrelay::{ChatRequest, Decimal};

const REPLY: &str = "Hello from the mock provider.";

async fn ask_and_stream(model: &str, base: &str) {
    let client = common::fast_client();
    let request = || {
        ChatRequest::new(model)
            .user("Say hello")
            .api_base(base)
            .api_key("k-test")
    };
    let response = client.completion(request()).await.unwrap();
    assert_eq!(response.content().unwrap(), REPLY, "{model}");
    let usage = response.usage.clone().unwrap();
    assert!(
        usage.prompt_tokens > 0 && usage.completion_tokens > 0,
        "{model}: {usage:?}"
    );
    let mut stream = client
        .completion_stream(request().include_usage(true))
        .await
        .unwrap();
    let mut text = String::new();
    let mut finish = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        for choice in &chunk.choices {
            text.push_str(choice.delta.content.as_deref().unwrap_or(""));
            if choice.finish_reason.is_some() {
                finish = choice.finish_reason.clone();
            }
        }
    }
    assert_eq!(text, REPLY, "{model}");
    assert_eq!(finish.as_deref(), Some("stop"), "{model}");
    assert!(
        stream.usage().is_some(),
        "{model}: usage arrives when asked for"
    );
}

#[tokio::test]
async fn mock_anthropic_dialect_answers_and_streams() {
    let mock = mock_provider::start().await.unwrap();
    let root = format!("http://{}", mock.addr());
    ask_and_stream("anthropic/claude-sonnet-4-5", &root).await;
}

#[tokio::test]
async fn mock_gemini_dialect_answers_and_streams() {
    let mock = mock_provider::start().await.unwrap();
    let base = format!("http://{}/v1beta", mock.addr());
    ask_and_stream("gemini/gemini-2.5-flash", &base).await;
}

#[tokio::test]
async fn mock_ollama_dialect_answers_and_streams() {
    let mock = mock_provider::start().await.unwrap();
    let root = format!("http://{}", mock.addr());
    ask_and_stream("ollama_chat/llama3.2", &root).await;
}

#[tokio::test]
async fn mock_anthropic_429_with_retry_after_is_retried_then_priced() {
    let mock = mock_provider::start().await.unwrap();
    let spec = "status=429,retry_after=0,fail_times=1,label=anthropic";
    let response = common::fast_client()
        .completion(
            ChatRequest::new("anthropic/claude-sonnet-4-5")
                .user("Say hello")
                .api_base(mock.fault_url(spec))
                .api_key("k-test"),
        )
        .await
        .unwrap();
    assert_eq!(mock.attempts(spec), 2);
    assert_eq!(response.content().unwrap(), REPLY);
    assert!(
        response.cost().unwrap() > Decimal::ZERO,
        "claude-sonnet-4-5 has a price"
    );
    let sent = &mock.requests(spec)[1];
    assert_eq!(sent.endpoint, "messages");
    assert!(
        sent.headers
            .iter()
            .any(|(k, v)| k == "x-api-key" && v == "k-test")
    );
    assert_eq!(
        sent.body["max_tokens"], 64000,
        "the table's max_output_tokens"
    );
}

#[tokio::test]
async fn mock_gemini_key_travels_in_a_header_never_in_the_url() {
    let mock = mock_provider::start().await.unwrap();
    let spec = "status=400,error=invalid_key,label=gemini";
    let err = common::fast_client()
        .completion(
            ChatRequest::new("gemini/gemini-2.5-flash")
                .user("hi")
                .api_base(format!("http://{}/fault/{spec}/v1beta", mock.addr()))
                .api_key("AIza-canary-secret"),
        )
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("AIza-canary-secret"), "{err}");
    let sent = &mock.requests(spec)[0];
    assert!(!sent.endpoint.contains("key="));
    assert!(
        sent.headers
            .iter()
            .any(|(k, v)| k == "x-goog-api-key" && v == "AIza-canary-secret")
    );
}

#[tokio::test]
async fn mock_azure_deployment_url_api_version_and_key_header() {
    let mock = mock_provider::start().await.unwrap();
    let spec = "label=azure";
    let base = format!("http://{}/fault/{spec}", mock.addr());
    let response = common::fast_client()
        .completion(
            ChatRequest::new("azure/my-gpt4o")
                .user("Say hello")
                .api_base(&base)
                .api_key("azure-key-1")
                .api_version("2024-10-21"),
        )
        .await
        .unwrap();
    assert_eq!(response.content().unwrap(), REPLY);
    let sent = &mock.requests(spec)[0];
    assert!(
        sent.headers
            .iter()
            .any(|(k, v)| k == "api-key" && v == "azure-key-1")
    );
    assert!(
        sent.headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == "Bearer azure-key-1")
    );
    ask_and_stream("azure/my-gpt4o", &format!("http://{}", mock.addr())).await;
}

#[tokio::test]
async fn mock_azure_content_filter_is_a_content_policy_violation() {
    let mock = mock_provider::start().await.unwrap();
    let spec = "status=400,error=azure_content_filter";
    let err = common::fast_client()
        .completion(
            ChatRequest::new("azure/my-gpt4o")
                .user("something filtered")
                .api_base(format!("http://{}/fault/{spec}", mock.addr()))
                .api_key("azure-key-1"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        lmrelay::ErrorKind::ContentPolicyViolation,
        "{err}"
    );
    assert!(!err.is_retryable());
    assert_eq!(mock.attempts(spec), 1);
}

#[tokio::test]
async fn mock_vertex_service_account_token_then_gemini_at_the_project_url() {
    let mock = mock_provider::start().await.unwrap();
    let root = format!("http://{}", mock.addr());
    let key = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/test-service-account.json"),
    )
    .unwrap();
    let vertex = lmrelay::VertexOptions {
        location: Some("europe-west4".into()),
        credentials: Some(key.into()),
        token_uri: Some(format!("{root}/token")),
        ..lmrelay::VertexOptions::default()
    };
    let client = common::fast_client();
    let request = ChatRequest::new("vertex_ai/gemini-2.5-flash")
        .user("Say hello")
        .api_base(&root)
        .vertex(vertex);
    let response = client.completion(request.clone()).await.unwrap();
    assert_eq!(response.content().unwrap(), REPLY);
    let mut stream = client.completion_stream(request).await.unwrap();
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        for choice in chunk.unwrap().choices {
            text.push_str(choice.delta.content.as_deref().unwrap_or(""));
        }
    }
    assert_eq!(text, REPLY);
}

#[test]
fn vertex_assertion_is_a_signed_rs256_jwt_with_google_claims() {
    use base64::Engine;
    let key = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/test-service-account.json"),
    )
    .unwrap();
    let account = lmrelay::auth::google::ServiceAccount::from_json(&key).unwrap();
    assert!(
        !format!("{account:?}").contains("PRIVATE"),
        "Debug never shows the key"
    );
    let jwt = account.assertion(1_700_000_000).unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |p: &str| -> serde_json::Value {
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .unwrap(),
        )
        .unwrap()
    };
    let (header, claims) = (decode(parts[0]), decode(parts[1]));
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], "test-key-id-1");
    assert_eq!(
        claims["iss"],
        "lmrelay-test@lmrelay-test-project.iam.gserviceaccount.com"
    );
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/cloud-platform"
    );
    assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[2])
            .unwrap()
            .len(),
        256
    );
    let err =
        lmrelay::auth::google::ServiceAccount::from_json("{\"client_email\": \"x\"}").unwrap_err();
    assert_eq!(err.kind(), lmrelay::ErrorKind::Authentication);
}

#[tokio::test]
async fn mock_cohere_dialect_answers_and_streams() {
    let mock = mock_provider::start().await.unwrap();
    ask_and_stream(
        "cohere_chat/command-a-03-2025",
        &format!("http://{}", mock.addr()),
    )
    .await;
}

#[tokio::test]
async fn mock_bedrock_dialect_signs_answers_and_streams_event_frames() {
    let mock = mock_provider::start().await.unwrap();
    let aws = lmrelay::AwsOptions {
        access_key_id: Some("AKIAIOSFODNN7EXAMPLE".into()),
        secret_access_key: Some("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into()),
        region: Some("us-east-1".into()),
        ..lmrelay::AwsOptions::default()
    };
    let client = common::fast_client();
    let request = || {
        ChatRequest::new("bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0")
            .user("Say hello")
            .api_base(format!("http://{}", mock.addr()))
            .aws(aws.clone())
    };
    let response = client.completion(request()).await.unwrap();
    assert_eq!(response.content().unwrap(), REPLY);
    assert!(
        response.cost().unwrap() > Decimal::ZERO,
        "Bedrock's Claude has a price"
    );
    let mut stream = client
        .completion_stream(request().include_usage(true))
        .await
        .unwrap();
    let mut text = String::new();
    while let Some(chunk) = stream.next().await {
        for choice in chunk.unwrap().choices {
            text.push_str(choice.delta.content.as_deref().unwrap_or(""));
        }
    }
    assert_eq!(text, REPLY);
    assert!(stream.usage().is_some());
    let debug = format!("{:?}", request().options);
    assert!(
        !debug.contains("wJalrXUtnFEMI"),
        "the secret never shows: {debug}"
    );
}

#[tokio::test]
async fn mock_azure_embeddings_and_text_completions_use_the_deployment_routes() {
    let mock = mock_provider::start().await.unwrap();
    let base = format!("http://{}", mock.addr());
    let client = common::fast_client();
    let embedding = client
        .embedding(
            lmrelay::EmbeddingsRequest::new("azure/my-embeddings", "hello")
                .api_base(&base)
                .api_key("azure-key-1"),
        )
        .await
        .unwrap();
    assert_eq!(embedding.data.len(), 1);
    let text = client
        .text_completion(
            lmrelay::TextRequest::new("azure/my-instruct", "Say hello")
                .api_base(&base)
                .api_key("azure-key-1"),
        )
        .await
        .unwrap();
    assert_eq!(text.choices[0].text, REPLY);
}
