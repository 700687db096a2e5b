//! The HTTP surface: paths to handlers. Handlers stay thin; the work lives
//! in the router, the config and the SDK.

mod info;
pub mod llm;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// The gateway's HTTP application.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(llm::chat))
        .route("/chat/completions", post(llm::chat))
        .route("/v1/completions", post(llm::text))
        .route("/completions", post(llm::text))
        .route("/v1/embeddings", post(llm::embeddings))
        .route("/embeddings", post(llm::embeddings))
        .route("/v1/messages", post(llm::anthropic_messages))
        .route("/v1/models", get(info::models))
        .route("/models", get(info::models))
        .route("/v1/models/{id}", get(info::model))
        .route("/models/{id}", get(info::model))
        .route("/model/info", get(info::model_info))
        .route("/v1/model/info", get(info::model_info))
        .route("/health/liveliness", get(info::alive))
        .route("/health/liveness", get(info::alive))
        .route("/health/readiness", get(info::ready))
        .with_state(state)
}
