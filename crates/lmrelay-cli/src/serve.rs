//! `lmrelay serve`: the OpenAI-compatible gateway for one model.

use std::io::Write;
use std::net::SocketAddr;

use clap::Args;

use crate::exit::Failure;

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  lmrelay serve --model llamafile/smollm2 --api-base http://127.0.0.1:8080/v1\n  \
    curl http://127.0.0.1:4000/v1/chat/completions -d '{\"model\": \"llamafile/smollm2\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}'"
)]
pub struct ServeArgs {
    /// The model to serve (an lmrelay model string).
    #[arg(short, long)]
    model: String,
    /// The name clients use for it (default: the model string).
    #[arg(long, value_name = "NAME")]
    model_name: Option<String>,
    /// Upstream API base (default: the provider's).
    #[arg(long, value_name = "URL")]
    api_base: Option<String>,
    /// Upstream API key (default: the provider's environment variable).
    #[arg(
        long,
        value_name = "KEY",
        env = "LMRELAY_UPSTREAM_API_KEY",
        hide_env_values = true
    )]
    api_key: Option<String>,
    /// Retries of retryable upstream failures (default 2).
    #[arg(long, value_name = "N")]
    num_retries: Option<u32>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 4000)]
    port: u16,
    /// Allow a non-loopback address although this gateway has no keys yet.
    #[arg(long)]
    insecure: bool,
}

/// Runs the gateway until ctrl-c.
pub async fn run(args: ServeArgs) -> Result<(), Failure> {
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .map_err(|_| {
            Failure::Usage(format!(
                "--host {} --port {} is not an address: use an IP such as 127.0.0.1",
                args.host, args.port
            ))
        })?;
    if !lmrelay_gateway::is_loopback(&addr) && !args.insecure {
        return Err(Failure::Usage(format!(
            "refusing to listen on {addr}: this gateway has no access keys yet, so anyone who can reach it \
             could use your upstream; listen on 127.0.0.1, or pass --insecure if you know the network is yours"
        )));
    }
    lmrelay::providers::resolve(&args.model, args.api_base.as_deref(), None)?;
    let config = lmrelay_gateway::GatewayConfig {
        models: vec![lmrelay_gateway::ModelRoute {
            model_name: args
                .model_name
                .clone()
                .unwrap_or_else(|| args.model.clone()),
            model: args.model.clone(),
            api_base: args.api_base.clone(),
            api_key: args.api_key.as_deref().map(lmrelay::ApiKey::from),
            num_retries: args.num_retries,
        }],
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|err| {
        Failure::Other(format!(
            "cannot listen on {addr}: {err} (is the port taken? try --port 0)"
        ))
    })?;
    let local = listener
        .local_addr()
        .map_err(|err| Failure::Other(err.to_string()))?;
    let mut out = std::io::stdout();
    writeln!(out, "listening on http://{local}")?;
    out.flush()?;
    lmrelay_gateway::serve(listener, config)
        .await
        .map_err(|err| Failure::Other(format!("the gateway stopped: {err}")))
}
