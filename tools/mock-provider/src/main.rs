//! `mock-provider [--host H] [--port P]`: serves the mock until killed and
//! prints `listening on http://H:P` first.

#![expect(
    clippy::print_stdout,
    reason = "the binary reports its address on stdout"
)]

use std::net::SocketAddr;

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut host = "127.0.0.1".to_owned();
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--host" => host = args.next().context("--host needs a value")?,
            "--port" => {
                port = args
                    .next()
                    .context("--port needs a value")?
                    .parse()
                    .context("--port must be a number")?
            }
            "-h" | "--help" => {
                println!("usage: mock-provider [--host 127.0.0.1] [--port 0]");
                return Ok(());
            }
            other => anyhow::bail!("unknown argument '{other}': see --help"),
        }
    }
    let addr: SocketAddr = format!("{host}:{port}")
        .parse()
        .context("bad --host/--port")?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("could not listen on {addr}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    mock_provider::serve(listener).await?;
    Ok(())
}
