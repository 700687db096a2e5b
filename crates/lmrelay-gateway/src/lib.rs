//! lmrelay's gateway: an OpenAI-compatible (and Anthropic `/v1/messages`)
//! HTTP server that reads LiteLLM's proxy `config.yaml` unchanged.
//!
//! - [`config`]: LiteLLM's config.yaml, validated, with warnings for what
//!   lmrelay ignores.
//! - [`router`]: model groups, routing strategies, cooldowns, retries and
//!   fallbacks.
//! - [`keys`]: the master key, virtual keys (stored as SHA-256 only),
//!   budgets and rate limits.
//! - [`store`]: SQLite now; the trait Postgres and Redis will implement.
//! - `routes`: the HTTP endpoints, errors in OpenAI's shape
//!   `{"error": {message, type, param, code}}`.

mod clock;
pub mod config;
mod error;
mod headers;
pub mod keys;
pub mod messages;
mod metrics;
pub mod router;
mod routes;
mod server;
pub mod spend;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use config::Config;
pub use error::GatewayError;
pub use routes::app;
pub use server::{ServeOptions, prepare, serve, serve_with, shutdown_signal};

use keys::Keys;
use keys::auth::MasterKey;
use spend::SpendWriter;

/// Shared state of the running gateway.
#[derive(Debug)]
pub struct AppState {
    config: Config,
    router: router::Router,
    client: lmrelay::Client,
    master: Option<MasterKey>,
    /// Virtual keys; only with a master key (without one nobody could manage them).
    keys: Option<Keys>,
    spend: Option<SpendWriter>,
    ready: AtomicBool,
    metrics: metrics::Metrics,
    /// The last `/health` result and when it was taken (checks cost real calls).
    health: tokio::sync::Mutex<Option<(std::time::Instant, serde_json::Value)>>,
}

impl AppState {
    /// State for `config`. With a master key it opens the state store
    /// (`general_settings.database_url`, default the embedded SQLite file),
    /// loads the virtual keys and starts the spend writer; warnings about
    /// the store are appended to `warnings`.
    pub async fn build(
        config: Config,
        warnings: &mut Vec<config::ConfigWarning>,
    ) -> Result<Arc<Self>, GatewayError> {
        let master = config
            .general
            .master_key
            .as_ref()
            .map(|k| MasterKey::new(k.expose()));
        let (keys, spend) = if master.is_some() {
            let url = config
                .general
                .database_url
                .as_ref()
                .map(|u| u.expose().to_owned());
            let store = store::open(url.as_deref(), warnings).await?;
            let spend = (!config.general.disable_spend_logs)
                .then(|| SpendWriter::start(Arc::clone(&store)));
            (Some(Keys::load(store).await?), spend)
        } else {
            (None, None)
        };
        let mut client = lmrelay::Client::builder();
        if let Some(cache) = &config.cache {
            let cache = match cache {
                config::CacheSettings::Local => lmrelay::cache::Cache::in_memory(10_000),
                config::CacheSettings::Disk(dir) => {
                    lmrelay::cache::Cache::disk(dir).map_err(GatewayError::Upstream)?
                }
                config::CacheSettings::Redis(url) => lmrelay::cache::Cache::redis(url)
                    .await
                    .map_err(GatewayError::Upstream)?,
            };
            client = client.cache(match config.cache_ttl {
                Some(ttl) => cache.default_ttl(ttl),
                None => cache,
            });
        }
        Ok(Arc::new(Self {
            router: router::Router::new(&config),
            client: client.build().map_err(GatewayError::Upstream)?,
            master,
            keys,
            spend,
            ready: AtomicBool::new(true),
            metrics: metrics::Metrics::default(),
            health: tokio::sync::Mutex::new(None),
            config,
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

    /// The virtual keys (None without a master key).
    pub fn keys(&self) -> Option<&Keys> {
        self.keys.as_ref()
    }

    /// The spend writer (None without a master key or with spend logs off).
    pub fn spend(&self) -> Option<&SpendWriter> {
        self.spend.as_ref()
    }

    /// Whether `/health/readiness` says ready (false once shutdown begins).
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    fn stop_readiness(&self) {
        self.ready.store(false, Ordering::Relaxed);
    }
}

/// Whether `addr` is a loopback address (the only kind served without a key).
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}
