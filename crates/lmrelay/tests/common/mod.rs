#![allow(clippy::unwrap_used, dead_code, reason = "shared test helpers")]

//! Helpers shared by the mock-provider test files.

use std::time::Duration;

use lmrelay::retry::RetryPolicy;
use lmrelay::{ChatRequest, Client};

/// A client whose backoff is milliseconds, so retry tests run fast.
pub fn fast_client() -> Client {
    Client::builder()
        .retry_policy(RetryPolicy {
            initial_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap()
}

/// A one-message chat request to `base`.
pub fn chat(base: &str) -> ChatRequest {
    ChatRequest::new("llamafile/mock-model")
        .user("Say hello")
        .api_base(base)
}
