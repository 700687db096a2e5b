//! Differential tests of the Gemini (Google AI Studio) adapter against
//! LiteLLM 1.82.6 in the same run: each scenario of
//! tests/differential/gemini_scenarios.json (request, and a reply written
//! from Google's API reference) through LiteLLM and its capture server
//! (tests/differential/provider_capture.py) and through lmrelay and the mock
//! provider's replay server. Compared: the request sent (path, key header,
//! JSON body), the OpenAI-shaped result and the error class. Deliberate
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

/// Scenarios where lmrelay differs from LiteLLM on purpose, and why.
const DIVERGENCES: &[(&str, &str)] = &[
    (
        "default_url_key_in_query",
        "LiteLLM puts the AI Studio key in the URL (?key=) on the default host, where logs and \
         errors can show it; lmrelay always sends it in the x-goog-api-key header",
    ),
    (
        "default_url_stream",
        "the key travels in the x-goog-api-key header, never in the URL (see above)",
    ),
    (
        "gemini3_default_url",
        "the key travels in the x-goog-api-key header, never in the URL (see above)",
    ),
    (
        "error_400_api_key_invalid",
        "the key travels in the x-goog-api-key header, never in the URL (see above)",
    ),
    (
        "stream_error_400_default_url",
        "the key travels in the x-goog-api-key header, never in the URL (see above)",
    ),
    (
        "error_body_echoes_key_default_url",
        "the key travels in the x-goog-api-key header, never in the URL (see above)",
    ),
    (
        "image_http_url_downloaded",
        "LiteLLM downloads an http(s) image itself and inlines it (an SSRF risk in a gateway); \
         lmrelay sends file_data with the URL",
    ),
    (
        "response_format_json_schema_gemini15_in_map",
        "for Gemini 1.5 (retired) LiteLLM pastes the schema into the prompt as Python text; \
         lmrelay sends response_json_schema to every model",
    ),
    (
        "response_format_json_schema_flash_latest_openapi",
        "LiteLLM does not know gemini-flash-latest is a 2.x model and sends an OpenAPI \
         response_schema; lmrelay sends the JSON schema as given (response_json_schema)",
    ),
    (
        "error_403_permission_denied",
        "LiteLLM maps Gemini's 403 PERMISSION_DENIED to BadRequestError; lmrelay says \
         PermissionDenied",
    ),
    (
        "error_504_deadline",
        "LiteLLM maps 504 DEADLINE_EXCEEDED to APIConnectionError; lmrelay says Timeout \
         (both retryable)",
    ),
    (
        "stream_error_429",
        "LiteLLM raises its internal MidStreamFallbackError for a 429 on a stream; lmrelay \
         raises RateLimit with the Retry-After",
    ),
    (
        "non_json_200_reply",
        "LiteLLM calls a 200 with a non-JSON body an APIConnectionError; lmrelay an APIError \
         (the server answered)",
    ),
    (
        "empty_candidates_no_usage",
        "LiteLLM calls an answer without candidates an APIConnectionError; lmrelay an APIError",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn fixtures_gemini_requests_results_and_errors_equal_litellm() {
    let scenarios: Vec<Scenario> = serde_json::from_value(cases("gemini_scenarios.json")).unwrap();
    let theirs = native::capture("provider_capture.py", &scenarios);
    let ours: Vec<Scenario> = scenarios.into_iter().map(from_generic).collect();
    let report = compare_all(&ours, &theirs, "gemini/gemini-2.5-flash", DIVERGENCES).await;
    report.assert_at_least(15);
}
