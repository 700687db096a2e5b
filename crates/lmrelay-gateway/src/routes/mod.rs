//! The HTTP surface: paths to handlers, behind the authentication layer.
//! Handlers stay thin; the work lives in the router, the keys, the config
//! and the SDK.

mod accounting;
mod coalesce;
mod guard;
mod info;
mod keys;
pub mod llm;

use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use crate::{AppState, GatewayError};

async fn not_found(uri: axum::http::Uri) -> GatewayError {
    GatewayError::NotFound(format!(
        "{} is not a route of this gateway: see /v1/chat/completions, /v1/completions, /v1/embeddings, \
         /v1/messages, /v1/models, /health, /metrics, /key/* and /spend/logs",
        uri.path()
    ))
}

/// The gateway's HTTP application, for any server.
pub fn app(state: Arc<AppState>) -> Router {
    with_headers(routes(state))
}

/// `routes` with the `x-litellm-*` headers put in each response's header
/// map (our HTTP/1 server writes them itself, so it serves [`routes`]).
pub(crate) fn with_headers(routes: Router) -> Router {
    routes.layer(tower::util::MapResponseLayer::new(
        crate::headers::apply_deferred,
    ))
}

/// The application whose responses may carry deferred headers
/// ([`crate::headers::defer`]).
pub(crate) fn routes(state: Arc<AppState>) -> Router {
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
        .route("/health", get(info::health))
        .route("/health/liveliness", get(info::alive))
        .route("/health/liveness", get(info::alive))
        .route("/health/readiness", get(info::ready))
        .route("/metrics", get(info::metrics))
        .route("/key/generate", post(keys::generate))
        .route("/key/info", get(keys::info))
        .route("/key/update", post(keys::update))
        .route("/key/delete", post(keys::delete))
        .route("/key/list", get(keys::list))
        .route("/spend/logs", get(keys::spend_logs))
        .fallback(not_found)
        .layer(from_fn_with_state(Arc::clone(&state), guard::auth))
        .with_state(state)
}
