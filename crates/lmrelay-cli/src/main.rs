//! `lmrelay`: the command-line face of the lmrelay SDK.

#![expect(clippy::print_stderr, reason = "a binary reports errors on stderr")]

mod alloc;
mod chat;
mod cost;
mod exit;
mod models;
mod serve;
mod tokens;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's malloc: about 14% fewer instructions per
/// gateway request, and less memory with lazy arena commit (set at build
/// time in `.cargo/config.toml`; measurements in BENCHMARKS.md). Called
/// through its plain entry points where they suffice (see `alloc.rs`).
#[global_allocator]
static ALLOCATOR: alloc::Allocator = alloc::Allocator;

/// One OpenAI-shaped interface to every LLM provider, local or cloud.
#[derive(Debug, Parser)]
#[command(name = "lmrelay", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Send a chat completion and print the reply.
    Chat(chat::ChatArgs),
    /// Serve an OpenAI-compatible gateway for one model.
    Serve(serve::ServeArgs),
    /// Price a call from its token counts (exact USD from the model table).
    Cost(cost::CostArgs),
    /// Count the tokens of a text or of chat messages, as LiteLLM's token_counter.
    Tokens(tokens::TokensArgs),
    /// List, inspect and extend the model table (limits, prices, capabilities).
    Models(models::ModelsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One thread for everything but a gateway that may use more cores.
    let workers = match &cli.command {
        Command::Serve(args) => args.workers(),
        _ => 1,
    };
    let mut builder = if workers > 1 {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(workers);
        builder
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::from(exit::OTHER);
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Chat(args) => chat::run(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Cost(args) => cost::run(args),
            Command::Tokens(args) => tokens::run(args),
            Command::Models(args) => models::run(args),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if let Some(line) = failure.line() {
                eprintln!("{line}");
            }
            ExitCode::from(failure.code())
        }
    }
}
