//! The accept loop: TCP_NODELAY, a header-read timeout against slow
//! clients, HTTP/1.x served by our own connection ([`http1`]) and HTTP/2
//! (prior knowledge) by hyper, and a graceful shutdown that stops
//! readiness, drains in-flight requests and streams for a bounded time,
//! then flushes the spend logs.

mod http1;
mod prefixed;
mod request;
mod response;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

use crate::{AppState, Config, GatewayError};
use http1::{Connection, End, Limits, Shutdown};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The longest a client may take to send a request's headers (also
    /// closes idle keep-alive connections).
    pub header_timeout: Duration,
    /// The longest a response write may wait for the client to take any
    /// of its bytes (nginx's `send_timeout`): a client that stops reading
    /// is disconnected, and its call cancelled, instead of holding the
    /// connection and the upstream forever (default 60 s).
    pub send_timeout: Duration,
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
            send_timeout: Duration::from_secs(60),
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
    let app = crate::routes::routes(Arc::clone(&state));
    let limits = Limits {
        header_timeout: options.header_timeout,
        send_timeout: options.send_timeout,
        max_body: state.config().general.max_request_size,
    };
    let closing = Arc::new(Shutdown::default());
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
        let connection = Connection::new(tcp, app.clone(), limits, Arc::clone(&closing));
        let app = app.clone();
        let closing = Arc::clone(&closing);
        connections.spawn(async move {
            if let End::Http2(tcp, read) = connection.serve().await {
                serve_http2(tcp, read, app, &closing).await;
            }
        });
    }
    state.stop_readiness();
    drop(listener);
    // Idle connections close now; in-flight requests finish. Past the
    // deadline they are cut, and their streams' guards still record what
    // was spent before the final flush.
    closing.begin();
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(options.drain_timeout, drained)
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

/// Serves an HTTP/2 (prior knowledge) connection with hyper, from the
/// bytes already read; it stops taking streams at the shutdown signal.
async fn serve_http2(
    tcp: tokio::net::TcpStream,
    read: bytes::Bytes,
    app: axum::Router,
    closing: &Shutdown,
) {
    let io = TokioIo::new(prefixed::Prefixed::new(read, tcp));
    let service = TowerToHyperService::new(crate::routes::with_headers(app));
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    builder.timer(TokioTimer::new());
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        () = closing.wait() => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
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
