//! `lmrelay serve`: the OpenAI-compatible gateway, from LiteLLM's
//! config.yaml (`--config`) or for one model (`--model`).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use lmrelay_gateway::Config;

use crate::exit::Failure;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  lmrelay serve --config config.yaml\n  lmrelay serve --config config.yaml --check\n  \
    lmrelay serve --model llamafile/smollm2 --api-base http://127.0.0.1:8080/v1\n  \
    curl http://127.0.0.1:4000/v1/chat/completions -d '{\"model\": \"llamafile/smollm2\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}'"
)]
pub struct ServeArgs {
    /// LiteLLM's proxy config.yaml (model_list, router_settings, general_settings...).
    #[arg(short, long, value_name = "FILE", conflicts_with = "model")]
    config: Option<PathBuf>,
    /// Validate the config, print its warnings and exit.
    #[arg(long, requires = "config")]
    check: bool,
    /// The one model to serve (an lmrelay model string), without a config file.
    #[arg(short, long)]
    model: Option<String>,
    /// The name clients use for --model (default: the model string).
    #[arg(long, value_name = "NAME", requires = "model")]
    model_name: Option<String>,
    /// Upstream API base for --model (default: the provider's).
    #[arg(long, value_name = "URL", requires = "model")]
    api_base: Option<String>,
    /// Upstream API key for --model (default: the provider's environment variable).
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
    /// Threads serving requests (LiteLLM's --num_workers; default: one per
    /// CPU this process may run on). With one, the gateway runs on a single
    /// thread, which costs the least per request.
    #[arg(long, visible_alias = "num_workers", value_name = "N")]
    num_workers: Option<std::num::NonZeroUsize>,
    /// Allow a non-loopback address without a master key.
    #[arg(long)]
    insecure: bool,
    /// On SIGTERM/ctrl-c: seconds to keep serving while /health/readiness
    /// already says 503 (time for a load balancer to notice).
    #[arg(long, value_name = "SECONDS", default_value_t = 0.0)]
    readiness_grace: f64,
    /// On SIGTERM/ctrl-c: seconds in-flight requests and streams may run
    /// before they are cut (their spend is recorded either way).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    drain_timeout: f64,
    /// Seconds a response may wait for its client to take any bytes
    /// before the client is disconnected and its call cancelled.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    send_timeout: f64,
}

impl ServeArgs {
    /// How many threads the runtime should have.
    pub fn workers(&self) -> usize {
        self.num_workers.map_or_else(
            || std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            std::num::NonZeroUsize::get,
        )
    }
}

fn seconds(flag: &str, value: f64) -> Result<std::time::Duration, Failure> {
    std::time::Duration::try_from_secs_f64(value).map_err(|_| {
        Failure::Usage(format!(
            "--{flag} {value} is not a number of seconds of zero or more"
        ))
    })
}

fn load(args: &ServeArgs) -> Result<Config, Failure> {
    let mut config = if let Some(path) = &args.config {
        let loaded =
            lmrelay_gateway::config::load(path).map_err(|err| Failure::Other(err.to_string()))?;
        let mut err = std::io::stderr();
        for warning in &loaded.warnings {
            writeln!(err, "warning: {}: {warning}", path.display())?;
        }
        loaded.config
    } else if let Some(model) = &args.model {
        lmrelay::providers::resolve(model, args.api_base.as_deref(), None)?;
        Config::single(
            args.model_name.as_deref().unwrap_or(model),
            model,
            args.api_base.clone(),
            args.api_key.as_deref().map(lmrelay::ApiKey::from),
        )
    } else {
        return Err(Failure::Usage(
            "nothing to serve: pass --config config.yaml (LiteLLM's proxy config) or --model MODEL"
                .into(),
        ));
    };
    if let Some(n) = args.num_retries {
        config.router.num_retries = n;
    }
    Ok(config)
}

/// Runs the gateway until ctrl-c (or, with `--check`, validates and exits).
pub async fn run(args: ServeArgs) -> Result<(), Failure> {
    let config = load(&args)?;
    if args.check {
        let mut out = std::io::stdout();
        let groups: std::collections::BTreeSet<&str> = config
            .model_list
            .iter()
            .map(|d| d.model_name.as_str())
            .collect();
        writeln!(
            out,
            "config OK: {} deployments in {} model groups; master key {}",
            config.model_list.len(),
            groups.len(),
            if config.general.master_key.is_some() {
                "set"
            } else {
                "not set"
            }
        )?;
        return Ok(());
    }
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .map_err(|_| {
            Failure::Usage(format!(
                "--host {} --port {} is not an address: use an IP such as 127.0.0.1",
                args.host, args.port
            ))
        })?;
    if !lmrelay_gateway::is_loopback(&addr) && !args.insecure && config.general.master_key.is_none()
    {
        return Err(Failure::Usage(format!(
            "refusing to listen on {addr} without a master key: anyone who can reach it could use your \
             upstream keys; set general_settings.master_key in the config (or LITELLM_MASTER_KEY), listen on \
             127.0.0.1, or pass --insecure if you know the network is yours"
        )));
    }
    let options = lmrelay_gateway::ServeOptions {
        readiness_grace: seconds("readiness-grace", args.readiness_grace)?,
        drain_timeout: seconds("drain-timeout", args.drain_timeout)?,
        send_timeout: seconds("send-timeout", args.send_timeout)?,
        ..lmrelay_gateway::ServeOptions::default()
    };
    let (state, warnings) = lmrelay_gateway::prepare(config)
        .await
        .map_err(|err| Failure::Other(err.to_string()))?;
    let mut err = std::io::stderr();
    for warning in &warnings {
        writeln!(err, "warning: {warning}")?;
    }
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
    lmrelay_gateway::serve_with(listener, state, options, lmrelay_gateway::shutdown_signal())
        .await
        .map_err(|err| Failure::Other(format!("the gateway stopped: {err}")))
}
