//! Differential tests of the Vertex AI (Gemini) adapter against LiteLLM
//! 1.82.6 with google-auth, in the same run: the scenarios of
//! tests/differential/vertex_scenarios.json (a throwaway service-account key,
//! replies written from Google's API reference) through LiteLLM and its
//! capture server (which answers the token exchange) and through lmrelay and
//! the mock provider's replay server (which does too). Compared: the request
//! sent (project/location URL, bearer token, JSON body), the result and the
//! error class. Scenarios that need environment variables or key files are
//! left out: lmrelay's tests do not change the process environment.

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
        "error_403_permission_denied",
        "LiteLLM maps Vertex's 403 PERMISSION_DENIED to BadRequestError; lmrelay says \
         PermissionDenied",
    ),
    (
        "stream_error_429",
        "LiteLLM raises its internal MidStreamFallbackError for a 429 on a stream; lmrelay \
         raises RateLimit with the Retry-After",
    ),
    (
        "key_without_project_id",
        "a key without a project and no project given: LiteLLM fails with APIConnectionError, \
         lmrelay with an Authentication error that says where the project comes from",
    ),
    (
        "credentials_not_json",
        "unreadable credentials: LiteLLM fails with APIConnectionError (and echoes the whole \
         credentials string), lmrelay with an Authentication error that does not",
    ),
    (
        "key_missing_token_uri",
        "a key without token_uri: google-auth refuses it, lmrelay uses Google's token endpoint",
    ),
    (
        "custom_api_base",
        "LiteLLM posts to api_base + ':generateContent' (the base must be a whole model URL); \
         lmrelay takes api_base as the host in front of the project/location path",
    ),
    ("custom_api_base_stream", "as custom_api_base, for streams"),
];

#[tokio::test(flavor = "multi_thread")]
async fn fixtures_vertex_requests_results_and_errors_equal_litellm() {
    let all: Vec<Scenario> = serde_json::from_value(cases("vertex_scenarios.json")).unwrap();
    let scenarios: Vec<Scenario> = all
        .into_iter()
        // The replay server always grants the token: a refused exchange
        // (`token_reply`) is exercised by the unit tests, not here.
        .filter(|s| {
            !s.rest.contains_key("env")
                && !s.rest.contains_key("files")
                && !s.rest.contains_key("token_reply")
        })
        .collect();
    let theirs = native::capture("provider_capture.py", &scenarios);
    let ours: Vec<Scenario> = scenarios.into_iter().map(from_generic).collect();
    let report = compare_all(&ours, &theirs, "vertex_ai/gemini-2.5-flash", DIVERGENCES).await;
    report.assert_at_least(15);
}
