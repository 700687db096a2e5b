//! The accept loop: TCP_NODELAY, a header-read timeout against slow
//! clients, HTTP/1.1 and HTTP/2, and a graceful shutdown that stops
//! readiness, drains in-flight requests and streams for a bounded time,
//! then flushes the spend logs.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;

use crate::{AppState, Config, GatewayError};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The longest a client may take to send a request's headers (also
    /// closes idle keep-alive connections).
    pub header_timeout: Duration,
    /// After the shutdown signal, how long in-flight requests and streams
    /// may run before they are cut.
    pub drain_timeout: Duration,
    /// After the shutdown signal, how long the gateway keeps accepting
    /// requests while `/health/readiness` already says 503, so a load
    /// balancer can take it out of rotation first (default 0).
    pub readiness_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(30),
            readiness_grace: Duration::ZERO,
        }
    }
}

/// Serves `config` on `listener` until ctrl-c (or SIGTERM).
pub async fn serve(listener: tokio::net::TcpListener, config: Config) -> std::io::Result<()> {
    let mut warnings = Vec::new();
    let state = AppState::build(config, &mut warnings)
        .await
        .map_err(std::io::Error::other)?;
    serve_with(listener, state, ServeOptions::default(), shutdown_signal()).await
}

/// ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Serves `state` until `shutdown` resolves, then drains and flushes.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = crate::app(Arc::clone(&state));
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .keep_alive(true);
    builder.http2().timer(TokioTimer::new());
    tokio::pin!(shutdown);
    let mut connections = tokio::task::JoinSet::new();
    // Set once the shutdown signal arrived: accept until then.
    let mut stop_accepting_at: Option<tokio::time::Instant> = None;
    loop {
        // Reap finished connections so the set stays small.
        while connections.try_join_next().is_some() {}
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // Too many open files and the like: wait a moment, keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown, if stop_accepting_at.is_none() => {
                state.stop_readiness();
                let now = tokio::time::Instant::now();
                let at = now
                    .checked_add(options.readiness_grace)
                    .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30));
                stop_accepting_at = Some(at);
                continue;
            }
            () = sleep_until(stop_accepting_at) => break,
        };
        // Without TCP_NODELAY, a small stream frame waits for the client's
        // delayed ACK (40 ms on Linux) before the next one leaves.
        let _ = tcp.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(tcp), service);
        let connection = graceful.watch(connection.into_owned());
        connections.spawn(async move {
            let _ = connection.await;
        });
    }
    state.stop_readiness();
    drop(listener);
    // In-flight requests finish; past the deadline they are cut, and their
    // streams' guards still record what was spent before the final flush.
    if tokio::time::timeout(options.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        connections.abort_all();
    }
    while connections.join_next().await.is_some() {}
    if let Some(spend) = state.spend() {
        spend.flush().await;
    }
    Ok(())
}

/// Sleeps until `at`, or forever when there is no deadline yet.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Builds the state and returns it with the config's store warnings, for
/// callers (the CLI) that print them before serving.
pub async fn prepare(
    config: Config,
) -> Result<(Arc<AppState>, Vec<crate::config::ConfigWarning>), GatewayError> {
    let mut warnings = Vec::new();
    let state = AppState::build(config, &mut warnings).await?;
    Ok((state, warnings))
}
