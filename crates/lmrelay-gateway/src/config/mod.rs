//! LiteLLM's proxy `config.yaml`, read unchanged.
//!
//! Three steps, as the guide asks: the file becomes one JSON tree
//! ([`source`]: YAML, `include:`, `environment_variables`, `os.environ/`),
//! each section is read with typed, path-naming errors ([`sections`]), and
//! the result is the validated [`Config`] the gateway runs on. A key lmrelay
//! does not implement is a [`ConfigWarning`] naming it; a wrong value is an
//! error naming the path and the fix.

mod fields;
mod keys;
mod sections;
pub mod source;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use lmrelay::{ApiKey, AwsOptions, VertexOptions};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

pub use source::ConfigEnv;

use crate::GatewayError;

/// Something in the config that lmrelay reads but does not act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The dotted path of the key (`general_settings.alerting`).
    pub path: String,
    /// What lmrelay does about it.
    pub message: String,
}

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A loaded config and what it said that lmrelay ignores.
#[derive(Debug)]
pub struct Loaded {
    /// The validated config.
    pub config: Config,
    /// One per ignored key or unset variable.
    pub warnings: Vec<ConfigWarning>,
}

/// How the router picks among a model group's deployments.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RoutingStrategy {
    /// Random, weighted by `weight`, else `rpm`, else `tpm` (LiteLLM's default).
    SimpleShuffle,
    /// The deployment with the fewest requests in flight.
    LeastBusy,
    /// The lowest recent latency (time to first token for streams);
    /// deployments within `buffer` (a fraction) of the best share the load.
    LatencyBased {
        /// LiteLLM's `lowest_latency_buffer` (default 0).
        buffer: f64,
        /// How long a latency sample counts (LiteLLM's `ttl`, default 1 h).
        ttl: Duration,
    },
    /// The lowest tokens used this minute, skipping deployments whose
    /// `rpm`/`tpm` would be exceeded.
    UsageBased,
}

/// A fallback rule: when `from` fails, try the groups in `to` in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackRule {
    /// The model group (or `*` for any).
    pub from: String,
    /// The groups tried, in order.
    pub to: Vec<String>,
}

/// The router's settings (`router_settings`, with `litellm_settings` filling gaps).
#[derive(Debug, Clone)]
pub struct RouterSettings {
    /// How a deployment is picked.
    pub strategy: RoutingStrategy,
    /// Retries within a group after the first attempt (default 2).
    pub num_retries: u32,
    /// Per-attempt deadline (default 600 s).
    pub timeout: Duration,
    /// Streams: the deadline for the first chunk and between chunks.
    pub stream_timeout: Option<Duration>,
    /// Failures in a minute a deployment may have before it cools down (default 3).
    pub allowed_fails: u32,
    /// How long a deployment cools down (default 5 s).
    pub cooldown_time: Duration,
    /// Never cool a deployment down.
    pub disable_cooldowns: bool,
    /// The least wait before a retry when no other deployment is healthy (default 0).
    pub retry_after: Duration,
    /// Fallbacks for any retryable failure.
    pub fallbacks: Vec<FallbackRule>,
    /// Fallbacks when the prompt does not fit.
    pub context_window_fallbacks: Vec<FallbackRule>,
    /// Fallbacks when a provider's content policy refuses.
    pub content_policy_fallbacks: Vec<FallbackRule>,
    /// Groups tried for any group without its own fallbacks.
    pub default_fallbacks: Vec<String>,
    /// At most this many fallback groups per request (default 5).
    pub max_fallbacks: usize,
    /// `model_group_alias`: public name to model group.
    pub model_group_alias: HashMap<String, String>,
}

impl Default for RouterSettings {
    fn default() -> Self {
        Self {
            strategy: RoutingStrategy::SimpleShuffle,
            num_retries: 2,
            timeout: Duration::from_secs(600),
            stream_timeout: None,
            allowed_fails: 3,
            cooldown_time: Duration::from_secs(5),
            disable_cooldowns: false,
            retry_after: Duration::ZERO,
            fallbacks: Vec::new(),
            context_window_fallbacks: Vec::new(),
            content_policy_fallbacks: Vec::new(),
            default_fallbacks: Vec::new(),
            max_fallbacks: 5,
            model_group_alias: HashMap::new(),
        }
    }
}

/// `general_settings`: keys, storage and the server's limits.
#[derive(Debug, Clone)]
pub struct GeneralSettings {
    /// The admin key (`sk-...`); without it the gateway has no auth.
    pub master_key: Option<ApiKey>,
    /// Where state lives (`sqlite:...`); default: a file in the data folder.
    pub database_url: Option<ApiKey>,
    /// The largest request body accepted (`max_request_size_mb`, default 10 MiB).
    pub max_request_size: usize,
    /// Requests in flight per key when the key sets none.
    pub max_parallel_requests: Option<u32>,
    /// Requests in flight across the gateway.
    pub global_max_parallel_requests: Option<u32>,
    /// API bases a client may name in a request body (lmrelay's opt-in
    /// allow-list; empty: refused).
    pub allowed_api_bases: Vec<String>,
    /// Do not write spend logs.
    pub disable_spend_logs: bool,
}

impl Default for GeneralSettings {
    fn default() -> Self {
        Self {
            master_key: None,
            database_url: None,
            max_request_size: 10 * 1024 * 1024,
            max_parallel_requests: None,
            global_max_parallel_requests: None,
            allowed_api_bases: Vec::new(),
            disable_spend_logs: false,
        }
    }
}

/// One deployment of a model group (a `model_list` entry).
#[derive(Debug, Clone)]
pub struct Deployment {
    /// `model_info.id`, else a stable hash of the entry.
    pub id: String,
    /// The model group clients ask for.
    pub model_name: String,
    /// The lmrelay model string (`openai/gpt-4o`, `llamafile/x`); may end
    /// in `*` for a wildcard group.
    pub model: String,
    /// Upstream API base.
    pub api_base: Option<String>,
    /// Upstream key.
    pub api_key: Option<ApiKey>,
    /// Azure's API version.
    pub api_version: Option<String>,
    /// Requests per minute this deployment takes.
    pub rpm: Option<u64>,
    /// Tokens per minute this deployment takes.
    pub tpm: Option<u64>,
    /// Per-attempt deadline.
    pub timeout: Option<Duration>,
    /// Streams: first-chunk and idle deadline.
    pub stream_timeout: Option<Duration>,
    /// Share of traffic for simple-shuffle.
    pub weight: Option<f64>,
    /// Priority: lower orders are used first while healthy.
    pub order: Option<u32>,
    /// Bedrock credentials and region.
    pub aws: AwsOptions,
    /// Vertex project, location and credentials.
    pub vertex: VertexOptions,
    /// A canned reply (or `litellm.<Error>`) instead of calling upstream.
    pub mock_response: Option<String>,
    /// Headers sent with every request (`extra_headers`, `organization`).
    pub extra_headers: Vec<(String, String)>,
    /// Price overrides (USD per token).
    pub input_cost_per_token: Option<Decimal>,
    /// Price overrides (USD per token).
    pub output_cost_per_token: Option<Decimal>,
    /// Provider parameters sent with every request (the request's own win).
    pub defaults: Map<String, Value>,
    /// `model_info` as written, for `/model/info`.
    pub model_info: Value,
}

/// Response caching (`litellm_settings.cache` / `cache_params`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheSettings {
    /// In this process.
    Local,
    /// A Redis server (`redis://...`).
    Redis(String),
    /// A folder on disk.
    Disk(String),
}

/// The validated configuration the gateway runs on.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Every deployment, in file order.
    pub model_list: Vec<Deployment>,
    /// Routing, retries, fallbacks, cooldowns.
    pub router: RouterSettings,
    /// Keys, storage and limits.
    pub general: GeneralSettings,
    /// Response cache, when enabled.
    pub cache: Option<CacheSettings>,
    /// How long cached answers live (`cache_params.ttl`; default: forever
    /// on disk and in Redis, until evicted in memory).
    pub cache_ttl: Option<Duration>,
    /// Drop parameters a provider does not support.
    pub drop_params: bool,
}

impl Config {
    /// A one-model config (`lmrelay serve --model`).
    pub fn single(
        model_name: &str,
        model: &str,
        api_base: Option<String>,
        api_key: Option<ApiKey>,
    ) -> Self {
        Self {
            model_list: vec![Deployment {
                id: sections::deployment_id(model_name, model, api_base.as_deref()),
                model_name: model_name.to_owned(),
                model: model.to_owned(),
                api_base,
                api_key,
                api_version: None,
                rpm: None,
                tpm: None,
                timeout: None,
                stream_timeout: None,
                weight: None,
                order: None,
                aws: AwsOptions::default(),
                vertex: VertexOptions::default(),
                mock_response: None,
                extra_headers: Vec::new(),
                input_cost_per_token: None,
                output_cost_per_token: None,
                defaults: Map::new(),
                model_info: Value::Null,
            }],
            ..Self::default()
        }
    }
}

/// Loads LiteLLM's `config.yaml` at `path`.
pub fn load(path: &Path) -> Result<Loaded, GatewayError> {
    let mut warnings = Vec::new();
    let (tree, env) = source::read_tree(path, &mut warnings)?;
    let file = path.display().to_string();
    let config = sections::read(&file, &tree, &env, &mut warnings)?;
    Ok(Loaded { config, warnings })
}

/// Loads a config from YAML text (`file` names it in messages).
pub fn load_str(text: &str, file: &str) -> Result<Loaded, GatewayError> {
    let mut warnings = Vec::new();
    let tree = source::parse_yaml(text, Path::new(file))?;
    let (tree, env) = source::prepare(tree, Path::new(file), &mut warnings)?;
    let config = sections::read(file, &tree, &env, &mut warnings)?;
    Ok(Loaded { config, warnings })
}
