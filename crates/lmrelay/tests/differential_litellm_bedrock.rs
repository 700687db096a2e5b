//! Differential tests of the Bedrock Converse adapter against LiteLLM 1.82.6
//! (with the boto3/botocore it signs with) in the same run: the scenarios of
//! tests/differential/bedrock_scenarios.json (JSON replies and binary event
//! streams written from AWS's API reference) through LiteLLM and its capture
//! server and through lmrelay and the mock provider's replay server.
//! Compared: the request sent (path with the encoded model id, the SigV4 or
//! bearer authorization header's presence, JSON body), the result and the
//! error class. The SigV4 signature itself is checked against botocore's in
//! a unit test (`providers::bedrock::sigv4`). Scenarios that need an
//! environment lmrelay's tests cannot set (a profile file, endpoint or
//! bearer-token variables) are left out; credentials and region set through
//! the environment for LiteLLM are passed to lmrelay as call options.

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

use native::{OPTION_ENV, Scenario, compare_all, from_generic};
use oracle_support::cases;
use serde_json::Value;

/// Scenarios where lmrelay differs from LiteLLM on purpose, and why.
const DIVERGENCES: &[(&str, &str)] = &[
    (
        "stream_metadata_without_metrics",
        "LiteLLM drops Bedrock's streamed usage when the metadata event has no metrics and \
         counts tokens itself; lmrelay reports Bedrock's counts",
    ),
    (
        "error_403_access_denied",
        "LiteLLM reports AccessDeniedException (403) as APIConnectionError; lmrelay reads \
         x-amzn-ErrorType and says PermissionDenied",
    ),
    (
        "error_424_model_error",
        "LiteLLM reports ModelErrorException (424) as APIConnectionError; lmrelay as APIError \
         (the model failed, the connection did not)",
    ),
    (
        "error_500_internal",
        "LiteLLM reports InternalServerException (500) as ServiceUnavailableError (503); \
         lmrelay says InternalServer (both retryable)",
    ),
];

fn env_is_passable(scenario: &Scenario) -> bool {
    scenario
        .rest
        .get("env")
        .and_then(Value::as_object)
        .is_none_or(|env| env.keys().all(|k| OPTION_ENV.contains(&k.as_str())))
}

#[tokio::test(flavor = "multi_thread")]
async fn fixtures_bedrock_requests_results_and_errors_equal_litellm() {
    let all: Vec<Scenario> = serde_json::from_value(cases("bedrock_scenarios.json")).unwrap();
    let scenarios: Vec<Scenario> = all.into_iter().filter(env_is_passable).collect();
    let theirs = native::capture("provider_capture.py", &scenarios);
    let ours: Vec<Scenario> = scenarios.into_iter().map(from_generic).collect();
    let report = compare_all(
        &ours,
        &theirs,
        "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
        DIVERGENCES,
    )
    .await;
    report.assert_at_least(15);
}
