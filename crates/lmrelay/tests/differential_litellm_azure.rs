//! Differential tests of the Azure OpenAI adapter against LiteLLM 1.82.6 in
//! the same run: the scenarios of tests/differential/azure_scenarios.json
//! (replies written from Azure OpenAI's REST reference) through LiteLLM and
//! its capture server and through lmrelay and the mock provider's replay
//! server. Compared: the request sent (deployment URL with api-version, key
//! headers, JSON body), the result and the error class. Scenarios that set
//! environment variables for LiteLLM are left out: lmrelay's tests do not
//! change the process environment.

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
        "error_404_resource_not_found",
        "LiteLLM reports Azure's 404 'Resource not found' as APIError; lmrelay says NotFound",
    ),
    (
        "error_500",
        "LiteLLM reports Azure's 500 as APIError; lmrelay says InternalServer (both retryable)",
    ),
    (
        "error_500_max_retries_0",
        "LiteLLM reports Azure's 500 as APIError; lmrelay says InternalServer (both retryable)",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn fixtures_azure_requests_results_and_errors_equal_litellm() {
    let all: Vec<Scenario> = serde_json::from_value(cases("azure_scenarios.json")).unwrap();
    let scenarios: Vec<Scenario> = all
        .into_iter()
        .filter(|s| !s.rest.contains_key("env"))
        .collect();
    let theirs = native::capture("provider_capture.py", &scenarios);
    let ours: Vec<Scenario> = scenarios.into_iter().map(from_generic).collect();
    let report = compare_all(&ours, &theirs, "azure/my-gpt4o-deployment", DIVERGENCES).await;
    report.assert_at_least(15);
}
