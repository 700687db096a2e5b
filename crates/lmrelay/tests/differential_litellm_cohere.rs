//! Differential tests of the Cohere v2 chat adapter against LiteLLM 1.82.6
//! in the same run: the scenarios of tests/differential/cohere_scenarios.json
//! (replies written from Cohere's API reference) through LiteLLM and its
//! capture server and through lmrelay and the mock provider's replay server.
//! Compared: the request sent, the result and the error class. Deliberate
//! differences are listed with their reasons and asserted.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
#![cfg(feature = "differential")]

#[path = "common/native.rs"]
mod native;
#[path = "common/oracle.rs"]
mod oracle_support;

use native::{Scenario, compare_all, from_generic};
use oracle_support::cases;

const ERRORS_AS_CONNECTION: &str = "LiteLLM reports this Cohere HTTP failure as \
    APIConnectionError; lmrelay keeps the status's meaning (402 APIError, 404 NotFound, 429 \
    RateLimit, 503 ServiceUnavailable, 504 Timeout)";

/// Scenarios where lmrelay differs from LiteLLM on purpose, and why.
const DIVERGENCES: &[(&str, &str)] = &[
    ("error_402_payment", ERRORS_AS_CONNECTION),
    ("error_404_model", ERRORS_AS_CONNECTION),
    ("error_429", ERRORS_AS_CONNECTION),
    ("error_503", ERRORS_AS_CONNECTION),
    ("error_504", ERRORS_AS_CONNECTION),
    ("stream_http_429", ERRORS_AS_CONNECTION),
    (
        "api_base_used_verbatim",
        "LiteLLM posts to the api_base as given even when it is only the host; lmrelay adds \
         /v2/chat unless the base already names the chat endpoint",
    ),
    (
        "v1_route_legacy",
        "LiteLLM sends v1/ models to Cohere's retired v1 chat API; lmrelay speaks v2 only",
    ),
    (
        "tools_and_tool_choice",
        "LiteLLM always reports finish_reason stop; lmrelay maps TOOL_CALL to tool_calls",
    ),
    (
        "finish_max_tokens",
        "LiteLLM always reports finish_reason stop; lmrelay maps MAX_TOKENS to length",
    ),
    (
        "response_format_json_schema_unsupported",
        "LiteLLM refuses response_format for Cohere; lmrelay sends Cohere v2's JSON mode \
         (type json_object with the schema)",
    ),
    (
        "response_format_dropped_with_drop_params",
        "lmrelay sends Cohere v2's JSON mode instead of dropping response_format",
    ),
    (
        "stream_text_include_usage",
        "LiteLLM counts streamed usage itself with a tokenizer; lmrelay reports Cohere's own \
         counts from message-end",
    ),
    (
        "stream_text_sse_framed",
        "LiteLLM cannot read Cohere's SSE framing (event:/data: lines); lmrelay reads both \
         framings",
    ),
    (
        "stream_tool_call",
        "LiteLLM loses tool calls in Cohere streams; lmrelay delivers them as tool-call deltas",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn fixtures_cohere_requests_results_and_errors_equal_litellm() {
    let all: Vec<Scenario> = serde_json::from_value(cases("cohere_scenarios.json")).unwrap();
    let scenarios: Vec<Scenario> = all
        .into_iter()
        .filter(|s| !s.rest.contains_key("env"))
        .collect();
    let theirs = native::capture("provider_capture.py", &scenarios);
    let ours: Vec<Scenario> = scenarios.into_iter().map(from_generic).collect();
    let report = compare_all(&ours, &theirs, "cohere_chat/command-a-03-2025", DIVERGENCES).await;
    report.assert_at_least(15);
}
