//! Differential tests of the Anthropic adapter against LiteLLM 1.82.6, in the
//! same run. Each scenario of tests/differential/anthropic_scenarios.json
//! (request, and a provider reply written from Anthropic's API reference)
//! goes through LiteLLM against its capture server
//! (tests/differential/anthropic_capture.py) and through lmrelay against the
//! mock provider's replay server with the same reply. Compared: the HTTP
//! request sent (path, headers, JSON body), the OpenAI-shaped result
//! (content, tool calls, finish reason, usage; for streams the assembled
//! deltas), and the error class. Deliberate differences are listed with
//! their reasons and asserted.

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

use native::{Scenario, compare_all};
use oracle_support::cases;

/// Scenarios where lmrelay differs from LiteLLM on purpose, and why.
const DIVERGENCES: &[(&str, &str)] = &[
    (
        "error_403_permission",
        "LiteLLM maps Anthropic's 403 to APIConnectionError; lmrelay says PermissionDenied",
    ),
    (
        "error_200_error_body",
        "LiteLLM reports a 200 carrying an error as APIConnectionError; lmrelay maps the \
         error's type (api_error: InternalServer)",
    ),
    (
        "stream_error_event_midstream",
        "LiteLLM raises its internal MidStreamFallbackError; lmrelay ends the stream with the \
         error's kind (overloaded_error: ServiceUnavailable)",
    ),
    (
        "api_base_trailing_slash",
        "LiteLLM posts to //v1/messages when api_base ends in '/'; lmrelay to /v1/messages",
    ),
    (
        "api_base_v1_messages_trailing_slash",
        "LiteLLM appends /v1/messages again to a base ending in /v1/messages/; lmrelay does not",
    ),
    (
        "api_base_with_v1",
        "LiteLLM posts to /v1/v1/messages when api_base ends in /v1; lmrelay to /v1/messages",
    ),
    (
        "image_http_url_fetched_to_base64",
        "LiteLLM downloads an http(s) image itself and inlines it (an SSRF risk in a gateway); \
         lmrelay sends a url source and lets Anthropic fetch it",
    ),
    (
        "extra_headers_anthropic_beta",
        "LiteLLM silently drops anthropic-beta values missing from its table; lmrelay sends \
         what the caller asked for",
    ),
    (
        "reasoning_effort_none_crashes",
        "LiteLLM 1.82.6 crashes (APIConnectionError) on reasoning_effort='none'; lmrelay \
         sends no thinking",
    ),
    (
        "response_format_tool_thinking_enabled_haiku_4_5",
        "in JSON mode LiteLLM drops the model's thinking from the message; lmrelay keeps it \
         in reasoning_content",
    ),
    (
        "prefix_assistant_message",
        "LiteLLM prepends an assistant `prefix` message to the reply; lmrelay returns the \
         reply as the model wrote it",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn fixtures_anthropic_requests_results_and_errors_equal_litellm() {
    let scenarios: Vec<Scenario> =
        serde_json::from_value(cases("anthropic_scenarios.json")).unwrap();
    let theirs = native::capture("anthropic_capture.py", &scenarios);
    let report = compare_all(
        &scenarios,
        &theirs,
        "anthropic/claude-sonnet-4-5",
        DIVERGENCES,
    )
    .await;
    report.assert_at_least(15);
}
