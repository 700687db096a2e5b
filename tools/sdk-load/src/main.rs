//! `sdk-load --base URL [--requests N] [--concurrency C]`: sends N chat
//! completions through the lmrelay SDK, C at a time, on one thread, and
//! prints `{"requests":N,"ok":K,"wall_ms":T}` (the time inside the loop).

#![expect(clippy::print_stdout, reason = "the driver reports on stdout")]

use std::time::Instant;

use anyhow::{Context, bail};
use futures::StreamExt;
use lmrelay::{ChatRequest, Client};

fn main() -> anyhow::Result<()> {
    let mut base = None;
    let mut requests = 1000usize;
    let mut concurrency = 1000usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().context("a flag needs a value");
        match arg.as_str() {
            "--base" => base = Some(value()?),
            "--requests" => requests = value()?.parse().context("--requests takes a number")?,
            "--concurrency" => {
                concurrency = value()?.parse().context("--concurrency takes a number")?
            }
            other => {
                bail!("unknown argument {other:?}: use --base URL [--requests N] [--concurrency C]")
            }
        }
    }
    let base = base.context("--base URL is required (the mock provider's /v1 URL)")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let client = Client::new()?;
        let started = Instant::now();
        let ok = futures::stream::iter(0..requests)
            .map(|i| {
                let request = ChatRequest::new("openai/mock")
                    .user(format!("request {i}"))
                    .api_base(base.clone())
                    .api_key("sk-bench")
                    .num_retries(0);
                let client = client.clone();
                async move { client.completion(request).await.is_ok() }
            })
            .buffer_unordered(concurrency.max(1))
            .filter(|ok| futures::future::ready(*ok))
            .count()
            .await;
        let wall = started.elapsed();
        println!(
            "{{\"requests\":{requests},\"ok\":{ok},\"wall_ms\":{:.1}}}",
            wall.as_secs_f64() * 1000.0
        );
        anyhow::Ok(())
    })
}
