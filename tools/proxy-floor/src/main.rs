//! `proxy-floor MODE PORT UPSTREAM_URL`: a pass-through proxy with nothing
//! but HTTP in it, to measure the least a Rust proxy built on hyper can cost
//! per request next to nginx (`bench/floor.sh`). Every request's body is
//! read whole and POSTed to `UPSTREAM_URL`; the answer is returned whole.
//! MODE `hyper` uses hyper-util's pooled client (lmrelay now sends plain
//! http through an HTTP/1.1 client and pool of its own, leaner than this,
//! so this floor is a little above the gateway's HTTP cost), `reqwest` uses reqwest
//! (what lmrelay uses for https). One thread, like the gateway pinned to
//! one core, and the same allocator as the gateway (mimalloc), so the two
//! differ only in what lmrelay adds. Not a product: no headers are copied,
//! no errors are mapped, no limits are applied.

use std::sync::Arc;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};

/// The gateway's allocator (the same source file), so allocation costs
/// compare like for like.
#[path = "../../../crates/lmrelay-cli/src/alloc.rs"]
mod alloc;

#[global_allocator]
static ALLOCATOR: alloc::Allocator = alloc::Allocator;

type HyperClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    Full<Bytes>,
>;

/// The upstream side: one of the two clients.
enum Upstream {
    Hyper(Box<HyperClient>, hyper::Uri),
    Reqwest(reqwest::Client, String),
}

impl Upstream {
    async fn forward(&self, body: Bytes) -> anyhow::Result<Bytes> {
        match self {
            Self::Hyper(client, uri) => {
                let request = Request::post(uri.clone())
                    .header("content-type", "application/json")
                    .body(Full::new(body))?;
                let response = client.request(request).await?;
                Ok(response.into_body().collect().await?.to_bytes())
            }
            Self::Reqwest(client, url) => {
                let response = client
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                Ok(response.bytes().await?)
            }
        }
    }
}

async fn handle(
    upstream: Arc<Upstream>,
    request: Request<Incoming>,
) -> anyhow::Result<Response<Full<Bytes>>> {
    let body = request.into_body().collect().await?.to_bytes();
    let answer = upstream.forward(body).await?;
    Ok(Response::builder()
        .header("content-type", "application/json")
        .body(Full::new(answer))?)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, mode, port, url] = args.as_slice() else {
        bail!("usage: proxy-floor hyper|reqwest PORT UPSTREAM_URL");
    };
    let port: u16 = port.parse().context("PORT must be a number")?;
    let upstream = Arc::new(match mode.as_str() {
        "hyper" => Upstream::Hyper(
            Box::new(
                hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build_http(),
            ),
            url.parse().context("UPSTREAM_URL is not a URL")?,
        ),
        "reqwest" => Upstream::Reqwest(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            url.clone(),
        ),
        other => bail!("MODE must be hyper or reqwest, not {other}"),
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        loop {
            let (tcp, _) = listener.accept().await?;
            tcp.set_nodelay(true)?;
            let upstream = Arc::clone(&upstream);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    handle(Arc::clone(&upstream), request)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    })
}
