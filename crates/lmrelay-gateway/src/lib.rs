//! lmrelay's gateway: an OpenAI-compatible (and Anthropic `/v1/messages`)
//! HTTP server that reads LiteLLM's proxy `config.yaml` unchanged.
//!
//! - [`config`]: LiteLLM's config.yaml, validated, with warnings for what
//!   lmrelay ignores.
//! - [`router`]: model groups, routing strategies, cooldowns, retries and
//!   fallbacks.
//! - `routes`: the HTTP endpoints, errors in OpenAI's shape
//!   `{"error": {message, type, param, code}}`.

pub mod config;
mod error;
mod headers;
pub mod messages;
pub mod router;
mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt;

pub use config::Config;
pub use error::GatewayError;
pub use routes::app;

/// Shared state of the running gateway.
#[derive(Debug)]
pub struct AppState {
    config: Config,
    router: router::Router,
    client: lmrelay::Client,
}

impl AppState {
    /// State for `config`, with one SDK client for every request.
    pub fn new(config: Config) -> Result<Arc<Self>, GatewayError> {
        Ok(Arc::new(Self {
            router: router::Router::new(&config),
            config,
            client: lmrelay::Client::new().map_err(GatewayError::Upstream)?,
        }))
    }

    /// The configuration served.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The router.
    pub fn router(&self) -> &router::Router {
        &self.router
    }
}

/// Serves `config` on `listener` until the process ends or ctrl-c.
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<()> {
    let state = AppState::new(config).map_err(std::io::Error::other)?;
    // Without TCP_NODELAY, a small stream frame waits for the client's
    // delayed ACK (40 ms on Linux) before the next one leaves.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// Whether `addr` is a loopback address (the only kind served without a key).
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}
