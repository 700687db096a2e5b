//! Differential tests of the Ollama native chat adapter (`ollama_chat/`,
//! `POST /api/chat`, NDJSON streams) against LiteLLM 1.82.6 in the same run:
//! the `ollama_chat/` scenarios of tests/differential/ollama_scenarios.json
//! (replies written from Ollama's API documentation) through LiteLLM and its
//! capture server and through lmrelay and the mock provider's replay server.
//! Compared: the request sent, the OpenAI-shaped result and the error class.
//! Deliberate differences are listed with their reasons and asserted.

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

const ERRORS_AS_CONNECTION: &str = "LiteLLM reports every Ollama HTTP failure as \
    APIConnectionError; lmrelay keeps the status's meaning (BadRequest, Authentication, \
    NotFound with a pull hint, RateLimit, InternalServer, ServiceUnavailable)";

/// Scenarios where lmrelay differs from LiteLLM on purpose, and why.
const DIVERGENCES: &[(&str, &str)] = &[
    ("chat_error_400", ERRORS_AS_CONNECTION),
    ("chat_error_401", ERRORS_AS_CONNECTION),
    ("chat_error_404_model_not_found", ERRORS_AS_CONNECTION),
    ("chat_error_429", ERRORS_AS_CONNECTION),
    ("chat_error_500", ERRORS_AS_CONNECTION),
    ("chat_error_503", ERRORS_AS_CONNECTION),
    ("chat_stream_http_404", ERRORS_AS_CONNECTION),
    (
        "chat_stream_error_line",
        "an error line mid-stream: LiteLLM says APIConnectionError, lmrelay classifies the text",
    ),
    (
        "chat_tool_result_round_trip",
        "LiteLLM drops the assistant's tool_calls and the tool's name from the history it \
         sends; lmrelay sends them, so the model sees which call each result answers",
    ),
    (
        "chat_missing_counts",
        "without prompt_eval_count/eval_count LiteLLM estimates usage with tiktoken; lmrelay \
         reports 0 rather than a guess",
    ),
    (
        "chat_stream_tool_call",
        "a streamed tool call ends with finish_reason stop in LiteLLM, tool_calls in lmrelay \
         (as its own non-streamed answer and OpenAI say)",
    ),
    (
        "chat_done_reason_length",
        "LiteLLM reports done_reason length as finish_reason stop; lmrelay says length, so a \
         truncated answer is visible",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn fixtures_ollama_chat_requests_results_and_errors_equal_litellm() {
    let all: Vec<Scenario> = serde_json::from_value(cases("ollama_scenarios.json")).unwrap();
    let scenarios: Vec<Scenario> = all
        .into_iter()
        .filter(|s| {
            s.model
                .as_deref()
                .is_some_and(|m| m.starts_with("ollama_chat/"))
        })
        .collect();
    let theirs = native::capture("provider_capture.py", &scenarios);
    let ours: Vec<Scenario> = scenarios.into_iter().map(from_generic).collect();
    let report = compare_all(&ours, &theirs, "ollama_chat/llama3.2", DIVERGENCES).await;
    report.assert_at_least(15);
}
