//! Every gateway failure as LiteLLM's proxy shapes it:
//! `{"error": {"message", "type", "param", "code"}}` with `code` the status as a string.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A gateway failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The request was not usable (bad JSON, unknown model).
    #[error("{0}")]
    BadRequest(String),
    /// The upstream call failed; its kind and status are kept.
    #[error("{0}")]
    Upstream(lmrelay::Error),
    /// The configuration is wrong at `path`.
    #[error("{path}: {problem}; fix: {fix}")]
    Config {
        /// `file: dotted.path`.
        path: String,
        /// What is wrong.
        problem: String,
        /// What to write instead.
        fix: String,
    },
    /// No key, or a key the gateway does not accept (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The key's expiry has passed (400, LiteLLM's `expired_key`).
    #[error("{0}")]
    KeyExpired(String),
    /// A valid key asked for something it may not do (403 for admin routes,
    /// 401 for models, as LiteLLM).
    #[error("{message}")]
    Forbidden {
        /// What was refused and why.
        message: String,
        /// The status to answer with.
        status: u16,
    },
    /// A limit was reached (429): rpm, tpm, parallel requests, or every
    /// deployment of the group cooling down.
    #[error("{message}")]
    RateLimited {
        /// Which limit.
        message: String,
        /// When to try again.
        retry_after: Option<Duration>,
        /// `x-ratelimit-*` headers to send.
        headers: Vec<(&'static str, String)>,
    },
    /// A key's (or the gateway's) budget is spent (400, LiteLLM's `budget_exceeded`).
    #[error("{0}")]
    BudgetExceeded(String),
    /// No such resource (404).
    #[error("{0}")]
    NotFound(String),
    /// The request body is larger than allowed (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The state store failed (500); the message never holds secrets.
    #[error("{0}")]
    Store(String),
}

impl GatewayError {
    /// The HTTP status this failure is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) | Self::BudgetExceeded(_) | Self::KeyExpired(_) => 400,
            Self::Upstream(err) => err.status_code(),
            Self::Config { .. } | Self::Store(_) => 500,
            Self::Unauthorized(_) => 401,
            Self::Forbidden { status, .. } => *status,
            Self::RateLimited { .. } => 429,
            Self::NotFound(_) => 404,
            Self::PayloadTooLarge(_) => 413,
        }
    }

    /// OpenAI's error `type` for this failure.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::BadRequest(_) | Self::NotFound(_) | Self::PayloadTooLarge(_) => {
                "invalid_request_error"
            }
            Self::BudgetExceeded(_) => "budget_exceeded",
            Self::KeyExpired(_) => "expired_key",
            Self::Unauthorized(_) | Self::Forbidden { .. } => "auth_error",
            Self::RateLimited { .. } => "rate_limit_error",
            Self::Config { .. } | Self::Store(_) | Self::Upstream(_) => "internal_server_error",
        }
    }

    /// The body LiteLLM's proxy sends for this failure.
    pub fn to_openai_json(&self) -> serde_json::Value {
        match self {
            Self::Upstream(err) => err.to_openai_json(),
            other => json!({"error": {
                "message": other.to_string(),
                "type": other.error_type(),
                "param": null,
                "code": other.status().to_string(),
            }}),
        }
    }

    /// When a client may try again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Upstream(err) => err.retry_after(),
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(self.to_openai_json())).into_response();
        let headers = response.headers_mut();
        if let Some(wait) = self.retry_after()
            && let Ok(value) =
                HeaderValue::from_str(&wait.as_secs_f64().ceil().max(1.0).to_string())
        {
            headers.insert("retry-after", value);
        }
        if let Self::RateLimited { headers: extra, .. } = &self {
            for (name, value) in extra {
                if let Ok(value) = HeaderValue::from_str(value) {
                    headers.insert(*name, value);
                }
            }
        }
        response
    }
}
