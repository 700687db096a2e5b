//! lmrelay's gateway: an OpenAI-compatible HTTP server in front of the SDK.
//!
//! This first step serves a fixed list of model routes (`lmrelay serve
//! --model ...`): `/v1/chat/completions` (streamed or not), `/v1/completions`,
//! `/v1/embeddings`, `/v1/models` (each also without `/v1`) and the health
//! probes, with LiteLLM's error body `{"error": {message, type, param, code}}`.
//! LiteLLM's config.yaml, keys, budgets and limits come with issue 6.

mod error;
pub mod messages;
mod routes;

use std::net::SocketAddr;

use axum::serve::ListenerExt;
use std::sync::Arc;

pub use error::GatewayError;
pub use routes::router;

/// One model the gateway serves: the public name and where it goes.
#[derive(Debug, Clone)]
pub struct ModelRoute {
    /// The name clients ask for (`model` in the request body).
    pub model_name: String,
    /// The lmrelay model string it maps to (`llamafile/smollm2`).
    pub model: String,
    /// The upstream API base, when not the provider's default.
    pub api_base: Option<String>,
    /// The upstream key, when not the provider's environment variable.
    pub api_key: Option<lmrelay::ApiKey>,
    /// Retries of retryable upstream failures (default 2, as LiteLLM's router).
    pub num_retries: Option<u32>,
}

/// What the gateway serves.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The model routes, looked up by `model_name`.
    pub models: Vec<ModelRoute>,
}

/// Shared state of the running gateway.
#[derive(Debug)]
pub struct AppState {
    config: GatewayConfig,
    client: lmrelay::Client,
}

impl AppState {
    /// State for `config`, with one SDK client for every request.
    pub fn new(config: GatewayConfig) -> Result<Arc<Self>, GatewayError> {
        Ok(Arc::new(Self {
            config,
            client: lmrelay::Client::new().map_err(GatewayError::Upstream)?,
        }))
    }

    fn route(&self, model_name: &str) -> Option<&ModelRoute> {
        self.config
            .models
            .iter()
            .find(|m| m.model_name == model_name)
    }
}

/// Serves `config` on `listener` until the process ends or ctrl-c.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: GatewayConfig,
) -> std::io::Result<()> {
    let state = AppState::new(config).map_err(std::io::Error::other)?;
    // Without TCP_NODELAY, a small stream frame waits for the client's
    // delayed ACK (40 ms on Linux) before the next one leaves.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// Whether `addr` is a loopback address (the only kind served without a key).
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}
