//! Every gateway failure as LiteLLM's proxy shapes it:
//! `{"error": {"message", "type", "param", "code"}}` with `code` the status as a string.

use axum::http::StatusCode;
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
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            Self::BadRequest(message) => (
                StatusCode::BAD_REQUEST,
                json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": "400"}}),
            ),
            Self::Upstream(err) => (
                StatusCode::from_u16(err.status_code())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                err.to_openai_json(),
            ),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Self::Upstream(err) = &self
            && let Some(wait) = err.retry_after()
            && let Ok(value) = axum::http::HeaderValue::from_str(&wait.as_secs().max(1).to_string())
        {
            response.headers_mut().insert("retry-after", value);
        }
        response
    }
}
